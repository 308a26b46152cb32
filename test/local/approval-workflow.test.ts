import { findGlmPython, referenceApp } from './workflows';
import { LocalFaults } from '../../local/src/faults';
import { LocalRunResult, LocalRuntime } from '../../local/src/runtime';

/**
 * Issue 12's reference path, run locally on the reference app's training and real-time stacks
 * (bin/reference-app.ts), the real-time stack deploying the training stack's group: the
 * training workflow registers a version in the model package group (pending approval); a
 * reviewer approves it (UpdateModelPackage); SageMaker's state-change event reaches the
 * real-time stack's DeployOnApproval rule, which starts ApprovedModelDeployment with the
 * rule's input: define the model from the package, deploy it, smoke-test the endpoint.
 */
const python = findGlmPython();
if (!python && process.env.CI) throw new Error('the local runs of the training workflow need Python with numpy, pandas and statsmodels');
const describeRuns = python ? describe : describe.skip;
jest.setTimeout(120_000);

describeRuns('local run of register, approve, deploy and smoke test (reference app)', () => {
  let assemblyDir: string;
  let realtime: string;
  const runtimes: LocalRuntime[] = [];
  /** A training run to a registered version; the runtime shares its account with the deploy workflow. */
  const registered = async (faults?: LocalFaults) => {
    const rt = LocalRuntime.fromAssembly(assemblyDir, 'SageMakerMlTraining', { faults, python });
    runtimes.push(rt);
    const training = await rt.run({});
    expect(training.status).toBe('SUCCEEDED');
    expect(training.states).toContain('Register');
    const [pkg] = [...rt.sagemaker.modelPackages.values()];
    return { rt, pkg };
  };
  const approve = async (rt: LocalRuntime, arn: string): Promise<LocalRunResult> => {
    const started = await rt.approveModelPackage(arn);
    expect(started).toHaveLength(1);
    expect(rt.triggered[0]).toMatchObject({ stateMachine: expect.stringMatching(new RegExp(`^${realtime}/DeployApproved/`)) });
    return started[0].result;
  };

  beforeAll(() => {
    // The reference app as bin/reference-app.ts builds it: the real-time stack deploys the
    // versions of the group the training workflow registers in.
    const { app, stacks } = referenceApp();
    realtime = stacks.realtime.stackName;
    assemblyDir = app.synth().directory;
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('an approved version is deployed: the endpoint is InService on a configuration naming the model defined from the package, and answers the smoke test', async () => {
    const { rt, pkg } = await registered();
    expect(pkg).toMatchObject({ ModelApprovalStatus: 'PendingManualApproval', ModelPackageVersion: 1 });
    // Nothing is deployed before the approval.
    expect(rt.sagemaker.endpoints.size).toBe(0);
    const result = await approve(rt, pkg.ModelPackageArn);
    expect(rt.triggered[0].input).toEqual({
      modelPackageArn: pkg.ModelPackageArn, modelPackageGroupName: pkg.ModelPackageGroupName, modelPackageVersion: 1,
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual(expect.arrayContaining(['define model from package', 'smoke test']));
    expect(result.states.indexOf('smoke test')).toBeGreaterThan(result.states.indexOf('define model from package'));
    const model = [...rt.sagemaker.models.values()].find(m => m.Containers?.[0]?.ModelPackageName === pkg.ModelPackageArn);
    expect(model).toBeDefined();
    const [endpoint] = [...rt.sagemaker.endpoints.values()];
    expect(endpoint.status).toBe('InService');
    expect(rt.sagemaker.endpointConfigs.get(endpoint.configName)).toMatchObject({
      ProductionVariants: [expect.objectContaining({ ModelName: model.ModelName })],
    });
    expect(rt.sagemaker.modelPackages.get(pkg.ModelPackageArn).ModelApprovalStatus).toBe('Approved');
    expect(result.notifications).toEqual([]);
  });

  test('a failed smoke test ends FAILED with EndpointSmokeTestFailed, notified once', async () => {
    const faults = new LocalFaults().apiError('sagemakerruntime:InvokeEndpoint', 'ModelError');
    const { rt, pkg } = await registered(faults);
    const result = await approve(rt, pkg.ModelPackageArn);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EndpointSmokeTestFailed');
    // A first deployment creates the endpoint: it served nothing before, so there is nothing to roll back to.
    expect(result.cause).toMatch(/failed, and the endpoint stays on it: injected ModelError \(Service: SageMakerRuntime/);
    // The smoke test's own retries (two more tries) before it counts as failed.
    expect(result.retries.filter(r => r.state === 'smoke test')).toHaveLength(2);
    expect(result.retries.filter(r => r.state === 'smoke test')[0].error).toBe('SageMakerRuntime.ModelErrorException');
    const sent = result.notifications.filter(n => /^rule:/.test(n.publisher));
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0].message)).toMatchObject({ status: 'FAILED', error: 'EndpointSmokeTestFailed' });
  });

  test('an approval of a version the registry does not hold is a ValidationException', async () => {
    const rt = LocalRuntime.fromAssembly(assemblyDir, 'SageMakerMlTraining', { python });
    runtimes.push(rt);
    await expect(rt.approveModelPackage('arn:aws:sagemaker:us-east-1:123456789012:model-package/nothing/1')).rejects.toThrow(/ModelPackage .*nothing\/1 does not exist/);
  });
});
