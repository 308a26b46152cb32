import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { JobS3Location, MlDataStore, SageMakerImage, SageMakerWorkflow, TrainingStage } from '../../lib';
import { SageMakerIntegration, ServiceErrorRetry, TRANSIENT_CAUSE_PATTERNS } from '../../lib/jobs/private/fail-fast';
import { SageMakerSdkTask } from '../../lib/jobs/private/sagemaker-sdk-task';
import { LocalFaults } from '../../local/src/faults';
import { LocalRuntime } from '../../local/src/runtime';
import { failureNotification, TINY_IMAGE } from '../local/workflows';
import { ENV, testApp } from '../util';

jest.setTimeout(60_000);

/**
 * A workflow of one training stage ('Train', on the stdlib-only image) and, after it, a
 * DescribeTrainingJob through the AWS SDK integration ('Describe', a SageMakerSdkTask with
 * no catch of its own).
 */
function failFastApp() {
  const app = testApp();
  const stack = new Stack(app, 'FailFast', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const train = new TrainingStage(stack, 'Train', {
    image: SageMakerImage.fromAsset(TINY_IMAGE),
    outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    hyperparameters: { score: '0.9' },
    maxRuntime: Duration.hours(1),
  });
  const describe = new SageMakerSdkTask(stack, 'Describe', {
    stateName: 'Describe',
    api: 'describeTrainingJob',
    resourceType: 'training-job',
    request: { TrainingJobName: train.trainingJobName },
    statements: [],
    resultSelector: { 'TrainingJobStatus.$': '$.TrainingJobStatus' },
    resultPath: '$.results.Describe',
  });
  const workflow = new SageMakerWorkflow(stack, 'Workflow', { definition: train.next(describe), description: 'fail fast' });
  return { app, stack, workflow, train, describe };
}

function definitionOf(stack: Stack, path: string = 'Workflow/StateMachine'): any {
  const runtime = LocalRuntime.fromStack(stack, path);
  try {
    return runtime.stateMachine.definition;
  } finally {
    runtime.dispose();
  }
}

describe('fail fast on refused requests (rendered ASL)', () => {
  const { stack, workflow, train } = failFastApp();
  const states = definitionOf(stack).States;

  test('the job task retries capacity only; SageMaker\'s generic error is caught into a Choice before the stage\'s catch-all', () => {
    const task = states.Train;
    expect(task.Retry).toEqual([{ ErrorEquals: ['SageMaker.ResourceLimitExceededException'], IntervalSeconds: 60, MaxAttempts: 10, BackoffRate: 1 }]);
    expect(task.Catch).toEqual([
      { ErrorEquals: ['SageMaker.AmazonSageMakerException'], ResultPath: '$.error', Next: 'Train: transient?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Train failed' },
    ]);
    // ResourceNotFound and ResourceInUse (a bug) are neither retried nor looped.
    expect(JSON.stringify(task.Retry)).not.toMatch(/ResourceNotFound|ResourceInUse|AmazonSageMakerException|TaskFailed/);
  });

  test('the Choice retries only a throttling or server-fault Cause, counting attempts at the task\'s result path', () => {
    const choice = states['Train: transient?'];
    expect(choice.Type).toBe('Choice');
    expect(choice.Default).toBe('Train failed');
    expect(choice.Choices).toEqual([
      { Not: { Variable: '$.error.Cause', IsPresent: true }, Next: 'Train failed' },
      { Not: { Or: TRANSIENT_CAUSE_PATTERNS.map(p => ({ Variable: '$.error.Cause', StringMatches: p })) }, Next: 'Train failed' },
      { Not: { Variable: '$.results.Train.attempt', IsPresent: true }, Next: 'Train: retry 1' },
      { Variable: '$.results.Train.attempt', NumericLessThan: 5, Next: 'Train: retry again' },
    ]);
    expect(states['Train: retry 1']).toMatchObject({ Type: 'Pass', Parameters: { attempt: 1, waitSeconds: 15 }, ResultPath: '$.results.Train', Next: 'Train: backoff' });
    expect(states['Train: retry again']).toMatchObject({
      Type: 'Pass',
      Parameters: {
        'attempt.$': 'States.MathAdd($.results.Train.attempt, 1)',
        'waitSeconds.$': 'States.MathAdd($.results.Train.waitSeconds, $.results.Train.waitSeconds)',
      },
      ResultPath: '$.results.Train',
      Next: 'Train: backoff',
    });
    expect(states['Train: backoff']).toEqual({ Type: 'Wait', SecondsPath: '$.results.Train.waitSeconds', Next: 'Train' });
  });

  test('a Validation or AccessDenied Cause matches no transient pattern; throttling and 5xx in both SDK formats do', () => {
    const matches = (cause: string) => TRANSIENT_CAUSE_PATTERNS.some(p => new RegExp(`^${p.split('*').map(s => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(cause));
    const v1 = (code: string, status: number, message: string) => `${message} (Service: AmazonSageMaker; Status Code: ${status}; Error Code: ${code}; Request ID: 1; Proxy: null)`;
    const v2 = (status: number, message: string) => `${message} (Service: SageMaker, Status Code: ${status}, Request ID: 1)`;
    expect(matches(v1('ValidationException', 400, "1 validation error detected: Value 'x' at 'trainingJobName'"))).toBe(false);
    expect(matches(v1('AccessDeniedException', 400, 'User: arn:aws:sts::1:assumed-role/r is not authorized to perform: sagemaker:CreateTrainingJob'))).toBe(false);
    expect(matches(v2(400, 'Could not find endpoint "x".'))).toBe(false);
    expect(matches(v1('ThrottlingException', 400, 'Rate exceeded'))).toBe(true);
    expect(matches(v1('InternalFailure', 500, 'internal error'))).toBe(true);
    expect(matches(v2(400, 'Rate exceeded'))).toBe(true);
    expect(matches(v2(503, 'Service unavailable'))).toBe(true);
    expect(matches(v2(429, 'Too many requests'))).toBe(true);
  });

  test('an SDK task without a catch of its own: SageMaker.SageMakerException, 3 retries from 2 s, then a Fail state raising the same error', () => {
    const task = states.Describe;
    expect(task.Retry).toBeUndefined();
    expect(task.Catch).toEqual([{ ErrorEquals: ['SageMaker.SageMakerException'], ResultPath: '$.results.Describe.error', Next: 'Describe: transient?' }]);
    expect(states['Describe: transient?'].Choices[3]).toEqual({ Variable: '$.results.Describe.attempt', NumericLessThan: 3, Next: 'Describe: retry again' });
    expect(states['Describe: retry 1'].Parameters).toEqual({ attempt: 1, waitSeconds: 2 });
    expect(states['Describe: failed']).toEqual({ Type: 'Fail', ErrorPath: '$.results.Describe.error.Error', CausePath: '$.results.Describe.error.Cause' });
  });

  test('budgets: the loop\'s waits, and the capacity retries of every entry into the task', () => {
    // 1 h run + 6 entries x 10 capacity retries x 60 s + 15 x (2^5 - 1) s.
    expect(train.task.maxDuration.toSeconds()).toBe(3600 + 6 * 600 + 465);
    // Describe: 1 min + 2 x (2^3 - 1) s.
    expect(workflow.maxDuration.toSeconds()).toBe(3600 + 6 * 600 + 465 + 60 + 14);
  });

  test('a catch added after the task joined a state machine is refused (the loop already ends in its own Fail state)', () => {
    const { describe } = failFastApp();
    expect(() => describe.addCatch(new sfn.Pass(Stack.of(describe), 'Late'))).toThrow(/add the catchers of a SageMaker task before it joins a state machine/);
  });

  test('a catch with resultPath $ gets the error as the whole state; retryOnServiceErrors false renders no loop', () => {
    const s = new Stack(testApp(), 'S', { env: ENV });
    const task = new SageMakerSdkTask(s, 'T', { api: 'listTags', resourceType: 'endpoint', request: { ResourceArn: 'arn' }, statements: [] });
    task.addCatch(new sfn.Pass(s, 'Handler'), { resultPath: '$' });
    const plain = new SageMakerSdkTask(s, 'U', { api: 'listTags', resourceType: 'endpoint', request: { ResourceArn: 'arn' }, statements: [], retryOnServiceErrors: false });
    plain.addCatch(new sfn.Pass(s, 'Handler2'));
    new sfn.StateMachine(s, 'M', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Parallel(s, 'P').branch(task).branch(plain)) });
    const [t, u] = definitionOf(s, 'M').States.P.Branches;
    expect(t.States.T.Catch[0]).toEqual({ ErrorEquals: ['SageMaker.SageMakerException'], ResultPath: expect.stringMatching(/^\$\.serviceErrorRetries\.t[0-9a-f]{8}\.error$/), Next: 'T: transient?' });
    expect(t.States['T: error output']).toEqual({ Type: 'Pass', InputPath: t.States.T.Catch[0].ResultPath, Next: 'Handler' });
    expect(t.States['T: transient?'].Default).toBe('T: error output');
    expect(Object.keys(u.States)).toEqual(['U', 'Handler2']);
  });

  test('ServiceErrorRetry.covers: States.ALL, States.TaskFailed and the generic name; not a modelled error', () => {
    expect(ServiceErrorRetry.covers(undefined, SageMakerIntegration.OPTIMIZED)).toBe(true);
    expect(ServiceErrorRetry.covers(['States.TaskFailed'], SageMakerIntegration.OPTIMIZED)).toBe(true);
    expect(ServiceErrorRetry.covers(['SageMaker.SageMakerException'], SageMakerIntegration.AWS_SDK)).toBe(true);
    expect(ServiceErrorRetry.covers(['SageMaker.ResourceNotFoundException'], SageMakerIntegration.OPTIMIZED)).toBe(false);
  });
});

describe('fail fast on refused requests (local runs)', () => {
  const { stack } = failFastApp();
  const assembly = stack.node.root as any;
  const directory: string = assembly.synth().directory;
  const runtimes: LocalRuntime[] = [];
  const runtime = (faults: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(directory, 'FailFast/Workflow/StateMachine', { faults });
    runtimes.push(r);
    return r;
  };
  afterAll(() => runtimes.forEach(r => r.dispose()));
  /** How many times the training task ran (each entry is one CreateTrainingJob request). */
  const trainingRequests = (result: { states: string[] }) => result.states.filter(s => s === 'Train').length;

  test('a ValidationException on CreateTrainingJob fails the workflow at once (one request), the notification carries the Cause', async () => {
    const faults = new LocalFaults().apiError('CreateTrainingJob', 'ValidationException', 1, "1 validation error detected: Value 'ml.x' at 'resourceConfig.instanceType' failed to satisfy constraint");
    const rt = runtime(faults);
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual(['Train', 'Train: transient?', 'Train failed']);
    expect(trainingRequests(result)).toBe(1);
    expect(result.error).toBe('SageMaker.AmazonSageMakerException');
    const message = failureNotification(result);
    expect(message).toMatchObject({ status: 'FAILED', error: 'SageMaker.AmazonSageMakerException' });
    expect(message.cause).toMatch(/^1 validation error detected: .*\(Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: [-0-9a-f]+; Proxy: null\)$/);
  });

  test('throttling once is retried after a backoff and the workflow succeeds', async () => {
    const rt = runtime(new LocalFaults().apiError('CreateTrainingJob', 'ThrottlingException', 1));
    const result = await rt.run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual(['Train', 'Train: transient?', 'Train: retry 1', 'Train: backoff', 'Train', 'Describe']);
    expect(result.output.results.Train.TrainingJobName).toMatch(/^train-/);
    // The success overwrote the counter.
    expect(result.output.results.Train.attempt).toBeUndefined();
    expect(result.output.results.Describe).toEqual({ TrainingJobStatus: 'Completed' });
  });

  test('throttling always fails after 5 retries, the notification carries the throttling Cause', async () => {
    const rt = runtime(new LocalFaults().apiError('CreateTrainingJob', 'ThrottlingException'));
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(trainingRequests(result)).toBe(6);
    expect(result.states.filter(s => s === 'Train: retry again')).toHaveLength(4);
    expect(result.states.slice(-2)).toEqual(['Train: transient?', 'Train failed']);
    expect(failureNotification(result).cause).toMatch(/^Rate exceeded \(Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException;/);
  });

  test('SDK integration: a refused request fails at once with SageMaker.SageMakerException and the Java v2 Cause', async () => {
    const rt = runtime(new LocalFaults().apiError('DescribeTrainingJob', 'ValidationException', 1, 'Requested resource not found'));
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.states.slice(-3)).toEqual(['Describe', 'Describe: transient?', 'Describe: failed']);
    expect(result.error).toBe('SageMaker.SageMakerException');
    expect(failureNotification(result).cause).toMatch(/^Requested resource not found \(Service: SageMaker, Status Code: 400, Request ID: [-0-9a-f]+\)$/);
  });

  test('SDK integration: throttling once is retried and succeeds; always, it fails after 3 retries', async () => {
    const once = await runtime(new LocalFaults().apiError('DescribeTrainingJob', 'ThrottlingException', 1)).run({});
    expect(once.status).toBe('SUCCEEDED');
    expect(once.states.slice(-5)).toEqual(['Describe', 'Describe: transient?', 'Describe: retry 1', 'Describe: backoff', 'Describe']);
    const always = await runtime(new LocalFaults().apiError('DescribeTrainingJob', 'ThrottlingException')).run({});
    expect(always.status).toBe('FAILED');
    expect(always.states.filter(s => s === 'Describe')).toHaveLength(4);
    expect(always.error).toBe('SageMaker.SageMakerException');
    expect(failureNotification(always).cause).toMatch(/^Rate exceeded \(Service: SageMaker, Status Code: 400, Request ID: /);
  });

  test('a server fault (InternalFailure, HTTP 500) is retried like throttling', async () => {
    const result = await runtime(new LocalFaults().apiError('CreateTrainingJob', 'InternalFailure', 2)).run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.filter(s => s === 'Train')).toHaveLength(3);
  });
});
