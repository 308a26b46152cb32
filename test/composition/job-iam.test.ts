import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { JobS3Location, ParameterRange, ProcessingStage, SageMakerImage, SageMakerWorkflow, TrainingStage, TuningObjectiveType, TuningStage } from '../../lib';
import { LIST_TAGS_REASON } from '../../lib/jobs/private/list-tags';
import { ENV, nagFindings, testApp } from '../util';
import { ACCOUNT, TemplateIam } from './iam-evaluator';

/**
 * A team's composition of the job tasks: its own key encrypts its own output bucket, its own
 * role runs the jobs, and a training, a processing and a tuning stage write there. The job
 * role may encrypt with the key SageMaker is told to use (OutputDataConfig.KmsKeyId /
 * ProcessingOutputConfig.KmsKeyId: SageMaker's documentation requires kms:Encrypt); the state
 * machine lists tags as Step Functions' templates grant it (on '*', acknowledged on that
 * finding only) and gets no ListTrainingJobsForHyperParameterTuningJob.
 */
function teamComposition() {
  const stack = new Stack(testApp(), 'Team', { env: ENV });
  const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'TeamOutput', {
    encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  });
  const role = new iam.Role(stack, 'TeamJobRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const image = SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'team-image'), '1');
  const training = { image, role, outputLocation: JobS3Location.inBucket(bucket, 'models') };
  const prep = new ProcessingStage(stack, 'Prep', {
    image,
    role,
    processingOutputs: [{ outputName: 'features', destination: JobS3Location.inBucket(bucket, 'features') }],
  });
  const train = new TrainingStage(stack, 'Train', training);
  const tune = new TuningStage(stack, 'Tune', {
    training: { ...training, metricDefinitions: [{ name: 'validation:auc', regex: 'auc=([0-9.]+)' }] },
    objectiveType: TuningObjectiveType.MAXIMIZE,
    objectiveMetricName: 'validation:auc',
    parameterRanges: [ParameterRange.continuous('eta', 0.1, 0.5)],
  });
  new SageMakerWorkflow(stack, 'Workflow', { definition: prep.next(train).next(tune) });
  return stack;
}

describe('job IAM in a team composition', () => {
  const stack = teamComposition();
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, any> };
  const evaluator = new TemplateIam(template, ENV.region);
  const jobRole = evaluator.role('TeamJobRole');
  const teamKey = evaluator.arnOf('AWS::KMS::Key', 'TeamKey');
  const machineRole = evaluator.role('WorkflowStateMachineRole');

  test('the team\'s job role may encrypt with the output key the requests name, and write S3 SSE-KMS objects under it', async () => {
    const definition = evaluator.definitionOf('WorkflowStateMachine');
    expect(definition).toMatch(/OutputDataConfig.*KmsKeyId/);
    expect(definition).toMatch(/ProcessingOutputConfig.*KmsKeyId/);
    for (const action of ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt']) {
      expect({ action, result: await evaluator.evaluate(jobRole, action, teamKey) }).toEqual({ action, result: 'Allowed' });
    }
    // Not more than that: the key's administration stays with the team.
    expect(await evaluator.evaluate(jobRole, 'kms:ScheduleKeyDeletion', teamKey)).not.toBe('Allowed');
  });

  test('the state machine lists tags on any SageMaker resource (as AWS\'s templates grant it), and nothing else there', async () => {
    const someJob = `arn:aws:sagemaker:${ENV.region}:${ACCOUNT}:training-job/another-team-job`;
    expect(await evaluator.evaluate(machineRole, 'sagemaker:ListTags', someJob)).toBe('Allowed');
    expect(await evaluator.evaluate(machineRole, 'sagemaker:DescribeTrainingJob', someJob)).not.toBe('Allowed');
    const tuningJob = `arn:aws:sagemaker:${ENV.region}:${ACCOUNT}:hyper-parameter-tuning-job/anything`;
    expect(await evaluator.evaluate(machineRole, 'sagemaker:ListTrainingJobsForHyperParameterTuningJob', tuningJob)).not.toBe('Allowed');
  });

  test('no unacknowledged cdk-nag finding; the ListTags wildcard is acknowledged on the state machine policy with its reason', () => {
    expect(nagFindings(stack).filter(f => /IAM5/.test(f))).toEqual([]);
    const policies = Object.entries<any>(template.Resources).filter(([, r]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type)
      && r.Properties.PolicyDocument.Statement.some((s: any) => [s.Action].flat().includes('sagemaker:ListTags') && s.Resource === '*'));
    expect(policies.map(([id]) => id)).toEqual([expect.stringMatching(/^WorkflowStateMachineRole/)]);
    // The acknowledgement (construct metadata of that policy) names exactly that finding, with the reason.
    const policy = stack.node.findAll().find(c => c instanceof CfnElement && stack.getLogicalId(c) === policies[0][0])!;
    const acknowledged = policy.node.metadata.filter(m => m.type === 'aws:cdk:acknowledged-rules').map(m => m.data);
    expect(acknowledged).toContainEqual({ 'Annotation::AwsSolutions-IAM5[Resource::*]': LIST_TAGS_REASON });
  });
});
