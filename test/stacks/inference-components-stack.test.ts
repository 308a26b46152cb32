import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SageMakerInferenceComponentsStack, SageMakerTrainingStack } from '../../bin/stacks';
import { describeIfCfnLint, startCfnLint, unexpectedAnnotations } from '../composition/cfn-lint';
import { ACCOUNT, TemplateIam } from '../composition/iam-evaluator';
import { definitionOf, ENV, nagFindings, snapshotOf, testApp } from '../util';

// As bin/reference-app.ts wires it: served from the training stack's data store.
const app = testApp();
const training = new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
const stack = new SageMakerInferenceComponentsStack(app, 'SageMakerMlInferenceComponents', { env: ENV, dataStore: training.dataStore });
const t = Template.fromStack(stack);

describe('inference components reference stack', () => {
  test('matches the snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });

  test('policy review: no unacknowledged finding of the four packs', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('synthesizes without warnings', () => {
    expect(unexpectedAnnotations(stack)).toEqual([]);
  });

  test('one endpoint with no model on its variant hosts two components, and may scale to zero instances', () => {
    t.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    t.resourceCountIs('AWS::SageMaker::InferenceComponent', 2);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({
        InstanceType: 'ml.m5.large',
        ModelName: Match.absent(),
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 },
      })],
    });
  });

  test('the Fraud component scales to zero copies and back on NoCapacityInvocationFailures', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 2, ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount' });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 2 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'NoCapacityInvocationFailures', Dimensions: [{ Name: 'InferenceComponentName', Value: stack.fraud.inferenceComponentName }] });
    expect(stack.fraud.scalesToZero).toBe(true);
    expect(stack.claims.scalesToZero).toBe(false);
  });

  test('the deploy workflow updates the Claims component through the AWS SDK integration and polls it', () => {
    const definition = JSON.stringify(definitionOf(stack, stack.getLogicalId(stack.deployWorkflow.stateMachine.node.defaultChild as any)));
    expect(definition).toContain('aws-sdk:sagemaker:updateInferenceComponent');
    expect(definition).toContain('aws-sdk:sagemaker:describeInferenceComponent');
    expect(definition).toContain(stack.claims.inferenceComponentName);
    expect(definition).not.toContain(stack.fraud.inferenceComponentName);
  });

  test('the approval workflow tags its models with the version, checks it before defining one, and smoke-tests the component', () => {
    const definition = definitionOf(stack, stack.getLogicalId(stack.approvedDeployment.stateMachine.node.defaultChild as any));
    const text = JSON.stringify(definition);
    expect(text).toContain('aws-sdk:sagemaker:listTags');
    expect(text).toContain('States.ArrayContains($.results.Deploy.served.Versions, $.modelPackageArn)');
    expect(definition.States['define model from package'].Parameters.Tags).toEqual([{ 'Key': 'cdk-sagemaker-ml:version', 'Value.$': '$.modelPackageArn' }]);
    expect(definition.States['smoke test'].Parameters).toMatchObject({ InferenceComponentName: stack.claims.inferenceComponentName, Body: '40,20.5,north' });
    // The rollback after a failed smoke test renders the rolling policy without the alarms.
    expect(definition.States['Deploy roll back'].Parameters.DeploymentConfig.AutoRollbackConfiguration).toBeUndefined();
    expect(definition.States['Deploy update component'].Parameters.DeploymentConfig.AutoRollbackConfiguration.Alarms).toHaveLength(2);
  });

  test('exposes what a user needs to invoke it and deploy to it', () => {
    for (const output of ['EndpointName', 'ClaimsComponentName', 'FraudComponentName', 'DeployWorkflowArn']) t.hasOutput(output, {});
  });
});

/**
 * IAM that suffices for the deploy workflow's calls, evaluated with @cloud-copilot/iam-simulate:
 * UpdateInferenceComponent and DescribeInferenceComponent on the Claims component (Service
 * Authorization Reference: resource type inference-component), DescribeAlarms on its rollback
 * alarms (SageMaker's deployment guardrails read them in the caller's name), and nothing on the
 * Fraud component.
 */
describe('IAM of the deploy workflow', () => {
  const iam = new TemplateIam(t.toJSON() as any, ENV.region);
  const machineRole = iam.role('DeployComponentWorkflowStateMachineRole');
  const arn = (name: string) => `arn:aws:sagemaker:${ENV.region}:${ACCOUNT}:inference-component/${name.toLowerCase()}`;

  const resources: Record<string, () => string> = {
    'the Claims component': () => arn(stack.claims.inferenceComponentName),
    'the Fraud component': () => arn(stack.fraud.inferenceComponentName),
  };
  test.each([
    ['sagemaker:UpdateInferenceComponent', 'the Claims component', 'Allowed'],
    ['sagemaker:DescribeInferenceComponent', 'the Claims component', 'Allowed'],
    ['sagemaker:UpdateInferenceComponent', 'the Fraud component', 'ImplicitlyDenied'],
  ])('%s on %s: %s', async (action, what, expected) => {
    expect(await iam.evaluate(machineRole, action, resources[what]())).toBe(expected);
  });

  const approvalRole = iam.role('ApprovedDeploymentWorkflowStateMachineRole');
  const model = (name: string) => `arn:aws:sagemaker:${ENV.region}:${ACCOUNT}:model/${name}`;
  test.each([
    ['sagemaker:ListTags', model('approved-0b6c1d2e'), 'Allowed'],
    ['sagemaker:AddTags', model('approved-0b6c1d2e'), 'Allowed'],
    ['sagemaker:AddTags', model('other-0b6c1d2e'), 'ImplicitlyDenied'],
    ['sagemaker:DeleteModel', model('other-0b6c1d2e'), 'ImplicitlyDenied'],
    ['sagemaker:UpdateInferenceComponent', 'claims', 'Allowed'],
    ['sagemaker:InvokeEndpoint', 'claims', 'Allowed'],
    ['sagemaker:InvokeEndpoint', 'endpoint', 'Allowed'],
    ['sagemaker:InvokeEndpoint', 'fraud', 'ImplicitlyDenied'],
  ])('approval workflow: %s on %s: %s', async (action, what, expected) => {
    const resource = what === 'claims' ? resources['the Claims component']() : what === 'fraud' ? resources['the Fraud component']()
      : what === 'endpoint' ? `arn:aws:sagemaker:${ENV.region}:${ACCOUNT}:endpoint/${stack.endpoint.endpointName.toLowerCase()}` : what;
    expect(await iam.evaluate(approvalRole, action, resource)).toBe(expected);
  });

  // The evaluator does not resolve alarm ARNs (GetAtt Arn of AWS::CloudWatch::Alarm): the statement itself.
  test('cloudwatch:DescribeAlarms on the rollback alarms of Claims', () => {
    const statements = iam.identityPolicies(machineRole).flatMap(p => p.policy.Statement).filter((st: any) => st.Action === 'cloudwatch:DescribeAlarms');
    expect(statements).toHaveLength(1);
    expect(statements[0].Resource).toHaveLength(2);
    // Resolved by the evaluator from each alarm's GetAtt Arn.
    expect(JSON.stringify(statements[0].Resource)).toMatch(/ClaimsErrors.*ClaimsLatency/);
  });
});

describeIfCfnLint('cfn-lint', () => {
  test('the template has no error or warning', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ic-lint-'));
    const file = path.join(dir, 'components.template.json');
    fs.writeFileSync(file, JSON.stringify(t.toJSON()));
    expect(await startCfnLint({ components: file })).toEqual([]);
  }, 120_000);
});
