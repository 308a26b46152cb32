import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import {
  SageMakerAsyncStack, SageMakerBatchTransformStack, SageMakerRealtimeStack, SageMakerServerlessStack, SageMakerTrainingStack,
} from '../../lib';
import { definitionOf, ENV, nagFindings, snapshotOf, testApp } from '../util';

// The reference app's shape: hosting stacks share the training stack's data store.
const app = testApp({ validateTemplates: true });
const training = new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
const hosting = { env: ENV, dataStore: training.dataStore };
const stacks: Record<string, Stack> = {
  realtime: new SageMakerRealtimeStack(app, 'SageMakerMlRealtime', hosting),
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

describe('the batch stack', () => {
  test('transforms the input prefix with a .sync transform job, caught and notified', () => {
    const definition = definitionOf(stacks.batch);
    expect(definition.StartAt).toBe('Transform');
    const transform = definition.States.Transform;
    expect(transform.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createTransformJob.sync');
    expect(transform.Parameters['TransformJobName.$']).toBe("States.Format('transform-{}', States.UUID())");
    expect(transform.Parameters.TransformInput).toEqual(expect.objectContaining({ ContentType: 'text/csv', SplitType: 'Line' }));
    expect(transform.Parameters.TransformOutput['S3OutputPath.$']).toMatch(/\/batch\/output\/\{\}\/', \$\$\.Execution\.Name\)$/);
    expect(transform.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotifyFailure' }]);
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
