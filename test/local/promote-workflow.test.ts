import { PROMOTE_STATES as S, failureNotification, promoteApp } from './workflows';
import { EndpointUpdateOutcome, LocalFaults } from '../../local/src/faults';
import { LocalRunResult, LocalRuntime } from '../../local/src/runtime';

/**
 * A workflow that promotes its model to an endpoint (TrainingWorkflow's `promote`), run
 * locally: the first run creates the endpoint, the second updates it; rollbacks, failed and
 * stuck endpoints end in the failure notification. And a gated workflow: a failed gate and a
 * missing report end in it too. One synthesized assembly; the create-then-update runs are
 * shared by the tests that read them.
 *
 * `promote` runs a DeployStage named `Promote` (PROMOTE_STATES in workflows.ts); the runs
 * through DeployStage on its own are in deploy-stage.test.ts.
 */
jest.setTimeout(60_000);

describe('local run of a workflow that promotes to an endpoint', () => {
  let assemblyDir: string;
  let stackName: string;
  const runtimes: LocalRuntime[] = [];
  const runtime = (faults?: LocalFaults, workflow = 'Workflow') => {
    const r = LocalRuntime.fromAssembly(assemblyDir, `${stackName}/${workflow}/Default/StateMachine`, { faults });
    runtimes.push(r);
    return r;
  };
  const gated = (faults?: LocalFaults) => runtime(faults, 'Gated');

  // A first run (creates the endpoint) and a second (updates it), on one runtime.
  let shared: { rt: LocalRuntime; first: LocalRunResult; second: LocalRunResult };
  beforeAll(async () => {
    const { app, stack } = promoteApp();
    assemblyDir = app.synth().directory;
    stackName = stack.stackName;
    const rt = runtime();
    const first = await rt.run({});
    const second = await rt.run({});
    shared = { rt, first, second };
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('a first run creates the endpoint', () => {
    const { rt, first } = shared;
    expect(first.status).toBe('SUCCEEDED');
    expect(first.states).toEqual([...S.training, ...S.createPath, ...S.twoPolls, ...S.created]);
    // DescribeEndpoint failed the way the SDK integration fails for a missing endpoint (a
    // ValidationException, not retried); its cause told it apart from throttling.
    expect(first.failures[0]).toEqual({ state: 'Promote find endpoint', error: 'SageMaker.SageMakerException', cause: expect.stringMatching(/Could not find endpoint .*Status Code: 400/) });
    expect(first.states.filter(st => st.startsWith('Promote find endpoint: retry'))).toEqual([]);
    expect(first.output.endpointName).toBe('local-glm');
    expect(rt.sagemaker.models.get(first.output.modelName)).toMatchObject({ PrimaryContainer: { ModelDataUrl: first.output.modelDataUrl } });
    expect(rt.sagemaker.endpointConfigs.get(first.output.endpointConfigName)).toMatchObject({
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: first.output.modelName }],
    });
    expect(first.notifications).toEqual([]);
  });

  test('a second run updates the endpoint to its new configuration', () => {
    const { rt, first, second } = shared;
    expect(second.status).toBe('SUCCEEDED');
    expect(second.states).toEqual([...S.training, ...S.updatePath, ...S.twoPolls, ...S.updated]);
    expect(second.output.endpointConfigName).not.toEqual(first.output.endpointConfigName);
    expect(rt.sagemaker.endpoints.get('local-glm')).toMatchObject({ status: 'InService', configName: second.output.endpointConfigName });
    expect(rt.sagemaker.endpointConfigs.size).toBe(2);
    expect(second.notifications).toEqual([]);
  });

  test('an update that rolls back is reported as a failure naming both configurations', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    const first = await rt.run({});
    const modelsBefore = rt.sagemaker.models.size;
    faults.endpointUpdate(EndpointUpdateOutcome.ROLLBACK);
    const second = await rt.run({});
    expect(second.status).toBe('FAILED');
    expect(second.states).toEqual([...S.training, ...S.updatePath, ...S.twoPolls, ...S.rolledBack]);
    expect(second.error).toBe('EndpointDeploymentRolledBack');
    expect(second.cause).toContain(`in service with configuration ${first.output.endpointConfigName}, not the new promote-`);
    // The configuration that never served is deleted, and so is the model this execution defined;
    // the configuration in service and its model are kept.
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([first.output.endpointConfigName]);
    expect(rt.sagemaker.models.has(first.output.modelName)).toBe(true);
    expect(rt.sagemaker.models.size).toBe(modelsBefore);
    expect(failureNotification(second)).toMatchObject({ execution: second.executionArn, status: 'FAILED', error: 'EndpointDeploymentRolledBack', cause: second.cause });
  });

  test('a failed endpoint is reported as a failure', async () => {
    const rt = runtime(new LocalFaults().endpointCreate(EndpointUpdateOutcome.FAIL));
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.training, ...S.createPath, ...S.twoPolls, ...S.endpointFailed]);
    expect(result.error).toBe('EndpointDeploymentFailed');
    expect(result.cause).toMatch(/^endpoint local-glm is Failed after deploying configuration promote-[0-9a-f-]+: The primary container .* ping health check/);
    expect(result.notifications).toHaveLength(1);
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED', error: 'EndpointDeploymentFailed', cause: result.cause });
  });

  test('an endpoint that never leaves Updating ends, after the bounded polls, in the notification', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    await rt.run({});
    faults.endpointUpdate(EndpointUpdateOutcome.STUCK);
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    // maxPolls: 5 in promoteApp.
    expect(result.states).toEqual([...S.training, ...S.updatePath, ...[1, 2, 3, 4, 5].flatMap(() => S.pollAgain), ...S.timedOut]);
    expect(result.error).toBe('EndpointDeploymentTimedOut');
    expect(failureNotification(result)).toMatchObject({
      status: 'FAILED',
      error: 'EndpointDeploymentTimedOut',
      cause: expect.stringMatching(/^endpoint local-glm is still Updating after 5 checks every 30 seconds; configuration promote-[0-9a-f-]+ may still be deployed/),
    });
  });

  test('transient API errors are retried and the run then succeeds', async () => {
    const faults = new LocalFaults()
      .apiError('CreateTrainingJob', 'ThrottlingException', 2)
      .apiError('CreateProcessingJob', 'ThrottlingException', 1)
      .apiError('CreateModel', 'ThrottlingException', 1);
    const result = await runtime(faults).run({});
    expect(result.status).toBe('SUCCEEDED');
    // Throttling is retried by each task's service-error loop (told apart by the cause); the
    // describe of the missing endpoint (a ValidationException) is not retried at all.
    const retried = (state: string) => result.states.filter(st => st === `${state}: transient?`).length;
    expect([retried('Train'), retried('Evaluate'), retried('CreateModel'), retried('Promote find endpoint')]).toEqual([2, 1, 1, 1]);
    expect(result.states.filter(st => st.startsWith('Promote find endpoint: retry'))).toEqual([]);
    expect(result.failures[0]).toMatchObject({ state: 'Train', cause: expect.stringMatching(/Error Code: ThrottlingException/) });
    expect(withoutRetries(result.states)).toEqual(withoutRetries([...S.training, ...S.createPath, ...S.twoPolls, ...S.created]));
    expect(result.notifications).toEqual([]);
  });

  // `promote` runs DeployStage, whose SDK-integration steps retry SageMaker.SageMakerException
  // only when its cause is throttling or a 5xx, and tell "not found" apart by its cause.
  test('throttling of CreateEndpoint (an AWS SDK integration step: it sends DeploymentConfig) is retried', async () => {
    const result = await runtime(new LocalFaults().apiError('CreateEndpoint', 'ThrottlingException', 1)).run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual(expect.arrayContaining(['Promote create endpoint: transient?', 'Promote create endpoint: retry 1', 'Promote create endpoint: backoff']));
    expect(result.states.filter(st => st === 'Promote create endpoint')).toHaveLength(2);
  });

  test('a throttled describe of an existing endpoint is retried, and the endpoint updated', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    await rt.run({});
    faults.apiError('DescribeEndpoint', 'ThrottlingException', 1);
    const result = await rt.run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.filter(st => st.startsWith('Promote find endpoint'))).toEqual([
      'Promote find endpoint', 'Promote find endpoint: transient?', 'Promote find endpoint: retry 1', 'Promote find endpoint: backoff', 'Promote find endpoint',
    ]);
    expect(withoutRetries(result.states)).toEqual([...S.training, ...S.updatePath, ...S.twoPolls, ...S.updated]);
  });

  test('a job that fails ends in the notification with its failure reason', async () => {
    const result = await runtime(new LocalFaults().failJob('train', 'out of memory')).run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.training.slice(0, 3), ...S.trainFailed]);
    const message = failureNotification(result);
    expect(message).toMatchObject({ execution: result.executionArn, status: 'FAILED', error: 'States.TaskFailed' });
    expect(JSON.parse(message.cause)).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: out of memory' });
  });

  test('a model that fails the gate ends in the notification, carrying the metric', async () => {
    const result = await gated().run({ score: '0.2' });
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.gated, ...S.gateFailed]);
    const message = failureNotification(result);
    expect(message).toMatchObject({ status: 'FAILED', error: 'QualityGateFailed' });
    expect(message.cause).toMatch(/^the model does not meet metrics.score greater than or equal 0.5; report: .*"score":0.2\b/);
  });

  test('the gate passes a model that meets it, and a rejection carries the report as evaluate wrote it', async () => {
    const rejected = await gated().run({ score: '0.2' });
    expect(rejected.cause).toBe('the model does not meet metrics.score greater than or equal 0.5; report: {"metrics":{"score":0.2}}');
    const passed = await gated().run({});
    expect(passed.status).toBe('SUCCEEDED');
    expect(passed.states).toEqual([...S.gated, ...S.gatePassed]);
    expect(passed.output.evaluation).toEqual({ metrics: { score: 0.9 } });
  });

  test('a missing evaluation report ends in the notification, naming the S3 error', async () => {
    const result = await gated(new LocalFaults().omitOutputFile('evaluation.json')).run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...S.gated.slice(0, 5), ...S.evaluateFailed]);
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED', error: 'S3.NoSuchKeyException', cause: expect.stringMatching(/^The specified key does not exist\. \(Service: S3, Status Code: 4\d\d/) });
  });
});

/** The states of a run without the service-error loops' own states and the task's second entry. */
function withoutRetries(states: string[]): string[] {
  return states.filter(st => !st.includes(': ')).filter((st, i, all) => i === 0 || st !== all[i - 1]);
}
