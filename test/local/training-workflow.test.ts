import * as fs from 'fs';
import * as path from 'path';
import { SageMakerTrainingStack } from '../../bin/stacks';
import { LocalFaults } from '../../local/src/faults';
import { LocalRunResult, LocalRuntime } from '../../local/src/runtime';
import { parseS3Uri } from '../../local/src/s3';
import { ENV, testApp } from '../util';
import { TRAINING_STATES as S, failureNotification, findGlmPython } from './workflows';

/**
 * The reference training workflow (SageMakerMlTraining), run locally on the sample data with
 * the example image's real preprocess, train and evaluate entry points. One synthesized
 * assembly; the happy-path run is shared by the tests that read its outcome.
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
  const runtime = (faults?: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, 'SageMakerMlTraining', { faults, python });
    runtimes.push(r);
    return r;
  };
  const hyperparameters = (rt: LocalRuntime, jobName: string) =>
    JSON.parse(fs.readFileSync(path.join(rt.workDirectory, 'jobs', jobName, 'opt/ml/input/config/hyperparameters.json'), 'utf8'));

  // The happy path, with `max_iter` overridden by a JSON number.
  let happy: { rt: LocalRuntime; result: LocalRunResult };
  beforeAll(async () => {
    const app = testApp();
    new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
    assemblyDir = app.synth().directory;
    const rt = runtime();
    happy = { rt, result: await rt.run({ max_iter: 50 }) };
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  /** The report the evaluate job of the happy run wrote to S3, under the execution's folder. */
  const evaluationReport = () => {
    const { rt, result } = happy;
    const bucket = parseS3Uri(rt.stateMachine.definition.States.Train.Parameters.OutputDataConfig.S3OutputPath).bucket;
    const key = rt.s3.list(bucket, 'evaluation/').find(k => k.includes(result.executionName) && k.endsWith('evaluation.json'));
    expect(key).toBeDefined();
    return JSON.parse(rt.s3.get(bucket, key!)!.toString());
  };

  test('the jobs run: an override given as a JSON number reaches hyperparameters.json as a string; evaluate writes its report', () => {
    const { rt, result } = happy;
    expect(result.states.slice(0, 7)).toEqual([...S.start, ...S.jobs, ...S.gate]);
    const train = [...rt.sagemaker.jobs.keys()].filter(k => k.startsWith('training-job/')).map(k => k.slice('training-job/'.length));
    expect(train).toHaveLength(1);
    expect(rt.sagemaker.jobs.get(`training-job/${train[0]}`)).toMatchObject({ TrainingJobStatus: 'Completed' });
    // The override (a JSON number, passed through States.Format) wins over the default; the other default stays.
    expect(hyperparameters(rt, train[0])).toEqual({ max_iter: '50', tol: '1e-8' });
    expect(evaluationReport().metrics.deviance_explained).toBeGreaterThanOrEqual(0.2);
  });

  // The gate once read the report one level too deep (every gate rejected); this run found it.
  test('the gate passes the sample model on the metric evaluate wrote; the output names a model whose model.tar.gz exists', () => {
    const { rt, result } = happy;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual([...S.start, ...S.jobs, ...S.gate, ...S.model]);
    const { bucket, key } = parseS3Uri(result.output.modelDataUrl);
    expect(key).toBe(`models/${result.output.trainingJobName}/output/model.tar.gz`);
    expect(rt.s3.exists(bucket, key)).toBe(true);
    expect(rt.sagemaker.models.get(result.output.modelName)).toMatchObject({ PrimaryContainer: { ModelDataUrl: result.output.modelDataUrl } });
    expect(result.output.evaluation).toEqual(evaluationReport());
    expect(result.notifications).toEqual([]);
  });

  test('Register creates version 1 of the template\'s model package group, pending approval, on the model data the gate passed', () => {
    const { rt, result } = happy;
    const packages = [...rt.sagemaker.modelPackages.values()];
    expect(packages).toHaveLength(1);
    expect(packages[0].ModelPackageArn).toMatch(/^arn:aws:sagemaker:[a-z0-9-]+:\d{12}:model-package\/[a-z0-9-]+\/1$/);
    expect(packages[0].ModelApprovalStatus).toBe('PendingManualApproval');
    expect(packages[0].InferenceSpecification.Containers[0].ModelDataUrl).toBe(result.output.modelDataUrl);
  });

  test('a failing job ends in the failure notification with its failure reason', async () => {
    const result = await runtime().run({ max_iter: 'many' });
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.start, 'Preprocess', 'Train', ...S.failed('Train')]);
    expect(result.error).toBe('States.TaskFailed');
    // The execution-status rule's message: the execution, its status, the error and the cause
    // (what the container wrote to /opt/ml/output/failure, as SageMaker reports it).
    const message = failureNotification(result);
    expect(message).toMatchObject({ workflow: 'SageMaker training workflow', execution: result.executionArn, status: 'FAILED', error: 'States.TaskFailed' });
    expect(JSON.parse(message.cause)).toMatchObject({
      TrainingJobStatus: 'Failed',
      FailureReason: expect.stringMatching(/^AlgorithmError: train failed: hyperparameters max_iter and tol must be numbers/),
    });
    expect(result.notifications).toHaveLength(1);
  });

  test('a request SageMaker refuses (ValidationException) is not retried: one request, the notification carries the Cause', async () => {
    const faults = new LocalFaults().apiError('CreateTrainingJob', 'ValidationException', 1, "1 validation error detected: Value 'ml.m5.huge' at 'resourceConfig.instanceType' failed to satisfy constraint");
    const result = await runtime(faults).run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.start, 'Preprocess', 'Train', 'Train: transient?', ...S.failed('Train')]);
    expect(failureNotification(result)).toMatchObject({
      status: 'FAILED',
      error: 'SageMaker.AmazonSageMakerException',
      cause: expect.stringMatching(/^1 validation error detected: .*\(Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; /),
    });
  });

  test('a persistent API error ends in the failure notification', async () => {
    const faults = new LocalFaults().apiError('CreateTrainingJob', 'ResourceLimitExceeded', Infinity, 'The account-level service limit ml.m5.large for training job usage is 0 Instances');
    const result = await runtime(faults).run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.start, 'Preprocess', 'Train', ...S.failed('Train')]);
    // ResourceLimitExceeded is retried every 60 s (shortened locally), as many times as the definition says.
    const capacity = happy.rt.stateMachine.definition.States.Train.Retry.find((r: any) => r.ErrorEquals.includes('SageMaker.ResourceLimitExceededException'));
    expect(result.retries).toEqual(Array(capacity.MaxAttempts).fill({ state: 'Train', error: 'SageMaker.ResourceLimitExceededException' }));
    expect(failureNotification(result)).toMatchObject({
      status: 'FAILED',
      error: 'SageMaker.ResourceLimitExceededException',
      cause: expect.stringMatching(/service limit ml.m5.large .*Error Code: ResourceLimitExceeded/),
    });
  });
});
