import * as fs from 'fs';
import * as path from 'path';
import { SageMakerTrainingStack } from '../../lib';
import { LocalFaults } from '../../lib/local/faults';
import { LocalRuntime } from '../../lib/local/runtime';
import { parseS3Uri } from '../../lib/local/s3';
import { ENV, testApp } from '../util';
import { TRAINING_STATES as S, findGlmPython } from './workflows';

/**
 * The reference training workflow (SageMakerMlTraining), run locally on the sample data with
 * the example image's real preprocess, train and evaluate entry points.
 */
const python = findGlmPython();
if (!python && process.env.CI) {
  throw new Error('the local runs of the training workflow need Python with numpy, pandas and statsmodels: .ci/run installs them');
}
const describeRuns = python ? describe : describe.skip;
jest.setTimeout(120_000);

describeRuns('local run of the reference training workflow', () => {
  let assemblyDir: string;
  const runtimes: LocalRuntime[] = [];
  const runtime = (stack: string, faults?: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, stack, { faults, python });
    runtimes.push(r);
    return r;
  };
  const hyperparameters = (rt: LocalRuntime, jobName: string) =>
    JSON.parse(fs.readFileSync(path.join(rt.workDirectory, 'jobs', jobName, 'opt/ml/input/config/hyperparameters.json'), 'utf8'));
  const failureMessage = (result: { notifications: Array<{ publisher: string; message: string }> }) =>
    JSON.parse(result.notifications.find(n => n.publisher === 'NotifyFailure')!.message);

  beforeAll(() => {
    const app = testApp();
    new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
    new SageMakerTrainingStack(app, 'StrictTraining', { env: ENV, minimumDevianceExplained: 0.99 });
    assemblyDir = app.synth().directory;
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('the happy path succeeds; overrides reach hyperparameters.json; the gate reads the metric evaluate wrote', async () => {
    const rt = runtime('SageMakerMlTraining');
    const result = await rt.run({ max_iter: '50' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual([...S.start, ...S.jobs, ...S.gate, ...S.model]);
    // The override wins over the default; the other default stays.
    expect(hyperparameters(rt, result.output.trainingJobName)).toEqual({ max_iter: '50', tol: '1e-8' });
    // The model names a model.tar.gz that exists, with the fitted model in it.
    const { bucket, key } = parseS3Uri(result.output.modelDataUrl);
    expect(key).toBe(`models/${result.output.trainingJobName}/output/model.tar.gz`);
    expect(rt.s3.exists(bucket, key)).toBe(true);
    expect(rt.sagemaker.models.get(result.output.modelName)).toMatchObject({ PrimaryContainer: { ModelDataUrl: result.output.modelDataUrl } });
    // The gate read the report the evaluate job wrote to S3 under the execution's folder.
    const reportKey = rt.s3.list(bucket, 'evaluation/').find(k => k.includes(result.executionName) && k.endsWith('evaluation.json'))!;
    const report = JSON.parse(rt.s3.get(bucket, reportKey)!.toString());
    expect(result.output.evaluation).toEqual(report);
    expect(report.metrics.deviance_explained).toBeGreaterThanOrEqual(0.2);
    expect(result.notifications).toEqual([]);
  });

  // SageMaker takes only string hyperparameters; the workflow passes `$.max_iter` as it is, so
  // a JSON number fails validation. Flip to `test` once the workflow converts it (States.Format).
  test.failing('a hyperparameter given as a JSON number reaches hyperparameters.json as a string', async () => {
    const rt = runtime('SageMakerMlTraining');
    const result = await rt.run({ max_iter: 50 });
    expect(result.status).toBe('SUCCEEDED');
    expect(hyperparameters(rt, result.output.trainingJobName).max_iter).toBe('50');
  });

  test('a failing job ends in the failure notification with its failure reason', async () => {
    const result = await runtime('SageMakerMlTraining').run({ max_iter: 'many' });
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.start, 'Preprocess', 'Train', ...S.failure]);
    const message = failureMessage(result);
    expect(message.error).toBe('States.TaskFailed');
    // What the container wrote to /opt/ml/output/failure, as SageMaker reports it.
    expect(JSON.parse(message.cause)).toMatchObject({
      TrainingJobStatus: 'Failed',
      FailureReason: expect.stringMatching(/^AlgorithmError: train failed: hyperparameters max_iter and tol must be numbers/),
    });
    expect(result.error).toBe('States.TaskFailed');
  });

  test('a persistent API error ends in the failure notification', async () => {
    const faults = new LocalFaults().apiError('CreateTrainingJob', 'ResourceLimitExceeded', Infinity, 'The account-level service limit ml.m5.large for training job usage is 0 Instances');
    const result = await runtime('SageMakerMlTraining', faults).run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.start, 'Preprocess', 'Train', ...S.failure]);
    // A modeled error keeps its name and is not among the retried ones.
    expect(result.retries).toEqual([]);
    expect(failureMessage(result)).toMatchObject({
      error: 'SageMaker.ResourceLimitExceededException',
      cause: expect.stringMatching(/service limit ml.m5.large .*Error Code: ResourceLimitExceeded/),
    });
  });

  test('a failed gate ends in the failure notification with the metric; transient errors before it were retried', async () => {
    const faults = new LocalFaults().apiError('CreateProcessingJob', 'ThrottlingException', 2);
    const result = await runtime('StrictTraining', faults).run({});
    expect(result.status).toBe('FAILED');
    expect(result.retries.map(r => r.state)).toEqual(['Preprocess', 'Preprocess']);
    expect(result.states).toEqual([...S.start, 'Preprocess', 'Train', 'Evaluate', ...S.gate, ...S.gateFailed, ...S.failure]);
    const message = failureMessage(result);
    expect(message.error).toBe('QualityGateFailed');
    expect(message.cause).toMatch(/does not meet metrics.deviance_explained greater than or equal 0.99; report: .*"deviance_explained":0\.5\d+/);
  });
});
