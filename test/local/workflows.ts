import { spawnSync } from 'child_process';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { addReferenceStacks } from '../../bin/reference-app';
import { JobS3Location, MetricComparison, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerModel, TrainingWorkflow } from '../../lib';
import { ENV, testApp } from '../util';

/**
 * The workflows the local runtime runs in these tests, and the states each path visits: one
 * place per workflow, so that renamed states (the stages redesign) are updated here only.
 */
export const TRAINING_STATES = {
  start: ['InputDefaults', 'MergeInput'],
  jobs: ['Preprocess', 'Train', 'Evaluate'],
  gate: ['ReadEvaluationReport', 'QualityGate'],
  model: ['CreateModel', 'Output', 'Succeeded'],
  failure: ['NotifyFailure', 'Failed'],
  gateFailed: ['QualityGateFailed'],
};

export const BATCH_STATES = {
  happy: ['Transform', 'Succeeded'],
  failure: ['Transform', 'NotifyFailure', 'Failed'],
};

export const PROMOTE_STATES = {
  training: ['InputDefaults', 'MergeInput', 'Train', 'Evaluate', 'ReadEvaluationReport', 'QualityGate', 'CreateModel'],
  createPath: ['CreateEndpointConfig', 'FindEndpoint', 'CreateEndpoint'],
  updatePath: ['CreateEndpointConfig', 'FindEndpoint', 'UpdateEndpoint'],
  poll: ['WaitForEndpoint', 'DescribeEndpoint', 'EndpointInService'],
  done: ['Output', 'Succeeded'],
  failure: ['NotifyFailure', 'Failed'],
  gateFailed: ['QualityGateFailed'],
  rolledBack: ['EndpointRolledBack'],
  endpointFailed: ['EndpointFailed'],
};

/** The reference app (bin/reference-app.ts) in a test app. */
export function referenceApp() {
  const app = testApp();
  const stacks = addReferenceStacks(app, ENV);
  return { app, stacks };
}

/** A stdlib-only image: `train` writes `{score}` from its hyperparameter, `evaluate` reports it. */
export const TINY_IMAGE = path.join(__dirname, 'fixtures', 'tiny-image');

/**
 * A workflow that trains, evaluates, gates on `metrics.score >= 0.5` and promotes to the
 * endpoint `local-glm`, with an EventBridge rule that notifies the failure topic when an
 * execution fails, times out or is aborted (what a Catch never sees).
 */
export function promoteApp() {
  const app = testApp();
  const stack = new Stack(app, 'LocalPromote', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  const model = new SageMakerModel(stack, 'Model', { image, modelData: ModelData.fromBucket(store.artifactsBucket, 'models/first/model.tar.gz') });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { endpointName: 'local-glm', runtimeConfigNamePrefix: 'promote', variants: [{ model }] });
  const workflow = new TrainingWorkflow(stack, 'Workflow', {
    executionInputDefaults: { score: '0.9' },
    train: {
      image,
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
      hyperparameters: { score: sfn.JsonPath.stringAt('$.score') },
    },
    evaluate: {
      image,
      containerEntrypoint: ['evaluate'],
      processingInputs: [{
        inputName: 'model',
        source: JobS3Location.fromJsonPath('$.results.train.ModelArtifacts.S3ModelArtifacts', store.artifactsBucket, 'models'),
        localPath: '/opt/ml/processing/model',
      }],
      processingOutputs: [{ outputName: 'evaluation', destination: JobS3Location.perExecution(store.artifactsBucket, 'evaluation') }],
    },
    qualityGate: { outputName: 'evaluation', metricPath: 'metrics.score', comparison: MetricComparison.GREATER_THAN_OR_EQUAL, threshold: 0.5 },
    promote: { endpoint, pollInterval: Duration.seconds(30) },
  });
  new events.Rule(stack, 'ExecutionStopped', {
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [workflow.stateMachine.stateMachineArn] },
    },
    targets: [new targets.SnsTopic(workflow.failureTopic, {
      message: events.RuleTargetInput.fromObject({
        execution: events.EventField.fromPath('$.detail.executionArn'),
        status: events.EventField.fromPath('$.detail.status'),
      }),
    })],
  });
  return { app, stack, workflow };
}

/** Python with the example image's dependencies (Debian's python3-statsmodels etc.), if any. */
export function findGlmPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import numpy, pandas, statsmodels'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}
