import * as fs from 'fs';
import { LONG } from './composition-app';
import { TemplateIam, ACCOUNT } from './iam-evaluator';

/**
 * IAM that suffices: each call AWS makes at run time for a job, model, endpoint, domain or
 * step of the composition app, evaluated with @cloud-copilot/iam-simulate against the
 * synthesized identity policies and the key, topic and bucket policies. The calls come from
 * AWS documentation, cited per group:
 *
 * - SFN: Step Functions Developer Guide, "IAM policies for Amazon SageMaker AI"
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html), per integration.
 * - ROLES: SageMaker Developer Guide, "How to use SageMaker AI execution roles", the
 *   CreateTrainingJob / CreateProcessingJob / CreateModel sections
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html).
 * - KMS: SageMaker API Reference, OutputDataConfig / ProcessingOutputConfig `KmsKeyId` ("the
 *   SageMaker execution role must include permissions to call kms:Encrypt") and
 *   ResourceConfig / ProcessingClusterConfig `VolumeKmsKeyId` (SageMaker makes a grant:
 *   kms:CreateGrant).
 * - ASYNC: SageMaker Developer Guide, "Asynchronous inference: prerequisites"
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-create-endpoint-prerequisites.html):
 *   write responses and failures to S3, publish to the success and error topics.
 * - SNS: SNS Developer Guide, "Encryption at rest: key management": a publisher to an encrypted
 *   topic needs kms:GenerateDataKey and kms:Decrypt on the topic's key.
 * - STUDIO: SageMaker Developer Guide, "Amazon SageMaker AI domain overview", "Spaces" and
 *   "Customer managed keys for Studio": Studio reads the domain and the user's profile, defines
 *   spaces and apps, opens them with a presigned URL, and grants the domain's key to SageMaker.
 */

interface Call {
  readonly what: string;
  readonly role: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

/** The composition app's stacks that the calls are made in, read from their templates. */
interface Stacks {
  readonly training: TemplateIam;
  readonly hosting: TemplateIam;
  readonly domain: TemplateIam;
}

const stackOf = ({ domain }: Stacks) => (iam: TemplateIam) => ({
  key: iam.arnOf('AWS::KMS::Key', 'TeamKey'),
  artifacts: `arn:aws:s3:::${iam === domain ? 'team-artifacts' : iam.arnOf('AWS::S3::Bucket', 'TeamDataStoreArtifactsBucket')}`,
  data: `arn:aws:s3:::${iam === domain ? 'team-data-lake' : iam.arnOf('AWS::S3::Bucket', 'TeamDataStoreDataBucket')}`,
  sm: (resource: string) => `arn:aws:sagemaker:${iam.region}:${ACCOUNT}:${resource}`,
});

function hostingCalls(stacks: Stacks): [TemplateIam, Call[]] {
  const { hosting } = stacks;
  const stack = stackOf(stacks);
  const h = stack(hosting);
  const model = hosting.role(`${LONG}ModelRole`);
  const team = hosting.role('TeamJobRole');
  const topic = hosting.arnOf('AWS::SNS::Topic', 'TeamTopic');
  const notificationKey = hosting.arnOf('AWS::KMS::Key', 'AsyncImportedNotificationKey');
  return [hosting, [
    // ASYNC, KMS, SNS: the async endpoint with the team's topic (its key: the team key) and output key.
    { what: 'async: write a response', role: model, action: 's3:PutObject', resource: `${h.artifacts}/async/out/r1.out` },
    { what: 'async: write a failure', role: model, action: 's3:PutObject', resource: `${h.artifacts}/async/failed/r1.out` },
    { what: 'async: read a request', role: model, action: 's3:GetObject', resource: `${h.data}/async/in/r1.json` },
    { what: 'async: encrypt the response with the output key', role: model, action: 'kms:Encrypt', resource: h.key },
    { what: 'async: data key for the response', role: model, action: 'kms:GenerateDataKey', resource: h.key },
    { what: "async: publish to the team's topic", role: model, action: 'sns:Publish', resource: topic },
    { what: "async: the team topic's key", role: model, action: 'kms:Decrypt', resource: h.key },
    // The second async endpoint: an imported model with the team role, defined topics.
    { what: 'async (imported model): write a response', role: team, action: 's3:PutObject', resource: `${h.artifacts}/async2/out/r1.out` },
    { what: 'async (imported model): publish success', role: team, action: 'sns:Publish', resource: hosting.arnOf('AWS::SNS::Topic', 'AsyncImportedSuccessTopic') },
    { what: 'async (imported model): publish error', role: team, action: 'sns:Publish', resource: hosting.arnOf('AWS::SNS::Topic', 'AsyncImportedErrorTopic') },
    { what: 'async (imported model): topic key data key', role: team, action: 'kms:GenerateDataKey', resource: notificationKey },
    { what: 'async (imported model): topic key decrypt', role: team, action: 'kms:Decrypt', resource: notificationKey },
    // ROLES (CreateModel): pull the image, read the model, log, publish metrics, attach to the VPC.
    { what: 'model: authenticate to ECR', role: model, action: 'ecr:GetAuthorizationToken', resource: '*' },
    { what: 'model: pull the DLC', role: model, action: 'ecr:BatchGetImage', resource: 'arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference' },
    { what: 'model: write logs', role: model, action: 'logs:PutLogEvents', resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/e1:log-stream:AllTraffic/i-1` },
    { what: 'model: publish metrics', role: model, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' } },
    { what: 'model: VPC network interface', role: model, action: 'ec2:CreateNetworkInterface', resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:network-interface/eni-1` },
    { what: 'team-role model: read the model', role: team, action: 's3:GetObject', resource: `${h.artifacts}/models/latest/model.tar.gz` },
    { what: 'team-role model: decrypt the model', role: team, action: 'kms:Decrypt', resource: h.key },
    { what: "team-role model: pull the team's image", role: team, action: 'ecr:BatchGetImage', resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/team/glm` },
    // Data capture (RealtimeEndpoint, branch endpoint) writes with the model's role.
    { what: 'realtime: data capture', role: model, action: 's3:PutObject', resource: `${h.artifacts}/capture/e1/AllTraffic/2026/11/26/00/c.jsonl` },
  ]];
}

function domainCalls(stacks: Stacks): [TemplateIam, Call[]] {
  const { domain } = stacks;
  const stack = stackOf(stacks);
  const d = stack(domain);
  const role = domain.role(`${LONG}ExecutionRole`);
  const id = domain.arnOf('AWS::SageMaker::Domain', LONG, 'DomainId');
  return [domain, [
    // STUDIO
    { what: 'studio: read the domain', role, action: 'sagemaker:DescribeDomain', resource: d.sm(`domain/${id}`) },
    { what: "studio: read the user's profile", role, action: 'sagemaker:DescribeUserProfile', resource: d.sm(`user-profile/${id}/data-scientist`) },
    { what: 'studio: open a space', role, action: 'sagemaker:CreatePresignedDomainUrl', resource: d.sm(`user-profile/${id}/data-scientist`) },
    { what: 'studio: define a space', role, action: 'sagemaker:CreateSpace', resource: d.sm(`space/${id}/forecasting`) },
    { what: 'studio: read a space', role, action: 'sagemaker:DescribeSpace', resource: d.sm(`space/${id}/forecasting`) },
    { what: 'studio: list spaces', role, action: 'sagemaker:ListSpaces', resource: '*' },
    { what: 'studio: start JupyterLab', role, action: 'sagemaker:CreateApp', resource: d.sm(`app/${id}/forecasting/jupyterlab/default`) },
    { what: 'studio: read an app', role, action: 'sagemaker:DescribeApp', resource: d.sm(`app/${id}/forecasting/jupyterlab/default`) },
    { what: 'studio: stop an app', role, action: 'sagemaker:DeleteApp', resource: d.sm(`app/${id}/forecasting/jupyterlab/default`) },
    { what: 'studio: list apps', role, action: 'sagemaker:ListApps', resource: '*' },
    { what: 'studio: tag a space', role, action: 'sagemaker:AddTags', resource: d.sm(`space/${id}/forecasting`) },
    { what: "studio: grant the domain's key to SageMaker", role, action: 'kms:CreateGrant', resource: d.key, context: { 'kms:GrantIsForAWSResource': 'true' } },
    { what: "studio: describe the domain's key", role, action: 'kms:DescribeKey', resource: d.key },
    { what: "studio: read the team's data", role, action: 's3:GetObject', resource: `${d.data}/raw/claims.csv` },
    { what: "studio: write the team's artifacts", role, action: 's3:PutObject', resource: `${d.artifacts}/notebooks/out.csv` },
    { what: 'studio: decrypt with the team key', role, action: 'kms:Decrypt', resource: d.key },
  ]];
}

function trainingCalls(stacks: Stacks): [TemplateIam, Call[]] {
  const { training } = stacks;
  const stack = stackOf(stacks);
  const t = stack(training);
  const train = training.role('TeamJobRole');
  // Each stage's job has its own role under the stage (<workflow>/Preprocess/Job/Role).
  const pre = training.role(`${LONG}PreprocessJobRole`);
  const evaluate = training.role(`${LONG}EvaluateJobRole`);
  const tracking = training.role('TrackingRole');
  const machine = training.role('TeamStateMachineRole');
  const server = training.arnOf('AWS::SageMaker::MlflowTrackingServer', 'Tracking', 'TrackingServerArn');
  const fileSystem = training.arnOf('AWS::EFS::FileSystem', 'TeamFileSystem');
  const exec = 'exec-1';
  // The names the state machine gives its jobs: '<stage>-<hash of the construct path>-<execution>'.
  const definition = training.definitionOf(`${LONG}StateMachine`);
  const jobName = (stage: string) => {
    const prefix = definition.match(new RegExp(`States\\.Format\\('(${stage}-[0-9a-f]{8})-\\{\\}'`))?.[1];
    if (!prefix) throw new Error(`no job named '${stage}-<hash>-{}' in the state machine`);
    return `${prefix}-${exec}`;
  };
  const trainJob = t.sm(`training-job/${jobName('train')}`);
  const preprocessJob = t.sm(`processing-job/${jobName('preprocess')}`);
  const evaluateJob = t.sm(`processing-job/${jobName('evaluate')}`);
  const topic = training.arnOf('AWS::SNS::Topic', 'TeamTopic');
  const rule = `arn:aws:events:eu-west-1:${ACCOUNT}:rule/${LONG}ExecutionFailedRule`;
  return [training, [
    // ROLES (CreateTrainingJob), KMS
    { what: 'train: read its channel', role: train, action: 's3:GetObject', resource: `${t.artifacts}/processed/${exec}/train/part-0.csv` },
    { what: 'train: write the model', role: train, action: 's3:PutObject', resource: `${t.artifacts}/models/${exec}/train-1/output/model.tar.gz` },
    { what: 'train: write checkpoints', role: train, action: 's3:PutObject', resource: `${t.artifacts}/checkpoints/${exec}/ckpt-1.pt` },
    { what: 'train: read checkpoints back', role: train, action: 's3:GetObject', resource: `${t.artifacts}/checkpoints/${exec}/ckpt-1.pt` },
    { what: 'train: mount EFS', role: train, action: 'elasticfilesystem:ClientMount', resource: fileSystem },
    { what: 'train: volume key grant', role: train, action: 'kms:CreateGrant', resource: t.key, context: { 'kms:GrantIsForAWSResource': 'true' } },
    { what: 'train: output key', role: train, action: 'kms:Encrypt', resource: t.key },
    { what: 'train: log to MLflow', role: train, action: 'sagemaker-mlflow:LogMetric', resource: server },
    { what: 'preprocess: read raw data', role: pre, action: 's3:GetObject', resource: `${t.data}/raw/claims.csv` },
    { what: 'preprocess: write its output', role: pre, action: 's3:PutObject', resource: `${t.artifacts}/processed/${exec}/train/part-0.csv` },
    { what: 'preprocess: volume key grant', role: pre, action: 'kms:CreateGrant', resource: t.key, context: { 'kms:GrantIsForAWSResource': 'true' } },
    { what: 'preprocess: output key', role: pre, action: 'kms:Encrypt', resource: t.key },
    { what: 'evaluate: read the model', role: evaluate, action: 's3:GetObject', resource: `${t.artifacts}/models/${exec}/train-1/output/model.tar.gz` },
    { what: 'evaluate: write the report', role: evaluate, action: 's3:PutObject', resource: `${t.artifacts}/evaluation/${exec}/evaluation.json` },
    // The tracking server's own role on its artifact store.
    { what: 'mlflow: store an artifact', role: tracking, action: 's3:PutObject', resource: `${t.artifacts}/mlflow/1/run/artifacts/model.pkl` },
    { what: 'mlflow: read an artifact', role: tracking, action: 's3:GetObject', resource: `${t.artifacts}/mlflow/1/run/artifacts/model.pkl` },
    { what: 'mlflow: data key', role: tracking, action: 'kms:GenerateDataKey', resource: t.key },
    // SFN: createTrainingJob.sync, createProcessingJob.sync (Step Functions tags the .sync jobs it
    // starts and reads their tags: AddTags even without user tags, ListTags; aws/aws-cdk#26012).
    { what: 'sfn: start training', role: machine, action: 'sagemaker:CreateTrainingJob', resource: trainJob },
    { what: 'sfn: describe training', role: machine, action: 'sagemaker:DescribeTrainingJob', resource: trainJob },
    // The team's training job checkpoints and encrypts inter-container traffic: fields Step Functions'
    // optimized createTrainingJob.sync is not known to take, so it starts through the AWS SDK
    // integration and the workflow polls DescribeTrainingJob (no .sync managed rule, no StopTrainingJob).
    { what: 'sfn: list training tags', role: machine, action: 'sagemaker:ListTags', resource: trainJob },
    { what: 'sfn: pass the team role', role: machine, action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/${train}`, context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    { what: 'sfn: pass the preprocess role', role: machine, action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/${pre}`, context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    { what: 'sfn: start processing', role: machine, action: 'sagemaker:CreateProcessingJob', resource: preprocessJob },
    { what: 'sfn: describe processing', role: machine, action: 'sagemaker:DescribeProcessingJob', resource: preprocessJob },
    { what: 'sfn: tag processing', role: machine, action: 'sagemaker:AddTags', resource: preprocessJob },
    { what: 'sfn: list processing tags', role: machine, action: 'sagemaker:ListTags', resource: preprocessJob },
    { what: 'sfn: start evaluation', role: machine, action: 'sagemaker:CreateProcessingJob', resource: evaluateJob },
    { what: 'sfn: list evaluation tags', role: machine, action: 'sagemaker:ListTags', resource: evaluateJob },
    // The workflow's failures end in Fail states; an EventBridge rule on the execution status
    // publishes to the team's failure topic (EventBridge User Guide, "Amazon SNS permissions":
    // the topic's policy lets events.amazonaws.com publish, and an encrypted topic's key lets
    // it use the key: kms:GenerateDataKey and kms:Decrypt).
    { what: "events: notify the team's failure topic", role: 'events.amazonaws.com', action: 'sns:Publish', resource: topic, context: { 'aws:SourceArn': rule } },
    { what: "events: the failure topic's data key", role: 'events.amazonaws.com', action: 'kms:GenerateDataKey', resource: t.key },
    { what: "events: the failure topic's key", role: 'events.amazonaws.com', action: 'kms:Decrypt', resource: t.key },
  ]];
}

/**
 * The checks, on the composition app's templates (stack name to template file): called by
 * test/composition/composition.test.ts, which synthesizes the app once for all its checks.
 */
export function describeIamSufficiency(templates: Record<string, string>): void {
  const load = (name: string, region: string) => new TemplateIam(JSON.parse(fs.readFileSync(templates[name], 'utf8')), region);
  const stacks: Stacks = {
    training: load('TeamForecastingDemandPlanningTrainingProductionEuWest1', 'eu-west-1'),
    hosting: load('TeamForecastingDemandPlanningHostingRegionAgnostic', 'us-east-1'),
    domain: load('TeamForecastingDemandPlanningStudioDomain', 'us-east-1'),
  };
  const { training } = stacks;
  const groups = { hosting: hostingCalls(stacks), domain: domainCalls(stacks), training: trainingCalls(stacks) };

  describe.each(Object.entries(groups))('%s: every documented run-time call is allowed', (_name, [iam, calls]) => {
    test.each(calls.map(c => [c.what, c] as const))('%s', async (_what, call) => {
      expect(`${call.action} ${call.resource}: ${await iam.evaluate(call.role, call.action, call.resource, call.context)}`)
        .toBe(`${call.action} ${call.resource}: Allowed`);
    });
  });

  describe('the evaluator', () => {
    test('denies what no policy allows (the check can fail)', async () => {
      const [iam, calls] = groups.hosting;
      const model = calls[0].role;
      expect(await iam.evaluate(model, 's3:DeleteBucket', calls[0].resource.split('/')[0])).not.toBe('Allowed');
      expect(await iam.evaluate(model, 's3:PutObject', `${calls[0].resource.split('/')[0]}/elsewhere/x`)).not.toBe('Allowed');
    });

    test('a service principal gets only what the resource policy grants it', async () => {
      const topic = training.arnOf('AWS::SNS::Topic', 'TeamTopic');
      expect(await training.evaluate('events.amazonaws.com', 'sns:Subscribe', topic)).not.toBe('Allowed');
      expect(await training.evaluate('events.amazonaws.com', 'kms:Encrypt', training.arnOf('AWS::KMS::Key', 'TeamKey'))).not.toBe('Allowed');
    });

    test('the state machine no longer publishes to the failure topic itself (EventBridge does)', async () => {
      const machine = training.role('TeamStateMachineRole');
      expect(await training.evaluate(machine, 'sns:Publish', training.arnOf('AWS::SNS::Topic', 'TeamTopic'))).not.toBe('Allowed');
    });
  });
}
