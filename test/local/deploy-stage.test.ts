import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  CreateModelStage, DeployStage, JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerModel, SageMakerWorkflow,
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
  find: ['model', 'deploy find endpoint'],
  missing: ['deploy endpoint not found?', 'deploy endpoint missing'],
  create: ['deploy define endpoint configuration', 'deploy endpoint exists?', 'deploy create endpoint', 'deploy start polling'],
  update: ['deploy define endpoint configuration', 'deploy endpoint exists?', 'deploy update endpoint', 'deploy start polling'],
  poll: ['deploy wait', 'deploy describe endpoint', 'deploy deployed?'],
  more: ['deploy count polls', 'deploy checks left?'],
  firstDone: ['deploy previous configuration is a run-time one?', 'deploy deployed', 'Output'],
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
    variants: [{ model: serving, instanceType: 'ml.c5.xlarge', initialInstanceCount: 2 }],
    dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture'), samplingPercentage: 25 },
  });
  const model = new CreateModelStage(stack, 'model', { image, modelData: JobS3Location.fromJsonPath('$.modelDataUrl', store.artifactsBucket, 'candidates') });
  const deploy = new DeployStage(stack, 'deploy', { endpoint, modelName: model.modelName, modelRole: model.step.role, pollInterval: Duration.seconds(10), maxPolls: 4 });
  new SageMakerWorkflow(stack, 'Workflow', {
    definition: model.next(deploy),
    outputs: { modelName: model.modelName, endpointConfigName: deploy.endpointConfigName },
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
      ...STATES.poll, ...STATES.more, ...STATES.poll, ...STATES.firstDone]);
    expect(first.output.endpointConfigName).toMatch(new RegExp(`^${PREFIX}-[0-9a-f-]{36}$`));
    expect(config.KmsKeyId).toBeDefined();
    expect(config.KmsKeyId).toEqual(stackConfig.KmsKeyId);
    expect(config.DataCaptureConfig).toEqual(stackConfig.DataCaptureConfig);
    expect(config.DataCaptureConfig).toMatchObject({ InitialSamplingPercentage: 25, DestinationS3Uri: expect.stringMatching(/\/capture\/?$/) });
    expect(config.ProductionVariants).toEqual([expect.objectContaining({ ModelName: first.output.modelName, InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2 })]);
    expect(config.Tags).toEqual(expect.arrayContaining([
      { Key: 'cdk-sagemaker-ml:execution', Value: first.executionArn },
      { Key: DeployStage.REPLACES_TAG, Value: 'none' },
    ]));
    expect(first.notifications).toEqual([]);
  });

  test('later runs update the endpoint; the configuration two runs back is deleted, the previous kept for a rollback', () => {
    const { rt, runs: [first, second, third] } = shared;
    for (const run of [second, third]) {
      expect(run.status).toBe('SUCCEEDED');
      expect(run.states.slice(0, 2 + STATES.update.length)).toEqual([...STATES.find, ...STATES.update]);
    }
    expect(rt.sagemaker.endpointConfigs.get(second.output.endpointConfigName)!.Tags)
      .toContainEqual({ Key: DeployStage.REPLACES_TAG, Value: first.output.endpointConfigName });
    expect(third.states).toContain('deploy delete replaced configuration');
    expect([...rt.sagemaker.endpointConfigs.keys()].sort()).toEqual([second.output.endpointConfigName, third.output.endpointConfigName].sort());
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName: third.output.endpointConfigName });
  });

  test('a throttled find of an existing endpoint is retried, and the endpoint updated', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    await rt.run(input());
    faults.apiError('DescribeEndpoint', 'ThrottlingException', 1);
    const result = await rt.run(input());
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retries).toEqual([{ state: 'deploy find endpoint', error: 'SageMaker.SageMakerException' }]);
    expect(result.states.slice(0, 2 + STATES.update.length)).toEqual([...STATES.find, ...STATES.update]);
  });

  test('an update that rolls back fails as a rollback, deletes its unused configuration and is notified', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    const first = await rt.run(input());
    faults.endpointUpdate(EndpointUpdateOutcome.ROLLBACK);
    const second = await rt.run(input());
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('EndpointDeploymentRolledBack');
    expect(second.states.slice(-2)).toEqual(['deploy rolled back', 'deploy failed']);
    expect(second.states).toContain('deploy delete unused configuration');
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([first.output.endpointConfigName]);
    expect(failureNotification(second)).toMatchObject({ status: 'FAILED', error: 'EndpointDeploymentRolledBack', cause: expect.stringContaining(`in service with configuration ${first.output.endpointConfigName}`) });
  });
});
