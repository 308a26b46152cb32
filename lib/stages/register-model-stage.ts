import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EvaluationReport } from './evaluation-report';
import { WorkflowStage } from './workflow-stage';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { SageMakerImage } from '../images/sagemaker-image';
import { instanceTypeName } from '../private/instance-types';
import { registerWildcardResource } from '../private/nag';
import { fail, validateCount, validateIn, validateLength, validatePattern } from '../private/validate';
import { IModelPackageGroup } from '../registry/model-package-group';
import { renderOnlyGrantee } from './private/no-grant';

/**
 * The approval status a registered version starts with.
 */
export enum ModelApprovalStatus {
  /** Waits for a person to approve or reject it (console, CLI, or the launcher). */
  PENDING_MANUAL_APPROVAL = 'PendingManualApproval',
  /** Approved at once: deploy-on-approval rules deploy it. */
  APPROVED = 'Approved',
}

/**
 * Properties of a RegisterModelStage.
 */
export interface RegisterModelStageProps {
  /** The group the version is registered in. */
  readonly modelPackageGroup: IModelPackageGroup;

  /** The serving image. */
  readonly image: SageMakerImage;

  /**
   * The model artifacts, e.g. a training or tuning stage's `trainedModel.modelArtifacts`.
   * Registering reads neither them nor the image: nothing is granted here.
   */
  readonly modelData: JobS3Location;

  /**
   * The request content types the model accepts.
   *
   * @default ['application/json']
   */
  readonly contentTypes?: string[];

  /**
   * The response content types the model returns.
   *
   * @default ['application/json']
   */
  readonly responseContentTypes?: string[];

  /**
   * The instance types the version may be deployed on in real time.
   *
   * @default - any
   */
  readonly realtimeInstanceTypes?: SageMakerInstanceType[];

  /**
   * The evaluation report, attached as the version's model-quality statistics: an
   * evaluation stage's `report`.
   *
   * @default - no metrics
   */
  readonly evaluationReport?: EvaluationReport;

  /**
   * The approval status the version starts with. The stage sits after the quality gate,
   * so `APPROVED` means "approved because the gate passed".
   *
   * @default ModelApprovalStatus.PENDING_MANUAL_APPROVAL
   */
  readonly approvalStatus?: ModelApprovalStatus;

  /**
   * A description of the version (up to 1024 characters).
   *
   * @default - none
   */
  readonly description?: string;

  /**
   * Where the stage writes its results in the execution state (a field of the state).
   *
   * @default '$.results.<id>'
   */
  readonly resultPath?: string;

  /**
   * The name of the registration state.
   *
   * @default - the stage's id
   */
  readonly stateName?: string;
}

/**
 * A stage that registers the trained (or best) model as a new version of a model package
 * group (`CreateModelPackage`), with its image, model data, content types, the evaluation
 * report as model metrics, and an approval status (pending manual approval by default).
 *
 * Results at `resultPath` (`$.results.<id>`): `{ ModelPackageArn }`. The model's role is granted the image
 * and the data when it is defined from the package at deploy time, not here: SageMaker
 * reads neither at registration.
 */
export class RegisterModelStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The registered version's ARN (a `JsonPath` token). */
  public readonly modelPackageArn: string;
  /** The task that registers the version. */
  public readonly task: tasks.CallAwsService;

  constructor(scope: Construct, id: string, props: RegisterModelStageProps) {
    super(scope, id, { resultPath: props.resultPath });
    validateIn(this, () => validateRegisterProps(props));
    const group = props.modelPackageGroup;
    // Rendered, not granted: SageMaker reads neither at registration.
    const image = validateIn(this, () => props.image.bind(this, renderOnlyGrantee(this)).imageUri);
    const data = validateIn(this, () => props.modelData.render(S3AccessMode.READ));

    const report = props.evaluationReport;
    let metrics: { [key: string]: any } | undefined;
    if (report) {
      const object = report.object;
      metrics = {
        ModelQuality: {
          Statistics: {
            ContentType: report.contentType ?? 'application/json',
            // A per-execution key is a States.Format expression: nest it.
            S3Uri: sfn.JsonPath.isEncodedJsonPath(object.key)
              ? sfn.JsonPath.format(`s3://${object.bucket.bucketName}/{}`, object.key)
              : `s3://${object.bucket.bucketName}/${object.key}`,
          },
        },
      };
    }

    registerWildcardResource(this, group.modelPackageArns,
      `SageMaker numbers each version of group '${group.node.path}' at registration ('<group>/<version>'): the policy is limited to that group's versions.`);
    this.task = new tasks.CallAwsService(this, 'Register', {
      stateName: props.stateName ?? id,
      service: 'sagemaker',
      action: 'createModelPackage',
      iamAction: 'sagemaker:CreateModelPackage',
      // The Service Authorization Reference (SageMaker, CreateModelPackage) authorizes the
      // action on the model-package resource type only: the group's versions, whose ARNs
      // SageMaker writes with the group name lowercase (IModelPackageGroup.modelPackageArns).
      iamResources: [group.modelPackageArns],
      parameters: {
        // The ARN also names a group shared by another account.
        ModelPackageGroupName: group.modelPackageGroupArn,
        ModelPackageDescription: props.description,
        ModelApprovalStatus: props.approvalStatus ?? ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
        InferenceSpecification: {
          Containers: [{ Image: image, [data.isExpression ? 'ModelDataUrl.$' : 'ModelDataUrl']: data.uri }],
          SupportedContentTypes: props.contentTypes ?? ['application/json'],
          SupportedResponseMIMETypes: props.responseContentTypes ?? ['application/json'],
          SupportedRealtimeInferenceInstanceTypes: props.realtimeInstanceTypes?.map(t => t.name),
        },
        ModelMetrics: metrics,
      },
      resultSelector: { 'ModelPackageArn.$': '$.ModelPackageArn' },
      resultPath: this.resultPath,
    });
    this.catchSageMakerSdkFailures(this.task, this.resultPath);
    // The call itself.
    this.addWaitBudget(Duration.seconds(60));
    this.modelPackageArn = this.resultValue('ModelPackageArn');
    this.startState = this.task;
    this.endStates = [this.task];
  }
}

function validateRegisterProps(props: RegisterModelStageProps): void {
  const mime = /^[-\w]+\/[-\w+.]+(;.*)?$/;
  for (const [prop, types] of [['contentTypes', props.contentTypes], ['responseContentTypes', props.responseContentTypes]] as const) {
    if (types === undefined) continue;
    if (types.length === 0) fail(`${prop} must have at least one content type, got none`);
    validateCount(prop, types.length, 10);
    types.forEach(t => validatePattern(`${prop}[]`, t, mime, "a MIME type such as 'text/csv'"));
  }
  (props.realtimeInstanceTypes ?? []).forEach(t => instanceTypeName('realtimeInstanceTypes[]', t, t));
  validateLength('description', props.description, 0, 1024);
  validateLength('evaluationReport.contentType', props.evaluationReport?.contentType, 1, 256);
}
