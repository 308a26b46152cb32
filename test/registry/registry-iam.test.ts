import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SageMakerRealtimeStack } from '../../bin/stacks/hosting-stacks';
import { SageMakerLifecycleStack } from '../../bin/stacks/lifecycle-stacks';
import { HyperParameterTuningJobStep } from '../../lib/jobs/hyperparameter-tuning-job-step';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { ACCOUNT, TemplateIam } from '../composition/iam-evaluator';
import { ENV, testApp } from '../util';

/**
 * IAM that suffices for the registry and tuning calls the lifecycle workflow makes at run
 * time, evaluated with @cloud-copilot/iam-simulate against the synthesized policies, with
 * the ARNs SageMaker writes:
 *
 * - Step Functions developer guide, "IAM policies for Amazon SageMaker AI"
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html),
 *   CreateHyperParameterTuningJob, Run a Job (.sync): Create/Describe/Stop and
 *   ListTrainingJobsForHyperParameterTuningJob on the tuning job, ListTags, the managed rule
 *   StepFunctionsGetEventsForSageMakerTuningJobsRule.
 * - Service Authorization Reference, SageMaker: CreateModelPackage on the model-package
 *   resource type; a version's ARN carries its group name lowercase
 *   (`model-package/<group>/<version>`, as the SageMaker developer guide's pipeline walkthrough
 *   shows for `AbaloneModelPackageGroupName`).
 */
const stack = new SageMakerLifecycleStack(testApp(), 'Lifecycle', { env: ENV });
const iam = new TemplateIam(Template.fromStack(stack).toJSON() as any, ENV.region);
const machine = iam.role('WorkflowStateMachineRole');
const group = stack.modelPackageGroup.modelPackageGroupName;
const sm = (resource: string) => `arn:aws:sagemaker:${ENV.region}:${ACCOUNT}:${resource}`;
// Per-execution names: '<prefix>-<uuid part>'; SageMaker names the tuning job's training jobs '<tuning job>-<n>-<suffix>'.
const prefix = (stack.node.findAll().find(c => c instanceof HyperParameterTuningJobStep) as HyperParameterTuningJobStep).namePrefix;
const tuningJob = sm(`hyper-parameter-tuning-job/${prefix}-0123456789abcdef0123`);
const rule = `arn:aws:events:${ENV.region}:${ACCOUNT}:rule/StepFunctionsGetEventsForSageMakerTuningJobsRule`;

describe('the lifecycle workflow may make the calls it makes, on the ARNs SageMaker writes', () => {
  test.each([
    ['sagemaker:CreateHyperParameterTuningJob', tuningJob],
    ['sagemaker:DescribeHyperParameterTuningJob', tuningJob],
    ['sagemaker:StopHyperParameterTuningJob', tuningJob],
    ['sagemaker:ListTags', tuningJob],
    ['sagemaker:AddTags', tuningJob],
    ['events:PutRule', rule],
    ['events:PutTargets', rule],
    ['events:DescribeRule', rule],
    ['sagemaker:DescribeTrainingJob', sm(`training-job/${prefix}-0123456789abcdef0123-004-1a2b3c4d`)],
    ['sagemaker:CreateModelPackage', sm(`model-package/${group.toLowerCase()}/1`)],
  ])('%s on %s', async (action, resource) => {
    expect(await iam.evaluate(machine, action, resource)).toBe('Allowed');
  });

  test('and nothing beyond: another group\'s versions, another tuning job, listing its training jobs, the training jobs\' rule', async () => {
    expect(group).toBe(group.toLowerCase());
    expect(await iam.evaluate(machine, 'sagemaker:CreateModelPackage', sm('model-package/other-models/1'))).not.toBe('Allowed');
    expect(await iam.evaluate(machine, 'sagemaker:UpdateModelPackage', sm(`model-package/${group}/1`))).not.toBe('Allowed');
    expect(await iam.evaluate(machine, 'sagemaker:CreateHyperParameterTuningJob', sm('hyper-parameter-tuning-job/other-1'))).not.toBe('Allowed');
    // Not a call the .sync integration is documented to make (issue 23): no longer granted.
    expect(await iam.evaluate(machine, 'sagemaker:ListTrainingJobsForHyperParameterTuningJob', tuningJob)).not.toBe('Allowed');
    expect(await iam.evaluate(machine, 'sagemaker:DescribeTrainingJob', sm('training-job/other-1'))).not.toBe('Allowed');
    expect(await iam.evaluate(machine, 'events:PutRule', `arn:aws:events:${ENV.region}:${ACCOUNT}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule`))
      .not.toBe('Allowed');
  });
});

describe('a group named with capitals: the deploy workflow reads the approved version SageMaker names lowercase', () => {
  const app = testApp();
  const registry = new Stack(app, 'Registry', { env: ENV });
  const models = new ModelPackageGroup(registry, 'Models', { modelPackageGroupName: 'ChurnModel' });
  const realtime = new SageMakerRealtimeStack(app, 'Realtime', { env: ENV, modelPackageGroup: models });
  const hosting = new TemplateIam(Template.fromStack(realtime).toJSON() as any, ENV.region);
  const deploy = hosting.role('DeployApprovedWorkflowStateMachineRole');

  test('DescribeModelPackage on model-package/churnmodel/<n> is allowed, another group\'s is not', async () => {
    expect(await hosting.evaluate(deploy, 'sagemaker:DescribeModelPackage', sm('model-package/churnmodel/3'))).toBe('Allowed');
    expect(await hosting.evaluate(deploy, 'sagemaker:DescribeModelPackage', sm('model-package/churnmodel2/3'))).not.toBe('Allowed');
  });
});
