import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { TINY_IMAGE, failureNotification } from './workflows';
import { SageMakerInstanceType } from '../../lib/compute/sagemaker-instance-type';
import { JobS3Location } from '../../lib/data/job-s3-location';
import { MlDataStore } from '../../lib/data/ml-data-store';
import { ComponentEndpoint } from '../../lib/hosting/component-endpoint';
import { InferenceComponent } from '../../lib/hosting/inference-component';
import { ModelData } from '../../lib/hosting/model-data';
import { SageMakerModel } from '../../lib/hosting/sagemaker-model';
import { SageMakerImage } from '../../lib/images/sagemaker-image';
import { CreateModelStep } from '../../lib/jobs/create-model-step';
import { CreateModelStage } from '../../lib/stages/create-model-stage';
import { DeployComponentStage } from '../../lib/stages/deploy-component-stage';
import { SageMakerWorkflow } from '../../lib/workflows/sagemaker-workflow';
import { EndpointUpdateOutcome, LocalFaults } from '../../local/src/faults';
import { LocalRuntime } from '../../local/src/runtime';
import { parseS3Uri } from '../../local/src/s3';
import { ENV, testApp, testStack } from '../util';

/**
 * A new model version reaching an inference component, run locally: CreateModelStage, then
 * DeployComponentStage (UpdateInferenceComponent with the component's rolling deployment config,
 * a bounded DescribeInferenceComponent loop), with the endings SageMaker can give it.
 */
jest.setTimeout(60_000);

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');
const COMPONENT = 'local-chat';

const STATES = {
  find: ['model', 'deploy start', 'deploy find component', 'deploy component status?'],
  update: ['deploy update component', 'deploy start polling', 'deploy wait', 'deploy describe component', 'deploy deployed?'],
  more: ['deploy count polls', 'deploy checks left?', 'deploy wait', 'deploy describe component', 'deploy deployed?'],
  cleanup: ['deploy model defined?', 'deploy delete model', 'deploy failed'],
};

function deployApp() {
  const app = testApp();
  const stack = new Stack(app, 'LocalComponent', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  const serving = new SageMakerModel(stack, 'Serving', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = new ComponentEndpoint(stack, 'Endpoint', { instanceType: SageMakerInstanceType.ML_G5_XLARGE, minInstanceCount: 0, maxInstanceCount: 2 });
  const component = new InferenceComponent(stack, 'Chat', {
    endpoint,
    model: serving,
    inferenceComponentName: COMPONENT,
    computeResources: { minMemory: Size.gibibytes(4), acceleratorDevices: 1 },
    autoScaling: { minCopies: 0, maxCopies: 2, targetInvocationsPerCopy: 5 },
  });
  const model = new CreateModelStage(stack, 'model', { image, modelData: JobS3Location.fromJsonPath('$.modelDataUrl', store.artifactsBucket, 'candidates') });
  const deploy = new DeployComponentStage(stack, 'deploy', {
    component, modelName: model.modelName, modelDefinedBy: model.task, pollInterval: Duration.seconds(10), maxPolls: 3,
  });
  new SageMakerWorkflow(stack, 'Workflow', { definition: model.next(deploy), outputs: { modelName: model.modelName, outcome: deploy.outcome } });
  return app;
}

describe('local run of CreateModelStage + DeployComponentStage', () => {
  let assemblyDir: string;
  let candidate: string;
  const runtimes: LocalRuntime[] = [];
  const runtime = (faults?: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, 'LocalComponent/Workflow/StateMachine', { faults });
    runtimes.push(r);
    const { bucket, key } = parseS3Uri(candidate);
    r.s3.putFile(bucket, key, SAMPLE_MODEL);
    return r;
  };
  const input = () => ({ modelDataUrl: candidate });

  beforeAll(() => {
    assemblyDir = deployApp().synth().directory;
    const probe = LocalRuntime.fromAssembly(assemblyDir, 'LocalComponent/Workflow/StateMachine');
    const resolver = probe.assembly.resolver('LocalComponent');
    const artifacts = Object.keys(resolver.resources).find(id => id.startsWith('DataStoreArtifactsBucket'))!;
    candidate = `s3://${resolver.resolve({ Ref: artifacts })}/candidates/training-1/output/model.tar.gz`;
    probe.dispose();
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('the component CloudFormation defined serves the new model after a rolling update with its rollback alarms', async () => {
    const rt = runtime();
    const before = rt.sagemaker.components.components.get(COMPONENT)!;
    expect(before).toMatchObject({ status: 'InService', endpointName: expect.any(String) });
    const original = before.specification.ModelName;
    const result = await rt.run(input());
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual([...STATES.find, ...STATES.update, ...STATES.more, 'deploy deployed', 'Output']);
    expect(result.output.outcome).toBe('Deployed');
    const after = rt.sagemaker.components.components.get(COMPONENT)!;
    expect(after.specification).toMatchObject({
      ModelName: result.output.modelName, ComputeResourceRequirements: { MinMemoryRequiredInMb: 4096, NumberOfAcceleratorDevicesRequired: 1 },
    });
    expect(after.specification.ModelName).not.toBe(original);
    expect(after.lastDeploymentConfig).toMatchObject({
      RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 1 }, WaitIntervalInSeconds: 120 },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: expect.any(String) }, { AlarmName: expect.any(String) }] },
    });

    expect(rt.sagemaker.models.has(result.output.modelName)).toBe(true);
  });

  test('an update that rolls back fails as a rollback, deletes the model it defined and is notified', async () => {
    const faults = new LocalFaults().endpointUpdate(EndpointUpdateOutcome.ROLLBACK);
    const rt = runtime(faults);
    const original = rt.sagemaker.components.components.get(COMPONENT)!.specification.ModelName;
    const models = rt.sagemaker.models.size;
    const result = await rt.run(input());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentDeploymentRolledBack');
    expect(result.cause).toContain(`in service with model ${original}, not the new one`);
    expect(result.states.slice(-4)).toEqual(['deploy rolled back', ...STATES.cleanup]);
    expect(rt.sagemaker.models.size).toBe(models);
    expect(rt.sagemaker.components.components.get(COMPONENT)).toMatchObject({ status: 'InService', specification: { ModelName: original } });
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED', error: 'ComponentDeploymentRolledBack' });
  });

  test('an update that leaves the component Failed fails with SageMaker\'s reason and deletes the model', async () => {
    const rt = runtime(new LocalFaults().endpointUpdate(EndpointUpdateOutcome.FAIL));
    const models = rt.sagemaker.models.size;
    const result = await rt.run(input());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentDeploymentFailed');
    expect(result.cause).toMatch(/is Failed after the update: The new copies did not pass the ping health check/);
    expect(result.states.slice(-5)).toEqual(['deploy failure reason?', 'deploy failed with reason', ...STATES.cleanup]);
    expect(rt.sagemaker.models.size).toBe(models);
  });

  test('an update SageMaker refuses (ValidationException) fails at once, not retried, and the model is deleted', async () => {
    const faults = new LocalFaults().apiError('UpdateInferenceComponent', 'ValidationException', 1, 'Insufficient capacity to place the copies');
    const rt = runtime(faults);
    const models = rt.sagemaker.models.size;
    const result = await rt.run(input());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SageMaker.SageMakerException');
    expect(result.cause).toMatch(/Insufficient capacity.*Status Code: 400/);
    expect(result.states.filter(s => s === 'deploy update component')).toHaveLength(1);
    expect(result.states.slice(-4)).toEqual(['deploy update component: transient?', ...STATES.cleanup]);
    expect(rt.sagemaker.models.size).toBe(models);
  });

  test('a component that is Failed before the deployment is not deployed to', async () => {
    const rt = runtime();
    Object.assign(rt.sagemaker.components.components.get(COMPONENT)!, { status: 'Failed' });
    const result = await rt.run(input());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentNotDeployable');
    expect(result.states).not.toContain('deploy update component');
  });

  test('an Updating component is waited for, then updated; one that stays busy fails ComponentNotReady', async () => {
    const rt = runtime();
    Object.assign(rt.sagemaker.components.components.get(COMPONENT)!, { status: 'Updating', ticks: 0, outcome: undefined });
    const result = await rt.run(input());
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.slice(0, 8)).toEqual([...STATES.find, 'deploy waits left?', 'deploy count waits', 'deploy wait for component', 'deploy find component']);

    Object.assign(rt.sagemaker.components.components.get(COMPONENT)!, { status: 'Updating', ticks: 0, outcome: EndpointUpdateOutcome.STUCK });
    const stuck = await rt.run(input());
    expect(stuck.status).toBe('FAILED');
    expect(stuck.error).toBe('ComponentNotReady');
  });

  test('an update stuck in Updating runs out of checks and keeps the model (the update may still run)', async () => {
    const rt = runtime(new LocalFaults().endpointUpdate(EndpointUpdateOutcome.STUCK));
    const models = rt.sagemaker.models.size;
    const result = await rt.run(input());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentDeploymentTimedOut');
    expect(rt.sagemaker.models.size).toBe(models + 1);
  });
});

/**
 * A stage that defines the model itself (modelStep, tagged with the execution input's `version`)
 * and smoke-tests the component after the update: InvokeEndpoint with InferenceComponentName.
 */
function smokeApp() {
  const app = testApp();
  const stack = new Stack(app, 'LocalComponentSmoke', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  const serving = new SageMakerModel(stack, 'Serving', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = new ComponentEndpoint(stack, 'Endpoint', { instanceType: SageMakerInstanceType.ML_M5_LARGE });
  const component = new InferenceComponent(stack, 'Chat', {
    endpoint, model: serving, inferenceComponentName: COMPONENT, computeResources: { minMemory: Size.gibibytes(1), cpuCores: 1 },
  });
  const workflow = (id: string, rollbackOnSmokeTestFailure?: boolean) => {
    const define = new CreateModelStep(stack, `${id}Model`, {
      stateName: 'define model',
      image,
      modelData: JobS3Location.fromJsonPath('$.modelDataUrl', store.artifactsBucket, 'candidates'),
      modelNamePrefix: `${id.toLowerCase()}-model`,
      tags: { [DeployComponentStage.VERSION_TAG]: sfn.JsonPath.stringAt('$.version') },
      resultPath: '$.results.model',
    });
    const smokeTest = new tasks.CallAwsService(stack, `${id}SmokeTest`, {
      stateName: 'smoke test',
      service: 'sagemakerruntime',
      action: 'invokeEndpoint',
      iamAction: 'sagemaker:InvokeEndpoint',
      iamResources: [endpoint.endpointArn, component.inferenceComponentArn],
      parameters: { EndpointName: endpoint.endpointName, InferenceComponentName: component.inferenceComponentName, ContentType: 'text/csv', Body: '1,2' },
      resultPath: '$.results.smokeTest',
    });
    const deploy = new DeployComponentStage(stack, `${id}Deploy`, {
      component,
      modelStep: define,
      modelName: sfn.JsonPath.stringAt('$.results.model.ModelName'),
      version: sfn.JsonPath.stringAt('$.version'),
      smokeTest,
      rollbackOnSmokeTestFailure,
      pollInterval: Duration.seconds(10),
      maxPolls: 3,
    });
    new SageMakerWorkflow(stack, id, { definition: deploy, outputs: { modelName: deploy.servedModelName, outcome: deploy.outcome } });
  };
  workflow('Smoke');
  workflow('Keep', false);
  return app;
}

describe('local run of DeployComponentStage with modelStep, version and a smoke test', () => {
  let assemblyDir: string;
  let candidate: string;
  const runtimes: LocalRuntime[] = [];
  const runtime = (workflow: string, faults?: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, `LocalComponentSmoke/${workflow}/StateMachine`, { faults });
    runtimes.push(r);
    const { bucket, key } = parseS3Uri(candidate);
    r.s3.putFile(bucket, key, SAMPLE_MODEL);
    return r;
  };
  const input = (version: string) => ({ modelDataUrl: candidate, version });
  const invokeFails = () => new LocalFaults().apiError('sagemakerruntime:InvokeEndpoint', 'ModelError');

  beforeAll(() => {
    assemblyDir = smokeApp().synth().directory;
    const probe = LocalRuntime.fromAssembly(assemblyDir, 'LocalComponentSmoke/Smoke/StateMachine');
    const resolver = probe.assembly.resolver('LocalComponentSmoke');
    const artifacts = Object.keys(resolver.resources).find(id => id.startsWith('DataStoreArtifactsBucket'))!;
    candidate = `s3://${resolver.resolve({ Ref: artifacts })}/candidates/training-1/output/model.tar.gz`;
    probe.dispose();
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('a passing smoke test ends Deployed; the same version again defines nothing and ends AlreadyInService', async () => {
    const rt = runtime('Smoke');
    const first = await rt.run(input('v1'));
    expect(first.status).toBe('SUCCEEDED');
    expect(first.output.outcome).toBe('Deployed');
    expect(first.states.slice(-3)).toEqual(['smoke test', 'SmokeDeploy deployed', 'Output']);
    expect(rt.sagemaker.models.get(first.output.modelName).Tags).toEqual([{ Key: 'cdk-sagemaker-ml:version', Value: 'v1' }]);
    const models = rt.sagemaker.models.size;

    const again = await rt.run(input('v1'));
    expect(again.status).toBe('SUCCEEDED');
    expect(again.output).toEqual({ modelName: first.output.modelName, outcome: 'AlreadyInService' });
    expect(again.states).not.toContain('define model');
    expect(again.states).not.toContain('SmokeDeploy update component');
    expect(rt.sagemaker.models.size).toBe(models);

    const next = await rt.run(input('v2'));
    expect(next.output.outcome).toBe('Deployed');
    expect(rt.sagemaker.models.size).toBe(models + 1);
  });

  test('a failing smoke test rolls the component back to the previous model, deletes the new one and is notified', async () => {
    const rt = runtime('Smoke', invokeFails());
    const previous = rt.sagemaker.components.components.get(COMPONENT)!.specification.ModelName;
    const models = rt.sagemaker.models.size;
    const result = await rt.run(input('v1'));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentSmokeTestFailed');
    expect(result.cause).toMatch(new RegExp(`rolled back to model ${previous}: .*ModelError`));
    expect(result.states).toEqual(expect.arrayContaining(['SmokeDeploy roll back', 'SmokeDeploy rollback start polling', 'SmokeDeploy rollback done?']));
    expect(result.states.slice(-4)).toEqual(['SmokeDeploy smoke test failed, rolled back', 'SmokeDeploy model defined?', 'SmokeDeploy delete model', 'SmokeDeploy failed']);
    expect(rt.sagemaker.components.components.get(COMPONENT)).toMatchObject({ status: 'InService', specification: { ModelName: previous } });
    expect(rt.sagemaker.models.size).toBe(models);
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED', error: 'ComponentSmokeTestFailed' });
  });

  test('a rollback that SageMaker rolls back itself fails ComponentRollbackFailed and keeps the new model', async () => {
    const rt = runtime('Smoke', invokeFails());
    const models = rt.sagemaker.models.size;
    // The deployment goes through; the rollback's own update ends on the model it left.
    const components = rt.sagemaker.components;
    const update = components.call.bind(components);
    let updates = 0;
    components.call = (api, request, integration) => {
      if (api === 'UpdateInferenceComponent' && ++updates === 2) {
        const result = update(api, request, integration);
        components.components.get(COMPONENT)!.outcome = EndpointUpdateOutcome.ROLLBACK;
        return result;
      }
      return update(api, request, integration);
    };
    const result = await rt.run(input('v1'));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentRollbackFailed');
    expect(result.cause).toMatch(/rolled back itself: the component serves smoke-model-/);
    expect(result.states).not.toContain('SmokeDeploy delete model');
    expect(rt.sagemaker.models.size).toBe(models + 1);
  });

  test('with rollbackOnSmokeTestFailure false a failing smoke test keeps the new model in service', async () => {
    const rt = runtime('Keep', invokeFails());
    const models = rt.sagemaker.models.size;
    const result = await rt.run(input('v1'));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentSmokeTestFailed');
    expect(result.cause).toContain('stays on the new model');
    expect(result.states).not.toContain('KeepDeploy roll back');
    expect(rt.sagemaker.models.size).toBe(models + 1);
    expect(rt.sagemaker.components.components.get(COMPONENT)!.specification.ModelName).toMatch(/^keep-model-/);
  });
});

describe('DeployComponentStage validation', () => {
  test('modelStep without version, and a version SageMaker cannot tag, are refused naming the prop', () => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    const endpoint = new ComponentEndpoint(stack, 'E', { instanceType: SageMakerInstanceType.ML_M5_LARGE });
    const component = new InferenceComponent(stack, 'C', {
      endpoint, model: SageMakerModel.fromModelName(stack, 'M', 'm'), computeResources: { minMemory: Size.gibibytes(1) },
    });
    const step = (id: string) => new CreateModelStep(stack, id, {
      image: SageMakerImage.fromAsset(TINY_IMAGE), modelData: JobS3Location.inBucket(store.artifactsBucket, 'models'), resultPath: '$.results.model',
    });
    const modelName = sfn.JsonPath.stringAt('$.results.model.ModelName');
    expect(() => new DeployComponentStage(stack, 'd1', { component, modelStep: step('s1'), modelName })).toThrow(/version is required with modelStep/);
    expect(() => new DeployComponentStage(stack, 'd2', { component, modelStep: step('s2'), modelName, version: 'v#1' })).toThrow(/version must be a value read at run time .* got 'v#1'/);
    expect(() => new DeployComponentStage(stack, 'd3', { component, modelStep: step('s3'), modelName, version: 'v1' })).not.toThrow();
    expect(() => new DeployComponentStage(stack, 'd4', { component, modelName: 'm', rollbackOnSmokeTestFailure: false })).toThrow(/rollbackOnSmokeTestFailure needs smokeTest/);
  });

  test('a component imported without its reservation is refused at synth, naming the prop', () => {
    const stack = testStack();
    const endpoint = ComponentEndpoint.fromComponentEndpointAttributes(stack, 'E', { endpointName: 'shared', instanceType: SageMakerInstanceType.ML_G5_XLARGE });
    const component = InferenceComponent.fromInferenceComponentAttributes(stack, 'C', { inferenceComponentName: 'chat', endpoint });
    expect(() => new DeployComponentStage(stack, 'deploy', { component, modelName: 'm' })).toThrow(/component.computeResources is required/);
  });

  test('maxPolls that cannot cover the deployment timeout is refused', () => {
    const stack = testStack();
    const endpoint = new ComponentEndpoint(stack, 'E', { instanceType: SageMakerInstanceType.ML_M5_LARGE });
    const component = new InferenceComponent(stack, 'C', {
      endpoint,
      model: SageMakerModel.fromModelName(stack, 'M', 'm'),
      computeResources: { minMemory: Size.gibibytes(1) },
      deployment: { maximumExecutionTimeout: Duration.hours(1) },
    });
    expect(() => new DeployComponentStage(stack, 'deploy', { component, modelName: 'm', maxPolls: 2 })).toThrow(/maxPolls x pollInterval \(2 x 60s\) must cover/);
    expect(() => new DeployComponentStage(stack, 'deploy2', { component, modelName: 'm', pollInterval: Duration.seconds(1) })).toThrow(/pollInterval must be a whole number of seconds between 10/);
  });
});
