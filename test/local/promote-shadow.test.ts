import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  DeployStage, JobS3Location, MlDataStore, ModelData, PromoteShadowStage, RealtimeEndpoint, RoutingStrategy, SageMakerImage, SageMakerInstanceType,
  SageMakerModel, SageMakerWorkflow,
} from '../../lib';
import { Integration } from '../../local/src/api';
import { EndpointUpdateOutcome, LocalFaults } from '../../local/src/faults';
import { LocalRuntime } from '../../local/src/runtime';
import { ENV, testApp } from '../util';
import { TINY_IMAGE, failureNotification } from './workflows';

/**
 * A PromoteShadowStage run locally against a RealtimeEndpoint with a shadow variant: the
 * endpoint CloudFormation would have created (its configuration with the shadow variant) is
 * set up first, then the stage makes the shadow's model the production variant's.
 */
jest.setTimeout(60_000);

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');
const ENDPOINT = 'local-shadow';
const PREFIX = 'local-shadow';

const STATES = {
  find: ['promote start', 'promote find endpoint', 'promote endpoint status?'],
  read: ['promote read configuration', 'promote shadow variant?', 'promote shadow model'],
  define: ['promote define endpoint configuration', 'promote update endpoint', 'promote start polling'],
  poll: ['promote wait', 'promote describe endpoint', 'promote deployed?'],
  more: ['promote count polls', 'promote checks left?'],
};

function shadowApp() {
  const app = testApp();
  const stack = new Stack(app, 'LocalShadow', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  const production = new SageMakerModel(stack, 'Production', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const candidate = new SageMakerModel(stack, 'Candidate', { image, modelData: ModelData.fromS3Prefix(store.artifactsBucket, 'candidates/v2/') });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
    endpointName: ENDPOINT,
    runtimeConfigNamePrefix: PREFIX,
    variants: [{ model: production, instanceType: SageMakerInstanceType.ML_C5_XLARGE }],
    shadowVariant: {
      model: candidate,
      instanceType: SageMakerInstanceType.ML_C5_2XLARGE,
      initialInstanceCount: 2,
      samplingPercentage: 50,
      routingStrategy: RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
    },
    dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture') },
  });
  const promote = new PromoteShadowStage(stack, 'promote', { endpoint, pollInterval: Duration.seconds(10), maxPolls: 4 });
  // A deployment of a new production model while the shadow test runs.
  const deploy = new DeployStage(stack, 'deploy', { endpoint, modelName: sfn.JsonPath.stringAt('$.modelName'), modelRole: production, pollInterval: Duration.seconds(10), maxPolls: 4 });
  new SageMakerWorkflow(stack, 'Deploy', { definition: deploy, outputs: { endpointConfigName: deploy.endpointConfigName } });
  new SageMakerWorkflow(stack, 'Workflow', {
    definition: promote,
    outputs: { endpointConfigName: promote.endpointConfigName, promotedModelName: promote.promotedModelName },
  });
  return app;
}

describe('local run of PromoteShadowStage', () => {
  let assemblyDir: string;
  const runtimes: LocalRuntime[] = [];
  /** A runtime with the endpoint CloudFormation defines: its configuration (with the shadow variant), InService. */
  const runtime = async (faults?: LocalFaults) => {
    const rt = LocalRuntime.fromAssembly(assemblyDir, 'LocalShadow/Workflow/StateMachine', { faults });
    runtimes.push(rt);
    const resolver = rt.assembly.resolver('LocalShadow');
    const [id, config] = Object.entries<any>(resolver.resources).find(([, r]) => r.Type === 'AWS::SageMaker::EndpointConfig')!;
    const configName = resolver.physicalName(id);
    await rt.sagemaker.call('CreateEndpointConfig', { ...resolver.resolve(config.Properties), EndpointConfigName: configName }, Integration.AWS_SDK, false);
    await rt.sagemaker.call('CreateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: configName }, Integration.AWS_SDK, false);
    Object.assign(rt.sagemaker.endpoints.get(ENDPOINT)!, { status: 'InService' });
    return { rt, stackConfig: rt.sagemaker.endpointConfigs.get(configName), configName };
  };
  beforeAll(() => {
    assemblyDir = shadowApp().synth().directory;
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('the configuration CloudFormation defines copies half the requests to the shadow variant', async () => {
    const { stackConfig } = await runtime();
    expect(stackConfig.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'AllTraffic', InitialVariantWeight: 1 })]);
    expect(stackConfig.ShadowProductionVariants).toEqual([expect.objectContaining({
      VariantName: 'Shadow', InitialVariantWeight: 0.5, InstanceType: 'ml.c5.2xlarge', RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
    })]);
  });

  test('a run promotes the shadow: the production variant serves the shadow\'s model on its fleet, the shadow test ends', async () => {
    const { rt, stackConfig, configName } = await runtime();
    const result = await rt.run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual([...STATES.find, ...STATES.read, 'promote configuration in service is a run-time one?', ...STATES.define,
      ...STATES.poll, ...STATES.more, ...STATES.poll, 'promote older configuration?', 'promote promoted', 'Output']);
    const shadowModel = stackConfig.ShadowProductionVariants[0].ModelName;
    expect(result.output).toEqual({ endpointConfigName: expect.stringMatching(new RegExp(`^${PREFIX}-[0-9a-f-]{36}$`)), promotedModelName: shadowModel });
    const promoted = rt.sagemaker.endpointConfigs.get(result.output.endpointConfigName);
    expect(promoted.ProductionVariants).toEqual([{
      VariantName: 'AllTraffic',
      ModelName: shadowModel,
      InstanceType: 'ml.c5.2xlarge',
      InitialInstanceCount: 2,
      InitialVariantWeight: 1,
      RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
    }]);
    expect(promoted.ShadowProductionVariants).toBeUndefined();
    expect(promoted.DataCaptureConfig).toEqual(stackConfig.DataCaptureConfig);
    expect(promoted.Tags).toEqual(expect.arrayContaining([
      { Key: PromoteShadowStage.PROMOTED_TAG, Value: shadowModel },
      { Key: 'cdk-sagemaker-ml:replaces', Value: configName },
    ]));
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName: result.output.endpointConfigName });
    // CloudFormation's configuration (with the shadow test) is kept for a rollback.
    expect(rt.sagemaker.endpointConfigs.has(configName)).toBe(true);

    // Run again: nothing left to promote.
    const again = await rt.run({});
    expect(again.status).toBe('FAILED');
    expect(again.error).toBe('NoShadowVariant');
    expect(again.cause).toContain(`serves configuration ${result.output.endpointConfigName}, which has no shadow variant`);
    expect(again.states.slice(-3)).toEqual(['promote shadow variant?', 'promote no shadow variant', 'promote failed']);
    expect(failureNotification(again)).toMatchObject({ status: 'FAILED', error: 'NoShadowVariant' });
  });

  test('an update that rolls back fails as a rollback, deletes the configuration it defined and is notified', async () => {
    const faults = new LocalFaults();
    const { rt, configName } = await runtime(faults);
    faults.endpointUpdate(EndpointUpdateOutcome.ROLLBACK);
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EndpointDeploymentRolledBack');
    expect(result.states.slice(-4)).toEqual(['promote rolled back', 'promote configuration defined?', 'promote delete unused configuration', 'promote failed']);
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([configName]);
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName });
    expect(failureNotification(result)).toMatchObject({ error: 'EndpointDeploymentRolledBack', cause: expect.stringContaining(`in service with configuration ${configName}`) });
  });

  test('an update that leaves the endpoint Failed fails with SageMaker\'s reason and deletes its configuration', async () => {
    const faults = new LocalFaults();
    const { rt, configName } = await runtime(faults);
    faults.endpointUpdate(EndpointUpdateOutcome.FAIL);
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EndpointDeploymentFailed');
    expect(result.cause).toMatch(/is Failed after deploying configuration local-shadow-.* \(shadow model .*\): .*ping health check/);
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([configName]);
  });

  test('an update SageMaker refuses fails at once and deletes the configuration it defined', async () => {
    const faults = new LocalFaults();
    const { rt, configName } = await runtime(faults);
    faults.apiError('UpdateEndpoint', 'ValidationException', 1, 'One or more of the alarms do not exist');
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.cause).toMatch(/alarms do not exist/);
    expect(result.states.filter(s => s === 'promote update endpoint')).toHaveLength(1);
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([configName]);
  });

  test('a Failed endpoint is not promoted: EndpointNotDeployable, nothing defined', async () => {
    const { rt, configName } = await runtime();
    Object.assign(rt.sagemaker.endpoints.get(ENDPOINT)!, { status: 'Failed', failureReason: 'health check failed' });
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EndpointNotDeployable');
    expect(result.cause).toContain(`endpoint ${ENDPOINT} is Failed with configuration ${configName}`);
    expect(result.states).toEqual([...STATES.find, 'promote not deployable', 'promote failed']);
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([configName]);
  });

  test('a busy endpoint is waited for, then promoted; one that stays busy fails with EndpointNotReady', async () => {
    const { rt } = await runtime();
    Object.assign(rt.sagemaker.endpoints.get(ENDPOINT)!, { status: 'Updating', ticks: 0, outcome: undefined });
    const waited = await rt.run({});
    expect(waited.status).toBe('SUCCEEDED');
    expect(waited.states.slice(0, 7)).toEqual([...STATES.find, 'promote waits left?', 'promote count waits', 'promote wait for endpoint', 'promote find endpoint']);

    const { rt: stuck } = await runtime();
    Object.assign(stuck.sagemaker.endpoints.get(ENDPOINT)!, { status: 'Updating', outcome: EndpointUpdateOutcome.STUCK });
    const result = await stuck.run({});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EndpointNotReady');
    expect(result.states.filter(s => s === 'promote find endpoint')).toHaveLength(5);
    expect(result.states).not.toContain('promote define endpoint configuration');
  });

  test('a DeployStage deployment of a new production model keeps the shadow test (AWS SDK integration)', async () => {
    const { rt: seeded, stackConfig } = await runtime();
    const rt = LocalRuntime.fromAssembly(assemblyDir, 'LocalShadow/Deploy/StateMachine');
    runtimes.push(rt);
    // The same emulated SageMaker state: the endpoint CloudFormation defined.
    for (const [name, config] of seeded.sagemaker.endpointConfigs) rt.sagemaker.endpointConfigs.set(name, config);
    for (const [name, endpoint] of seeded.sagemaker.endpoints) rt.sagemaker.endpoints.set(name, { ...endpoint });
    const production = stackConfig.ProductionVariants[0].ModelName;
    const result = await rt.run({ modelName: production });
    expect(result.status).toBe('SUCCEEDED');
    const config = rt.sagemaker.endpointConfigs.get(result.output.endpointConfigName);
    expect(config.ShadowProductionVariants).toEqual(stackConfig.ShadowProductionVariants);
    expect(config.DataCaptureConfig).toEqual(stackConfig.DataCaptureConfig);
  });

  test('a missing endpoint fails with EndpointNotFound', async () => {
    const rt = LocalRuntime.fromAssembly(assemblyDir, 'LocalShadow/Workflow/StateMachine');
    runtimes.push(rt);
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EndpointNotFound');
    expect(result.states.slice(-3)).toEqual(['promote endpoint not found?', 'promote endpoint missing', 'promote failed']);
  });
});
