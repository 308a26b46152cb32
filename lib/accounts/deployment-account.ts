import { IResource, PhysicalName, Resource, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ModelPromotion } from './model-promotion';
import { IModelSource } from './model-source-account';
import { literalAccount, validateAccountId } from './private/account-id';
import { modelRoleStatements } from './private/cross-account-grants';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { registerWildcardResource } from '../private/nag';
import { fail, validateIn, validateLength, validatePattern } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';

/** The detail type of SageMaker's model registry events, the only events a deployment account accepts. */
const APPROVAL_DETAIL_TYPE = 'SageMaker Model Package State Change';

/**
 * A staging or production account that deploys versions registered in another account (its
 * side of cross-account deployment): what the source account's policies name.
 */
export interface IDeploymentAccount extends IResource {
  /**
   * The ARN of the bus the source account forwards approval events to.
   * @attribute
   */
  readonly eventBusArn: string;
  /** The role of the deploy workflow's state machine (reads the versions, records promotion). */
  readonly deployRole: iam.IRole;
  /** The execution role of the models defined from the versions (reads model data and image). */
  readonly modelRole: iam.IRole;
  /** The account's place in staged promotion, if any. */
  readonly promotion?: ModelPromotion;
}

/**
 * A deployment account defined in another app, for the source account's app.
 */
export interface DeploymentAccountAttributes {
  /** The account ID (12 digits). */
  readonly account: string;
  /**
   * The Region.
   *
   * @default - the Region of the stack the import is defined in
   */
  readonly region?: string;
  /** The name of its event bus. */
  readonly eventBusName: string;
  /** The name of its deploy workflow's role. */
  readonly deployRoleName: string;
  /** The name of its models' execution role. */
  readonly modelRoleName: string;
  /**
   * Its place in staged promotion.
   *
   * @default - none
   */
  readonly promotion?: ModelPromotion;
}

/**
 * Properties of a DeploymentAccount.
 */
export interface DeploymentAccountProps {
  /** The account whose model registry, artifacts and image this account deploys from (a `ModelSourceAccount`, or an import of one). */
  readonly source: IModelSource;

  /**
   * This account's place in staged promotion (pass the same to its `ApprovedModelDeployment`
   * and `DeployOnApproval`).
   *
   * @default - none: every approved version is deployed
   */
  readonly promotion?: ModelPromotion;

  /**
   * The name of the bus that receives the source account's approval events (1 to 256 characters).
   *
   * @default - a name unique to this construct
   */
  readonly eventBusName?: string;

  /**
   * The name of the deploy workflow's role; the source account's policies name it.
   *
   * @default - a name generated at synth
   */
  readonly deployRoleName?: string;

  /**
   * The name of the models' execution role; the source account's policies name it.
   *
   * @default - a name generated at synth
   */
  readonly modelRoleName?: string;
}

/**
 * The deployment side of cross-account MLOps (a staging or a production account): an event
 * bus whose resource policy accepts the source account's model registry events only, the deploy
 * workflow's role and the models' execution role (named, so the source account's policies can
 * name them), with identity policies for the source account's versions, artifacts (and their
 * key) and image. The source account's resource policies complete them
 * (`ModelSourceAccount.addDeploymentAccount`): both sides must allow every call.
 *
 * Compose it with an `ApprovedModelDeployment` (`stateMachineRole: deployRole`,
 * `modelRole`, `promotion`) and a `DeployOnApproval` on `eventBus`.
 */
export class DeploymentAccount extends Resource implements IDeploymentAccount {
  /** Imports a deployment account of another app by its names. */
  public static fromDeploymentAccountAttributes(scope: Construct, id: string, attrs: DeploymentAccountAttributes): IDeploymentAccount {
    const stack = Stack.of(scope);
    const region = attrs.region ?? stack.region;
    class Import extends Resource implements IDeploymentAccount {
      public readonly eventBusArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: attrs.eventBusName, account: attrs.account, region });
      public readonly deployRole = iam.Role.fromRoleArn(this, 'DeployRole', stack.formatArn({ service: 'iam', region: '', account: attrs.account, resource: 'role', resourceName: attrs.deployRoleName }), { mutable: false });
      public readonly modelRole = iam.Role.fromRoleArn(this, 'ModelRole', stack.formatArn({ service: 'iam', region: '', account: attrs.account, resource: 'role', resourceName: attrs.modelRoleName }), { mutable: false });
      public readonly promotion = attrs.promotion;
    }
    const imported = new Import(scope, id, { account: attrs.account, region });
    validateIn(imported, () => {
      validateAccountId('account', attrs.account);
      validateNames(attrs);
    });
    return imported;
  }

  /** The bus that receives the source account's approval events. */
  public readonly eventBus: events.EventBus;
  public readonly eventBusArn: string;
  public readonly deployRole: iam.IRole;
  public readonly modelRole: iam.IRole;
  public readonly promotion?: ModelPromotion;
  /** The source account. */
  public readonly source: IModelSource;

  constructor(scope: Construct, id: string, props: DeploymentAccountProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const source = props.source;
    const sourceAccount = validateIn(this, () => {
      const own = literalAccount('DeploymentAccount', stack.account);
      const account = literalAccount('source', source.env.account);
      if (Token.compareStrings(source.env.region, stack.region) === TokenComparison.DIFFERENT) {
        fail(`source must be in this stack's Region (${stack.region}), got model package group '${source.modelPackageGroup.modelPackageGroupName}' in ${source.env.region}: `
          + 'SageMaker sends its approval events to the default bus of its own Region, and a model is defined from a version of its Region');
      }
      if (account === own) fail(`source must be in another account than this stack's (${own}): within one account, use ApprovedModelDeployment and DeployOnApproval alone`);
      validateNames(props);
      return account;
    });
    this.source = source;
    this.promotion = props.promotion;

    this.eventBus = new events.EventBus(this, 'EventBus', {
      eventBusName: props.eventBusName,
      description: `Model registry events of account ${sourceAccount}`,
    });
    this.eventBusArn = this.eventBus.eventBusArn;
    // Only SageMaker's model package events, only from the source account.
    this.eventBus.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'ModelRegistryEventsFromSourceAccount',
      principals: [new iam.AccountPrincipal(sourceAccount)],
      actions: ['events:PutEvents'],
      resources: [this.eventBus.eventBusArn],
      // Both keys are multivalued (one value per entry of a PutEvents call): every entry must be
      // SageMaker's, and an entry without them does not pass (Null false).
      conditions: {
        'ForAllValues:StringEquals': { 'events:source': ['aws.sagemaker'], 'events:detail-type': [APPROVAL_DETAIL_TYPE] },
        'Null': { 'events:source': 'false', 'events:detail-type': 'false' },
      },
    }));

    this.deployRole = new ManagedPolicyRole(this, 'DeployRole', {
      roleName: props.deployRoleName ?? PhysicalName.GENERATE_IF_NEEDED,
      description: `Deploy workflow of versions of model package group ${source.modelPackageGroup.modelPackageGroupName} (account ${sourceAccount})`,
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    const modelRole = new SageMakerExecutionRole(this, 'ModelRole', {
      roleName: props.modelRoleName ?? PhysicalName.GENERATE_IF_NEEDED,
      description: `Models defined from versions of model package group ${source.modelPackageGroup.modelPackageGroupName} (account ${sourceAccount})`,
    });
    this.modelRole = modelRole;
    for (const { statement, wildcardReason } of modelRoleStatements(source, stack.region)) {
      modelRole.addToPrincipalPolicy(statement);
      if (wildcardReason) statement.resources.forEach(r => registerWildcardResource(this, r, wildcardReason));
    }
  }
}

/** EventBridge's and IAM's name rules (CreateEventBus, CreateRole), checked where the prop is named. */
function validateNames(names: { eventBusName?: string; deployRoleName?: string; modelRoleName?: string }): void {
  if (names.eventBusName !== undefined && !Token.isUnresolved(names.eventBusName)) {
    validateLength('eventBusName', names.eventBusName, 1, 256);
    validatePattern('eventBusName', names.eventBusName, /^[/.\-_A-Za-z0-9]+$/, "letters, digits and '/._-'");
    if (names.eventBusName === 'default') fail("eventBusName must name a bus of its own, got 'default' (the account's default bus takes the account's own events)");
  }
  for (const [prop, name] of [['deployRoleName', names.deployRoleName], ['modelRoleName', names.modelRoleName]] as const) {
    if (name === undefined || Token.isUnresolved(name)) continue;
    validateLength(prop, name, 1, 64);
    validatePattern(prop, name, /^[\w+=,.@-]+$/, "letters, digits and '_+=,.@-'");
  }
}
