import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  CreateModelStage, DeployStage, JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel,
  SageMakerWorkflow,
} from '../../lib';
import { EndpointUpdateOutcome, LocalFaults } from '../../local/src/faults';
import { LocalRunResult, LocalRuntime } from '../../local/src/runtime';
import { parseS3Uri } from '../../local/src/s3';
import { ENV, testApp } from '../util';
import { TINY_IMAGE, failureNotification } from './workflows';

/**
 * The promotion path going forward: a SageMakerWorkflow of CreateModelStage + DeployStage
 * through a RealtimeEndpoint (with its own key and data capture), run locally. The run-time
 * configuration must carry the endpoint's settings, not a bare copy.
 */
jest.setTimeout(60_000);

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');
const ENDPOINT = 'local-deploy';
const PREFIX = 'local-rt';

const STATES = {
  find: ['model', 'deploy start', 'deploy find endpoint'],
  /** DescribeEndpoint's ValidationException, not retried: its cause says the endpoint does not exist. */
  missing: ['deploy find endpoint: transient?', 'deploy endpoint not found?', 'deploy endpoint missing', 'deploy endpoint status?'],
  inService: ['deploy endpoint status?', 'deploy previous configuration is a run-time one?', 'deploy read previous configuration', 'deploy compare version', 'deploy version in service?'],
  create: ['deploy define endpoint configuration', 'deploy endpoint exists?', 'deploy create endpoint', 'deploy start polling'],
  update: ['deploy define endpoint configuration', 'deploy endpoint exists?', 'deploy update endpoint', 'deploy start polling'],
  poll: ['deploy wait', 'deploy describe endpoint', 'deploy deployed?'],
  more: ['deploy count polls', 'deploy checks left?'],
  done: ['deploy older configuration?', 'deploy deployed', 'Output'],
};

function deployApp() {
  const app = testApp();
  const stack = new Stack(app, 'LocalDeploy', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  const key = new kms.Key(stack, 'EndpointKey', { enableKeyRotation: true });
  const serving = new SageMakerModel(stack, 'Serving', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
    endpointName: ENDPOINT,
    runtimeConfigNamePrefix: PREFIX,
    encryptionKey: key,
    variants: [{ model: serving, instanceType: SageMakerInstanceType.ML_C5_XLARGE, initialInstanceCount: 2 }],
    dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture'), samplingPercentage: 25 },
  });
  const model = new CreateModelStage(stack, 'model', { image, modelData: JobS3Location.fromJsonPath('$.modelDataUrl', store.artifactsBucket, 'candidates') });
  const deploy = new DeployStage(stack, 'deploy', { endpoint, modelName: model.modelName, modelRole: model.model.role, pollInterval: Duration.seconds(10), maxPolls: 4 });
  new SageMakerWorkflow(stack, 'Workflow', {
    definition: model.next(deploy),
    outputs: { modelName: model.modelName, endpointConfigName: deploy.endpointConfigName, outcome: deploy.outcome },
  });
  return { app, stack };
}

describe('local run of CreateModelStage + DeployStage through a RealtimeEndpoint', () => {
  let assemblyDir: string;
  const runtimes: LocalRuntime[] = [];
  const runtime = (faults?: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, 'LocalDeploy/Workflow/StateMachine', { faults });
    runtimes.push(r);
    // The candidate model's artifacts, in the bucket the model stage may read.
    const { bucket, key } = parseS3Uri(candidate);
    r.s3.putFile(bucket, key, SAMPLE_MODEL);
    return r;
  };
  /** The endpoint configuration CloudFormation defines for the endpoint, resolved. */
  let stackConfig: any;
  /** Where a training stage would have written the candidate; the execution input names it. */
  let candidate: string;
  const input = () => ({ modelDataUrl: candidate });

  // Three runs on one runtime: create, update, update with cleanup.
  let shared: { rt: LocalRuntime; runs: LocalRunResult[]; firstConfig: any };
  beforeAll(async () => {
    const { app } = deployApp();
    assemblyDir = app.synth().directory;
    const probe = LocalRuntime.fromAssembly(assemblyDir, 'LocalDeploy/Workflow/StateMachine');
    const artifacts = Object.entries<any>(probe.assembly.resolver('LocalDeploy').resources).find(([id]) => id.startsWith('DataStoreArtifactsBucket'))!;
    candidate = `s3://${probe.assembly.resolver('LocalDeploy').resolve({ Ref: artifacts[0] })}/candidates/training-1/output/model.tar.gz`;
    probe.dispose();
    const rt = runtime();
    const resolver = rt.assembly.resolver('LocalDeploy');
    const [, config] = Object.entries<any>(resolver.resources).find(([, r]) => r.Type === 'AWS::SageMaker::EndpointConfig')!;
    stackConfig = resolver.resolve(config.Properties);
    const runs = [await rt.run(input())];
    // The third run deletes it (cleanup): keep what the first defined.
    const firstConfig = rt.sagemaker.endpointConfigs.get(runs[0].output?.endpointConfigName);
    runs.push(await rt.run(input()), await rt.run(input()));
    shared = { rt, runs, firstConfig };
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('a first run creates the endpoint with a configuration that carries the endpoint\'s key, data capture and instances', () => {
    const { runs: [first], firstConfig: config } = shared;
    expect(first.status).toBe('SUCCEEDED');
    expect(first.states).toEqual([...STATES.find, ...STATES.missing, ...STATES.create,
      ...STATES.poll, ...STATES.more, ...STATES.poll, ...STATES.done]);
    expect(first.output.endpointConfigName).toMatch(new RegExp(`^${PREFIX}-[0-9a-f-]{36}$`));
    expect(first.output.outcome).toBe('Deployed');
    expect(config.KmsKeyId).toBeDefined();
    expect(config.KmsKeyId).toEqual(stackConfig.KmsKeyId);
    expect(config.DataCaptureConfig).toEqual(stackConfig.DataCaptureConfig);
    expect(config.DataCaptureConfig).toMatchObject({ InitialSamplingPercentage: 25, DestinationS3Uri: expect.stringMatching(/\/capture\/?$/) });
    expect(config.ProductionVariants).toEqual([expect.objectContaining({ ModelName: first.output.modelName, InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2 })]);
    expect(config.Tags).toEqual(expect.arrayContaining([
      { Key: 'cdk-sagemaker-ml:execution', Value: first.executionArn },
      { Key: DeployStage.VERSION_TAG, Value: first.output.modelName },
      { Key: DeployStage.REPLACES_TAG, Value: 'none' },
    ]));
    expect(first.notifications).toEqual([]);
  });

  test('later runs update the endpoint; the configuration two runs back is deleted, the previous kept for a rollback', () => {
    const { rt, runs: [first, second, third] } = shared;
    for (const run of [second, third]) {
      expect(run.status).toBe('SUCCEEDED');
      expect(run.states.slice(0, 8 + STATES.update.length)).toEqual([...STATES.find, ...STATES.inService, ...STATES.update]);
      expect(run.states.slice(-4)).toEqual(run === third
        ? ['deploy older configuration?', 'deploy delete replaced configuration', 'deploy deployed', 'Output']
        : ['deploy deployed?', 'deploy older configuration?', 'deploy deployed', 'Output']);
    }
    expect(rt.sagemaker.endpointConfigs.get(second.output.endpointConfigName)!.Tags)
      .toContainEqual({ Key: DeployStage.REPLACES_TAG, Value: first.output.endpointConfigName });
    expect([...rt.sagemaker.endpointConfigs.keys()].sort()).toEqual([second.output.endpointConfigName, third.output.endpointConfigName].sort());
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName: third.output.endpointConfigName });
  });

  test('a throttled find of an existing endpoint is retried (by its cause), and the endpoint updated', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    await rt.run(input());
    faults.apiError('DescribeEndpoint', 'ThrottlingException', 1);
    const result = await rt.run(input());
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.slice(0, 7)).toEqual([...STATES.find, 'deploy find endpoint: transient?', 'deploy find endpoint: retry 1', 'deploy find endpoint: backoff', 'deploy find endpoint']);
    expect(result.states).toContain('deploy update endpoint');
  });

  test('an update SageMaker refuses (ValidationException) fails at once, and what the execution defined is deleted', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    const first = await rt.run(input());
    const models = rt.sagemaker.models.size;
    faults.apiError('UpdateEndpoint', 'ValidationException', 1, 'One or more of the alarms do not exist');
    const second = await rt.run(input());
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('SageMaker.SageMakerException');
    expect(second.cause).toMatch(/alarms do not exist.*Status Code: 400/);
    // Not retried: one call, then the cleanup.
    expect(second.states.filter(s => s === 'deploy update endpoint')).toHaveLength(1);
    expect(second.states.slice(-4)).toEqual(['deploy update endpoint: transient?', 'deploy configuration defined?', 'deploy delete unused configuration', 'deploy failed']);
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([first.output.endpointConfigName]);
    // The model stage ran before the deploy stage: it is not the stage's to delete.
    expect(rt.sagemaker.models.size).toBe(models + 1);
  });

  test('an update that rolls back fails as a rollback, deletes its unused configuration and is notified', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    const first = await rt.run(input());
    faults.endpointUpdate(EndpointUpdateOutcome.ROLLBACK);
    const second = await rt.run(input());
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('EndpointDeploymentRolledBack');
    expect(second.states.slice(-4)).toEqual(['deploy rolled back', 'deploy configuration defined?', 'deploy delete unused configuration', 'deploy failed']);
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([first.output.endpointConfigName]);
    expect(failureNotification(second)).toMatchObject({ status: 'FAILED', error: 'EndpointDeploymentRolledBack', cause: expect.stringContaining(`in service with configuration ${first.output.endpointConfigName}`) });
  });

  test('a Failed endpoint is deleted, waited for until gone, and created again', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    await rt.run(input());
    Object.assign(rt.sagemaker.endpoints.get(ENDPOINT)!, { status: 'Failed', failureReason: 'health check failed' });
    const result = await rt.run(input());
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.slice(0, 12)).toEqual([...STATES.find, 'deploy endpoint status?', 'deploy delete failed endpoint', 'deploy waits left?', 'deploy count waits',
      'deploy wait for endpoint', 'deploy find endpoint', 'deploy endpoint status?', 'deploy waits left?', 'deploy count waits']);
    expect(result.states).toEqual(expect.arrayContaining(['deploy endpoint missing', 'deploy create endpoint']));
    expect(result.states).not.toContain('deploy update endpoint');
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName: result.output.endpointConfigName });
  });

  test('an Updating endpoint is waited for, then updated', async () => {
    const rt = runtime();
    await rt.run(input());
    Object.assign(rt.sagemaker.endpoints.get(ENDPOINT)!, { status: 'Updating', ticks: 0, outcome: undefined });
    const result = await rt.run(input());
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.slice(0, 9)).toEqual([...STATES.find, 'deploy endpoint status?', 'deploy waits left?', 'deploy count waits', 'deploy wait for endpoint', 'deploy find endpoint', 'deploy endpoint status?']);
    expect(result.states).toContain('deploy update endpoint');
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName: result.output.endpointConfigName });
  });

  test('an endpoint in UpdateRollbackFailed fails at once, naming the status, and nothing is defined', async () => {
    const rt = runtime();
    const first = await rt.run(input());
    Object.assign(rt.sagemaker.endpoints.get(ENDPOINT)!, { status: 'UpdateRollbackFailed' });
    const result = await rt.run(input());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EndpointNotDeployable');
    expect(result.cause).toContain(`endpoint ${ENDPOINT} is UpdateRollbackFailed with configuration ${first.output.endpointConfigName}`);
    expect(result.states.slice(-3)).toEqual(['deploy endpoint status?', 'deploy not deployable', 'deploy failed']);
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([first.output.endpointConfigName]);
  });

  test('an endpoint that stays busy fails after maxPolls checks with EndpointNotReady', async () => {
    const rt = runtime();
    await rt.run(input());
    Object.assign(rt.sagemaker.endpoints.get(ENDPOINT)!, { status: 'Updating', outcome: EndpointUpdateOutcome.STUCK });
    const result = await rt.run(input());
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EndpointNotReady');
    expect(result.states.filter(s => s === 'deploy find endpoint')).toHaveLength(5);
    expect(result.states).not.toContain('deploy define endpoint configuration');
  });
});
