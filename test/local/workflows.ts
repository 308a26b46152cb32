import { spawnSync } from 'child_process';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
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
  gate: ['Evaluate read report', 'Evaluate gate'],
  /** The reference stack registers each gated model (RegisterModelStage) before its output. */
  model: ['Evaluate gate passed', 'CreateModel', 'Register', 'Output'],
  gateFailed: ['Evaluate gate rejected', 'Evaluate failed'],
  /** A stage's tasks catch every error into the stage's own Fail state. */
  failed: (stage: string) => [`${stage} failed`],
};

export const BATCH_STATES = {
  happy: ['Transform', 'Succeeded'],
  /** Two throttled CreateTransformJob calls, each retried through the service-error loop (lib/jobs/private/fail-fast.ts). */
  throttledTwice: [
    'Transform', 'Transform: transient?', 'Transform: retry 1', 'Transform: backoff',
    'Transform', 'Transform: transient?', 'Transform: retry again', 'Transform: backoff',
    'Transform', 'Succeeded',
  ],
  failure: ['Transform', 'Failed'],
};

const PROMOTE = {
  find: ['Promote start', 'Promote find endpoint'],
  /** DescribeEndpoint failed (not retried: no throttling), and its cause says the endpoint does not exist. */
  missing: ['Promote find endpoint: transient?', 'Promote endpoint not found?', 'Promote endpoint missing', 'Promote endpoint status?'],
  /** In service: the current configuration's tags say which version it serves (another one here). */
  inService: ['Promote endpoint status?', 'Promote previous configuration is a run-time one?', 'Promote read previous configuration', 'Promote compare version', 'Promote version in service?'],
  create: ['Promote define endpoint configuration', 'Promote endpoint exists?', 'Promote create endpoint', 'Promote start polling'],
  update: ['Promote define endpoint configuration', 'Promote endpoint exists?', 'Promote update endpoint', 'Promote start polling'],
  poll: ['Promote wait', 'Promote describe endpoint', 'Promote deployed?'],
  more: ['Promote count polls', 'Promote checks left?'],
};

/**
 * TrainingWorkflow's `promote`: a DeployStage named `Promote` (lib/stages/deploy-stage.ts)
 * after the training states. The emulated endpoint settles on the second DescribeEndpoint.
 */
export const PROMOTE_STATES = {
  training: ['InputDefaults', 'MergeInput', 'Train', 'Evaluate', 'CreateModel'],
  /** The `Gated` workflow up to its gate. */
  gated: ['InputDefaults', 'MergeInput', 'Train', 'Evaluate', 'Evaluate read report', 'Evaluate gate'],
  gatePassed: ['Evaluate gate passed', 'CreateModel', 'Output'],
  createPath: [...PROMOTE.find, ...PROMOTE.missing, ...PROMOTE.create],
  updatePath: [...PROMOTE.find, ...PROMOTE.inService, ...PROMOTE.update],
  poll: PROMOTE.poll,
  /** A check that found the endpoint still Creating or Updating, counted against maxPolls. */
  pollAgain: [...PROMOTE.poll, ...PROMOTE.more],
  /** Two checks: the first sees Creating/Updating, the second InService (or Failed). */
  twoPolls: [...PROMOTE.poll, ...PROMOTE.more, ...PROMOTE.poll],
  /** A first deployment: no previous configuration to clean up. */
  created: ['Promote older configuration?', 'Promote deployed', 'Output'],
  /** An update: the previous configuration (read before the update) is kept, and it replaced none. */
  updated: ['Promote older configuration?', 'Promote deployed', 'Output'],
  timedOut: ['Promote timed out', 'Promote failed'],
  gateFailed: ['Evaluate gate rejected', 'Evaluate failed'],
  trainFailed: ['Train failed'],
  evaluateFailed: ['Evaluate failed'],
  /** The new configuration, never in service, is deleted before the failure. */
  /** The configuration and the model this execution defined are deleted (issue 23). */
  rolledBack: ['Promote rolled back', 'Promote configuration defined?', 'Promote delete unused configuration', 'Promote model defined?', 'Promote delete model', 'Promote failed'],
  /** So is the configuration of an endpoint that failed (DeployStage). */
  endpointFailed: ['Promote failure reason?', 'Promote failed with reason', 'Promote configuration defined?', 'Promote delete unused configuration', 'Promote model defined?', 'Promote delete model', 'Promote failed'],
};

/** The failure notification the workflow's execution-status rule sends, parsed (there is one per failed run). */
export function failureNotification(result: { notifications: Array<{ publisher: string; message: string }> }): any {
  const sent = result.notifications.filter(n => /^rule:.*ExecutionFailedRule/.test(n.publisher));
  if (sent.length !== 1) throw new Error(`expected one notification from the ExecutionFailedRule, got ${JSON.stringify(result.notifications)}`);
  return JSON.parse(sent[0].message);
}

/** The reference app (bin/reference-app.ts) in a test app. */
export function referenceApp() {
  const app = testApp();
  const stacks = addReferenceStacks(app, ENV);
  return { app, stacks };
}

/** A stdlib-only image: `train` writes `{score}` from its hyperparameter, `evaluate` reports it. */
export const TINY_IMAGE = path.join(__dirname, 'fixtures', 'tiny-image');

/**
 * Two workflows on the stdlib-only image. `Workflow` trains, evaluates and promotes to the
 * endpoint `local-glm` (TrainingWorkflow's `promote`, no gate); `Gated` trains,
 * evaluates and gates on `metrics.score >= 0.5`. Each has its own execution-status rule that
 * notifies its failure topic.
 */
export function promoteApp() {
  const app = testApp();
  const stack = new Stack(app, 'LocalPromote', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  const model = new SageMakerModel(stack, 'Model', { image, modelData: ModelData.fromBucket(store.artifactsBucket, 'models/first/model.tar.gz') });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { endpointName: 'local-glm', runtimeConfigNamePrefix: 'promote', variants: [{ model }] });
  const jobs = {
    executionInputDefaults: { score: '0.9' },
    train: {
      image,
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
      hyperparameters: { score: sfn.JsonPath.stringAt('$.score') },
    },
    evaluate: {
      image,
      containerEntrypoint: ['evaluate'],
      // The workflow hands the training stage's model.tar.gz to this job as the input `model`.
      modelLocalPath: '/opt/ml/processing/model',
      reportOutputName: 'evaluation',
      processingOutputs: [{ outputName: 'evaluation', destination: JobS3Location.perExecution(store.artifactsBucket, 'evaluation') }],
    },
  };
  const workflow = new TrainingWorkflow(stack, 'Workflow', {
    ...jobs,
    promote: { endpoint, pollInterval: Duration.seconds(30), maxPolls: 5 },
  });
  const gated = new TrainingWorkflow(stack, 'Gated', {
    ...jobs,
    evaluate: { ...jobs.evaluate, gate: { metricPath: 'metrics.score', comparison: MetricComparison.GREATER_THAN_OR_EQUAL, threshold: 0.5 } },
  });
  return { app, stack, workflow, gated };
}

/**
 * Python with the example image's dependencies (Debian's python3-statsmodels etc.), if any; without
 * one, says which test file skips its local runs and why. Looked up, not imported (importing them
 * took 0.45 CPU s and, on a busy machine, seconds of a test file's time, in each of five files).
 */
export function findGlmPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("numpy", "pandas", "statsmodels")) else 1)'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  const file = path.relative(path.join(__dirname, '..', '..'), expect.getState().testPath ?? 'a test file');
  // eslint-disable-next-line no-console
  console.warn(`skipping the local runs of ${file}: they run the example image's entry points and need Python with numpy, pandas and statsmodels (Debian: python3-numpy python3-pandas python3-statsmodels)`);
  return undefined;
}
