import { Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ModelPromotion } from '../accounts/model-promotion';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { fail, validateIn, validateInteger } from '../private/validate';
import { IModelPackageGroup } from '../registry/model-package-group';

/**
 * Properties of a DeployOnApproval rule.
 */
export interface DeployOnApprovalProps {
  /** The group whose approved versions are deployed. */
  readonly modelPackageGroup: IModelPackageGroup;

  /**
   * The deploy workflow started for each approved version. Its input:
   * `{ modelPackageArn, modelPackageGroupName, modelPackageVersion }`.
   */
  readonly deployWorkflow: sfn.IStateMachine;

  /**
   * The bus the approval events arrive on. SageMaker sends them to the default bus of the
   * group's account: a group of another account needs a bus here whose resource policy
   * lets that account put events (checked at synth for a bus of this app), and a rule
   * there that forwards them.
   *
   * @default - this account's default bus (the group must be of this account)
   */
  readonly eventBus?: events.IEventBus;

  /**
   * The deployment's place in staged promotion (the `promotion` of its
   * `ApprovedModelDeployment`): a stage after another starts only for versions whose
   * `ModelLifeCycle` records the previous stage as passed, or with an `approvalStage`, a
   * person's approval.
   *
   * @default - no promotion: every approved version
   */
  readonly promotion?: ModelPromotion;

  /**
   * Whether the rule starts deployments.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Where events that could not start the workflow go after the retries.
   *
   * @default - none: they are dropped
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * How many times EventBridge retries a start that failed (0 to 185).
   *
   * @default 3
   */
  readonly retryAttempts?: number;
}

/**
 * Starts a deploy workflow when a version of a model package group is approved: an
 * EventBridge rule on SageMaker's "SageMaker Model Package State Change" events for that
 * group with `ModelApprovalStatus` `Approved`. The approval stays a person's act (console,
 * CLI or the launcher); the rule's role may start that one state machine only.
 *
 * The event carries no previous status (SageMaker developer guide, "Model package state
 * change": the detail is a snapshot of the version), so SageMaker's event for another change
 * of an approved version (its description, its metadata), or the same event sent twice
 * (which the guide warns of), matches too: the deploy workflow must treat a version already
 * in service as done, as `ApprovedModelDeployment` does. The rule matches only versions
 * whose `ModelPackageStatus` is `Completed` (a version still being validated is not
 * deployable yet).
 */
export class DeployOnApproval extends Construct {
  /** The EventBridge rule. */
  public readonly rule: events.Rule;
  /** The role EventBridge assumes to start the deploy workflow. */
  public readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: DeployOnApprovalProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const group = props.modelPackageGroup;
    validateIn(this, () => {
      validateInteger('retryAttempts', props.retryAttempts, 0, 185);
      const owner = group.env.account;
      // SageMaker sends a group's events to the default bus of the group's own Region
      // (SageMaker developer guide, "Events that Amazon SageMaker AI sends to Amazon
      // EventBridge"); a rule in another Region never sees them.
      if (!props.eventBus && Token.compareStrings(group.env.region, stack.region) === TokenComparison.DIFFERENT) {
        fail(`modelPackageGroup must be in this stack's Region (${stack.region}), got '${group.modelPackageGroupName}' in ${group.env.region}: `
          + `its approval events reach that Region's default bus, so this rule would never fire; define the rule in ${group.env.region}, `
          + `or pass an eventBus of this Region that a rule in ${group.env.region} forwards them to`);
      }
      if (!props.eventBus && Token.compareStrings(owner, stack.account) === TokenComparison.DIFFERENT) {
        fail(`eventBus is needed for modelPackageGroup '${group.modelPackageGroupName}' of account ${owner}: its approval events reach that account's default bus, not this one (${stack.account}); `
          + `pass a bus whose resource policy lets account ${owner} put events, and forward SageMaker's events to it from there`);
      }
    });

    if (props.eventBus && Token.compareStrings(group.env.account, stack.account) === TokenComparison.DIFFERENT) {
      const bus = props.eventBus;
      this.node.addValidation({ validate: () => busPolicyProblems(bus, group) });
    }

    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Starts ${props.deployWorkflow.node.path} when a version of ${group.node.path} is approved`,
    });

    this.rule = new events.Rule(this, 'Resource', {
      description: `Deploys approved versions of model package group ${group.modelPackageGroupName}`,
      enabled: props.enabled ?? true,
      eventBus: props.eventBus,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        ...(props.eventBus ? { account: [group.env.account] } : {}),
        // The fields of SageMaker's "SageMaker Model Package State Change" event (SageMaker
        // developer guide, "Events that Amazon SageMaker AI sends to Amazon EventBridge",
        // https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
        // source aws.sagemaker, detail.ModelPackageGroupName, detail.ModelApprovalStatus,
        // detail.ModelPackageArn, detail.ModelPackageVersion, detail.ModelPackageStatus
        // (Pending | InProgress | Completed | Failed | Deleting). A name with capitals is
        // matched in its lowercase spelling too, the one SageMaker writes in the version ARNs.
        detail: {
          ModelPackageGroupName: groupNameSpellings(group.modelPackageGroupName),
          ModelApprovalStatus: ['Approved'],
          ModelPackageStatus: ['Completed'],
          ...props.promotion?._eventDetailPattern(),
        },
      },
    });
    this.rule.addTarget(new targets.SfnStateMachine(props.deployWorkflow, {
      role: this.role,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 3,
      input: events.RuleTargetInput.fromObject({
        modelPackageArn: events.EventField.fromPath('$.detail.ModelPackageArn'),
        modelPackageGroupName: events.EventField.fromPath('$.detail.ModelPackageGroupName'),
        modelPackageVersion: events.EventField.fromPath('$.detail.ModelPackageVersion'),
      }),
    }));
  }
}

function groupNameSpellings(name: string): string[] {
  if (Token.isUnresolved(name) || name === name.toLowerCase()) return [name];
  return [name, name.toLowerCase()];
}

/**
 * A bus of this app that receives another account's approval events needs a resource
 * policy letting that account put events on it (EventBridge user guide, "Sending and
 * receiving events between AWS accounts"): without one, no approval ever arrives. An
 * imported bus's policy is its owner's to check.
 */
function busPolicyProblems(bus: events.IEventBus, group: IModelPackageGroup): string[] {
  if (!(bus instanceof events.EventBus)) return [];
  const owner = group.env.account;
  const stack = Stack.of(bus);
  const statements = bus.node.findAll()
    .filter((c): c is events.CfnEventBusPolicy => c instanceof events.CfnEventBusPolicy)
    .map(p => stack.resolve(p.statement))
    .filter(st => st !== undefined);
  const lets = statements.some(st => {
    const text = JSON.stringify(st);
    const actions = ([] as string[]).concat(st.Action ?? st.action ?? []);
    return (st.Effect ?? st.effect ?? 'Allow') === 'Allow'
      && actions.some(a => a === 'events:PutEvents' || a === 'events:*')
      && (text.includes(`:${owner}:`) || text.includes(`"${owner}"`) || text.includes(`::${owner}:root`));
  });
  if (lets) return [];
  return [`eventBus '${bus.node.path}' has no resource policy letting account ${owner} (the owner of modelPackageGroup '${group.modelPackageGroupName}') put events, so no approval would arrive: `
    + `add one with eventBus.addToResourcePolicy(new iam.PolicyStatement({ sid: 'ApprovalEvents', actions: ['events:PutEvents'], principals: [new iam.AccountPrincipal('${owner}')], resources: [eventBus.eventBusArn] }))`];
}
