import { PROMOTE_STATES as S, promoteApp } from './workflows';
import { EndpointUpdateOutcome, LocalFaults } from '../../lib/local/faults';
import { LocalRuntime } from '../../lib/local/runtime';

/**
 * A workflow that promotes its model to an endpoint, run locally: the first run creates the
 * endpoint, the second updates it; rollbacks, failed and stuck endpoints end in a notification.
 */
jest.setTimeout(60_000);

describe('local run of a workflow that promotes to an endpoint', () => {
  let assemblyDir: string;
  let stackName: string;
  const runtimes: LocalRuntime[] = [];
  const runtime = (faults?: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, `${stackName}/Workflow/StateMachine`, { faults });
    runtimes.push(r);
    return r;
  };

  beforeAll(() => {
    const { app, stack } = promoteApp();
    assemblyDir = app.synth().directory;
    stackName = stack.stackName;
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('a first run creates the endpoint, a second updates it to the new configuration', async () => {
    const rt = runtime();
    const first = await rt.run({});
    expect(first.status).toBe('SUCCEEDED');
    expect(first.states).toEqual([...S.training, ...S.createPath, ...S.poll, ...S.poll, ...S.done]);
    // FindEndpoint failed the way the SDK integration fails for a missing endpoint, and was caught.
    expect(first.failures[0]).toEqual({ state: 'FindEndpoint', error: 'SageMaker.SageMakerException', cause: expect.stringMatching(/Could not find endpoint .*Error Code: ValidationException/) });
    const endpoint = rt.sagemaker.endpoints.get(first.output.endpointName)!;
    expect(endpoint).toMatchObject({ status: 'InService', configName: first.output.endpointConfigName });

    const second = await rt.run({});
    expect(second.status).toBe('SUCCEEDED');
    expect(second.states).toEqual([...S.training, ...S.updatePath, ...S.poll, ...S.poll, ...S.done]);
    expect(second.output.endpointConfigName).not.toEqual(first.output.endpointConfigName);
    expect(rt.sagemaker.endpoints.get(second.output.endpointName)).toMatchObject({ status: 'InService', configName: second.output.endpointConfigName });
    expect(rt.sagemaker.endpointConfigs.size).toBe(2);
    expect(second.notifications).toEqual([]);
  });

  test('an update that rolls back is reported as a failure naming both configurations', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    const first = await rt.run({});
    faults.endpointUpdate(EndpointUpdateOutcome.ROLLBACK);
    const second = await rt.run({});
    expect(second.status).toBe('FAILED');
    expect(second.states).toEqual([...S.training, ...S.updatePath, ...S.poll, ...S.poll, ...S.rolledBack, ...S.failure]);
    expect(second.error).toBe('EndpointDeploymentRolledBack');
    expect(second.cause).toContain(`in service with ${first.output.endpointConfigName}, not the new configuration`);
    const notified = second.notifications.find(n => n.publisher === 'NotifyFailure')!;
    expect(JSON.parse(notified.message)).toMatchObject({ error: 'EndpointDeploymentRolledBack' });
  });

  test('a failed endpoint is reported as a failure', async () => {
    const rt = runtime(new LocalFaults().endpointCreate(EndpointUpdateOutcome.FAIL));
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.training, ...S.createPath, ...S.poll, ...S.poll, ...S.endpointFailed, ...S.failure]);
    expect(result.error).toBe('EndpointDeploymentFailed');
    expect(result.cause).toMatch(/endpoint local-glm is Failed after deploying promote-/);
    expect(result.notifications.map(n => n.publisher)).toEqual(['NotifyFailure', expect.stringMatching(/^rule:ExecutionStopped/)]);
  });

  test('an endpoint that never leaves Updating ends, at the execution timeout, in a notification', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    await rt.run({});
    faults.endpointUpdate(EndpointUpdateOutcome.STUCK);
    const result = await rt.run({}, { timeoutMs: 8000 });
    expect(result.status).toBe('TIMED_OUT');
    expect(result.states.slice(0, S.training.length + 3)).toEqual([...S.training, ...S.updatePath]);
    expect(result.states.filter(s => s === 'DescribeEndpoint').length).toBeGreaterThan(2);
    // A Catch never sees a timeout: only the status-change rule tells anyone.
    expect(result.notifications).toHaveLength(1);
    expect(JSON.parse(result.notifications[0].message)).toEqual({ execution: result.executionArn, status: 'TIMED_OUT' });
  });

  test('a model that fails the gate ends in the notification, carrying the metric', async () => {
    const result = await runtime().run({ score: '0.2' });
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.training.slice(0, -1), ...S.gateFailed, ...S.failure]);
    const message = JSON.parse(result.notifications.find(n => n.publisher === 'NotifyFailure')!.message);
    expect(message.error).toBe('QualityGateFailed');
    expect(message.cause).toMatch(/does not meet metrics.score greater than or equal 0.5; report: \{"metrics":\{"score":0.2\}\}/);
  });

  test('a missing evaluation report ends in the notification, naming the S3 error', async () => {
    const result = await runtime(new LocalFaults().omitOutputFile('evaluation.json')).run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.training.slice(0, 5), ...S.failure]);
    const message = JSON.parse(result.notifications.find(n => n.publisher === 'NotifyFailure')!.message);
    expect(message).toMatchObject({ error: 'S3.NoSuchKeyException', cause: expect.stringMatching(/^The specified key does not exist\. .*Error Code: NoSuchKey/) });
  });

  test('transient API errors are retried and the run then succeeds', async () => {
    const faults = new LocalFaults()
      .apiError('CreateTrainingJob', 'ThrottlingException', 2)
      .apiError('CreateProcessingJob', 'ThrottlingException', 1)
      .apiError('CreateModel', 'ResourceLimitExceeded', 0)
      .apiError('CreateModel', 'ThrottlingException', 1);
    const result = await runtime(faults).run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retries).toEqual([
      { state: 'Train', error: 'SageMaker.AmazonSageMakerException' },
      { state: 'Train', error: 'SageMaker.AmazonSageMakerException' },
      { state: 'Evaluate', error: 'SageMaker.AmazonSageMakerException' },
      { state: 'CreateModel', error: 'SageMaker.AmazonSageMakerException' },
    ]);
    expect(result.failures[0]).toMatchObject({ state: 'Train', cause: expect.stringMatching(/Error Code: ThrottlingException/) });
    expect(result.notifications).toEqual([]);
  });

  // The promotion's SDK-integration steps retry SAGEMAKER_TRANSIENT_ERRORS, which lack
  // SageMaker.SageMakerException: the name the SDK integration gives SageMaker's throttling
  // (and the one FindEndpoint catches). Flip to `test` once lib/private/job-policies.ts retries it.
  test.failing('throttling of an SDK-integration step (CreateEndpoint) is retried', async () => {
    const result = await runtime(new LocalFaults().apiError('CreateEndpoint', 'ThrottlingException', 1)).run({});
    expect(result.status).toBe('SUCCEEDED');
  });

  test('a job that fails ends in the notification with its failure reason', async () => {
    const result = await runtime().run({ fail: 'x' });
    // `fail` is not a hyperparameter of this workflow: the input reaches no job, the run succeeds.
    expect(result.status).toBe('SUCCEEDED');
    const failing = await runtime(new LocalFaults().failJob('train', 'out of memory')).run({});
    expect(failing.status).toBe('FAILED');
    expect(failing.states).toEqual([...S.training.slice(0, 3), ...S.failure]);
    const message = JSON.parse(failing.notifications.find(n => n.publisher === 'NotifyFailure')!.message);
    expect(message.error).toBe('States.TaskFailed');
    expect(JSON.parse(message.cause)).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: out of memory' });
  });
});
