import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SageMakerInstanceType } from '../../lib/compute/sagemaker-instance-type';
import { ComponentEndpoint } from '../../lib/hosting/component-endpoint';
import { InferenceComponent } from '../../lib/hosting/inference-component';
import { ModelData } from '../../lib/hosting/model-data';
import { SageMakerModel } from '../../lib/hosting/sagemaker-model';
import { SageMakerImage } from '../../lib/images/sagemaker-image';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { DeployOnApproval } from '../../lib/triggers/deploy-on-approval';
import { ApprovedComponentDeployment } from '../../lib/workflows/approved-component-deployment';
import { Integration } from '../../local/src/api';
import { EndpointUpdateOutcome, LocalFaults } from '../../local/src/faults';
import { LocalRuntime } from '../../local/src/runtime';
import { ENV, testApp, testStack } from '../util';
import { TINY_IMAGE, failureNotification } from './workflows';

/**
 * Approval-driven deployment to an inference component, run locally: a version of the group is
 * approved, DeployOnApproval starts ApprovedComponentDeployment, which defines a model from the
 * version and rolls it through the component's copies.
 */
jest.setTimeout(60_000);

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');
const COMPONENT = 'local-approved-ic';

function approvalApp() {
  const app = testApp();
  const stack = new Stack(app, 'LocalComponentApproval', { env: ENV });
  const image = SageMakerImage.fromAsset(TINY_IMAGE);
  const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'local-ic' });
  const serving = new SageMakerModel(stack, 'Serving', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = new ComponentEndpoint(stack, 'Endpoint', { instanceType: SageMakerInstanceType.ML_M5_LARGE });
  const component = new InferenceComponent(stack, 'Component', {
    endpoint, model: serving, inferenceComponentName: COMPONENT, computeResources: { minMemory: Size.gibibytes(1), cpuCores: 1 },
  });
  const deployment = new ApprovedComponentDeployment(stack, 'Deployment', {
    modelPackageGroup: group, component, pollInterval: Duration.seconds(10), maxPolls: 4, samplePayload: '1.0,2.0', sampleContentType: 'text/csv',
  });
  new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: group, deployWorkflow: deployment.stateMachine });
  return app;
}

describe('local run of approval-driven deployment to an inference component', () => {
  let assemblyDir: string;
  const runtimes: LocalRuntime[] = [];
  beforeAll(() => {
    assemblyDir = approvalApp().synth().directory;
  });
  afterAll(() => runtimes.forEach(r => r.dispose()));

  const setup = (faults?: LocalFaults) => {
    const rt = LocalRuntime.fromAssembly(assemblyDir, 'LocalComponentApproval/Deployment/Workflow/StateMachine', { faults });
    runtimes.push(rt);
    const resolver = rt.assembly.resolver('LocalComponentApproval');
    const model = Object.values<any>(resolver.resources).find(r => r.Type === 'AWS::SageMaker::Model');
    const { Image: image, ModelDataUrl: data } = resolver.resolve(model.Properties.PrimaryContainer);
    const register = async () => {
      const { ModelPackageArn } = await rt.sagemaker.call('CreateModelPackage', {
        ModelPackageGroupName: 'local-ic',
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: { Containers: [{ Image: image, ModelDataUrl: data }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
      }, Integration.AWS_SDK, false);
      return ModelPackageArn as string;
    };
    const approveArn = async (arn: string) => {
      const started = await rt.approveModelPackage(arn);
      expect(started).toHaveLength(1);
      return started[0].result;
    };
    const approve = async () => {
      const arn = await register();
      return { arn, result: await approveArn(arn) };
    };
    return { rt, approve, approveArn };
  };

  test('an approved version is defined as a model and served by the component', async () => {
    const { rt, approve } = setup();
    const { arn, result } = await approve();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ modelPackageArn: arn, inferenceComponentName: COMPONENT, outcome: 'Deployed' });
    expect(result.states.slice(0, 6)).toEqual([
      'Deploy start', 'Deploy find component', 'Deploy component status?', 'Deploy served model defined by the step?', 'define model from package', 'Deploy update component',
    ]);
    expect(result.states.slice(-3)).toEqual(['smoke test', 'Deploy deployed', 'Output']);
    expect(rt.sagemaker.components.components.get(COMPONENT)).toMatchObject({ status: 'InService', specification: { ModelName: result.output.modelName } });
    expect(rt.sagemaker.models.get(result.output.modelName)).toMatchObject({
      Containers: [{ ModelPackageName: arn }], Tags: [{ Key: 'cdk-sagemaker-ml:version', Value: arn }],
    });
  });

  test('a second approval event of the version in service defines nothing and ends AlreadyInService', async () => {
    const { rt, approve, approveArn } = setup();
    const { arn, result: first } = await approve();
    expect(first.output.outcome).toBe('Deployed');
    const models = rt.sagemaker.models.size;
    const before = { ...rt.sagemaker.components.components.get(COMPONENT)! };

    const again = await approveArn(arn);
    expect(again.status).toBe('SUCCEEDED');
    expect(again.output).toMatchObject({ modelPackageArn: arn, modelName: first.output.modelName, outcome: 'AlreadyInService' });
    expect(again.states).toEqual([
      'Deploy start', 'Deploy find component', 'Deploy component status?', 'Deploy served model defined by the step?',
      'Deploy read served model version', 'Deploy compare version', 'Deploy version in service?', 'Deploy already in service', 'Output',
    ]);
    expect(again.states).not.toContain('define model from package');
    expect(rt.sagemaker.models.size).toBe(models);
    expect(rt.sagemaker.components.components.get(COMPONENT)).toMatchObject({
      modified: before.modified, specification: { ModelName: first.output.modelName },
    });
  });

  test('another version after a deployed one is deployed (the version tag tells them apart)', async () => {
    const { approve } = setup();
    const { result: first } = await approve();
    const { arn, result: second } = await approve();
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output).toMatchObject({ modelPackageArn: arn, outcome: 'Deployed' });
    expect(second.states).toContain('Deploy version in service?');
    expect(second.output.modelName).not.toBe(first.output.modelName);
  });

  test('a failing smoke test rolls the component back to its previous model, deletes the new model and is notified', async () => {
    const { rt, approve } = setup(new LocalFaults().apiError('sagemakerruntime:InvokeEndpoint', 'ModelError'));
    const previous = rt.sagemaker.components.components.get(COMPONENT)!.specification.ModelName;
    const models = rt.sagemaker.models.size;
    const { result } = await approve();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentSmokeTestFailed');
    expect(result.cause).toContain(`rolled back to model ${previous}`);
    expect(result.states.filter(s => s === 'smoke test')).toHaveLength(1);
    expect(result.states).toContain('Deploy roll back');
    expect(result.states.slice(-4)).toEqual(['Deploy smoke test failed, rolled back', 'Deploy model defined?', 'Deploy delete model', 'Deploy failed']);
    const component = rt.sagemaker.components.components.get(COMPONENT)!;
    expect(component).toMatchObject({ status: 'InService', specification: { ModelName: previous } });
    // The rollback keeps the rolling policy but not the alarms, which may still fire from the new model.
    expect(component.lastDeploymentConfig.RollingUpdatePolicy).toBeDefined();
    expect(component.lastDeploymentConfig.AutoRollbackConfiguration).toBeUndefined();
    expect(rt.sagemaker.models.size).toBe(models);
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED', error: 'ComponentSmokeTestFailed' });
  });

  test('a version whose update rolls back is notified, and its model deleted', async () => {
    const { rt, approve } = setup(new LocalFaults().endpointUpdate(EndpointUpdateOutcome.ROLLBACK));
    const models = rt.sagemaker.models.size;
    const { result } = await approve();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComponentDeploymentRolledBack');
    expect(result.states.slice(-3)).toEqual(['Deploy model defined?', 'Deploy delete model', 'Deploy failed']);
    expect(rt.sagemaker.models.size).toBe(models);
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED', error: 'ComponentDeploymentRolledBack' });
  });
});

describe('ApprovedComponentDeployment validation', () => {
  const build = (props: { samplePayload?: string; sampleContentType?: string; rollbackOnSmokeTestFailure?: boolean }) => {
    const stack = testStack();
    const endpoint = new ComponentEndpoint(stack, 'Endpoint', { instanceType: SageMakerInstanceType.ML_M5_LARGE });
    const component = new InferenceComponent(stack, 'Component', {
      endpoint, model: SageMakerModel.fromModelName(stack, 'M', 'm'), computeResources: { minMemory: Size.gibibytes(1) },
    });
    new ApprovedComponentDeployment(stack, 'Deployment', { modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(stack, 'G', 'churn'), component, ...props });
    return stack;
  };

  test('smoke-test props are refused without samplePayload, and a payload or content type out of range, naming the prop', () => {
    expect(() => build({ sampleContentType: 'text/csv' })).toThrow(/sampleContentType needs samplePayload/);
    expect(() => build({ rollbackOnSmokeTestFailure: false })).toThrow(/rollbackOnSmokeTestFailure needs samplePayload/);
    expect(() => build({ samplePayload: '' })).toThrow(/samplePayload/);
    expect(() => build({ samplePayload: '1', sampleContentType: 'x'.repeat(1025) })).toThrow(/sampleContentType/);
  });

  test('the smoke test may invoke the component and its endpoint only', () => {
    const stack = build({ samplePayload: '1,2' });
    const t = Template.fromStack(stack);
    const policies = { ...t.findResources('AWS::IAM::Policy'), ...t.findResources('AWS::IAM::ManagedPolicy') };
    const statements = Object.values<any>(policies).flatMap(p => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().includes('sagemaker:InvokeEndpoint'));
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0].Resource)).toMatch(/inference-component\/.*endpoint\/|endpoint\/.*inference-component\//);
    expect(statements[0].Resource).toHaveLength(2);
  });
});
