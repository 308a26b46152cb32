import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import {
  CreateModelStep, JobS3Location, MlDataStore, ProcessingJobStep, ProcessingJobStepProps, ProcessingUploadMode, SageMakerImage, SageMakerInstanceType,
} from '../../lib';
import { iamPolicies, renderState, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; store: MlDataStore; base: ProcessingJobStepProps } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const base: ProcessingJobStepProps = {
    image: SageMakerImage.fromAsset(IMAGE_DIR),
    containerEntrypoint: ['preprocess'],
    processingInputs: [{ inputName: 'raw', source: JobS3Location.inBucket(store.dataBucket, 'raw') }],
    processingOutputs: [{ outputName: 'processed', destination: JobS3Location.perExecution(store.dataBucket, 'processed') }],
  };
  return { stack, store, base };
}

describe('ProcessingJobStep', () => {
  test('renders createProcessingJob.sync with inputs and outputs under /opt/ml/processing', () => {
    const { stack, base } = setup();
    const state = renderState(stack, new ProcessingJobStep(stack, 'Prep', { ...base, containerArguments: ['--split', '0.2'], environment: { STAGE: 'dev' } }));
    expect(state.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createProcessingJob.sync');
    const p = state.Parameters;
    expect(p['ProcessingJobName.$']).toMatch(/^States\.Format\('processing-[0-9a-f]{8}-\{\}', States\.UUID\(\)\)$/);
    expect(p.AppSpecification).toEqual({ ImageUri: expect.stringContaining('container-assets'), ContainerEntrypoint: ['preprocess'], ContainerArguments: ['--split', '0.2'] });
    expect(p.ProcessingResources).toEqual({ ClusterConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 } });
    expect(p.ProcessingInputs).toEqual([{
      InputName: 'raw',
      S3Input: {
        S3Uri: expect.stringMatching(/\/raw\/$/),
        LocalPath: '/opt/ml/processing/input/raw',
        S3DataType: 'S3Prefix',
        S3InputMode: 'File',
        S3DataDistributionType: 'FullyReplicated',
      },
    }]);
    expect(p.ProcessingOutputConfig).toEqual({
      Outputs: [{
        OutputName: 'processed',
        S3Output: { 'S3Uri.$': expect.stringMatching(/\/processed\/\{\}\/', \$\$\.Execution\.Name\)$/), 'LocalPath': '/opt/ml/processing/output/processed', 'S3UploadMode': 'EndOfJob' },
      }],
      KmsKeyId: expect.stringMatching(/^\$\{StoreKey[0-9A-F]+\.Arn\}$/),
    });
    expect(p.Environment).toEqual({ STAGE: 'dev' });
    expect(p.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 86400 });
    expect(p.NetworkConfig).toBeUndefined();
  });

  test('renders the network config, Pipe inputs, continuous uploads', () => {
    const { stack, store, base } = setup();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const state = renderState(stack, new ProcessingJobStep(stack, 'Prep', {
      ...base,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      enableNetworkIsolation: false,
      enableInterContainerTrafficEncryption: true,
      instanceCount: 3,
      processingInputs: [{
        inputName: 'raw',
        source: JobS3Location.inBucket(store.dataBucket, 'raw'),
        localPath: '/opt/ml/processing/raw',
        inputMode: tasks.InputMode.PIPE,
        distribution: tasks.S3DataDistributionType.SHARDED_BY_S3_KEY,
        compressionType: tasks.CompressionType.GZIP,
      }],
      processingOutputs: [{ outputName: 'logs', destination: JobS3Location.inBucket(store.artifactsBucket, 'logs'), uploadMode: ProcessingUploadMode.CONTINUOUS }],
    }));
    const p = state.Parameters;
    expect(p.NetworkConfig).toEqual({
      EnableNetworkIsolation: false,
      EnableInterContainerTrafficEncryption: true,
      VpcConfig: { SecurityGroupIds: [expect.stringMatching(/PrepSecurityGroup/)], Subnets: expect.arrayContaining([expect.any(String)]) },
    });
    expect(p.ProcessingInputs[0].S3Input).toEqual(expect.objectContaining({ S3InputMode: 'Pipe', S3DataDistributionType: 'ShardedByS3Key', S3CompressionType: 'Gzip', LocalPath: '/opt/ml/processing/raw' }));
    expect(p.ProcessingOutputConfig.Outputs[0].S3Output.S3UploadMode).toBe('Continuous');
    // Instances of a multi-instance job reach each other.
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', { IpProtocol: '-1', Description: 'traffic between the instances of the job' });
  });

  test('tells later steps where an output goes', () => {
    const { stack, base } = setup();
    const step = new ProcessingJobStep(stack, 'Prep', base);
    expect(JSON.stringify(stack.resolve(step.outputUri('processed')))).toContain('/processed/{}/');
    expect(() => step.outputUri('nope')).toThrow(/processing step 'Prep' has no output named 'nope'; outputs: processed/);
  });

  test('rejects more than 5 security groups', () => {
    const { stack, base } = setup();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const securityGroups = [...Array(6).keys()].map(i => new ec2.SecurityGroup(stack, `Sg${i}`, { vpc }));
    expect(() => new ProcessingJobStep(stack, 'Prep', { ...base, vpc, securityGroups })).toThrow(/securityGroups may have at most 5 entries, got 6/);
  });

  describe('rejects bad input', () => {
    const cases: Array<[string, (b: ProcessingJobStepProps) => Partial<ProcessingJobStepProps>, RegExp]> = [
      ['local path outside /opt/ml/processing', b => ({ processingInputs: [{ ...b.processingInputs![0], localPath: '/data/raw' }] }),
        /processingInputs\['raw'\].localPath must be a path under \/opt\/ml\/processing\/, got '\/data\/raw'/],
      ['duplicate input names', b => ({ processingInputs: [b.processingInputs![0], b.processingInputs![0]] }), /processingInputs\[\].inputName must be unique, got 'raw' more than once/],
      ['duplicate output names', b => ({ processingOutputs: [b.processingOutputs![0], b.processingOutputs![0]] }), /processingOutputs\[\].outputName must be unique, got 'processed' more than once/],
      ['an input and an output on one path', b => ({ processingOutputs: [{ ...b.processingOutputs![0], localPath: '/opt/ml/processing/input/raw' }] }),
        /input and output localPath must be unique, got '\/opt\/ml\/processing\/input\/raw' more than once/],
      ['FastFile input', b => ({ processingInputs: [{ ...b.processingInputs![0], inputMode: tasks.InputMode.FAST_FILE }] }),
        /processingInputs\['raw'\].inputMode must be File or Pipe for a processing job, got FastFile/],
      ['more than 10 inputs', b => ({ processingInputs: [...Array(11).keys()].map(i => ({ ...b.processingInputs![0], inputName: `in${i}` })) }),
        /processingInputs may have at most 10 entries, got 11/],
      ['an empty entrypoint', () => ({ containerEntrypoint: [] }), /containerEntrypoint must have at least one entry when set, got \[\]/],
      ['an empty argument', () => ({ containerArguments: ['--x', ''] }), /containerArguments\[1\] must be between 1 and 256 characters long, got 0/],
      ['max runtime over 9 days', () => ({ maxRuntime: Duration.days(10) }), /maxRuntime must be a whole number of seconds between 1 and 777600 \(9 days\), got 10 days/],
      ['environment value over 256 characters', () => ({ environment: { A: 'x'.repeat(257) } }), /environment\['A'\] must be between 0 and 256 characters long, got 257/],
      ['a GPU name without ml.', () => ({ instanceType: { name: 'p3.2xlarge' } as SageMakerInstanceType }), /instanceType must be a SageMaker instance type .*, got 'p3.2xlarge'/],
      ['security groups without a VPC', () => ({ securityGroups: [] as ec2.ISecurityGroup[] }), /securityGroups requires vpc/],
    ];
    test.each(cases)('%s', (_name, override, error) => {
      const { stack, base } = setup();
      expect(() => new ProcessingJobStep(stack, 'Prep', { ...base, ...override(base) })).toThrow(error);
    });
  });
});

describe('CreateModelStep', () => {
  test('defines a model per execution from the training artifacts, with a scoped policy', () => {
    const { stack, store } = setup();
    const state = renderState(stack, new CreateModelStep(stack, 'Model', {
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      modelData: JobS3Location.fromJsonPath('$.results.train.ModelArtifacts.S3ModelArtifacts', store.artifactsBucket, 'models'),
      modelNamePrefix: 'model',
      environment: { MODEL_SERVER_WORKERS: '2' },
    }));
    expect(state.QueryLanguage).toBe('JSONPath');
    expect(state.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createModel');
    expect(state.Parameters).toEqual({
      'ModelName.$': "States.Format('model-{}', States.UUID())",
      'ExecutionRoleArn': expect.stringMatching(/^\$\{ModelRole[0-9A-F]+\.Arn\}$/),
      'PrimaryContainer': { 'Image': expect.stringContaining('container-assets'), 'ModelDataUrl.$': '$.results.train.ModelArtifacts.S3ModelArtifacts', 'Environment': { MODEL_SERVER_WORKERS: '2' } },
    });
    expect(state.ResultSelector).toEqual({ 'ModelArn.$': '$.ModelArn', 'ModelName.$': "States.ArrayGetItem(States.StringSplit($.ModelArn, '/'), 1)" });
    const json = JSON.stringify(iamPolicies(stack));
    // CreateModel on this step's model names; ListTags on '*' as AWS's generated policy and
    // aws-cdk-lib's SageMakerCreateModel have it; no AddTags without tags.
    expect(json).toContain('{"Action":"sagemaker:CreateModel","Effect":"Allow","Resource":"arn:aws:sagemaker:us-east-1:123456789012:model/model-*"},{"Action":"sagemaker:ListTags","Effect":"Allow","Resource":"*"}');
    expect(json).not.toContain('sagemaker:AddTags');
    expect(json).toMatch(/"Action":"iam:PassRole","Condition":\{"StringEquals":\{"iam:PassedToService":"sagemaker.amazonaws.com"\}\}/);
    // The model's role reads the artifacts under the training output prefix only.
    expect(json).toMatch(/"Action":"s3:GetObject","Effect":"Allow","Resource":\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["StoreArtifactsBucket[0-9A-F]+","Arn"\]\},"\/models\/\*"\]\]\}/);
  });

  test('names models with a lowercase prefix derived from the construct path by default', () => {
    const { stack, store } = setup();
    const step = new CreateModelStep(stack, 'Model', {
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      modelData: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    });
    expect(step.modelNamePrefix).toMatch(/^model-[0-9a-f]{8}$/);
    expect(renderState(stack, step).Parameters.PrimaryContainer.ModelDataUrl).toMatch(/^s3:\/\/\$\{StoreArtifactsBucket[0-9A-F]+\}\/models\/$/);
  });

  test.each([
    [{ modelNamePrefix: 'Model' }, /^Test\/Model: modelNamePrefix must be lowercase \(SageMaker writes the name lowercase in the ARN the task reads it back from\), got 'Model'/],
    [{ modelNamePrefix: 'm'.repeat(27) }, /modelNamePrefix must be between 1 and 26 characters long, got 27/],
    [{ integrationPattern: sfn.IntegrationPattern.RUN_JOB }, /integrationPattern must be REQUEST_RESPONSE for createModel \(SageMaker answers at once\), got RUN_JOB/],
    [{ environment: { '1X': 'y' } }, /environment key must be a variable name/],
  ])('rejects %p', (override, error) => {
    const { stack, store } = setup();
    expect(() => new CreateModelStep(stack, 'Model', {
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      modelData: JobS3Location.inBucket(store.artifactsBucket, 'models'),
      ...override,
    })).toThrow(error);
  });
});
