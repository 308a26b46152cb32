import { Arn, ArnFormat, IResource, Resource, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { IDeploymentAccount } from './deployment-account';
import { literalAccount } from './private/account-id';
import { PULL_ACTIONS, modelDataObjects, viaS3 } from './private/cross-account-grants';
import { lifecycleConditions } from './private/promotion-stages';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { fail, validateIn, validateLength, validatePattern } from '../private/validate';
import { IModelPackageGroup, ModelPackageGroup } from '../registry/model-package-group';

/**
 * The account where versions are built and registered (a tooling or development account),
 * as the deployment accounts see it.
 */
export interface IModelSource extends IResource {
  /** The model package group whose approved versions are deployed. */
  readonly modelPackageGroup: IModelPackageGroup;
  /** The bucket of the versions' model data, if the deployment accounts read it from there. */
  readonly artifactBucket?: s3.IBucket;
  /** The key of that bucket, if it is KMS-encrypted. */
  readonly artifactKey?: kms.IKey;
  /** The repository of the versions' serving image, if it is in the source account. */
  readonly repository?: ecr.IRepository;
  /** The key prefix of the model data in the bucket ('' for the whole bucket). */
  readonly modelDataPrefix: string;
}

/** A source account defined in another app, for a deployment account's app. */
export interface ModelSourceAttributes {
  /** The ARN of the model package group (its account and Region are the source's). */
  readonly modelPackageGroupArn: string;
  /**
   * The name of the artifact bucket.
   *
   * @default - no bucket: the versions' model data is not read from the source account
   */
  readonly artifactBucketName?: string;
  /**
   * The ARN of the artifact bucket's key.
   *
   * @default - the bucket is not KMS-encrypted with a customer managed key
   */
  readonly artifactKeyArn?: string;
  /**
   * The name of the serving image's repository.
   *
   * @default - no repository in the source account
   */
  readonly repositoryName?: string;
  /**
   * The key prefix of the model data.
   *
   * @default ''
   */
  readonly modelDataPrefix?: string;
}

/**
 * Properties of a ModelSourceAccount.
 */
export interface ModelSourceAccountProps {
  /** The group whose approved versions the deployment accounts deploy; a `ModelPackageGroup` of this stack (its resource policy is written here). */
  readonly modelPackageGroup: IModelPackageGroup;
  /**
   * The bucket of the versions' model data; its name must be known at synth (`bucketName`) when
   * a deployment account's stack is in the same app.
   *
   * @default - none
   */
  readonly artifactBucket?: s3.IBucket;
  /**
   * The key of the bucket.
   *
   * @default - the bucket's `encryptionKey`
   */
  readonly artifactKey?: kms.IKey;
  /**
   * The repository of the serving image (`repositoryName` known at synth).
   *
   * @default - none
   */
  readonly repository?: ecr.IRepository;
  /**
   * The key prefix of the model data: deployment accounts read only objects under it
   * (letters, digits, `-_./`; empty for the whole bucket).
   *
   * @default ''
   */
  readonly modelDataPrefix?: string;
  /**
   * The deployment accounts (also `addDeploymentAccount`).
   *
   * @default - none
   */
  readonly deploymentAccounts?: IDeploymentAccount[];
}

/**
 * The source side of cross-account MLOps (a tooling account): shares a model package group,
 * the artifact bucket, its key and the image repository with deployment accounts, each by role
 * ARN and read-only (a staged deployment may also record its own `ModelLifeCycle` stage), and
 * forwards the group's approval events to each deployment account's bus with an EventBridge
 * rule whose role may put events on those buses only.
 *
 * Refused at synth: a deployment account of another Region or of this account, and a stage
 * that promotes after a stage no deployment account of this source records (a production
 * without a staging).
 */
export class ModelSourceAccount extends Resource implements IModelSource {
  /** Imports a source account of another app. */
  public static fromModelSourceAttributes(scope: Construct, id: string, attrs: ModelSourceAttributes): IModelSource {
    const { account, region } = Arn.split(attrs.modelPackageGroupArn, ArnFormat.SLASH_RESOURCE_NAME);
    const stack = Stack.of(scope);
    class Import extends Resource implements IModelSource {
      public readonly modelPackageGroup = ModelPackageGroup.fromModelPackageGroupArn(this, 'Group', attrs.modelPackageGroupArn);
      public readonly artifactKey = attrs.artifactKeyArn ? kms.Key.fromKeyArn(this, 'ArtifactKey', attrs.artifactKeyArn) : undefined;
      public readonly artifactBucket = attrs.artifactBucketName
        ? s3.Bucket.fromBucketAttributes(this, 'ArtifactBucket', { bucketName: attrs.artifactBucketName, account, region, encryptionKey: this.artifactKey })
        : undefined;
      public readonly repository = attrs.repositoryName ? ecr.Repository.fromRepositoryAttributes(this, 'Repository', {
        repositoryName: attrs.repositoryName,
        repositoryArn: stack.formatArn({ service: 'ecr', account, region, resource: 'repository', resourceName: attrs.repositoryName }),
      }) : undefined;
      public readonly modelDataPrefix = attrs.modelDataPrefix ?? '';
    }
    const imported = new Import(scope, id, { account, region });
    validateIn(imported, () => validateModelDataPrefix(attrs.modelDataPrefix));
    return imported;
  }

  public readonly modelPackageGroup: IModelPackageGroup;
  public readonly artifactBucket?: s3.IBucket;
  public readonly artifactKey?: kms.IKey;
  public readonly repository?: ecr.IRepository;
  public readonly modelDataPrefix: string;
  /** The rule that forwards the group's approval events to the deployment accounts' buses. */
  public readonly forwardingRule: events.Rule;
  /** The role EventBridge assumes to put the events on those buses. */
  public readonly forwardingRole: iam.IRole;
  private readonly deploymentAccounts: IDeploymentAccount[] = [];

  constructor(scope: Construct, id: string, props: ModelSourceAccountProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const group = props.modelPackageGroup;
    validateIn(this, () => {
      literalAccount('ModelSourceAccount', stack.account);
      if (Token.compareStrings(group.env.account, stack.account) === TokenComparison.DIFFERENT
        || Token.compareStrings(group.env.region, stack.region) === TokenComparison.DIFFERENT) {
        fail(`modelPackageGroup must be of this stack's account and Region (${stack.account}, ${stack.region}), got '${group.modelPackageGroupName}' in ${group.env.account}, ${group.env.region}: its resource policy and approval events are that account's`);
      }
      if (!(group instanceof ModelPackageGroup)) {
        fail(`modelPackageGroup must be a ModelPackageGroup this app defines (its resource policy is written here), got the import '${group.node.path}'`);
      }
      validateModelDataPrefix(props.modelDataPrefix);
    });
    this.modelPackageGroup = group;
    this.artifactBucket = props.artifactBucket;
    this.artifactKey = props.artifactKey ?? props.artifactBucket?.encryptionKey;
    this.repository = props.repository;
    this.modelDataPrefix = props.modelDataPrefix ?? '';

    this.forwardingRole = new ManagedPolicyRole(this, 'ForwardingRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Forwards approval events of model package group ${group.modelPackageGroupName} to the deployment accounts`,
    });
    const name = group.modelPackageGroupName;
    this.forwardingRule = new events.Rule(this, 'ForwardingRule', {
      description: `Forwards approval events of model package group ${name} to the deployment accounts`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: {
          ModelPackageGroupName: Token.isUnresolved(name) || name === name.toLowerCase() ? [name] : [name, name.toLowerCase()],
          ModelApprovalStatus: ['Approved'],
        },
      },
    });
    this.node.addValidation({ validate: () => this.promotionProblems() });
    for (const account of props.deploymentAccounts ?? []) this.addDeploymentAccount(account);
  }

  /**
   * Shares the group, the artifacts and the image with a deployment account (its roles by ARN,
   * read-only; its promotion stage may be recorded) and forwards approval events to its bus.
   */
  public addDeploymentAccount(deploymentAccount: IDeploymentAccount): void {
    const stack = Stack.of(this);
    const target = validateIn(this, () => {
      const account = literalAccount('deploymentAccount', deploymentAccount.env.account);
      if (account === stack.account) fail(`deploymentAccount must be another account than the source's (${account}): within one account, use ApprovedModelDeployment and DeployOnApproval alone`);
      if (Token.compareStrings(deploymentAccount.env.region, stack.region) === TokenComparison.DIFFERENT) {
        fail(`deploymentAccount must be in the source's Region (${stack.region}), got ${deploymentAccount.env.region}: a model is defined from a version of its own Region`);
      }
      return account;
    });
    const n = this.deploymentAccounts.push(deploymentAccount);
    const deployer = new iam.ArnPrincipal(deploymentAccount.deployRole.roleArn);
    const model = new iam.ArnPrincipal(deploymentAccount.modelRole.roleArn);
    const group = this.modelPackageGroup;
    const sid = (what: string) => `${what}${target}`;

    group.addToResourcePolicy(new iam.PolicyStatement({
      sid: sid('DeployVersions'), principals: [deployer], actions: ['sagemaker:DescribeModelPackage'], resources: [group.modelPackageArns],
    }));
    if (deploymentAccount.promotion) {
      group.addToResourcePolicy(new iam.PolicyStatement({
        sid: sid('RecordPromotion'),
        principals: [deployer],
        actions: ['sagemaker:UpdateModelPackage'],
        resources: [group.modelPackageArns],
        conditions: lifecycleConditions(deploymentAccount.promotion.lifecycleStage),
      }));
    }
    if (this.artifactBucket) {
      this.artifactBucket.addToResourcePolicy(new iam.PolicyStatement({
        sid: sid('ReadModelData'), principals: [model], actions: ['s3:GetObject'], resources: [modelDataObjects(this)],
      }));
    }
    if (this.artifactKey) {
      this.artifactKey.addToResourcePolicy(new iam.PolicyStatement({
        sid: sid('DecryptModelData'), principals: [model], actions: ['kms:Decrypt'], resources: ['*'], conditions: { StringEquals: viaS3(stack.region) },
      }));
    }
    if (this.repository) {
      this.repository.addToResourcePolicy(new iam.PolicyStatement({ sid: sid('PullImage'), principals: [model], actions: PULL_ACTIONS }));
    }
    const bus = events.EventBus.fromEventBusArn(this, `DeploymentBus${n}`, deploymentAccount.eventBusArn);
    this.forwardingRule.addTarget(new targets.EventBus(bus, { role: this.forwardingRole }));
  }

  /** A stage after another needs a deployment account of this source that records that other stage. */
  private promotionProblems(): string[] {
    const recorded = new Set(this.deploymentAccounts.map(a => a.promotion?.lifecycleStage).filter(s => s !== undefined));
    return this.deploymentAccounts.flatMap(a => {
      const previous = a.promotion?.previous;
      if (!previous || recorded.has(previous.lifecycleStage)) return [];
      return [`deploymentAccount '${a.node.path}' (${a.env.account}) promotes after stage '${previous.lifecycleStage}', but no deployment account of ${this.node.path} records '${previous.lifecycleStage}': `
        + `add the ${previous.lifecycleStage} account with addDeploymentAccount (a production stage needs a staging stage before it)`];
    });
  }
}

function validateModelDataPrefix(prefix: string | undefined): void {
  if (prefix === undefined || Token.isUnresolved(prefix) || prefix === '') return;
  validateLength('modelDataPrefix', prefix, 1, 512);
  validatePattern('modelDataPrefix', prefix, /^[A-Za-z0-9_.\-/]+$/, "letters, digits and '-_./' (a key prefix such as 'models/')");
}

