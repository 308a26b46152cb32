import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PASSED_METADATA_KEY, PromotionGateStage, PromotionRecordStage, grantApproval } from './private/promotion-stages';
import { fail, failAt, validateLength, validatePattern } from '../private/validate';
import { IModelPackageGroup } from '../registry/model-package-group';
import { DeployStage } from '../stages/deploy-stage';

/** Options of a promotion stage. */
export interface ModelPromotionOptions {
  /**
   * The stage this deployment records in the version's `ModelLifeCycle` (SageMaker Model
   * Registry's staging construct) once it has deployed the version and its smoke test passed:
   * `{ Stage: <lifecycleStage>, StageStatus: 'Approved' }`. 1 to 63 letters, digits and hyphens.
   *
   * @default 'Staging' for `ModelPromotion.first()`, 'Production' for `ModelPromotion.after()`
   */
  readonly lifecycleStage?: string;
}

/** Options of a promotion stage that follows another. */
export interface ModelPromotionAfterOptions extends ModelPromotionOptions {
  /**
   * How long the deployment waits after the previous stage passed before it deploys (a window
   * in which a person can reject the version): the version is checked again after the wait.
   * At most 7 days.
   *
   * @default - no wait
   */
  readonly wait?: Duration;

  /**
   * A second approval: the stage a person records in the version's `ModelLifeCycle`
   * (`{ Stage: <approvalStage>, StageStatus: 'Approved' }`, e.g. with
   * `aws sagemaker update-model-package --model-life-cycle Stage=<approvalStage>,StageStatus=Approved`)
   * to release a version that passed the previous stage to this one (grant it with
   * `grantApprove`). This deployment starts on that record only, and still refuses
   * (`ModelNotPromoted`) a version whose durable record of the previous stage
   * (`CustomerMetadataProperties.PromotionStagePassed`) is missing. 1 to 63 letters, digits and
   * hyphens; not the name of a stage of the promotion; exclusive with `wait`.
   *
   * @default - no second approval: the previous stage's record starts this deployment
   */
  readonly approvalStage?: string;
}

/**
 * A stage of staged promotion across accounts: where a deployment stands in the sequence
 * staging -> production. The record is the version's `ModelLifeCycle` in the model registry
 * of the group's account (SageMaker Model Registry's staging construct, whose condition keys
 * `sagemaker:ModelLifeCycle:stage` and `sagemaker:ModelLifeCycle:stageStatus` let each
 * account write only its own stage).
 *
 * - `ModelPromotion.first()`: the deployment (staging) records its stage after a fresh
 *   deployment whose smoke test passed.
 * - `ModelPromotion.after(staging)`: the deployment (production) starts only on the event of
 *   that record (`DeployOnApproval` with the same promotion matches it), checks the record
 *   again before deploying (after an optional wait), and refuses with `ModelNotPromoted`
 *   (a failed, notified execution) a version whose record is missing.
 * - `ModelPromotion.after(staging, { approvalStage })`: a second approval. Production starts
 *   only when a person records `{ Stage: <approvalStage>, StageStatus: 'Approved' }` on a
 *   version (`grantApprove` lets them), and refuses with `ModelNotPromoted` one that did not
 *   pass staging: the `ModelLifeCycle` holds one stage at a time, so each passed deployment
 *   also records its stage in the version's `CustomerMetadataProperties`
 *   (`PromotionStagePassed`), which the person's approval leaves in place and may not write.
 *
 * Pass the same object to `ApprovedModelDeployment`, `DeployOnApproval` and `DeploymentAccount`.
 */
export class ModelPromotion {
  /** The `StageStatus` a deployment records when it passed (and a person records to approve). */
  public static readonly PASSED_STATUS = 'Approved';

  /**
   * The key of the version's `CustomerMetadataProperties` where a deployment that passed
   * records its stage too (in the same UpdateModelPackage call as its `ModelLifeCycle`): the
   * record that a person's approval, which replaces the `ModelLifeCycle`, leaves in place.
   */
  public static readonly PASSED_METADATA_KEY = PASSED_METADATA_KEY;

  /** The first stage: deploys on approval and records its stage when it passed. */
  public static first(options: ModelPromotionOptions = {}): ModelPromotion {
    return new ModelPromotion(options.lifecycleStage ?? 'Staging');
  }

  /** A stage that deploys only versions that passed `previous`. */
  public static after(previous: ModelPromotion, options: ModelPromotionAfterOptions = {}): ModelPromotion {
    const stage = options.lifecycleStage ?? 'Production';
    if (!Token.isUnresolved(stage) && stage === previous.lifecycleStage) {
      fail(`lifecycleStage must differ from the previous stage's, got '${stage}' after '${previous.lifecycleStage}'`);
    }
    const earlier = previous._stageNames();
    if (!Token.isUnresolved(stage) && earlier.includes(stage)) {
      fail(`lifecycleStage must differ from the stages before it (${earlier.join(', ')}), got '${stage}'`);
    }
    const wait = options.wait;
    if (wait && !wait.isUnresolved() && (wait.toSeconds() < 1 || wait.toSeconds() > Duration.days(7).toSeconds())) {
      fail(`wait must be between 1 second and 7 days, got ${wait.toHumanString()}`);
    }
    const approval = options.approvalStage;
    if (approval !== undefined) {
      if (wait) {
        fail(`wait and approvalStage are exclusive, got both (wait ${wait.toHumanString()}, approvalStage '${approval}'): with approvalStage a person decides when ${stage} deploys`);
      }
      validateStageName('approvalStage', approval);
      if (!Token.isUnresolved(approval) && [...earlier, stage].includes(approval)) {
        fail(`approvalStage must differ from the stages of the promotion (${[...earlier, stage].join(', ')}), got '${approval}': `
          + `a person's approval must not look like a deployment's record (${stage}'s role records '${stage}'), nor start another stage`);
      }
    }
    return new ModelPromotion(stage, previous, wait, approval);
  }

  /** The lifecycle stage this deployment records. */
  public readonly lifecycleStage: string;
  /** The stage a version must have passed before this one deploys it, if any. */
  public readonly previous?: ModelPromotion;
  /** The wait between the previous stage and this deployment, if any. */
  public readonly wait?: Duration;
  /** The stage a person records to release a version to this deployment (a second approval), if any. */
  public readonly approvalStage?: string;

  private constructor(lifecycleStage: string, previous?: ModelPromotion, wait?: Duration, approvalStage?: string) {
    validateStageName('lifecycleStage', lifecycleStage);
    this.lifecycleStage = lifecycleStage;
    this.previous = previous;
    this.wait = wait;
    this.approvalStage = approvalStage;
  }

  /**
   * Lets a person (a role, a group of the group's account) release versions that passed the
   * previous stage to this one: \`sagemaker:UpdateModelPackage\` on the group's versions, only
   * with \`ModelLifeCycle\` \`{ Stage: <approvalStage>, StageStatus: 'Approved' }\`, and without
   * writing or removing metadata properties (the deployments' records) or changing the
   * approval status. For a grantee of another account, the group's resource policy too.
   */
  public grantApprove(grantee: iam.IGrantable, modelPackageGroup: IModelPackageGroup): iam.Grant {
    const approval = this.approvalStage;
    if (approval === undefined) {
      failAt(modelPackageGroup, `approvalStage is needed to grantApprove: promotion '${this.lifecycleStage}' has none (ModelPromotion.after(previous, { approvalStage }) names the stage a person records)`);
    }
    return grantApproval(grantee, modelPackageGroup, approval, this.lifecycleStage);
  }

  /** This stage's names and those of the stages before it. @internal */
  public _stageNames(): string[] {
    return [...(this.previous?._stageNames() ?? []), this.lifecycleStage, ...(this.approvalStage ? [this.approvalStage] : [])];
  }

  /**
   * The event-pattern fields that select the versions this stage deploys: those the previous
   * stage recorded as passed (none for the first stage).
   *
   * @internal
   */
  public _eventDetailPattern(): { [key: string]: any } {
    if (!this.previous) return {};
    return { ModelLifeCycle: { Stage: [this.approvalStage ?? this.previous.lifecycleStage], StageStatus: [ModelPromotion.PASSED_STATUS] } };
  }

  /**
   * The deploy workflow's definition around `deployStage`: the check of the previous stage's
   * record before it, the record of this stage after a fresh deployment.
   *
   * @internal
   */
  public _definition(scope: Construct, group: IModelPackageGroup, deployStage: DeployStage): sfn.IChainable {
    const record = new PromotionRecordStage(scope, 'PromotionRecord', { group, promotion: this, outcomePath: `${deployStage.resultPath}.outcome` });
    const deployed = sfn.Chain.start(deployStage).next(record);
    if (!this.previous) return deployed;
    const gate = new PromotionGateStage(scope, 'PromotionGate', { group, promotion: this });
    return gate.next(deployed);
  }
}

function validateStageName(prop: string, name: string): void {
  validateLength(prop, name, 1, 63);
  validatePattern(prop, name, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and hyphens, starting and ending with a letter or digit');
}
