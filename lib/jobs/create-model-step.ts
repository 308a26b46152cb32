import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CREATE_MODEL_RESULT, createModelApi } from './private/create-model-api';
import { SageMakerTask, SageMakerTaskProps } from './sagemaker-task';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { SageMakerImage } from '../images/sagemaker-image';
import { modelVpcConfig } from '../private/subnets';
import { validateEnvironment, validateIn } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';

/**
 * Properties of a CreateModelStep.
 */
export interface CreateModelStepProps extends SageMakerTaskProps {
  /** The serving image. */
  readonly image: SageMakerImage;

  /**
   * The `model.tar.gz`: e.g. a training stage's `modelArtifacts` (known at run time) or a
   * fixed object. The model's role is granted read access to it.
   */
  readonly modelData: JobS3Location;

  /**
   * The prefix of the model's name; each execution names the model `<prefix>-<uuid>`.
   * Lowercase, so the name is exactly the last segment of the model's ARN. At most 26 characters.
   *
   * @default - 'model' and a hash of the construct path, e.g. 'model-1a2b3c4d'
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
   * The VPC the model's containers run in (SageMaker attaches network interfaces there).
   *
   * @default - no VPC; a `TrainingWorkflow` that promotes through an endpoint takes the VPC settings of
   * the model the endpoint serves
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc`.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the model's network interfaces in `vpc`.
   *
   * @default - with `vpc`, a security group that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
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
export class CreateModelStep extends SageMakerTask implements iam.IGrantable {
  /** The model's execution role. */
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  /** The model name prefix. */
  public readonly modelNamePrefix: string;
  private readonly props: CreateModelStepProps;
  private readonly imageUri: string;
  private readonly modelDataUri: { uri: string; isExpression: boolean };
  private vpcConfig?: { [key: string]: any };

  constructor(scope: Construct, id: string, props: CreateModelStepProps) {
    super(scope, id, {
      ...props,
      resultSelector: props.resultSelector ?? CREATE_MODEL_RESULT,
    }, createModelApi(props.modelNamePrefix, 'model'));
    this.props = props;
    this.modelNamePrefix = this.namePrefix;
    validateIn(this, () => validateEnvironment('environment', props.environment, { maxEntries: 100, maxKeyLength: 1024, maxValueLength: 1024 }));

    this.vpcConfig = validateIn(this, () => modelVpcConfig(this, props, 'SecurityGroup', 'Network interfaces of the models this step defines'));
    this.role = props.role ?? new SageMakerExecutionRole(this, 'Role', { vpcAccess: props.vpc !== undefined }).role;
    this.grantPrincipal = this.role;
    this.addPassRole(this.role);
    this.imageUri = validateIn(this, () => props.image.bind(this, this.role).imageUri);
    this.modelDataUri = validateIn(this, () => props.modelData.bind(this, this.role, S3AccessMode.READ));
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const props = this.props;
    return {
      ExecutionRoleArn: this.role.roleArn,
      PrimaryContainer: {
        Image: this.imageUri,
        [this.modelDataUri.isExpression ? 'ModelDataUrl.$' : 'ModelDataUrl']: this.modelDataUri.uri,
        Environment: props.environment,
      },
      EnableNetworkIsolation: props.enableNetworkIsolation,
      VpcConfig: this.vpcConfig,
    };
  }

  /**
   * Runs the models in the VPC settings of another model (`{ SecurityGroupIds, Subnets }`, as
   * rendered): a `TrainingWorkflow` that promotes through an endpoint gives its model those of the
   * model the endpoint serves. The step's own role, if it defined one, gets VPC access.
   * @internal
   */
  public _useVpcConfig(vpcConfig: { [key: string]: any }): void {
    if (this.vpcConfig) return;
    this.vpcConfig = vpcConfig;
    const own = this.node.tryFindChild('Role');
    if (own instanceof SageMakerExecutionRole) own.addVpcAccess();
  }
}
