import * as path from 'path';
import { CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import {
  ChannelDataSource, FileSystemAccessMode, JobS3Location, MlDataStore, SageMakerImage, SageMakerInstanceType, TrainingJobStep, TrainingJobStepProps,
} from '../../lib';
import { MAX_POLLS, pollPlan } from '../../lib/jobs/private/training-job-poll';
import { optimizedFieldProblems } from '../../local/src/optimized-fields';
import { definitionOf, iamPolicies, nagFindings, renderState, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; store: MlDataStore; base: TrainingJobStepProps } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const base: TrainingJobStepProps = {
    image: SageMakerImage.fromAsset(IMAGE_DIR),
    outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
  };
  return { stack, store, base };
}

describe('TrainingJobStep', () => {
  test('renders createTrainingJob.sync with a per-execution name and defaults', () => {
    const { stack, base } = setup();
    const state = renderState(stack, new TrainingJobStep(stack, 'Train', base));
    expect(state.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createTrainingJob.sync');
    expect(state.Parameters).toEqual({
      'TrainingJobName.$': expect.stringMatching(/^States\.Format\('training-[0-9a-f]{8}-\{\}', States\.UUID\(\)\)$/),
      'RoleArn': expect.stringMatching(/^\$\{TrainRole[0-9A-F]+\.Arn\}$/),
      'AlgorithmSpecification': { TrainingImage: expect.stringContaining('container-assets'), TrainingInputMode: 'File' },
      'InputDataConfig': [{
        ChannelName: 'train',
        DataSource: { S3DataSource: { S3Uri: expect.stringMatching(/^s3:\/\/\$\{StoreDataBucket[0-9A-F]+\}\/train\/$/), S3DataType: 'S3Prefix', S3DataDistributionType: 'FullyReplicated' } },
      }],
      'OutputDataConfig': {
        S3OutputPath: expect.stringMatching(/^s3:\/\/\$\{StoreArtifactsBucket[0-9A-F]+\}\/models\/$/),
        KmsKeyId: expect.stringMatching(/^\$\{StoreKey[0-9A-F]+\.Arn\}$/),
      },
      'ResourceConfig': { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      'StoppingCondition': { MaxRuntimeInSeconds: 86400 },
    });
    expect(state.QueryLanguage).toBe('JSONPath');
    // Capacity only (every 60 s, as AWS's example does). SageMaker's generic error (a refused
    // request as well as throttling) is not retried by name: the service-error loop
    // (fail-fast.ts) catches it and retries only a throttling or server-fault Cause.
    expect(state.Retry).toEqual([{
      ErrorEquals: ['SageMaker.ResourceLimitExceededException'],
      IntervalSeconds: 60,
      MaxAttempts: 10,
      BackoffRate: 1,
    }]);
    expect(state.Catch[0]).toEqual({ ErrorEquals: ['SageMaker.AmazonSageMakerException'], ResultPath: expect.stringMatching(/^\$\.serviceErrorRetries\.t[0-9a-f]{8}\.error$/), Next: 'Train: transient?' });
    expect(JSON.stringify(state.Retry)).not.toContain('States.TaskFailed');
  });

  test('renders every option people use', () => {
    const { stack, store, base } = setup();
    const volumeKey = new kms.Key(stack, 'VolumeKey', { enableKeyRotation: true });
    const state = renderState(stack, new TrainingJobStep(stack, 'Train', {
      ...base,
      jobNamePrefix: 'glm',
      channels: [{
        channelName: 'train',
        source: ChannelDataSource.s3(JobS3Location.perExecution(store.dataBucket, 'processed').child('train'), { distribution: tasks.S3DataDistributionType.SHARDED_BY_S3_KEY }),
        inputMode: tasks.InputMode.FAST_FILE,
        contentType: 'text/csv',
        compressionType: tasks.CompressionType.GZIP,
      }],
      hyperparameters: { alpha: '0.1', epochs: sfn.JsonPath.stringAt('$.epochs'), note: sfn.JsonPath.format('v{}', sfn.JsonPath.stringAt('$.v')) },
      environment: { MLFLOW_TRACKING_URI: 'arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/team', MLFLOW_EXPERIMENT_NAME: 'glm' },
      metricDefinitions: [{ name: 'validation:rmse', regex: 'rmse=([0-9.]+)' }],
      instanceType: SageMakerInstanceType.ML_P3_8XLARGE,
      instanceCount: 4,
      volumeSize: Size.gibibytes(200),
      volumeEncryptionKey: volumeKey,
      maxRuntime: Duration.hours(10),
      spot: { maxWait: Duration.hours(20) },
      checkpointLocation: JobS3Location.perExecution(store.artifactsBucket, 'checkpoints'),
      enableNetworkIsolation: true,
      enableInterContainerTrafficEncryption: true,
      tags: { team: 'pricing' },
    }));
    const p = state.Parameters;
    expect(p['TrainingJobName.$']).toBe("States.Format('glm-{}', States.UUID())");
    expect(p.InputDataConfig[0]).toEqual({
      ChannelName: 'train',
      DataSource: {
        S3DataSource: {
          'S3Uri.$': expect.stringMatching(/^States\.Format\('s3:\/\/\$\{StoreDataBucket[0-9A-F]+\}\/processed\/\{\}\/train\/', \$\$\.Execution\.Name\)$/),
          'S3DataType': 'S3Prefix',
          'S3DataDistributionType': 'ShardedByS3Key',
        },
      },
      ContentType: 'text/csv',
      CompressionType: 'Gzip',
      InputMode: 'FastFile',
    });
    // A number in the execution input ({"epochs": 50}) becomes the string SageMaker wants.
    expect(p.HyperParameters).toEqual({ 'alpha': '0.1', 'epochs.$': "States.Format('{}', $.epochs)", 'note.$': "States.Format('v{}', $.v)" });
    expect(p.Environment).toEqual({ MLFLOW_TRACKING_URI: 'arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/team', MLFLOW_EXPERIMENT_NAME: 'glm' });
    expect(p.AlgorithmSpecification.MetricDefinitions).toEqual([{ Name: 'validation:rmse', Regex: 'rmse=([0-9.]+)' }]);
    expect(p.ResourceConfig).toEqual({ InstanceType: 'ml.p3.8xlarge', InstanceCount: 4, VolumeSizeInGB: 200, VolumeKmsKeyId: expect.stringMatching(/^\$\{VolumeKey[0-9A-F]+\.Arn\}$/) });
    expect(p.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 36000, MaxWaitTimeInSeconds: 72000 });
    expect(p.EnableManagedSpotTraining).toBe(true);
    expect(p.CheckpointConfig).toEqual({ 'S3Uri.$': expect.stringMatching(/^States\.Format\('s3:\/\/\$\{StoreArtifactsBucket[0-9A-F]+\}\/checkpoints\/\{\}\/', \$\$\.Execution\.Name\)$/) });
    expect(p.EnableNetworkIsolation).toBe(true);
    expect(p.EnableInterContainerTrafficEncryption).toBe(true);
    expect(p.Tags).toEqual([{ Key: 'team', Value: 'pricing' }]);
  });

  test('gives the state machine create/describe/stop on its name prefix, the .sync rule, and a conditioned PassRole', () => {
    const { stack, base } = setup();
    renderState(stack, new TrainingJobStep(stack, 'Train', { ...base, jobNamePrefix: 'GLM', tags: { a: 'b' } }));
    const policy = Object.values<any>(iamPolicies(stack))
      .find(p => JSON.stringify(p).includes('sagemaker:CreateTrainingJob'));
    expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      {
        // .sync integrations tag the jobs they start (MANAGED_BY_AWS): AddTags on the prefix only.
        Action: ['sagemaker:AddTags', 'sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'],
        Effect: 'Allow',
        Resource: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/glm-*',
      },
      // ListTags on '*', as Step Functions' policy template and aws-cdk-lib's task grant it.
      { Action: 'sagemaker:ListTags', Effect: 'Allow', Resource: '*' },
      {
        Action: ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'],
        Effect: 'Allow',
        Resource: 'arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule',
      },
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TrainRole/), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
    ]));
    expect(policy.Properties.PolicyDocument.Statement).toHaveLength(4);
    // What is left is the bare test state machine's own (the workflow adds logging, tracing
    // and a managed-policy role); the step's wildcard on its name prefix is acknowledged.
    expect(nagFindings(stack).sort()).toEqual([
      'AwsSolutions-SF1 Test/Machine/Resource',
      'AwsSolutions-SF2 Test/Machine/Resource',
      'HIPAA.Security-IAMNoInlinePolicy Test/Machine/Role/DefaultPolicy/Resource',
      'NIST.800.53.R5-IAMNoInlinePolicy Test/Machine/Role/DefaultPolicy/Resource',
      'PCI.DSS.321-IAMNoInlinePolicy Test/Machine/Role/DefaultPolicy/Resource',
    ]);
  });

  test('grants the job role read on inputs, write on the output, and nothing on other prefixes', () => {
    const { stack, base } = setup();
    renderState(stack, new TrainingJobStep(stack, 'Train', base));
    const statements = Object.entries<any>(iamPolicies(stack))
      .filter(([id]) => id.startsWith('TrainRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const s3 = statements.filter(s => JSON.stringify(s.Action).includes('s3:'));
    expect(s3).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreDataBucket/), 'Arn'] }, '/train/*']] } }),
      expect.objectContaining({ Action: ['s3:AbortMultipartUpload', 's3:PutObject'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreArtifactsBucket/), 'Arn'] }, '/models/*']] } }),
    ]));
    expect(JSON.stringify(s3)).not.toMatch(/"Resource":\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["StoreDataBucket[0-9A-F]+","Arn"\]\},"\/\*"\]\]\}/);
  });

  test('EFS and FSx channels run in the VPC and open the file system ports to the job', () => {
    const { stack, base } = setup();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const fileSystem = new efs.FileSystem(stack, 'Efs', { vpc });
    const lustre = fsx.LustreFileSystem.fromLustreFileSystemAttributes(stack, 'Lustre', {
      fileSystemId: 'fs-0123456789abcdef0', dnsName: 'fs.example', securityGroup: new ec2.SecurityGroup(stack, 'LustreSg', { vpc }),
    });
    const state = renderState(stack, new TrainingJobStep(stack, 'Train', {
      ...base,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      channels: [
        { channelName: 'efs', source: ChannelDataSource.efs(fileSystem, '/datasets', FileSystemAccessMode.READ_WRITE) },
        { channelName: 'lustre', source: ChannelDataSource.fsxLustre(lustre, '/mnt1/datasets') },
      ],
    }));
    expect(state.Parameters.InputDataConfig.map((c: any) => c.DataSource.FileSystemDataSource)).toEqual([
      { FileSystemId: expect.stringMatching(/^\$\{Efs[0-9A-F]+\}$/), FileSystemType: 'EFS', FileSystemAccessMode: 'rw', DirectoryPath: '/datasets' },
      { FileSystemId: 'fs-0123456789abcdef0', FileSystemType: 'FSxLustre', FileSystemAccessMode: 'ro', DirectoryPath: '/mnt1/datasets' },
    ]);
    expect(state.Parameters.VpcConfig).toEqual({ SecurityGroupIds: [expect.stringMatching(/^\$\{TrainSecurityGroup[0-9A-F]+\.GroupId\}$/)], Subnets: expect.any(Array) });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 2049, ToPort: 2049, SourceSecurityGroupId: Match.anyValue() });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 988, ToPort: 988 });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 1018, ToPort: 1023 });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ManageJobNetworkInterfaces' })]) } });
  });

  test('warns when spot training has no checkpoints', () => {
    const { stack, base } = setup();
    new TrainingJobStep(stack, 'Train', { ...base, spot: { maxWait: Duration.days(2) } });
    Annotations.fromStack(stack).hasWarning('/Test/Train', Match.stringLikeRegexp('Managed spot training without checkpointLocation'));
  });

  test('uses a role it is given and grants it what the job needs', () => {
    const { stack, base } = setup();
    const role = new iam.Role(stack, 'Mine', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const step = new TrainingJobStep(stack, 'Train', { ...base, role });
    expect(step.role).toBe(role);
    expect(step.node.tryFindChild('Role')).toBeUndefined();
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as any) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) },
    });
  });

  describe('rejects bad input with the prop, the value and what is allowed', () => {
    const cases: Array<[string, (b: TrainingJobStepProps, s: Stack) => Partial<TrainingJobStepProps>, RegExp]> = [
      ['EC2 instance type', () => ({ instanceType: { name: 'm5.large' } as SageMakerInstanceType }), /instanceType must be a SageMaker instance type of the form 'ml.<family>.<size>' \(e.g. 'ml.m5.xlarge'\), got 'm5.large'/],
      ['instance count 0', () => ({ instanceCount: 0 }), /instanceCount must be an integer between 1 and 100, got 0/],
      ['fractional instance count', () => ({ instanceCount: 1.5 }), /instanceCount must be an integer between 1 and 100, got 1.5/],
      ['volume under 1 GiB', () => ({ volumeSize: Size.mebibytes(512) }), /volumeSize \(GiB\) must be an integer between 1 and 16384, got 0.5/],
      ['max runtime over 28 days', () => ({ maxRuntime: Duration.days(29) }), /maxRuntime must be a whole number of seconds between 1 and 2419200 \(28 days\), got 29 days/],
      ['empty metric regex', () => ({ metricDefinitions: [{ name: 'loss', regex: '' }] }), /metricDefinitions\['loss'\].regex must be between 1 and 500 characters long, got 0 characters/],
      ['invalid metric regex', () => ({ metricDefinitions: [{ name: 'loss', regex: 'loss=([0-9' }] }), /metricDefinitions\['loss'\].regex must be a valid regular expression, got 'loss=\(\[0-9'/],
      ['duplicate metric names', () => ({ metricDefinitions: [{ name: 'a', regex: 'a' }, { name: 'a', regex: 'b' }] }), /metricDefinitions\[\].name must be unique, got 'a' more than once/],
      ['channel name outside the pattern', b => ({ channels: [{ ...b.channels![0], channelName: 'train data' }] }), /channels\[\].channelName must be letters, digits and the characters . - _ \(SageMaker's channel name pattern\), got 'train data'/],
      ['channel name too long', b => ({ channels: [{ ...b.channels![0], channelName: 'c'.repeat(65) }] }), /channels\[\].channelName must be between 1 and 64 characters long, got 65/],
      ['duplicate channel names', b => ({ channels: [b.channels![0], b.channels![0]] }), /channels\[\].channelName must be unique, got 'train' more than once/],
      ['FastFile on a file system channel', (_b, s) => {
        const vpc = new ec2.Vpc(s, 'Vpc');
        return { vpc, channels: [{ channelName: 'efs', source: ChannelDataSource.efs(new efs.FileSystem(s, 'Efs', { vpc }), '/d'), inputMode: tasks.InputMode.FAST_FILE }] };
      }, /channels\['efs'\].inputMode FastFile works only for S3 channels; file system channels use File/],
      ['EFS without a VPC', (_b, s) => ({ channels: [{ channelName: 'efs', source: ChannelDataSource.efs(new efs.FileSystem(s, 'Efs', { vpc: new ec2.Vpc(s, 'Vpc') }), '/d') }] }),
        /channel 'efs' reads from Amazon EFS, which requires the job to run in a VPC: set vpc/],
      ['relative file system path', (_b, s) => ({ channels: [{ channelName: 'efs', source: ChannelDataSource.efs(new efs.FileSystem(s, 'Efs', { vpc: new ec2.Vpc(s, 'Vpc') }), 'data') }] }),
        /directoryPath must be an absolute path starting with '\/' \(at most 4096 characters\), got 'data'/],
      ['spot max wait below max runtime', () => ({ maxRuntime: Duration.hours(5), spot: { maxWait: Duration.hours(4) } }), /spot.maxWait must be at least maxRuntime \(5 hours\), got 4 hours/],
      ['checkpoint path without location', () => ({ checkpointLocalPath: '/opt/ml/checkpoints' }), /checkpointLocalPath requires checkpointLocation/],
      ['long job name prefix', () => ({ jobNamePrefix: 'a'.repeat(27) }), /jobNamePrefix must be between 1 and 26 characters long, got 27/],
      ['job name prefix with underscore', () => ({ jobNamePrefix: 'my_job' }), /jobNamePrefix must be letters, digits and single hyphens, starting and ending with a letter or digit, got 'my_job'/],
      ['too many hyperparameters', () => ({ hyperparameters: Object.fromEntries([...Array(101).keys()].map(i => [`k${i}`, 'v'])) }), /hyperparameters may have at most 100 entries, got 101/],
      ['non-string hyperparameter', () => ({ hyperparameters: { epochs: 10 as unknown as string } }), /hyperparameters\['epochs'\] must be a string, got 10/],
      ['environment variable name', () => ({ environment: { 'MY-VAR': 'x' } }), /environment key must be a variable name \('\[a-zA-Z_\]\[a-zA-Z0-9_\]\*'\), got 'MY-VAR'/],
      ['reserved tag key', () => ({ tags: { 'aws:owner': 'x' } }), /tags key must not start with 'aws:' \(reserved\), got 'aws:owner'/],
      ['subnets without a VPC', () => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }), /vpcSubnets requires vpc/],
      ['volume key on an NVMe-only instance type', (_b, st) => ({ instanceType: SageMakerInstanceType.ML_P4D_24XLARGE, volumeEncryptionKey: new kms.Key(st, 'K') }),
        /volumeEncryptionKey must not be set for instanceType 'ml.p4d.24xlarge': its storage is local NVMe instance storage/],
      ['negative capacity retries', () => ({ capacityRetries: -1 }), /capacityRetries must be an integer between 0 and 1000, got -1/],
      ['a JSONata state', () => ({ queryLanguage: sfn.QueryLanguage.JSONATA }), /^Test\/Train: queryLanguage must be JSONPath \(or unset\) for a SageMaker task/],
      ['a VPC with only public subnets', (_b, st) => ({ vpc: new ec2.Vpc(st, 'PublicVpc', { natGateways: 0, subnetConfiguration: [{ name: 'pub', subnetType: ec2.SubnetType.PUBLIC }] }) }),
        /^Test\/Train: vpcSubnets must be set: the VPC has neither private subnets with egress nor isolated subnets/],
      ['a callback integration pattern', () => ({ integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN }), /^Test\/Train: integrationPattern must be RUN_JOB for createTrainingJob \(it waits for the job with '.sync'\), got WAIT_FOR_TASK_TOKEN/],
    ];
    test.each(cases)('%s', (_name, override, error) => {
      const { stack, base } = setup();
      expect(() => new TrainingJobStep(stack, 'Train', { ...base, ...override(base, stack) })).toThrow(error);
    });
  });

  test('errors name the construct path', () => {
    const { stack, base } = setup();
    expect(() => new TrainingJobStep(stack, 'Train', { ...base, instanceCount: 0 })).toThrow(/^Test\/Train: instanceCount must be an integer between 1 and 100, got 0$/);
  });

  test('default name prefixes differ per construct path, so policies never overlap', () => {
    const { stack, base } = setup();
    const a = new TrainingJobStep(stack, 'A', base);
    const b = new TrainingJobStep(stack, 'B', base);
    expect(a.jobNamePrefix).toMatch(/^training-[0-9a-f]{8}$/);
    expect(b.jobNamePrefix).toMatch(/^training-[0-9a-f]{8}$/);
    expect(a.jobNamePrefix).not.toBe(b.jobNamePrefix);
  });

  test('retries ResourceLimitExceeded as configured, or not at all', () => {
    const { stack, base } = setup();
    const three = renderState(stack, new TrainingJobStep(stack, 'Train', { ...base, capacityRetries: 3 }));
    expect(three.Retry[0]).toEqual({ ErrorEquals: ['SageMaker.ResourceLimitExceededException'], IntervalSeconds: 60, MaxAttempts: 3, BackoffRate: 1 });
    const other = setup();
    const none = renderState(other.stack, new TrainingJobStep(other.stack, 'Train', { ...other.base, capacityRetries: 0, retryOnServiceErrors: false }));
    expect(none.Retry).toBeUndefined();
  });

  test('maxDuration covers spot waiting and every retry', () => {
    const { stack, base } = setup();
    const step = new TrainingJobStep(stack, 'Train', { ...base, maxRuntime: Duration.hours(2), spot: { maxWait: Duration.hours(5) }, capacityRetries: 2 });
    // 5 h spot wait + 2 x 60 s capacity in each of 6 entries (the first and 5 transient
    // retries) + 15 x (1 + 2 + 4 + 8 + 16) s transient.
    expect(step.maxDuration.toSeconds()).toBe(5 * 3600 + 6 * 120 + 465);
  });

  test('runs in isolated subnets when the VPC has no private subnets with egress', () => {
    const { stack, base } = setup();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const state = renderState(stack, new TrainingJobStep(stack, 'Train', { ...base, vpc }));
    expect(state.Parameters.VpcConfig.Subnets).toHaveLength(vpc.isolatedSubnets.length);
    expect(state.Parameters.VpcConfig.Subnets[0]).toMatch(/^\$\{VpcisoSubnet1Subnet[0-9A-F]+\}$/);
  });

  test('the volume key gets kms:CreateGrant for AWS resources, not data-key use', () => {
    const { stack, base } = setup();
    const volumeEncryptionKey = new kms.Key(stack, 'VolumeKey', { enableKeyRotation: true });
    renderState(stack, new TrainingJobStep(stack, 'Train', { ...base, volumeEncryptionKey }));
    const statements = Object.entries<any>(iamPolicies(stack))
      .filter(([id]) => id.startsWith('TrainRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter(st => JSON.stringify(st.Resource).includes('VolumeKey'));
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
    ]));
    expect(JSON.stringify(statements)).not.toMatch(/GenerateDataKey|ReEncrypt/);
  });

  test('renders a JSONPath state next to JSONata states, and refuses a JSONata state machine', () => {
    const { stack, base } = setup();
    const step = new TrainingJobStep(stack, 'Train', base);
    new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(sfn.Pass.jsonata(stack, 'Before').next(step)),
    });
    const rendered = JSON.stringify(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'));
    expect(rendered).toContain('\\"QueryLanguage\\":\\"JSONPath\\"');
    expect(rendered).toContain('\\"Parameters\\":');
    expect(rendered).not.toContain('\\"Arguments\\":{\\"TrainingJobName');

    const other = setup();
    const inJsonata = new TrainingJobStep(other.stack, 'Train', other.base);
    expect(() => new sfn.StateMachine(other.stack, 'Machine', { queryLanguage: sfn.QueryLanguage.JSONATA, definitionBody: sfn.DefinitionBody.fromChainable(inJsonata) })).toThrow(/Test\/Train: a SageMaker task renders a JSONPath state, which Step Functions does not allow in a state machine whose top-level queryLanguage is JSONata/);
  });

  test('accepts tokens unvalidated', () => {
    const { stack, base } = setup();
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
    const type = new CfnParameter(stack, 'Type').valueAsString;
    new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new TrainingJobStep(stack, 'Train', { ...base, instanceCount: count, instanceType: SageMakerInstanceType.of(type) })),
    });
    const definition = JSON.stringify(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('\\"InstanceType\\":\\"",{"Ref":"Type"}');
    expect(definition).toContain('\\"InstanceCount\\":",{"Ref":"Count"}');
  });

  describe('deploy-safe integration (issue 23)', () => {
    /** The local runtime's field check of rendered states (the partition as the runtime resolves it). */
    function fieldProblems(states: any): string[] {
      return optimizedFieldProblems(JSON.parse(JSON.stringify(states).split('${AWS::Partition}').join('aws')));
    }

    /** The states of a state machine holding only `state`. */
    function machineStates(stack: Stack, state: sfn.IChainable): any {
      new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(state) });
      return definitionOf(stack).States;
    }

    test('spot without checkpoints stays on the optimized createTrainingJob.sync, with EnableManagedSpotTraining, and passes the field check', () => {
      const { stack, base } = setup();
      const states = machineStates(stack, new TrainingJobStep(stack, 'Train', { ...base, maxRuntime: Duration.hours(2), spot: { maxWait: Duration.hours(4) } }));
      expect(states.Train.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createTrainingJob.sync');
      expect(states.Train.Parameters.EnableManagedSpotTraining).toBe(true);
      expect(states.Train.Parameters.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 7200, MaxWaitTimeInSeconds: 14400 });
      expect(states.Train.Parameters.CheckpointConfig).toBeUndefined();
      expect(states.Train.End).toBe(true);
      expect(Object.keys(states).filter(n => /wait|describe job/.test(n))).toEqual([]);
      expect(fieldProblems(states)).toEqual([]);
    });

    test('enableInterContainerTrafficEncryption false is SageMaker\'s default: left out, the job stays optimized', () => {
      const { stack, base } = setup();
      const state = renderState(stack, new TrainingJobStep(stack, 'Train', { ...base, enableInterContainerTrafficEncryption: false }));
      expect(state.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createTrainingJob.sync');
      expect(state.Parameters).not.toHaveProperty('EnableInterContainerTrafficEncryption');
    });

    test('spot with checkpoints: the AWS SDK createTrainingJob, then a bounded Wait / DescribeTrainingJob / Choice loop', () => {
      const { stack, store, base } = setup();
      const step = new TrainingJobStep(stack, 'Train', {
        ...base,
        maxRuntime: Duration.hours(1),
        spot: { maxWait: Duration.hours(2) },
        checkpointLocation: JobS3Location.perExecution(store.artifactsBucket, 'checkpoints'),
        resultPath: '$.results.Train',
        resultSelector: { 'TrainingJobName.$': '$.TrainingJobName', 'ModelArtifacts.$': '$.ModelArtifacts' },
      });
      const after = new sfn.Pass(stack, 'After');
      const states = machineStates(stack, step.next(after));
      const create = states.Train;
      expect(create.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createTrainingJob');
      expect(create.Parameters).toMatchObject({
        EnableManagedSpotTraining: true,
        CheckpointConfig: { 'S3Uri.$': expect.stringMatching(/^States\.Format\('s3:\/\/\$\{StoreArtifactsBucket[0-9A-F]+\}\/checkpoints\/\{\}\/', \$\$\.Execution\.Name\)$/) },
        StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      });
      // The job name, read back from the (lowercase) ARN, and the check counter at the result path.
      expect(create.ResultSelector).toEqual({ 'TrainingJobName.$': "States.ArrayGetItem(States.StringSplit($.TrainingJobArn, '/'), 1)", 'Checks': { Count: 0 } });
      expect(create.ResultPath).toBe('$.results.Train');
      expect(create.Next).toBe('Train: wait');
      // The SDK integration's generic error goes through the fail-fast loop (3 retries from 2 s).
      expect(create.Catch[0]).toMatchObject({ ErrorEquals: ['SageMaker.SageMakerException'], Next: 'Train: transient?' });
      expect(create.Retry).toEqual([{ ErrorEquals: ['SageMaker.ResourceLimitExceededException'], IntervalSeconds: 60, MaxAttempts: 10, BackoffRate: 1 }]);
      // 2 h spot wait + 1 h: 180 checks a minute apart.
      expect(states['Train: wait']).toEqual({ Type: 'Wait', Seconds: 60, Next: 'Train: describe job' });
      expect(states['Train: describe job']).toMatchObject({
        Type: 'Task',
        Resource: 'arn:${AWS::Partition}:states:::aws-sdk:sagemaker:describeTrainingJob',
        Parameters: { 'TrainingJobName.$': '$.results.Train.TrainingJobName' },
        ResultPath: '$.results.Train.Job',
        Next: 'Train: job ended?',
      });
      expect(states['Train: describe job'].Catch[0]).toMatchObject({ ErrorEquals: ['SageMaker.SageMakerException'], Next: 'Train: describe job: transient?' });
      const status = '$.results.Train.Job.TrainingJobStatus';
      expect(states['Train: job ended?']).toEqual({
        Type: 'Choice',
        Choices: [
          { Variable: status, StringEquals: 'Completed', Next: 'Train: completed' },
          { Or: [{ Variable: status, StringEquals: 'InProgress' }, { Variable: status, StringEquals: 'Stopping' }], Next: 'Train: count checks' },
          { Variable: '$.results.Train.Job.FailureReason', IsPresent: true, Next: 'Train: failed with reason' },
        ],
        Default: 'Train: failed without reason',
      });
      // Completed: the .sync task's output (the DescribeTrainingJob response through the
      // step's resultSelector, at its resultPath), then what follows the step.
      expect(states['Train: completed']).toEqual({
        Type: 'Pass',
        InputPath: '$.results.Train.Job',
        Parameters: { 'TrainingJobName.$': '$.TrainingJobName', 'ModelArtifacts.$': '$.ModelArtifacts' },
        ResultPath: '$.results.Train',
        Next: 'After',
      });
      expect(states['Train: count checks']).toEqual({
        Type: 'Pass', Parameters: { 'Count.$': 'States.MathAdd($.results.Train.Checks.Count, 1)' }, ResultPath: '$.results.Train.Checks', Next: 'Train: checks left?',
      });
      expect(states['Train: checks left?']).toEqual({
        Type: 'Choice', Choices: [{ Variable: '$.results.Train.Checks.Count', NumericGreaterThanEquals: 180, Next: 'Train: job timed out' }], Default: 'Train: wait',
      });
      // Failed or Stopped: TrainingJobFailed, the job's name, status and reason as a JSON Cause;
      // no catch on the step: a Fail state raises it.
      expect(states['Train: failed with reason'].Parameters).toEqual({
        'TrainingJobName.$': '$.results.Train.Job.TrainingJobName',
        'TrainingJobArn.$': '$.results.Train.Job.TrainingJobArn',
        'TrainingJobStatus.$': status,
        'SecondaryStatus.$': '$.results.Train.Job.SecondaryStatus',
        'FailureReason.$': '$.results.Train.Job.FailureReason',
      });
      expect(states['Train: failed without reason'].Parameters).not.toHaveProperty('FailureReason.$');
      expect(states['Train: job failed']).toEqual({
        Type: 'Pass',
        Parameters: { 'Error': 'TrainingJobFailed', 'Cause.$': 'States.JsonToString($.results.Train.Outcome)' },
        ResultPath: '$.results.Train.Error',
        Next: 'Train: job failed (end)',
      });
      expect(states['Train: job failed (end)']).toEqual({ Type: 'Fail', ErrorPath: '$.results.Train.Error.Error', CausePath: '$.results.Train.Error.Cause' });
      expect(states['Train: job timed out'].Parameters).toEqual({
        'Error': 'TrainingJobTimedOut',
        'Cause.$': "States.Format('Training job {} is still {} after 180 checks 60 seconds apart', $.results.Train.Job.TrainingJobName, $.results.Train.Job.TrainingJobStatus)",
      });
      // Step Functions would accept it: nothing goes through an optimized integration it refuses.
      expect(fieldProblems(states)).toEqual([]);
    });

    test('a catch on the step takes DescribeTrainingJob\'s errors and the job\'s failure and timeout too', () => {
      const { stack, store, base } = setup();
      const step = new TrainingJobStep(stack, 'Train', { ...base, checkpointLocation: JobS3Location.perExecution(store.artifactsBucket, 'checkpoints') });
      const handler = new sfn.Fail(stack, 'Handler', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
      step.addCatch(handler, { errors: ['States.ALL'], resultPath: '$.error' });
      const states = machineStates(stack, step);
      expect(states.Train.Catch.map((c: any) => c.Next)).toEqual(['Train: transient?', 'Handler']);
      expect(states['Train: describe job'].Catch.map((c: any) => c.Next)).toEqual(['Train: describe job: transient?', 'Handler']);
      expect(states['Train: job failed']).toMatchObject({ ResultPath: '$.error', Next: 'Handler' });
      expect(states['Train: job timed out']).toMatchObject({ ResultPath: '$.error', Next: 'Handler' });
      expect(Object.keys(states)).not.toContain('Train: job failed (end)');
      // resultPath unset ($): the loop works at a field of its own, and the completed job's
      // describe response becomes the whole output, as with .sync.
      expect(states.Train.ResultPath).toMatch(/^\$\.trainingJobPoll\.t[0-9a-f]{8}$/);
      expect(states['Train: completed']).toEqual({ Type: 'Pass', InputPath: `${states.Train.ResultPath}.Job`, End: true });
    });

    test('a catch added after the step joined a state machine is refused', () => {
      const { stack, store, base } = setup();
      const step = new TrainingJobStep(stack, 'Train', { ...base, checkpointLocation: JobS3Location.perExecution(store.artifactsBucket, 'checkpoints'), retryOnServiceErrors: false });
      machineStates(stack, step);
      expect(() => step.addCatch(new sfn.Pass(stack, 'Late'))).toThrow(/add the catchers of a training job step before it joins a state machine/);
    });

    test('inter-container encryption alone goes through the AWS SDK integration too', () => {
      const { stack, base } = setup();
      const states = machineStates(stack, new TrainingJobStep(stack, 'Train', { ...base, enableInterContainerTrafficEncryption: true, instanceCount: 2 }));
      expect(states.Train.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createTrainingJob');
      expect(states.Train.Parameters.EnableInterContainerTrafficEncryption).toBe(true);
      expect(states.Train.Next).toBe('Train: wait');
    });

    test('IAM of the SDK path: create and describe on the prefix (AddTags with tags), ListTags, PassRole; no Stop, no .sync rule', () => {
      const { stack, store, base } = setup();
      renderState(stack, new TrainingJobStep(stack, 'Train', {
        ...base, jobNamePrefix: 'glm', tags: { a: 'b' }, checkpointLocation: JobS3Location.perExecution(store.artifactsBucket, 'checkpoints'),
      }));
      const policy = Object.values<any>(iamPolicies(stack)).find(p => JSON.stringify(p).includes('sagemaker:CreateTrainingJob'));
      expect(policy.Properties.PolicyDocument.Statement).toEqual([
        {
          Action: ['sagemaker:AddTags', 'sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob'],
          Effect: 'Allow',
          Resource: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/glm-*',
        },
        { Action: 'sagemaker:ListTags', Effect: 'Allow', Resource: '*' },
        {
          Action: 'iam:PassRole',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TrainRole/), 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        },
      ]);
      // Without tags, no AddTags (the SDK integration tags nothing itself).
      const other = setup();
      renderState(other.stack, new TrainingJobStep(other.stack, 'Train', { ...other.base, jobNamePrefix: 'glm', enableInterContainerTrafficEncryption: true }));
      const plain = Object.values<any>(iamPolicies(other.stack)).find(p => JSON.stringify(p).includes('sagemaker:CreateTrainingJob'));
      expect(plain.Properties.PolicyDocument.Statement[0].Action).toEqual(['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob']);
      expect(JSON.stringify(plain)).not.toMatch(/StopTrainingJob|events:/);
    });

    test('maxDuration of the SDK path covers every check of the loop and the create call\'s retries', () => {
      const { stack, store, base } = setup();
      const step = new TrainingJobStep(stack, 'Train', {
        ...base,
        maxRuntime: Duration.hours(2),
        spot: { maxWait: Duration.hours(5) },
        capacityRetries: 2,
        checkpointLocation: JobS3Location.perExecution(store.artifactsBucket, 'checkpoints'),
      });
      // (5 h + 1 h) / 60 s = 360 checks, each a 60 s wait and DescribeTrainingJob's 2 + 4 + 8 s
      // service-error loop; the create call: 2 x 60 s capacity in each of its 4 entries and 14 s.
      expect(step.maxDuration.toSeconds()).toBe(360 * (60 + 14) + 4 * 120 + 14);
      // The loop's describe task counts nothing of its own (a stage sums every SageMaker task).
      const describe = step.node.findChild('PollDescribe') as any;
      expect(describe.maxDuration.toSeconds()).toBe(0);
    });

    test('long jobs are checked less often, so an execution stays within Step Functions\' 25,000 history events', () => {
      expect(pollPlan(Duration.hours(1))).toEqual({ interval: Duration.seconds(60), maxPolls: 120 });
      const longest = pollPlan(Duration.days(28));
      expect(longest.maxPolls).toBeLessThanOrEqual(MAX_POLLS);
      expect(longest.interval.toSeconds() * longest.maxPolls).toBeGreaterThanOrEqual(Duration.days(28).toSeconds() + 3600);
      expect(longest.interval.toSeconds()).toBe(Math.ceil((28 * 86400 + 3600) / MAX_POLLS));
    });

    test('the SDK path needs a lowercase name prefix (the name is read back from the ARN); RUN_JOB is accepted', () => {
      const { stack, store, base } = setup();
      const checkpointLocation = JobS3Location.perExecution(store.artifactsBucket, 'checkpoints');
      expect(() => new TrainingJobStep(stack, 'Upper', { ...base, checkpointLocation, jobNamePrefix: 'GLM' }))
        .toThrow(/^Test\/Upper: jobNamePrefix must be lowercase for a job with checkpointLocation or enableInterContainerTrafficEncryption, got 'GLM'/);
      expect(() => new TrainingJobStep(stack, 'Sync', { ...base, checkpointLocation, integrationPattern: sfn.IntegrationPattern.RUN_JOB })).not.toThrow();
    });
  });
});
