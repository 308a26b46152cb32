import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ChannelDataSource, JobS3Location, MetricComparison, MlDataStore, ProcessingJobStepProps, SageMakerImage, TrainingWorkflow, TrainingWorkflowProps,
} from '../../lib';
import { definitionOf, iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; store: MlDataStore; props: TrainingWorkflowProps; evaluate: ProcessingJobStepProps } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const image = SageMakerImage.fromAsset(IMAGE_DIR);
  const props: TrainingWorkflowProps = {
    train: {
      image,
      channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    },
  };
  const evaluate: ProcessingJobStepProps = {
    image,
    processingInputs: [{ inputName: 'model', source: JobS3Location.fromJsonPath('$.results.train.ModelArtifacts.S3ModelArtifacts', store.artifactsBucket, 'models') }],
    processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(store.artifactsBucket, 'evaluation') }],
  };
  return { stack, store, props, evaluate };
}

describe('TrainingWorkflow', () => {
  test('with only a training job: train, define the model, output', () => {
    const { stack, props } = setup();
    new TrainingWorkflow(stack, 'Workflow', props);
    const definition = definitionOf(stack);
    expect(definition.StartAt).toBe('Train');
    expect(definition.States.Train.Next).toBe('CreateModel');
    expect(definition.States.CreateModel.Next).toBe('Output');
    expect(definition.States.Train.Parameters['TrainingJobName.$']).toBe("States.Format('train-{}', States.UUID())");
    expect(definition.States.Train.ResultPath).toBe('$.results.train');
    expect(definition.TimeoutSeconds).toBe(604800);
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

  test('routes failures to an SNS notification, then a failed execution', () => {
    const { stack, props } = setup();
    new TrainingWorkflow(stack, 'Workflow', props);
    const definition = definitionOf(stack);
    expect(definition.States.Train.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotifyFailure' }]);
    expect(definition.States.NotifyFailure).toEqual(expect.objectContaining({
      Resource: 'arn:${AWS::Partition}:states:::sns:publish',
      Next: 'Failed',
      Parameters: expect.objectContaining({ Message: { 'execution.$': '$$.Execution.Id', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' } }),
    }));
    // The state machine may encrypt for the topic's key.
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] })]) },
    });
  });

  test('uses a topic and key it is given', () => {
    const { stack, props } = setup();
    const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'TeamTopic', { masterKey: key, enforceSSL: true });
    const workflow = new TrainingWorkflow(stack, 'Workflow', { ...props, encryptionKey: key, failureTopic: topic });
    expect(workflow.failureTopic).toBe(topic);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 1);
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 2);
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
      evaluate,
      qualityGate: { outputName: 'report', reportFileName: 'metrics.json', metricPath: 'regression.rmse', comparison: MetricComparison.LESS_THAN, threshold: 0.5 },
    });
    const definition = definitionOf(stack);
    expect(definition.States.Evaluate.Next).toBe('ReadEvaluationReport');
    expect(definition.States.ReadEvaluationReport.Parameters['Key.$']).toBe("States.Format('evaluation/{}/metrics.json', $$.Execution.Name)");
    expect(definition.States.QualityGate.Choices[0].And).toEqual([
      { Variable: '$.evaluation.report.regression.rmse', IsPresent: true },
      { Variable: '$.evaluation.report.regression.rmse', IsNumeric: true },
      { Variable: '$.evaluation.report.regression.rmse', NumericLessThan: 0.5 },
    ]);
    expect(definition.States.QualityGate.Default).toBe('QualityGateFailed');
    expect(definition.States.QualityGateFailed.Next).toBe('NotifyFailure');
    expect(definition.States.QualityGateFailed.Parameters.Error).toBe('QualityGateFailed');
    // The state machine reads only report files under the evaluation prefix.
    const json = JSON.stringify(iamPolicies(stack));
    expect(json).toMatch(/"Action":"s3:GetObject","Effect":"Allow","Resource":\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["StoreArtifactsBucket[0-9A-F]+","Arn"\]\},"\/evaluation\/\*\/metrics.json"\]\]\}/);
    expect(nagFindings(stack)).toEqual([]);
  });

  test('promotes the model: endpoint config, create or update the endpoint, wait until in service', () => {
    const { stack, props } = setup();
    const role = new iam.Role(stack, 'MachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    new TrainingWorkflow(stack, 'Workflow', { ...props, stateMachineRole: role, promote: { endpointName: 'pricing', instanceType: 'ml.c5.large', pollInterval: Duration.seconds(30) } });
    const d = definitionOf(stack);
    expect(d.States.CreateModel.Next).toBe('CreateEndpointConfig');
    expect(d.States.CreateEndpointConfig).toEqual(expect.objectContaining({
      Resource: 'arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createEndpointConfig',
      Parameters: {
        'EndpointConfigName.$': "States.Format('promote-{}', States.UUID())",
        'ProductionVariants': [{ 'VariantName': 'AllTraffic', 'ModelName.$': '$.results.model.ModelName', 'InstanceType': 'ml.c5.large', 'InitialInstanceCount': 1 }],
      },
      Next: 'FindEndpoint',
    }));
    // An existing endpoint is updated; a missing one (SageMaker's "Could not find endpoint") created.
    expect(d.States.FindEndpoint.Next).toBe('UpdateEndpoint');
    expect(d.States.FindEndpoint.Catch[0]).toEqual(expect.objectContaining({ ErrorEquals: expect.arrayContaining(['SageMaker.SageMakerException']), Next: 'CreateEndpoint' }));
    expect(d.States.FindEndpoint.Catch[1]).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'NotifyFailure' }));
    expect(d.States.CreateEndpoint.Next).toBe('WaitForEndpoint');
    expect(d.States.UpdateEndpoint.Next).toBe('WaitForEndpoint');
    expect(d.States.WaitForEndpoint).toEqual({ Type: 'Wait', Seconds: 30, Next: 'DescribeEndpoint' });
    expect(d.States.DescribeEndpoint.Next).toBe('EndpointInService');
    const choice = d.States.EndpointInService;
    expect(choice.Choices.map((c: any) => c.Next)).toEqual(['Output', 'EndpointRolledBack', 'EndpointFailed']);
    expect(choice.Choices[0].And[1]).toEqual({ Variable: '$.results.endpoint.EndpointConfigName', StringEqualsPath: '$.results.endpointConfig.EndpointConfigName' });
    expect(choice.Default).toBe('WaitForEndpoint');
    expect(d.States.EndpointFailed.Next).toBe('NotifyFailure');
    expect(d.States.Output.Parameters.endpointName).toBe('pricing');
    // The state machine uses the given role, with the endpoint permissions scoped.
    const json = JSON.stringify(iamPolicies(stack));
    expect(json).toContain('"Action":"sagemaker:CreateEndpointConfig","Effect":"Allow","Resource":"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/promote-*"');
    expect(json).toContain('arn:aws:sagemaker:us-east-1:123456789012:endpoint/pricing');
    expect(json).toContain('MachineRole');
    // Only the test's own state machine role (an inline policy) is left to its author.
    expect(nagFindings(stack).sort()).toEqual(['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map(p => `${p}-IAMNoInlinePolicy Test/MachineRole/DefaultPolicy/Resource`));
  });

  test.each<[string, (p: TrainingWorkflowProps, e: ProcessingJobStepProps) => TrainingWorkflowProps, RegExp]>([
    ['a promotion to a bad endpoint name', p => ({ ...p, promote: { endpointName: 'my_endpoint' } }), /endpointName must be letters, digits and single hyphens, got 'my_endpoint'/],
    ['a promotion on an EC2 instance type', p => ({ ...p, promote: { endpointName: 'e', instanceType: 'm5.large' } }), /promote.instanceType must be a SageMaker instance type/],
    ['a promotion polling every second', p => ({ ...p, promote: { endpointName: 'e', pollInterval: Duration.seconds(1) } }), /promote.pollInterval must be a whole number of seconds between 10 and 3600/],
    ['a gate without evaluation', p => ({ ...p, qualityGate: { outputName: 'report', metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 } }),
      /qualityGate requires evaluate: the gate reads the report the evaluation job writes/],
    ['a gate on an unknown output', (p, e) => ({ ...p, evaluate: e, qualityGate: { outputName: 'metrics', metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 } }),
      /qualityGate.outputName must name an output of evaluate, got 'metrics'; outputs: report/],
    ['a metric path with JSONPath syntax', (p, e) => ({ ...p, evaluate: e, qualityGate: { outputName: 'report', metricPath: '$.rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 } }),
      /qualityGate.metricPath must be a dotted path of identifiers such as 'metrics.rmse', got '\$.rmse'/],
    ['a threshold that is not a number', (p, e) => ({ ...p, evaluate: e, qualityGate: { outputName: 'report', metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: NaN } }),
      /qualityGate.threshold must be a number between .*, got NaN/],
    ['a report file name with a quote', (p, e) => ({ ...p, evaluate: e, qualityGate: { outputName: 'report', reportFileName: "it's.json", metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 } }),
      /qualityGate.reportFileName must be free of the characters/],
    ['a timeout under a minute', p => ({ ...p, timeout: Duration.seconds(30) }), /timeout must be a whole number of seconds between 60 and 31536000 \(365 days\), got 30 seconds/],
  ])('rejects %s', (_name, make, error) => {
    const { stack, props, evaluate } = setup();
    expect(() => new TrainingWorkflow(stack, 'Workflow', make(props, evaluate))).toThrow(error);
  });
});
