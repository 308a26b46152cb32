import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TemplateIam } from '../composition/iam-evaluator';
import { testApp } from '../util';
import { APPROVER_ROLE, ARTIFACTS_BUCKET, PRODUCTION, REGION, REPOSITORY, STAGING, TOOLING, addMultiAccountStacks } from './app';

/**
 * IAM across accounts (issue 25): a call of a staging or production role on a resource of the
 * tooling account is allowed only when the role's identity policy (in its account) AND the
 * resource policy (in the tooling account) allow it. Every call on the deployment path is
 * allowed; other groups, buckets, prefixes, repositories, stages and any write are denied.
 * Production deploys after a second approval: the tooling account's approvers may record that
 * approval only.
 */
const APPROVAL_STAGE = 'ProductionApproval';
const app: App = testApp();
const stacks = addMultiAccountStacks(app, { productionApprovalStage: APPROVAL_STAGE });
app.synth();

type Json = any;
/** A template with its explicitly named buckets and repositories referred to by name (as the other accounts' policies do). */
function named(stackTemplate: Json, account: string): TemplateIam & { resolveNamed(value: Json): Json } {
  const resources = stackTemplate.Resources as Record<string, Json>;
  const arns: Record<string, string> = {};
  const refs: Record<string, string> = {};
  for (const [id, r] of Object.entries<Json>(resources)) {
    if (r.Type === 'AWS::S3::Bucket' && typeof r.Properties?.BucketName === 'string') {
      arns[id] = `arn:aws:s3:::${r.Properties.BucketName}`;
      refs[id] = r.Properties.BucketName;
    }
    if (r.Type === 'AWS::ECR::Repository' && typeof r.Properties?.RepositoryName === 'string') arns[id] = `arn:aws:ecr:${REGION}:${account}:repository/${r.Properties.RepositoryName}`;
    if (r.Type === 'AWS::KMS::Key') arns[id] = `arn:aws:kms:${REGION}:${account}:key/${id}`;
    if (r.Type === 'AWS::Events::EventBus') arns[id] = `arn:aws:events:${REGION}:${account}:event-bus/${r.Properties.Name}`;
  }
  const swap = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(swap);
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt' && arns[v['Fn::GetAtt'][0]] && v['Fn::GetAtt'][1] === 'Arn') return arns[v['Fn::GetAtt'][0]];
    if (keys.length === 1 && keys[0] === 'Ref' && refs[v.Ref]) return refs[v.Ref];
    return Object.fromEntries(keys.map(k => [k, swap(v[k])]));
  };
  const iamOf = new TemplateIam(swap(stackTemplate), REGION);
  return Object.assign(iamOf, { resolveNamed: (value: Json) => iamOf.resolve(swap(value)) });
}

const tooling = Template.fromStack(stacks.tooling).toJSON();
const toolingIam = named(tooling, TOOLING.account);
const sides = {
  staging: { json: Template.fromStack(stacks.staging).toJSON(), account: STAGING.account },
  production: { json: Template.fromStack(stacks.production).toJSON(), account: PRODUCTION.account },
};

function resourceOf(type: string, json: Json = tooling): [string, Json] {
  const found = Object.entries<Json>(json.Resources).filter(([, r]) => r.Type === type);
  if (found.length !== 1) throw new Error(`expected one ${type}, got ${found.length}`);
  return found[0];
}

/** The resource policy of the tooling account (or the deployment account's bus) that governs `resource`. */
function resourcePolicy(resource: string, deployment: Json): Json {
  if (resource.startsWith('arn:aws:sagemaker:')) return toolingIam.resolve(resourceOf('AWS::SageMaker::ModelPackageGroup')[1].Properties.ModelPackageGroupPolicy);
  if (resource.startsWith('arn:aws:ecr:')) return toolingIam.resolve(resourceOf('AWS::ECR::Repository')[1].Properties.RepositoryPolicyText);
  if (resource.startsWith('arn:aws:kms:')) return toolingIam.resolve(resourceOf('AWS::KMS::Key')[1].Properties.KeyPolicy);
  if (resource.startsWith('arn:aws:events:')) {
    const iamOf = named(deployment, resource.split(':')[4]);
    return { Version: '2012-10-17', Statement: [iamOf.resolveNamed(resourceOf('AWS::Events::EventBusPolicy', deployment)[1].Properties.Statement)] };
  }
  return toolingIam.resourcePolicy(resource);
}

/** A role of a template by the start of its construct path's logical ID: its name and identity policies. */
function role(json: Json, account: string, prefix: string) {
  const iamOf = named(json, account);
  const id = iamOf.role(prefix);
  const name = json.Resources[id].Properties.RoleName ?? id;
  return { arn: `arn:aws:iam::${account}:role/${name}`, policies: iamOf.identityPolicies(id) };
}

/** S3's encryption context key of SSE-KMS (`aws:s3:arn`), checked on the template: iam-simulate matches no context key whose variable part holds colons. */
const S3_CONTEXT = 'kms:EncryptionContext:aws:s3:arn';

function withoutS3Context(policies: Json[]): Json[] {
  return JSON.parse(JSON.stringify(policies), (key, value) => (key === 'StringLike' && value && S3_CONTEXT in value
    ? (Object.keys(value).length === 1 ? undefined : Object.fromEntries(Object.entries(value).filter(([k]) => k !== S3_CONTEXT)))
    : value));
}

async function evaluate(principal: { arn: string; policies: Json[] }, action: string, resource: string, resourceAccount: string,
  context: Record<string, string | string[]> = {}, deployment: Json = sides.staging.json): Promise<string> {
  const kms = action.startsWith('kms:');
  const identityPolicies = kms ? withoutS3Context(principal.policies) : principal.policies;
  const contextVariables = kms ? Object.fromEntries(Object.entries(context).filter(([k]) => k !== S3_CONTEXT)) : context;
  const result = await runSimulation({
    request: {
      principal: principal.arn,
      action,
      resource: { resource, accountId: resourceAccount },
      contextVariables: { 'aws:SecureTransport': 'true', ...contextVariables },
    },
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: resourcePolicy(resource, deployment),
  }, {});
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

const VERSION = `arn:aws:sagemaker:${REGION}:${TOOLING.account}:model-package/churn/3`;
const OBJECT = `arn:aws:s3:::${ARTIFACTS_BUCKET}/models/v3/model.tar.gz`;
const KEY = `arn:aws:kms:${REGION}:${TOOLING.account}:key/${resourceOf('AWS::KMS::Key')[0]}`;
const REPO = `arn:aws:ecr:${REGION}:${TOOLING.account}:repository/${REPOSITORY}`;
const VIA_S3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${ARTIFACTS_BUCKET}` };
const PASSED_KEY = 'sagemaker:CustomerMetadataProperties/PromotionStagePassed';
/** A deployment's record: its stage in the ModelLifeCycle and in the metadata, in one UpdateModelPackage call. */
const lifecycle = (stage: string, passed: string | undefined = stage): Record<string, string> => ({
  'sagemaker:ModelLifeCycle:stage': stage, 'sagemaker:ModelLifeCycle:stageStatus': 'Approved', ...(passed ? { [PASSED_KEY]: passed } : {}),
});

describe.each([['staging', 'Staging', 'Production'], ['production', 'Production', 'Staging']] as const)('%s account on the tooling account', (side, own, other) => {
  const { json, account } = sides[side];
  const deployRole = role(json, account, 'AccountDeployRole');
  const modelRole = role(json, account, 'AccountModelRole');

  test.each([
    ['deploy role reads the version', () => evaluate(deployRole, 'sagemaker:DescribeModelPackage', VERSION, TOOLING.account)],
    [`deploy role records ${own} passed`, () => evaluate(deployRole, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account, lifecycle(own))],
    ['model role reads the model data', () => evaluate(modelRole, 's3:GetObject', OBJECT, TOOLING.account)],
    ['model role decrypts it through S3', () => evaluate(modelRole, 'kms:Decrypt', KEY, TOOLING.account, VIA_S3)],
    ['model role pulls the image', () => evaluate(modelRole, 'ecr:BatchGetImage', REPO, TOOLING.account)],
    ['model role downloads its layers', () => evaluate(modelRole, 'ecr:GetDownloadUrlForLayer', REPO, TOOLING.account)],
  ])('allowed: %s', async (_what, call) => {
    expect(await call()).toBe('Allowed');
  });

  test.each([
    [`deploy role records ${other} (another account's stage)`, () => evaluate(deployRole, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account, lifecycle(other))],
    [`deploy role records ${own} with ${other}'s metadata record`, () => evaluate(deployRole, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account, lifecycle(own, other))],
    [`deploy role records ${own} without its metadata record`, () => evaluate(deployRole, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account, lifecycle(own, ''))],
    ['deploy role records a person\'s approval', () => evaluate(deployRole, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account, lifecycle(APPROVAL_STAGE, ''))],
    ['deploy role approves or changes the version otherwise', () => evaluate(deployRole, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account)],
    ['deploy role reads a version of another group', () => evaluate(deployRole, 'sagemaker:DescribeModelPackage', VERSION.replace('/churn/', '/fraud/'), TOOLING.account)],
    ['deploy role registers a version', () => evaluate(deployRole, 'sagemaker:CreateModelPackage', VERSION, TOOLING.account)],
    ['deploy role reads the model data itself', () => evaluate(deployRole, 's3:GetObject', OBJECT, TOOLING.account)],
    ['model role reads outside the model data prefix', () => evaluate(modelRole, 's3:GetObject', `arn:aws:s3:::${ARTIFACTS_BUCKET}/data/train.csv`, TOOLING.account)],
    ['model role reads another bucket', () => evaluate(modelRole, 's3:GetObject', 'arn:aws:s3:::ml-tooling-data-111111111111/models/x', TOOLING.account)],
    ['model role writes model data', () => evaluate(modelRole, 's3:PutObject', OBJECT, TOOLING.account)],
    ['model role decrypts outside S3', () => evaluate(modelRole, 'kms:Decrypt', KEY, TOOLING.account, { 'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${ARTIFACTS_BUCKET}` })],
    ['model role encrypts', () => evaluate(modelRole, 'kms:Encrypt', KEY, TOOLING.account, VIA_S3)],
    ['model role pushes an image', () => evaluate(modelRole, 'ecr:PutImage', REPO, TOOLING.account)],
    ['model role pulls from another repository', () => evaluate(modelRole, 'ecr:BatchGetImage', REPO.replace(REPOSITORY, 'other'), TOOLING.account)],
  ])('denied: %s', async (_what, call) => {
    expect(await call()).toMatch(/Denied$/);
  });

  test('the model role decrypts only objects of the artifact bucket (S3\'s encryption context), which iam-simulate cannot evaluate', () => {
    const decrypt = modelRole.policies.flatMap(p => p.policy.Statement).filter((st: Json) => st.Action === 'kms:Decrypt');
    expect(decrypt).toEqual([expect.objectContaining({
      Resource: `arn:aws:kms:${REGION}:${TOOLING.account}:key/*`,
      Condition: {
        StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
        StringLike: { [S3_CONTEXT]: [`arn:aws:s3:::${ARTIFACTS_BUCKET}`, `arn:aws:s3:::${ARTIFACTS_BUCKET}/*`] },
      },
    })]);
  });

  test('the tooling account\'s forwarding role puts SageMaker\'s events on this account\'s bus, nothing else', async () => {
    const forwarder = role(tooling, TOOLING.account, 'SourceForwardingRole');
    const bus = `arn:aws:events:${REGION}:${account}:event-bus/model-approvals`;
    const events = { 'events:source': 'aws.sagemaker', 'events:detail-type': 'SageMaker Model Package State Change' };
    expect(await evaluate(forwarder, 'events:PutEvents', bus, account, events, json)).toBe('Allowed');
    expect(await evaluate(forwarder, 'events:PutEvents', bus, account, { ...events, 'events:source': 'custom.app' }, json)).not.toBe('Allowed');
    expect(await evaluate(forwarder, 'events:PutEvents', bus.replace('model-approvals', 'default'), account, events, json)).not.toBe('Allowed');
  });
});

describe('the tooling account\'s approvers (the second approval)', () => {
  const approvers = role(tooling, TOOLING.account, 'ProductionApprovers');
  const approval = { 'sagemaker:ModelLifeCycle:stage': APPROVAL_STAGE, 'sagemaker:ModelLifeCycle:stageStatus': 'Approved' };

  test('the role is the named one', () => {
    expect(approvers.arn).toBe(`arn:aws:iam::${TOOLING.account}:role/${APPROVER_ROLE}`);
  });

  test('allowed: record the approval of production on a version of the group', async () => {
    expect(await evaluate(approvers, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account, approval)).toBe('Allowed');
  });

  test.each([
    ['record staging\'s pass (forge its ModelLifeCycle record)', lifecycle('Staging', '')],
    ['write staging\'s metadata record with the approval', { ...approval, [PASSED_KEY]: 'Staging' }],
    ['remove a metadata record with the approval', { ...approval, 'sagemaker:CustomerMetadataPropertiesToRemove': ['PromotionStagePassed'] }],
    ['change the approval status with the approval', { ...approval, 'sagemaker:ModelApprovalStatus': 'Approved' }],
    ['record production\'s deployment', lifecycle('Production', '')],
    ['record the approval as rejected', { ...approval, 'sagemaker:ModelLifeCycle:stageStatus': 'Rejected' }],
  ] as Array<[string, Record<string, string | string[]>]>)('denied: %s', async (_what, context) => {
    expect(await evaluate(approvers, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account, context)).toMatch(/Denied$/);
  });

  test('denied: approve a version of another group, or update without a ModelLifeCycle', async () => {
    expect(await evaluate(approvers, 'sagemaker:UpdateModelPackage', VERSION.replace('/churn/', '/fraud/'), TOOLING.account, approval)).toMatch(/Denied$/);
    expect(await evaluate(approvers, 'sagemaker:UpdateModelPackage', VERSION, TOOLING.account)).toMatch(/Denied$/);
  });
});
