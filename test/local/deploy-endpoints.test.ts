import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  AsyncEndpoint, CreateModelStage, DeployStage, IDeployableEndpoint, JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage,
  SageMakerInstanceType, SageMakerModel, SageMakerWorkflow,
} from '../../lib';
import { EndpointUpdateOutcome, LocalFaults } from '../../local/src/faults';
import { LocalRuntime } from '../../local/src/runtime';
import { parseS3Uri } from '../../local/src/s3';
import { ENV, nagFindings, testApp } from '../util';
import { TINY_IMAGE, failureNotification } from './workflows';

/**
 * Deployment through the IDeployableEndpoint seam, run locally: to a real-time endpoint
 * defined elsewhere (imported with the variants, key and capture it has), and to an
 * asynchronous endpoint. The run-time configuration carries the endpoint's settings.
 */
jest.setTimeout(60_000);

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');

type Kind = 'imported' | 'async';

function deployApp(kind: Kind) {
  const app = testApp();
  const stack = new Stack(app, 'LocalDeploy', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  let endpoint: IDeployableEndpoint;
  if (kind === 'imported') {
    endpoint = RealtimeEndpoint.fromEndpointAttributes(stack, 'Endpoint', {
      endpointName: 'team-forecast',
      variants: [{ variantName: 'Main', instanceType: SageMakerInstanceType.ML_C5_XLARGE, initialInstanceCount: 2 }],
      encryptionKey: kms.Key.fromKeyArn(stack, 'TeamKey', 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555'),
      dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture'), samplingPercentage: 10 },
      endpointConfigName: 'team-forecast-v1',
    });
  } else {
    const serving = new SageMakerModel(stack, 'Serving', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
    endpoint = new AsyncEndpoint(stack, 'Endpoint', {
      endpointName: 'local-async',
      runtimeConfigNamePrefix: 'local-async-rt',
      model: serving,
      instanceType: SageMakerInstanceType.ML_C5_XLARGE,
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'async/out'),
      failureLocation: JobS3Location.inBucket(store.artifactsBucket, 'async/failed'),
      maxConcurrentInvocationsPerInstance: 4,
    });
  }
  const model = new CreateModelStage(stack, 'model', { image, modelData: JobS3Location.fromJsonPath('$.modelDataUrl', store.artifactsBucket, 'candidates') });
  const deploy = new DeployStage(stack, 'deploy', { endpoint, modelName: model.modelName, modelRole: model.model.role, pollInterval: Duration.seconds(10), maxPolls: 4 });
  new SageMakerWorkflow(stack, 'Workflow', {
    definition: model.next(deploy),
    outputs: { modelName: model.modelName, endpointConfigName: deploy.endpointConfigName, outcome: deploy.outcome },
  });
  return { app, stack, endpoint };
}

describe.each<Kind>(['imported', 'async'])('local run of DeployStage to an %s endpoint', kind => {
  let assemblyDir: string;
  let candidate: string;
  let stackResources: { [id: string]: any };
  let resolve: (x: any) => any;
  const runtimes: LocalRuntime[] = [];
  const runtime = (faults?: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, 'LocalDeploy/Workflow/StateMachine', { faults });
    runtimes.push(r);
    const { bucket, key } = parseS3Uri(candidate);
    r.s3.putFile(bucket, key, SAMPLE_MODEL);
    return r;
  };

  beforeAll(() => {
    const { app, stack } = deployApp(kind);
    expect(nagFindings(stack)).toEqual([]);
    assemblyDir = app.synth().directory;
    const probe = LocalRuntime.fromAssembly(assemblyDir, 'LocalDeploy/Workflow/StateMachine');
    const resolver = probe.assembly.resolver('LocalDeploy');
    stackResources = resolver.resources;
    resolve = x => resolver.resolve(x);
    const artifacts = Object.keys(stackResources).find(id => id.startsWith('DataStoreArtifactsBucket'))!;
    candidate = `s3://${resolve({ Ref: artifacts })}/candidates/training-1/output/model.tar.gz`;
    probe.dispose();
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('a first run creates the endpoint with the endpoint\'s settings, a second updates it', async () => {
    const rt = runtime();
    const first = await rt.run({ modelDataUrl: candidate });
    expect(first.status).toBe('SUCCEEDED');
    expect(first.states).toContain('deploy create endpoint');
    const config = rt.sagemaker.endpointConfigs.get(first.output.endpointConfigName)!;
    if (kind === 'imported') {
      expect(first.output.endpointConfigName).toMatch(/^team-forecast-[0-9a-f]{8}-[0-9a-f-]{36}$/);
      expect(config.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'Main', ModelName: first.output.modelName, InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2 })]);
      expect(config.KmsKeyId).toBe('arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555');
      expect(config.DataCaptureConfig).toMatchObject({ EnableCapture: true, InitialSamplingPercentage: 10, DestinationS3Uri: expect.stringMatching(/\/capture\/?$/) });
    } else {
      // The asynchronous inference config of CloudFormation's configuration, for the new model.
      const [, cfn] = Object.entries<any>(stackResources).find(([, r]) => r.Type === 'AWS::SageMaker::EndpointConfig')!;
      const stackConfig = resolve(cfn.Properties);
      expect(first.output.endpointConfigName).toMatch(/^local-async-rt-[0-9a-f-]{36}$/);
      expect(config.AsyncInferenceConfig).toEqual(stackConfig.AsyncInferenceConfig);
      expect(config.AsyncInferenceConfig).toMatchObject({
        ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
        OutputConfig: { S3OutputPath: expect.stringMatching(/\/async\/out\/?$/), S3FailurePath: expect.stringMatching(/\/async\/failed\/?$/) },
      });
      expect(config.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'AllTraffic', ModelName: first.output.modelName, InstanceType: 'ml.c5.xlarge' })]);
    }
    const second = await rt.run({ modelDataUrl: candidate });
    expect(second.status).toBe('SUCCEEDED');
    expect(second.states).toContain('deploy update endpoint');
    expect(rt.sagemaker.endpoints.get(kind === 'imported' ? 'team-forecast' : 'local-async')).toMatchObject({ status: 'InService', configName: second.output.endpointConfigName });
  });

  test('an update that rolls back fails as a rollback and deletes its unused configuration', async () => {
    const faults = new LocalFaults();
    const rt = runtime(faults);
    const first = await rt.run({ modelDataUrl: candidate });
    faults.endpointUpdate(EndpointUpdateOutcome.ROLLBACK);
    const second = await rt.run({ modelDataUrl: candidate });
    expect(second.status).toBe('FAILED');
    expect(failureNotification(second)).toMatchObject({ error: 'EndpointDeploymentRolledBack' });
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([first.output.endpointConfigName]);
  });
});
