import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import {
  ApprovedModelDeployment, DeployOnApproval, MlDataStore, ModelData, ModelPackageGroup, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType,
  SageMakerModel,
} from '../../lib';
import { Integration } from '../../local/src/api';
import { LocalFaults } from '../../local/src/faults';
import { LocalRunResult, LocalRuntime } from '../../local/src/runtime';
import { ENV, testApp } from '../util';
import { TINY_IMAGE, failureNotification } from './workflows';

/**
 * Approval-driven deployment on the stdlib-only image, run locally without Python: a version
 * of the group is approved, SageMaker's state-change event reaches DeployOnApproval's rule,
 * which starts ApprovedModelDeployment. Issue 23: a repeated event redeploys nothing; a
 * failed smoke test rolls the endpoint back (or, turned off, leaves it on the new model).
 */
jest.setTimeout(60_000);

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');
const ENDPOINT = 'local-approved';

function approvalApp(rollbackOnSmokeTestFailure?: boolean) {
  const app = testApp();
  const stack = new Stack(app, 'LocalApproval', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'local-churn' });
  const serving = new SageMakerModel(stack, 'Serving', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { endpointName: ENDPOINT, runtimeConfigNamePrefix: 'approved-rt', variants: [{ model: serving, instanceType: SageMakerInstanceType.ML_C5_LARGE }] });
  const deployment = new ApprovedModelDeployment(stack, 'Deployment', {
    modelPackageGroup: group, endpoint, samplePayload: '40,20.5,north', pollInterval: Duration.seconds(10), maxPolls: 4, rollbackOnSmokeTestFailure,
  });
  new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: group, deployWorkflow: deployment.stateMachine });
  return { app, stack, store };
}

describe('local run of approval-driven deployment (tiny image)', () => {
  const runtimes: LocalRuntime[] = [];
  afterAll(() => runtimes.forEach(r => r.dispose()));

  /** A runtime of the deploy workflow, and a way to register versions of the group. */
  const setup = (rollback?: boolean, faults?: LocalFaults) => {
    const { app } = approvalApp(rollback);
    const rt = LocalRuntime.fromAssembly(app.synth().directory, 'LocalApproval/Deployment/Workflow/StateMachine', { faults });
    runtimes.push(rt);
    const resolver = rt.assembly.resolver('LocalApproval');
    const [artifacts] = Object.keys(resolver.resources).filter(id => id.startsWith('DataStoreArtifactsBucket') && resolver.resources[id].Type === 'AWS::S3::Bucket');
    const bucket = resolver.resolve({ Ref: artifacts });
    const image = resolver.resolve(Object.values<any>(resolver.resources).find(r => r.Type === 'AWS::SageMaker::Model').Properties.PrimaryContainer.Image);
    let n = 0;
    const register = async (): Promise<string> => {
      const key = `models/v${++n}/model.tar.gz`;
      rt.s3.putFile(bucket, key, SAMPLE_MODEL);
      const { ModelPackageArn } = await rt.sagemaker.call('CreateModelPackage', {
        ModelPackageGroupName: 'local-churn',
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: { Containers: [{ Image: image, ModelDataUrl: `s3://${bucket}/${key}` }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
      }, Integration.AWS_SDK, false);
      return ModelPackageArn;
    };
    const approve = async (arn: string): Promise<LocalRunResult> => {
      const started = await rt.approveModelPackage(arn);
      expect(started).toHaveLength(1);
      return started[0].result;
    };
    return { rt, register, approve };
  };

  test('the same approval event delivered twice: the second execution succeeds without defining a model or configuration or updating the endpoint', async () => {
    const { rt, register, approve } = setup();
    const v1 = await register();
    const first = await approve(v1);
    expect(first.status).toBe('SUCCEEDED');
    expect(first.output).toMatchObject({ modelPackageArn: v1, outcome: 'Deployed' });
    expect(first.states).toEqual(expect.arrayContaining(['define model from package', 'Deploy create endpoint', 'smoke test']));
    const models = [...rt.sagemaker.models.keys()];
    const configs = [...rt.sagemaker.endpointConfigs.keys()];

    // A second event for the same version (SageMaker may send one twice, or for a description edit).
    const again = await approve(v1);
    const edited = await rt.sagemaker.call('UpdateModelPackage', { ModelPackageArn: v1, ApprovalDescription: 'reviewed again' }, Integration.AWS_SDK, false);
    expect(edited.ModelPackageArn).toBe(v1);
    const third = rt.triggered[rt.triggered.length - 1];
    expect(third.input.modelPackageArn).toBe(v1);
    for (const run of [again, await third.execution.result]) {
      expect(run.status).toBe('SUCCEEDED');
      expect(run.output).toEqual({ modelPackageArn: v1, endpointName: ENDPOINT, endpointConfigName: first.output.endpointConfigName, outcome: 'AlreadyInService' });
      expect(run.states).toEqual(expect.arrayContaining(['Deploy compare version', 'Deploy version in service?', 'Deploy already in service', 'Deploy nothing to deploy']));
      for (const state of ['define model from package', 'Deploy define endpoint configuration', 'Deploy update endpoint', 'Deploy create endpoint', 'smoke test']) {
        expect(run.states).not.toContain(state);
      }
    }
    expect([...rt.sagemaker.models.keys()]).toEqual(models);
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual(configs);
  });

  test('a newer version is deployed; a failed smoke test rolls the endpoint back to the configuration it served and deletes the new model and configuration', async () => {
    const faults = new LocalFaults();
    const { rt, register, approve } = setup(undefined, faults);
    const first = await approve(await register());
    expect(first.status).toBe('SUCCEEDED');
    const models = [...rt.sagemaker.models.keys()];
    faults.apiError('sagemakerruntime:InvokeEndpoint', 'ModelError', 3);
    const v2 = await register();
    const second = await approve(v2);
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('EndpointSmokeTestFailed');
    expect(second.cause).toContain(`was rolled back to configuration ${first.output.endpointConfigName}`);
    expect(second.states).toEqual(expect.arrayContaining(['Deploy update endpoint', 'smoke test', 'Deploy previous configuration to roll back to?', 'Deploy roll back',
      'Deploy rollback deployed?', 'Deploy smoke test failed, rolled back', 'Deploy delete unused configuration', 'Deploy delete model']));
    expect(second.states[second.states.length - 1]).toBe('Deploy failed');
    // The endpoint serves the first version again; nothing of the second is left.
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName: first.output.endpointConfigName });
    expect([...rt.sagemaker.endpointConfigs.keys()]).toEqual([first.output.endpointConfigName]);
    expect([...rt.sagemaker.models.keys()]).toEqual(models);
    expect(failureNotification(second)).toMatchObject({ status: 'FAILED', error: 'EndpointSmokeTestFailed' });
    // The replaced configuration was never deleted before the smoke test.
    expect(second.states).not.toContain('Deploy delete replaced configuration');
  });

  test('with rollbackOnSmokeTestFailure false a failed smoke test leaves the endpoint on the new model and keeps the previous configuration', async () => {
    const faults = new LocalFaults();
    const { rt, register, approve } = setup(false, faults);
    const first = await approve(await register());
    faults.apiError('sagemakerruntime:InvokeEndpoint', 'ModelError', 3);
    const second = await approve(await register());
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('EndpointSmokeTestFailed');
    expect(second.states.slice(-3)).toEqual(['smoke test', 'Deploy smoke test failed', 'Deploy failed']);
    const endpoint = rt.sagemaker.endpoints.get(ENDPOINT)!;
    expect(endpoint.configName).not.toBe(first.output.endpointConfigName);
    expect(second.cause).toContain(`on configuration ${endpoint.configName} failed, and the endpoint stays on it`);
    expect([...rt.sagemaker.endpointConfigs.keys()].sort()).toEqual([first.output.endpointConfigName, endpoint.configName].sort());
  });
});
