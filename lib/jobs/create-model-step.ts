import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { validateTags } from './sagemaker-job-step';
import { SageMakerImage } from '../image/sagemaker-image';
import { passRoleToSageMaker, renderTags, retryTransientErrors } from '../private/job-policies';
import { registerWildcardResource } from '../private/nag';
import { perExecutionName } from '../private/names';
import { fail, validateEnvironment, validateLength, validatePattern } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';
import { JobS3Location, S3AccessMode } from '../storage/job-s3-location';

/**
 * Properties of a CreateModelStep.
 */
export interface CreateModelStepProps extends sfn.TaskStateBaseProps {
  /** The serving image. */
  readonly image: SageMakerImage;

  /**
   * The `model.tar.gz` URI: a literal `s3://` URI or a JSONPath into the state input,
   * e.g. `$.results.train.ModelArtifacts.S3ModelArtifacts`.
   */
  readonly modelDataUrl: string;

  /**
   * The location the model data lies under; the model's role is granted read access to it.
   */
  readonly modelDataLocation: JobS3Location;

  /**
   * The prefix of the model's name; each execution names the model `<prefix>-<uuid>`.
   * Lowercase, so the name is exactly the last segment of the model's ARN. At most 26 characters.
   *
   * @default 'model'
   */
  readonly modelNamePrefix?: string;

  /**
   * The model's execution role.
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly role?: iam.IRole;

  /**
   * Environment variables of the serving container.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * Whether the serving container is isolated from the network.
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;

  /**
   * Tags of the model.
   *
   * @default - none
   */
  readonly tags?: { [key: string]: string };
}

/**
 * A Step Functions step that defines a SageMaker model from trained artifacts
 * (`sagemaker:createModel`, request/response).
 *
 * aws-cdk-lib's `SageMakerCreateModel` grants `sagemaker:ListTags` on every resource and
 * defaults to a role with AmazonSageMakerFullAccess; this step scopes both.
 *
 * Its output is `{ ModelArn, ModelName }`.
 */
export class CreateModelStep extends sfn.TaskStateBase implements iam.IGrantable {
  /** The model's execution role. */
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  /** The step's CloudWatch metrics: none beyond the state's own. */
  protected readonly taskMetrics?: sfn.TaskMetricsConfig;
  /** What the state machine's role needs to run the step. */
  protected readonly taskPolicies?: iam.PolicyStatement[];
  private readonly props: CreateModelStepProps;
  private readonly imageUri: string;
  private readonly modelNamePrefix: string;

  constructor(scope: Construct, id: string, props: CreateModelStepProps) {
    super(scope, id, {
      ...props,
      resultSelector: props.resultSelector ?? {
        ModelArn: sfn.JsonPath.stringAt('$.ModelArn'),
        // Model ARNs end in 'model/<name>'; the prefix is lowercase, so this is the exact name.
        ModelName: sfn.JsonPath.arrayGetItem(sfn.JsonPath.stringSplit(sfn.JsonPath.stringAt('$.ModelArn'), '/'), 1),
      },
    });
    this.props = props;
    if (props.integrationPattern !== undefined && props.integrationPattern !== sfn.IntegrationPattern.REQUEST_RESPONSE) {
      fail(`integrationPattern must be REQUEST_RESPONSE for CreateModel, got ${props.integrationPattern}`);
    }
    this.modelNamePrefix = props.modelNamePrefix ?? 'model';
    validateLength('modelNamePrefix', this.modelNamePrefix, 1, 26);
    validatePattern('modelNamePrefix', this.modelNamePrefix, /^[a-z0-9](-*[a-z0-9])*$/, 'lowercase letters, digits and single hyphens');
    validatePattern('modelDataUrl', props.modelDataUrl, /^(\$[.\[].*|s3:\/\/[^/]+\/.+)$/, "a JSONPath ('$.…') or an 's3://bucket/key' URI");
    validateEnvironment('environment', props.environment, { maxEntries: 100, maxKeyLength: 1024, maxValueLength: 1024 });
    validateTags(props.tags);

    this.role = props.role ?? new SageMakerExecutionRole(this, 'Role').role;
    this.grantPrincipal = this.role;
    this.imageUri = props.image.bind(this, this.role).imageUri;
    props.modelDataLocation.bind(this, this.role, S3AccessMode.READ);

    const models = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'model', resourceName: `${this.modelNamePrefix}-*` });
    registerWildcardResource(this, models,
      `Each execution names its model '${this.modelNamePrefix}-<uuid>' at run time; the policy is limited to that name prefix.`);
    this.taskPolicies = [
      new iam.PolicyStatement({ actions: ['sagemaker:CreateModel', ...(props.tags ? ['sagemaker:AddTags'] : [])], resources: [models] }),
      passRoleToSageMaker(this.role),
    ];
    retryTransientErrors(this, Duration.seconds(5));
  }

  /**
   * @internal
   */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const props = this.props;
    const isPath = props.modelDataUrl.startsWith('$');
    return {
      Resource: `arn:${Aws.PARTITION}:states:::sagemaker:createModel`,
      ...this._renderParametersOrArguments({
        'ModelName.$': perExecutionName(this.modelNamePrefix),
        'ExecutionRoleArn': this.role.roleArn,
        'PrimaryContainer': {
          Image: this.imageUri,
          [isPath ? 'ModelDataUrl.$' : 'ModelDataUrl']: props.modelDataUrl,
          Environment: props.environment,
        },
        'EnableNetworkIsolation': props.enableNetworkIsolation,
        'Tags': renderTags(props.tags),
      }, topLevelQueryLanguage ?? sfn.QueryLanguage.JSON_PATH),
    };
  }
}
