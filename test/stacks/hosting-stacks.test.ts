import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { SageMakerAsyncStack, SageMakerBatchTransformStack, SageMakerRealtimeStack, SageMakerServerlessStack, SageMakerTrainingStack } from '../../bin/stacks';
import { MonitoringEngine } from '../../lib/monitoring/monitoring-engine';
import { definitionOf, ENV, nagFindings, snapshotOf, testApp } from '../util';

// The reference app's shape: hosting stacks share the training stack's data store.
// Without schema validation (about 6 CPU seconds a file): test/compliance/reference-app.test.ts validates
// these stacks as bin/reference-app.ts defines them (with descriptions).
const app = testApp();
const training = new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
const hosting = { env: ENV, dataStore: training.dataStore };
const stacks: Record<string, Stack> = {
  // As bin/reference-app.ts wires it: approvals of the training stack's model package group deploy here.
  realtime: new SageMakerRealtimeStack(app, 'SageMakerMlRealtime', { ...hosting, modelPackageGroup: training.modelPackageGroup }),
  serverless: new SageMakerServerlessStack(app, 'SageMakerMlServerless', hosting),
  async: new SageMakerAsyncStack(app, 'SageMakerMlAsync', hosting),
  batch: new SageMakerBatchTransformStack(app, 'SageMakerMlBatch', hosting),
};
const templates = Object.fromEntries(Object.entries(stacks).map(([k, s]) => [k, Template.fromStack(s)]));

describe.each(Object.keys(stacks))('%s reference stack', (name) => {
  test('matches the snapshot', () => {
    expect(snapshotOf(stacks[name])).toMatchSnapshot();
  });

  test('policy review: no unacknowledged AwsSolutions finding', () => {
    expect(nagFindings(stacks[name])).toEqual([]);
  });

  test('serves the trained model from the training artifacts, or the sample when the parameter is empty', () => {
    const t = templates[name];
    t.hasParameter('ModelDataKey', { Type: 'String', Default: '', AllowedPattern: '^$|^[^/].*\\.tar\\.gz$' });
    const model = Object.values<any>(t.findResources('AWS::SageMaker::Model'))[0];
    expect(model.Properties.PrimaryContainer.ModelDataUrl['Fn::If'][0]).toBe('UseSampleModel');
    expect(JSON.stringify(model.Properties.PrimaryContainer.ModelDataUrl['Fn::If'][2])).toContain('{"Ref":"ModelDataKey"}');
    expect(JSON.stringify(t.toJSON())).not.toMatch(/AmazonSageMakerFullAccess/);
  });

  test('gives endpoint configurations no fixed names', () => {
    for (const config of Object.values<any>(templates[name].findResources('AWS::SageMaker::EndpointConfig'))) {
      expect(config.Properties.EndpointConfigName).toBeUndefined();
    }
  });
});

describe('reference stack outputs', () => {
  test.each([
    ['realtime', ['EndpointName']],
    ['serverless', ['EndpointName']],
    ['async', ['EndpointName', 'InputLocation', 'OutputLocation', 'SuccessTopicArn', 'ErrorTopicArn', 'NotificationQueueUrl']],
    ['batch', ['StateMachineArn', 'InputPrefix', 'OutputPrefix']],
  ])('%s exposes what a user needs to invoke it', (name, outputs) => {
    for (const output of outputs as string[]) templates[name].hasOutput(output, {});
  });
});

describe('the real-time stack', () => {
  const t = () => templates.realtime;

  test('captures traffic to the artifacts bucket, encrypted with the store key', () => {
    const config = Object.values<any>(t().findResources('AWS::SageMaker::EndpointConfig'))[0].Properties;
    expect(config.DataCaptureConfig).toEqual(expect.objectContaining({ EnableCapture: true, InitialSamplingPercentage: 20 }));
    expect(JSON.stringify(config.DataCaptureConfig.DestinationS3Uri)).toContain('/data-capture');
    expect(config.KmsKeyId).toBeDefined();
  });

  test('deploys approved versions of the group: the approval rule starts the deploy workflow, which smoke-tests the endpoint', () => {
    t().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['SageMaker Model Package State Change'], 'detail': Match.objectLike({ ModelApprovalStatus: ['Approved'] }) }),
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^DeployApprovedWorkflowStateMachine') } })],
    });
    const d = definitionOf(stacks.realtime, 'DeployApprovedWorkflowStateMachine');
    expect(d.States['define model from package'].Parameters.Containers).toEqual([{ 'ModelPackageName.$': '$.modelPackageArn' }]);
    expect(d.States['smoke test'].Parameters).toEqual(expect.objectContaining({ ContentType: 'text/csv', Body: '40,20.5,north' }));
    t().hasOutput('DeployWorkflowArn', {});
    t().hasOutput('ModelPackageGroupName', {});
  });

  test('monitors data quality hourly, without Model Monitor, against the baseline the baseline workflow computes', () => {
    // MonitoringEngine.processingJob(): an EventBridge Scheduler schedule starts the data-quality workflow hourly.
    t().resourceCountIs('AWS::SageMaker::MonitoringSchedule', 0);
    t().hasResourceProperties('AWS::Scheduler::Schedule', Match.objectLike({
      ScheduleExpression: 'cron(0 * * * ? *)',
      Target: Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^DataQualityMonitorStateMachine') } }),
    }));
    const monitor = definitionOf(stacks.realtime, 'DataQualityMonitorStateMachine');
    const analyze = Object.values<any>(monitor.States).find(s => s.Resource?.includes('createProcessingJob.sync'));
    expect(JSON.stringify(analyze.Parameters.ProcessingInputs)).toContain('/monitoring/baseline');
    const baseline = definitionOf(stacks.realtime, 'BaselineWorkflowStateMachine');
    const step = Object.values<any>(baseline.States).find(s => s.Resource?.includes('createProcessingJob.sync'));
    expect(JSON.stringify(step.Parameters.ProcessingOutputConfig)).toContain('/monitoring/baseline');
    t().hasOutput('BaselineWorkflowArn', {});
  });

  test('with Model Monitor (an account that has it): a monitoring schedule, its analyzer registry looked up per Region at deploy time in a region-agnostic stack, without warnings', () => {
    const agnostic = new SageMakerRealtimeStack(testApp(), 'Agnostic', { monitoringEngine: MonitoringEngine.modelMonitor() });
    const template = Template.fromStack(agnostic);
    template.resourceCountIs('AWS::SageMaker::MonitoringSchedule', 1);
    template.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', Match.objectLike({
      MonitoringScheduleConfig: Match.objectLike({ ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' }, MonitoringType: 'DataQuality' }),
    }));
    const job = Object.values<any>(template.findResources('AWS::SageMaker::DataQualityJobDefinition'))[0].Properties;
    expect(JSON.stringify(job.DataQualityBaselineConfig)).toContain('/monitoring/baseline/statistics.json');
    expect(JSON.stringify(job.DataQualityAppSpecification.ImageUri)).toContain('{"Fn::FindInMap":["ModelMonitorAnalyzerRegistries",{"Ref":"AWS::Region"},"account"]}');
    expect(template.toJSON().Mappings.ModelMonitorAnalyzerRegistries['eu-west-1']).toEqual({ account: '468650794304' });
    Annotations.fromStack(agnostic).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(agnostic).hasNoInfo('*', Match.anyValue());
  });
});

describe('the batch stack', () => {
  test('transforms the input prefix with a .sync transform job, caught and notified', () => {
    const definition = definitionOf(stacks.batch);
    expect(definition.StartAt).toBe('Transform');
    const transform = definition.States.Transform;
    expect(transform.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createTransformJob.sync');
    // The default prefix is the job kind and a hash of the construct path, so another workflow's role cannot reach these jobs.
    expect(transform.Parameters['TransformJobName.$']).toMatch(/^States\.Format\('transform-[0-9a-f]{8}-\{\}', States\.UUID\(\)\)$/);
    expect(transform.Parameters.TransformInput).toEqual(expect.objectContaining({ ContentType: 'text/csv', SplitType: 'Line' }));
    expect(transform.Parameters.TransformOutput['S3OutputPath.$']).toMatch(/\/batch\/output\/\{\}\/', \$\$\.Execution\.Name\)$/);
    // A failed transform ends the execution in Fail with its error and cause; the execution-status rule notifies.
    // SageMaker's generic error goes to a Choice on its cause first (throttling retried, a refused request fails at once).
    expect(transform.Catch).toEqual([
      { ErrorEquals: ['SageMaker.AmazonSageMakerException'], ResultPath: '$.error', Next: 'Transform: transient?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' },
    ]);
    templates.batch.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'source': ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'] }),
    });
    templates.batch.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true }, LoggingConfiguration: Match.objectLike({ Level: 'ALL' }) });
  });

  test('runs on a schedule when given one', () => {
    const other = new SageMakerBatchTransformStack(testApp(), 'Scheduled', { env: ENV, schedule: events.Schedule.cron({ minute: '0', hour: '2' }) });
    Template.fromStack(other).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^StateMachine') } })],
    });
    expect(nagFindings(other)).toEqual([]);
  });
});
