import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerSdkTask } from '../../jobs/private/sagemaker-sdk-task';
import { registerWildcardResource } from '../../private/nag';
import { IModelPackageGroup } from '../../registry/model-package-group';
import { WorkflowStage } from '../../stages/workflow-stage';
import type { ModelPromotion } from '../model-promotion';

/** The error of a production execution started for a version that did not pass the previous stage. */
export const NOT_PROMOTED_ERROR = 'ModelNotPromoted';

const PASSED = 'Approved';

/**
 * The key of the version's `CustomerMetadataProperties` where a deployment that passed records
 * its stage as well: the durable record, which a person's approval (a new `ModelLifeCycle`,
 * which holds one stage at a time) does not replace.
 */
export const PASSED_METADATA_KEY = 'PromotionStagePassed';

const VERSIONS_REASON = 'The version is named at run time by the approval event; the call is limited to the versions of that one group.';

/**
 * The condition keys of SageMaker Model Registry's staging construct and of the version's
 * metadata (Service Authorization Reference, UpdateModelPackage): an account may write its own
 * stage only, in its `ModelLifeCycle` and its metadata record, both in the same call.
 */
export function lifecycleConditions(stage: string): { [key: string]: any } {
  return {
    StringEquals: {
      'sagemaker:ModelLifeCycle:stage': stage,
      'sagemaker:ModelLifeCycle:stageStatus': PASSED,
      [`sagemaker:CustomerMetadataProperties/${PASSED_METADATA_KEY}`]: stage,
    },
  };
}

/**
 * A person's approval of a later stage: the approval stage in the `ModelLifeCycle` only; no
 * metadata written or removed (the deployments' records), no change of the approval status.
 */
export function approvalConditions(approvalStage: string): { [key: string]: any } {
  return {
    StringEquals: { 'sagemaker:ModelLifeCycle:stage': approvalStage, 'sagemaker:ModelLifeCycle:stageStatus': PASSED },
    Null: {
      [`sagemaker:CustomerMetadataProperties/${PASSED_METADATA_KEY}`]: 'true',
      'sagemaker:CustomerMetadataPropertiesToRemove': 'true',
      'sagemaker:ModelApprovalStatus': 'true',
    },
  };
}

/**
 * A person's approval of a later stage (`ModelPromotion.grantApprove`): `UpdateModelPackage` on
 * the group's versions with `approvalConditions` only.
 */
export function grantApproval(grantee: iam.IGrantable, group: IModelPackageGroup, approvalStage: string, stage: string): iam.Grant {
  const grant = iam.Grant.addToPrincipalOrResource({
    grantee,
    actions: ['sagemaker:UpdateModelPackage'],
    resourceArns: [group.modelPackageArns],
    resource: group,
    conditions: approvalConditions(approvalStage),
  });
  const principal = grantee.grantPrincipal;
  registerWildcardResource(Construct.isConstruct(principal) ? principal : group, group.modelPackageArns,
    `The versions of model package group ${group.node.path} a person releases to ${stage}: only the ${approvalStage} approval in their ModelLifeCycle, no metadata, no approval status.`);
  return grant;
}

interface GateProps {
  readonly group: IModelPackageGroup;
  readonly promotion: ModelPromotion;
}

/**
 * Before a deployment of a later stage: the version must still be Approved, its metadata must
 * record the previous stage (or this one: a repeated event) as passed, and its `ModelLifeCycle`
 * must hold the record that releases it here (the previous stage's, or a person's approval
 * stage) or this stage's own; else the execution fails with `ModelNotPromoted`. With a wait,
 * checked again after it.
 */
export class PromotionGateStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: GateProps) {
    super(scope, id);
    const own = props.promotion.lifecycleStage;
    const previous = props.promotion.previous!.lifecycleStage;
    const approval = props.promotion.approvalStage;
    const release = approval ?? previous;
    const pkg = this.resultField('modelPackage');
    const passedPath = `${pkg}.CustomerMetadataProperties.${PASSED_METADATA_KEY}`;
    const expected = approval
      ? `a passed ${previous} stage in its metadata (${PASSED_METADATA_KEY}) and the ${approval} approval in its ModelLifeCycle`
      : `a passed ${previous} stage in its ModelLifeCycle and its metadata (${PASSED_METADATA_KEY})`;
    const notPromoted = new sfn.Pass(this, 'NotPromoted', {
      stateName: `${own} refuses version`,
      parameters: {
        Error: NOT_PROMOTED_ERROR,
        Cause: sfn.JsonPath.format(`model package {} is not Approved with ${expected}: ${own} deploys only versions that passed ${previous}${approval ? ` and a person approved (${approval})` : ''}`,
          sfn.JsonPath.stringAt('$.modelPackageArn')),
      },
      resultPath: '$.error',
    }).next(this.failState);

    const check = (suffix: string, label: string, next: sfn.IChainable): sfn.IChainable => {
      const describe = new SageMakerSdkTask(this, `Read${suffix}`, {
        stateName: `${own} reads promotion record${label}`,
        api: 'describeModelPackage',
        resourceType: 'model-package',
        request: { ModelPackageName: sfn.JsonPath.stringAt('$.modelPackageArn') },
        resultPath: pkg,
        statements: [new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackage'], resources: [props.group.modelPackageArns] })],
      });
      this.catchFailures(describe);
      // Nested, not one And: a comparison on a path that is absent is a run-time error.
      const passed = new sfn.Choice(this, `Passed${suffix}`, { stateName: `${own} checks ${previous} passed${label}` })
        .when(sfn.Condition.and(
          sfn.Condition.stringEquals(`${pkg}.ModelApprovalStatus`, 'Approved'),
          sfn.Condition.or(sfn.Condition.stringEquals(passedPath, previous), sfn.Condition.stringEquals(passedPath, own)),
          sfn.Condition.stringEquals(`${pkg}.ModelLifeCycle.StageStatus`, PASSED),
          sfn.Condition.or(sfn.Condition.stringEquals(`${pkg}.ModelLifeCycle.Stage`, release), sfn.Condition.stringEquals(`${pkg}.ModelLifeCycle.Stage`, own)),
        ), next)
        .otherwise(notPromoted);
      const recorded = new sfn.Choice(this, `Recorded${suffix}`, { stateName: `${own} finds a promotion record${label}` })
        .when(sfn.Condition.and(sfn.Condition.isPresent(`${pkg}.ModelLifeCycle`), sfn.Condition.isPresent(passedPath)), passed)
        .otherwise(notPromoted);
      return describe.next(recorded);
    };

    const promoted = new sfn.Pass(this, 'Promoted', { stateName: `${own} accepts version` });
    let next: sfn.IChainable = promoted;
    const wait = props.promotion.wait;
    if (wait) {
      const again = check('Again', ' again', promoted);
      next = new sfn.Wait(this, 'Wait', { stateName: `${own} waits after ${previous}`, time: sfn.WaitTime.duration(wait) }).next(again);
      this.addWaitBudget(wait);
    }
    this.startState = (check('', '', next) as sfn.Chain).startState;
    this.endStates = [promoted];
    registerWildcardResource(this, props.group.modelPackageArns, VERSIONS_REASON);
  }
}

interface RecordProps extends GateProps {
  /** The deploy stage's outcome (`Deployed` or `AlreadyInService`), a JsonPath token. */
  readonly outcomePath: string;
}

/**
 * After a deployment: a fresh one (outcome `Deployed`, smoke test passed) records
 * `ModelLifeCycle { Stage: <stage>, StageStatus: Approved }` and
 * `CustomerMetadataProperties { PromotionStagePassed: <stage> }` on the version, in the group's
 * account; SageMaker's state-change event of that update starts the next stage. A version
 * already in service records nothing (so that the event of a record does not loop back).
 */
export class PromotionRecordStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: RecordProps) {
    super(scope, id);
    const own = props.promotion.lifecycleStage;
    const record = new SageMakerSdkTask(this, 'Record', {
      stateName: `record ${own} passed`,
      api: 'updateModelPackage',
      resourceType: 'model-package',
      request: {
        ModelPackageArn: sfn.JsonPath.stringAt('$.modelPackageArn'),
        ModelLifeCycle: {
          Stage: own,
          StageStatus: PASSED,
          StageDescription: sfn.JsonPath.format('Deployed and smoke-tested by {}', sfn.JsonPath.executionId),
        },
        // The durable record: a person's approval of a later stage replaces the ModelLifeCycle.
        CustomerMetadataProperties: { [PASSED_METADATA_KEY]: own },
      },
      resultPath: this.resultField('record'),
      statements: [new iam.PolicyStatement({
        actions: ['sagemaker:UpdateModelPackage'],
        resources: [props.group.modelPackageArns],
        conditions: lifecycleConditions(own),
      })],
    });
    this.catchFailures(record);
    const skip = new sfn.Pass(this, 'AlreadyRecorded', { stateName: `${own} records nothing` });
    this.startState = new sfn.Choice(this, 'Fresh', { stateName: `fresh ${own} deployment` })
      .when(sfn.Condition.stringEquals(props.outcomePath, 'Deployed'), record)
      .otherwise(skip);
    this.endStates = [record, skip];
    registerWildcardResource(this, props.group.modelPackageArns, VERSIONS_REASON);
  }
}
