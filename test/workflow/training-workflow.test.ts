import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ChannelDataSource, EvaluationStageProps, IMlflowTrackingServer, JobS3Location, MetricComparison, MlDataStore, ModelData, RealtimeEndpoint,
  SageMakerImage, SageMakerInstanceType, SageMakerModel, TrafficRouting, TrainingWorkflow, TrainingWorkflowProps,
} from '../../lib';
import { definitionOf, iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; store: MlDataStore; props: TrainingWorkflowProps; evaluate: EvaluationStageProps } {
  const stack = testStack();
  lastStack = stack;
  const store = new MlDataStore(stack, 'Store');
  const image = SageMakerImage.fromAsset(IMAGE_DIR);
  const props: TrainingWorkflowProps = {
    train: {
      image,
      channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    },
  };
  const evaluate: EvaluationStageProps = {
    image,
    reportOutputName: 'report',
    processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(store.artifactsBucket, 'evaluation') }],
  };
  return { stack, store, props, evaluate };
}

/** A blue/green endpoint with data capture, as a promotion target. */
function stagingEndpoint(stack: Stack, store?: MlDataStore): RealtimeEndpoint {
  const bucket = store?.artifactsBucket ?? (stack.node.tryFindChild('Store') as MlDataStore).artifactsBucket;
  const model = new SageMakerModel(stack, 'StagingModel', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromBucket(bucket, 'models/first/model.tar.gz') });
  return new RealtimeEndpoint(stack, 'Endpoint', {
    endpointName: 'pricing',
    runtimeConfigNamePrefix: 'pricing-rt',
    variants: [{
      model,
      instanceType: SageMakerInstanceType.ML_C5_XLARGE,
      initialInstanceCount: 2,
      autoScaling: { minCapacity: 2, maxCapacity: 4, targetInvocationsPerInstance: 50 },
    }],
    dataCapture: { destination: JobS3Location.inBucket(bucket, 'capture'), samplingPercentage: 20 },
    deployment: { trafficRouting: TrafficRouting.canary(10, Duration.minutes(5)), maximumExecutionTimeout: Duration.hours(2) },
  });
}

/** The stack of the last fixture (the props' own). */
let lastStack: Stack | undefined;
function stackOf(_p: TrainingWorkflowProps): Stack {
  return lastStack!;
}

describe('TrainingWorkflow', () => {
  test('with only a training job: train, define the model, output', () => {
    const { stack, props } = setup();
    new TrainingWorkflow(stack, 'Workflow', props);
    const definition = definitionOf(stack);
    expect(definition.StartAt).toBe('Train');
    expect(definition.States.Train.Next).toBe('CreateModel');
    expect(definition.States.CreateModel.Next).toBe('Output');
    expect(definition.States.Train.Parameters['TrainingJobName.$']).toMatch(/^States\.Format\('train-[0-9a-f]{8}-\{\}', States\.UUID\(\)\)$/);
    expect(definition.States.Train.ResultPath).toBe('$.results.Train');
    expect(definition.States.CreateModel.Parameters.PrimaryContainer['ModelDataUrl.$']).toBe('$.results.Train.ModelArtifacts.S3ModelArtifacts');
    expect(definition.States.Output.Parameters).toEqual({
      'modelName.$': '$.results.CreateModel.ModelName',
      'modelArn.$': '$.results.CreateModel.ModelArn',
      'modelDataUrl.$': '$.results.Train.ModelArtifacts.S3ModelArtifacts',
      'trainingJobName.$': '$.results.Train.TrainingJobName',
    });
    // The timeout covers the jobs: training 1 day + 10 capacity retries + transient retries,
    // the model's retries, and an hour.
    expect(definition.TimeoutSeconds).toBe(86400 + 6 * 600 + 465 + 60 + 155 + 3600);
  });

  test('the two workflows in one stack get distinct job name prefixes', () => {
    const { stack, props } = setup();
    const a = new TrainingWorkflow(stack, 'A', props);
    const b = new TrainingWorkflow(stack, 'B', props);
    expect(a.trainStage!.task.jobNamePrefix).not.toBe(b.trainStage!.task.jobNamePrefix);
    expect(a.createModelStage.task.modelNamePrefix).not.toBe(b.createModelStage.task.modelNamePrefix);
  });

  test('is a standard workflow that logs ALL to an encrypted log group and traces with X-Ray', () => {
    const { stack, props } = setup();
    new TrainingWorkflow(stack, 'Workflow', props);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowLogs'), 'Arn'] } } }] },
    });
    t.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowKey'), 'Arn'] } },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logs.us-east-1.amazonaws.com' }, Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:*' } } })]) },
    });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowKey'), 'Arn'] } });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('ends a failed job in the stage Fail state with its error and cause; no SNS publish in the definition', () => {
    const { stack, props } = setup();
    new TrainingWorkflow(stack, 'Workflow', props);
    const definition = definitionOf(stack);
    expect(definition.States.Train.Catch).toEqual([
      { ErrorEquals: ['SageMaker.AmazonSageMakerException'], ResultPath: '$.error', Next: 'Train: transient?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Train failed' },
    ]);
    expect(definition.States['Train failed']).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    expect(JSON.stringify(definition)).not.toContain('sns:publish');
  });

  test('notifies every failed, timed-out or aborted execution once, with execution, status, error and cause', () => {
    const { stack, props } = setup();
    new TrainingWorkflow(stack, 'Workflow', props);
    const t = Template.fromStack(stack);
    const rules = t.findResources('AWS::Events::Rule');
    // Two rules whose patterns never both match: events with every field the message names, and events lacking one.
    expect(Object.keys(rules)).toHaveLength(2);
    const fields = ['executionArn', 'error', 'cause', 'stopDate'];
    const base = { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: expect.stringMatching(/^WorkflowStateMachine/) }] };
    const [complete, incomplete] = [Object.values<any>(rules).find(r => !r.Properties.EventPattern.detail.$or).Properties,
      Object.values<any>(rules).find(r => r.Properties.EventPattern.detail.$or).Properties];
    expect(complete.EventPattern).toEqual({
      'source': ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      'detail': { ...base, ...Object.fromEntries(fields.map(f => [f, [{ exists: true }]])) },
    });
    expect(incomplete.EventPattern.detail).toEqual({ ...base, $or: fields.map(f => ({ [f]: [{ exists: false }] })) });
    for (const rule of [complete, incomplete]) {
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].Arn).toEqual({ Ref: expect.stringMatching(/^WorkflowFailureTopic/) });
    }
    expect(complete.Targets[0].InputTransformer.InputPathsMap).toEqual({
      'detail-executionArn': '$.detail.executionArn',
      'detail-status': '$.detail.status',
      'detail-error': '$.detail.error',
      'detail-cause': '$.detail.cause',
      'detail-stopDate': '$.detail.stopDate',
    });
    expect(incomplete.Targets[0].InputTransformer.InputPathsMap).toEqual({ 'detail': '$.detail', 'detail-status': '$.detail.status' });
    // EventBridge may publish to the topic, and use its key.
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } })]) },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Principal: { Service: 'events.amazonaws.com' } })]) },
    });
    // The state machine itself no longer publishes.
    expect(JSON.stringify(iamPolicies(stack))).not.toContain('sns:Publish');
  });

  test('derives the timeout from the jobs, and refuses one that cannot cover them', () => {
    const { stack, props } = setup();
    const spot = { ...props, train: { ...props.train!, maxRuntime: Duration.days(10), spot: { maxWait: Duration.days(20) } } };
    const workflow = new TrainingWorkflow(stack, 'Workflow', spot);
    expect(definitionOf(stack).TimeoutSeconds).toBeGreaterThan(20 * 86400);
    expect(workflow.stateMachine).toBeDefined();
    const other = setup();
    expect(() => new TrainingWorkflow(other.stack, 'Workflow', { ...spot, train: { ...spot.train!, outputLocation: JobS3Location.inBucket(other.store.artifactsBucket, 'models') }, timeout: Duration.days(7) }))
      .toThrow(/^Test\/Workflow\/Default: timeout must be at least 20 days .* the longest its jobs, retries and waits can take \(Train 20 days .*\), got 7 days$/);
  });

  test('uses a topic and key it is given', () => {
    const { stack, props } = setup();
    const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'TeamTopic', { masterKey: key, enforceSSL: true });
    const workflow = new TrainingWorkflow(stack, 'Workflow', { ...props, encryptionKey: key, failureTopic: topic });
    expect(workflow.failureTopic).toBe(topic);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 1);
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 2);
    // EventBridge may publish to the given topic and use its key.
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Principal: { Service: 'events.amazonaws.com' } })]) },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^TeamTopic') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } })]) },
    });
  });

  test('merges execution input over defaults before the first job', () => {
    const { stack, props } = setup();
    new TrainingWorkflow(stack, 'Workflow', { ...props, executionInputDefaults: { epochs: '10' } });
    const definition = definitionOf(stack);
    expect(definition.StartAt).toBe('InputDefaults');
    expect(definition.States.InputDefaults).toEqual({ Type: 'Pass', Result: { epochs: '10' }, ResultPath: '$.defaults', Next: 'MergeInput' });
    expect(definition.States.MergeInput).toEqual({
      Type: 'Pass', Parameters: { 'merged.$': 'States.JsonMerge($.defaults, $$.Execution.Input, false)' }, OutputPath: '$.merged', Next: 'Train',
    });
  });

  test('gates the model on a metric of the evaluation report', () => {
    const { stack, props, evaluate } = setup();
    new TrainingWorkflow(stack, 'Workflow', {
      ...props,
      evaluate: { ...evaluate, reportFileName: 'metrics.json', gate: { metricPath: 'regression.rmse', comparison: MetricComparison.LESS_THAN, threshold: 0.5 } },
    });
    const definition = definitionOf(stack);
    // The evaluation job gets the trained model as its input 'model'.
    expect(definition.States.Evaluate.Parameters.ProcessingInputs[0]).toEqual({
      InputName: 'model',
      S3Input: expect.objectContaining({ 'S3Uri.$': '$.results.Train.ModelArtifacts.S3ModelArtifacts', 'LocalPath': '/opt/ml/processing/model' }),
    });
    expect(definition.States.Evaluate.Next).toBe('Evaluate read report');
    expect(definition.States['Evaluate read report'].Parameters['Key.$']).toBe("States.Format('evaluation/{}/metrics.json', $$.Execution.Name)");
    // The read step writes { report } at its result path; the gate and the output read the report below it.
    const read = definition.States['Evaluate read report'];
    expect(read.ResultPath).toBe('$.results.Evaluate.read');
    expect(read.ResultSelector).toEqual({ 'report.$': 'States.StringToJson($.Body)' });
    expect(definition.States['Evaluate gate'].Choices[0].And).toEqual([
      { Variable: '$.results.Evaluate.read.report.regression.rmse', IsPresent: true },
      { Variable: '$.results.Evaluate.read.report.regression.rmse', IsNumeric: true },
      { Variable: '$.results.Evaluate.read.report.regression.rmse', NumericLessThan: 0.5 },
    ]);
    expect(definition.States['Evaluate gate'].Choices[0].Next).toBe('Evaluate gate passed');
    expect(definition.States['Evaluate gate passed'].Next).toBe('CreateModel');
    expect(definition.States['Evaluate gate'].Default).toBe('Evaluate gate rejected');
    // The rejection carries the metric into the Fail state, hence into the notification.
    expect(definition.States['Evaluate gate rejected']).toEqual(expect.objectContaining({
      Next: 'Evaluate failed',
      ResultPath: '$.error',
      Parameters: {
        'Error': 'QualityGateFailed',
        'Cause.$': "States.Format('the model does not meet regression.rmse less than 0.5; report: {}', States.JsonToString($.results.Evaluate.read.report))",
      },
    }));
    expect(definition.States.Output.Parameters['evaluation.$']).toBe('$.results.Evaluate.read.report');
    // The state machine reads only report files under the evaluation prefix.
    const json = JSON.stringify(iamPolicies(stack));
    expect(json).toMatch(/"Action":"s3:GetObject","Effect":"Allow","Resource":\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["StoreArtifactsBucket[0-9A-F]+","Arn"\]\},"\/evaluation\/\*\/metrics.json"\]\]\}/);
    expect(nagFindings(stack)).toEqual([]);
  });

  test("a promoted model runs in the VPC of the endpoint's model (issue 23), and its role may attach network interfaces", () => {
    const { stack, store, props } = setup();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60700', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60701', 'subnet-0a1b2c3d4e5f60702'],
    });
    const model = new SageMakerModel(stack, 'VpcModel', {
      image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromBucket(store.artifactsBucket, 'models/first/model.tar.gz'), vpc,
    });
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model }] });
    new TrainingWorkflow(stack, 'Workflow', { ...props, promote: { endpoint } });
    const d = definitionOf(stack);
    const served = Template.fromStack(stack).findResources('AWS::SageMaker::Model');
    const vpcConfig = Object.values<any>(served)[0].Properties.VpcConfig;
    expect(vpcConfig.Subnets).toEqual(['subnet-0a1b2c3d4e5f60701', 'subnet-0a1b2c3d4e5f60702']);
    // The same security group (its id, rendered into the definition string) and subnets.
    expect(vpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^VpcModelSecurityGroup/), 'GroupId'] }]);
    expect(d.States.CreateModel.Parameters.VpcConfig).toEqual({
      SecurityGroupIds: [`\${${vpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0]}.GroupId}`], Subnets: vpcConfig.Subnets,
    });
    const modelRole = Object.entries<any>(iamPolicies(stack)).filter(([id]) => id.startsWith('WorkflowCreateModelStepRole')).map(([, p]) => JSON.stringify(p));
    expect(modelRole.join()).toContain('ec2:CreateNetworkInterface');
    // Without a VPC on the endpoint's model, the promoted model has none either.
    const other = setup();
    new TrainingWorkflow(other.stack, 'Workflow', { ...other.props, promote: { endpoint: stagingEndpoint(other.stack) } });
    expect(definitionOf(other.stack).States.CreateModel.Parameters.VpcConfig).toBeUndefined();
  });

  test('promotes the model through the endpoint: its key, data capture, deployment config and retained counts', () => {
    const { stack, store, props } = setup();
    const role = new iam.Role(stack, 'MachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    const endpoint = stagingEndpoint(stack, store);
    new TrainingWorkflow(stack, 'Workflow', { ...props, stateMachineRole: role, promote: { endpoint, pollInterval: Duration.seconds(30) } });
    const d = definitionOf(stack);
    expect(d.States.CreateModel.Next).toBe('Promote start');
    const config = d.States['Promote define endpoint configuration'];
    // DataCaptureConfig is not a field of the optimized createEndpointConfig: the AWS SDK integration takes it.
    expect(config.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createEndpointConfig');
    expect(config.Parameters['EndpointConfigName.$']).toBe("States.Format('pricing-rt-{}', States.UUID())");
    expect(config.Parameters.ProductionVariants).toEqual([{
      'VariantName': 'AllTraffic', 'ModelName.$': '$.results.CreateModel.ModelName', 'InstanceType': 'ml.c5.xlarge', 'InitialInstanceCount': 2, 'InitialVariantWeight': 1,
    }]);
    // The endpoint's own key and data capture, not a bare configuration.
    expect(config.Parameters.KmsKeyId).toMatch(/^\$\{EndpointKey[A-Z0-9]+\.Arn\}$/);
    expect(config.Parameters.DataCaptureConfig).toEqual(expect.objectContaining({ EnableCapture: true, InitialSamplingPercentage: 20, DestinationS3Uri: expect.stringMatching(/\/capture\/$/) }));
    const update = d.States['Promote update endpoint'];
    expect(update.Parameters).toEqual(expect.objectContaining({
      'EndpointName': 'pricing',
      'EndpointConfigName.$': '$.results.Promote.config.EndpointConfigName',
      'DeploymentConfig': expect.objectContaining({
        BlueGreenUpdatePolicy: expect.objectContaining({ TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 300, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } } }),
        AutoRollbackConfiguration: expect.objectContaining({ Alarms: expect.any(Array) }),
      }),
      'RetainAllVariantProperties': true,
    }));
    expect(d.States['Promote wait']).toEqual({ Type: 'Wait', Seconds: 30, Next: 'Promote describe endpoint' });
    expect(d.States['Promote deployed']).toEqual(expect.objectContaining({ Next: 'Output' }));
    expect(d.States.Output.Parameters).toEqual(expect.objectContaining({ 'endpointName': 'pricing', 'endpointConfigName.$': '$.results.Promote.config.EndpointConfigName' }));
    // The timeout covers the polls: by default enough for the 2-hour deployment timeout and 30 minutes of fleet start.
    const polls = d.States['Promote checks left?'].Choices[0].NumericGreaterThanEquals;
    expect(polls).toBe(Math.ceil((7200 + 1800) / 30));
    expect(d.TimeoutSeconds).toBeGreaterThanOrEqual(86400 + polls * 30);
    // The model's role may write the endpoint's data capture (SageMaker writes it with the deployed model's role).
    const json = JSON.stringify(iamPolicies(stack));
    expect(json).toContain('MachineRole');
    expect(json).toContain('"Action":["sagemaker:AddTags","sagemaker:CreateEndpointConfig","sagemaker:DeleteEndpointConfig"],"Effect":"Allow","Resource":"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/pricing-rt-*"');
    const modelRole = Object.entries<any>(iamPolicies(stack)).find(([id]) => id.startsWith('WorkflowCreateModelStepRoleGrantsPolicy'))![1];
    expect(JSON.stringify(modelRole.Properties.PolicyDocument)).toContain('/capture/*');
    // The team's role gets the workflow's grants in a managed policy attached to it, not an inline
    // DefaultPolicy (which HIPAA, NIST 800-53 and PCI DSS refuse).
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::IAM::Policy')).filter(id => id.startsWith('MachineRole'))).toEqual([]);
    const grants = Object.values<any>(template.findResources('AWS::IAM::ManagedPolicy')).filter(p => (p.Properties.Roles ?? []).some((r: any) => /^MachineRole/.test(r.Ref)));
    expect(grants).toHaveLength(1);
    expect(JSON.stringify(grants[0].Properties.PolicyDocument)).toContain('sagemaker:CreateEndpointConfig');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('a promotion to one variant leaves the others on their models', () => {
    const { stack, store, props } = setup();
    const endpoint = stagingEndpoint(stack, store);
    new TrainingWorkflow(stack, 'Workflow', { ...props, promote: { endpoint, variantName: 'AllTraffic', cleanUp: false } });
    const d = definitionOf(stack);
    expect(d.States['Promote define endpoint configuration'].Parameters.ProductionVariants[0]['ModelName.$']).toBe('$.results.CreateModel.ModelName');
    // Without clean-up a successful deployment goes straight on.
    expect(d.States['Promote deployed?'].Choices[0].Next).toBe('Promote deployed');
  });

  test.each<[string, (p: TrainingWorkflowProps, e: EvaluationStageProps) => TrainingWorkflowProps, RegExp]>([
    ['a promotion polling every second', p => ({ ...p, promote: { endpoint: stagingEndpoint(stackOf(p)), pollInterval: Duration.seconds(1) } }),
      /^Test\/Workflow\/Promote: pollInterval must be a whole number of seconds between 10 and 3600/],
    ['a promotion to a variant the endpoint lacks', p => ({ ...p, promote: { endpoint: stagingEndpoint(stackOf(p)), variantName: 'Blue' } }), /variantName must be one of AllTraffic, got 'Blue'/],
    ['neither train nor tune', p => ({ ...p, train: undefined }), /^Test\/Workflow: exactly one of train and tune must be set, got neither/],
    ['a metric path with JSONPath syntax', (p, e) => ({ ...p, evaluate: { ...e, gate: { metricPath: '$.rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 } } }),
      /gate.metricPath must be a dotted path of identifiers such as 'metrics.rmse', got '\$.rmse'/],
    ['a threshold that is not a number', (p, e) => ({ ...p, evaluate: { ...e, gate: { metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: NaN } } }),
      /gate.threshold must be a number between .*, got NaN/],
    ['a report file name with a quote', (p, e) => ({ ...p, evaluate: { ...e, reportFileName: "it's.json" } }),
      /reportFileName must be free of the characters/],
    ['a timeout under a minute', p => ({ ...p, timeout: Duration.seconds(30) }), /^Test\/Workflow\/Default: timeout must be a whole number of seconds between 60 and 31536000 \(365 days\), got 30 seconds/],
    ['a gate on a report that is not per execution', (p, e) => ({
      ...p,
      evaluate: {
        ...e,
        processingOutputs: [{ outputName: 'report', destination: JobS3Location.inBucket(e.processingOutputs![0].destination.objectKey('x').bucket, 'evaluation') }],
        gate: { metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 },
      },
    }), /^Test\/Workflow\/Evaluate: gate needs a per-execution report: the output 'report' writes to the fixed key 'evaluation\/evaluation.json'/],
    ['a non-string execution input default', p => ({ ...p, executionInputDefaults: { max_iter: 50 as unknown as string } }),
      /^Test\/Workflow\/Default: executionInputDefaults\['max_iter'\] must be a string \(SageMaker hyperparameters and environment values are strings\), got 50/],
    ['experiment tracking with network isolation', p => ({
      ...p,
      train: { ...p.train!, enableNetworkIsolation: true },
      experimentTracking: { trackingServer: { trackingServerArn: 'arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/t' } as IMlflowTrackingServer, experimentName: 'x' },
    }), /train.enableNetworkIsolation must not be true with experimentTracking: an isolated container cannot reach the MLflow tracking server/],
    ['a promotion polling without end', p => ({ ...p, promote: { endpoint: stagingEndpoint(stackOf(p)), maxPolls: 0 } }), /^Test\/Workflow\/Promote: maxPolls must be an integer between 1 and 10000, got 0/],
    ['a promotion whose checks end before the deployment timeout', p => ({ ...p, promote: { endpoint: stagingEndpoint(stackOf(p)), maxPolls: 10 } }),
      /maxPolls x pollInterval \(10 x 60s\) must cover the endpoint's deployment.maximumExecutionTimeout \(7200s\)/],
  ])('rejects %s', (_name, make, error) => {
    const { stack, props, evaluate } = setup();
    expect(() => new TrainingWorkflow(stack, 'Workflow', make(props, evaluate))).toThrow(error);
  });
});
