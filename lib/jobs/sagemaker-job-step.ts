import { Aws, Duration, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerImage } from '../image/sagemaker-image';
import { grantVolumeKeyGrants, renderTags, retryTransientErrors, syncJobPolicies } from '../private/job-policies';
import { perExecutionName, validateNamePrefix } from '../private/names';
import { fail, validateDuration, validateEnvironment, validateInstanceType, validateInteger, validateStringMap } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';

/**
 * Properties common to the SageMaker job steps.
 */
export interface SageMakerJobStepProps extends sfn.TaskStateBaseProps {
  /** The container image the job runs. */
  readonly image: SageMakerImage;

  /**
   * The prefix of the job's name. Each execution names the job `<prefix>-<uuid>`:
   * SageMaker job names are unique per account and region and jobs cannot be deleted, so
   * a fixed name would fail on the second execution. At most 26 characters.
   *
   * @default - the job kind, e.g. 'training' or 'processing'
   */
  readonly jobNamePrefix?: string;

  /**
   * The execution role the job runs with. The step grants it what the job's image,
   * inputs, outputs and keys need.
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly role?: iam.IRole;

  /**
   * The ML compute instance type.
   *
   * @default ml.m5.xlarge
   */
  readonly instanceType?: string;

  /**
   * The number of instances (more than one for distributed jobs).
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * The size of the ML storage volume attached to each instance.
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * The key that encrypts the ML storage volumes. Instance types with only local NVMe
   * storage reject a volume key.
   *
   * @default - AWS managed encryption
   */
  readonly volumeEncryptionKey?: kms.IKey;

  /**
   * The maximum time the job may run; SageMaker stops it after that.
   *
   * @default Duration.days(1)
   */
  readonly maxRuntime?: Duration;

  /**
   * Environment variables of the container (e.g. `MLFLOW_TRACKING_URI`,
   * `MLFLOW_EXPERIMENT_NAME`). Values may be JSONPath expressions (`JsonPath.stringAt`).
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * The VPC the job's containers run in. Needed for EFS and FSx for Lustre channels.
   *
   * @default - no VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of the VPC the job uses.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the job's network interfaces.
   *
   * @default - with a VPC, a security group that allows all outbound traffic (and
   * traffic between the job's own instances) is defined
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Whether the containers are isolated from the network (no outbound calls, not even
   * to AWS services).
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;

  /**
   * Whether traffic between the instances of a distributed job is encrypted.
   *
   * @default false
   */
  readonly enableInterContainerTrafficEncryption?: boolean;

  /**
   * Tags of the job.
   *
   * @default - none
   */
  readonly tags?: { [key: string]: string };

  /**
   * Whether the step retries SageMaker throttling and transient service errors
   * (5 attempts, from 15 seconds, doubling, with jitter). More retriers can be added
   * with `addRetry`.
   *
   * @default true
   */
  readonly retryOnServiceErrors?: boolean;
}

/**
 * What a concrete job step tells the base class about its SageMaker API.
 */
export interface SageMakerJobKind {
  /** The API, e.g. `createTrainingJob`. */
  readonly api: string;
  /** The IAM action noun, e.g. `TrainingJob`. */
  readonly actionNoun: string;
  /** The ARN resource type, e.g. `training-job`. */
  readonly resourceType: string;
  /** The managed EventBridge rule the `.sync` integration uses. */
  readonly eventRule: string;
  /** The default name prefix. */
  readonly defaultPrefix: string;
  /** The longest the API lets a job run. */
  readonly maxRuntime: Duration;
}

/** Validates a tag map against SageMaker's tag limits. */
export function validateTags(tags: { [key: string]: string } | undefined): void {
  validateStringMap('tags', tags, {
    maxEntries: 50,
    keyPattern: /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u,
    keyAllowed: 'letters, digits, spaces and _ . : / = + - @',
    maxKeyLength: 128,
    maxValueLength: 256,
  });
  for (const key of Object.keys(tags ?? {})) {
    if (key.toLowerCase().startsWith('aws:')) fail(`tags key must not start with 'aws:' (reserved), got '${key}'`);
  }
}

/**
 * A Step Functions task state that runs a SageMaker job with the optimized `.sync`
 * integration: Step Functions starts the job and waits for it to end, with no polling.
 */
export abstract class SageMakerJobStep extends sfn.TaskStateBase implements iam.IGrantable, ec2.IConnectable {
  /** The role the job runs with. */
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  /** The job's network connections (empty without a VPC). */
  public readonly connections: ec2.Connections;
  /** The job name prefix. */
  public readonly jobNamePrefix: string;

  /** The step's CloudWatch metrics: none beyond the state's own. */
  protected readonly taskMetrics?: sfn.TaskMetricsConfig;
  /** What the state machine's role needs to run the step. */
  protected readonly taskPolicies?: iam.PolicyStatement[];
  /** @internal */
  protected readonly _imageUri: string;
  /** @internal */
  protected readonly _vpcConfig?: { SecurityGroupIds: string[]; Subnets: string[] };
  private readonly kind: SageMakerJobKind;
  private readonly jobProps: SageMakerJobStepProps;

  constructor(scope: Construct, id: string, props: SageMakerJobStepProps, kind: SageMakerJobKind) {
    super(scope, id, props);
    this.kind = kind;
    this.jobProps = props;

    if (props.integrationPattern !== undefined && props.integrationPattern !== sfn.IntegrationPattern.RUN_JOB) {
      fail(`integrationPattern must be RUN_JOB for a SageMaker job step (it waits for the job with '.sync'), got ${props.integrationPattern}`);
    }
    if (props.queryLanguage === sfn.QueryLanguage.JSONATA) {
      fail('queryLanguage must be JSONPath for SageMaker job steps, got JSONATA');
    }
    this.jobNamePrefix = props.jobNamePrefix ?? kind.defaultPrefix;
    validateNamePrefix('jobNamePrefix', this.jobNamePrefix);
    validateInstanceType('instanceType', props.instanceType ?? 'ml.m5.xlarge');
    validateInteger('instanceCount', props.instanceCount, 1, 100);
    validateInteger('volumeSize (GiB)', props.volumeSize?.toGibibytes({ rounding: SizeRoundingBehavior.NONE }), 1, 16384);
    validateDuration('maxRuntime', props.maxRuntime, Duration.seconds(1), kind.maxRuntime);
    validateEnvironment('environment', props.environment, { maxEntries: 100, maxKeyLength: 256, maxValueLength: kind.api === 'createProcessingJob' ? 256 : 512 });
    validateTags(props.tags);
    if (props.vpcSubnets && !props.vpc) fail('vpcSubnets requires vpc');
    if (props.securityGroups && !props.vpc) fail('securityGroups requires vpc');
    if (props.securityGroups && props.securityGroups.length > 5) fail(`securityGroups may have at most 5 entries, got ${props.securityGroups.length}`);

    if (props.role) {
      this.role = props.role;
    } else {
      this.role = new SageMakerExecutionRole(this, 'Role', { vpcAccess: props.vpc !== undefined }).role;
    }
    this.grantPrincipal = this.role;
    this._imageUri = props.image.bind(this, this.role).imageUri;
    props.volumeEncryptionKey?.grantEncryptDecrypt(this.role);
    if (props.volumeEncryptionKey) grantVolumeKeyGrants(this.role, props.volumeEncryptionKey);

    let securityGroups: ec2.ISecurityGroup[] = [];
    if (props.vpc) {
      if (props.securityGroups) {
        securityGroups = props.securityGroups;
      } else {
        const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
          vpc: props.vpc,
          description: `SageMaker ${kind.resourceType} network interfaces`,
          allowAllOutbound: true,
        });
        // Distributed jobs talk between their own instances (ingress only: egress is open).
        sg.addIngressRule(sg, ec2.Port.allTraffic(), 'traffic between the instances of the job');
        securityGroups = [sg];
      }
    }
    this.connections = new ec2.Connections({ securityGroups });
    if (props.vpc) {
      this._vpcConfig = {
        SecurityGroupIds: securityGroups.map(sg => sg.securityGroupId),
        Subnets: props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
      };
    }

    this.taskPolicies = syncJobPolicies(this, {
      actionNoun: kind.actionNoun,
      resourceType: kind.resourceType,
      eventRule: kind.eventRule,
      namePrefix: this.jobNamePrefix,
      passRole: this.role,
      tagged: props.tags !== undefined,
    });

    if (props.retryOnServiceErrors ?? true) retryTransientErrors(this, Duration.seconds(15));
  }

  /**
   * The JSON request of the SageMaker API call, with JSONPath fields suffixed `.$`.
   * @internal
   */
  protected abstract _renderRequest(): { [key: string]: any };

  /**
   * @internal
   */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const queryLanguage = topLevelQueryLanguage ?? sfn.QueryLanguage.JSON_PATH;
    return {
      Resource: `arn:${Aws.PARTITION}:states:::sagemaker:${this.kind.api}.sync`,
      ...this._renderParametersOrArguments(this._renderRequest(), queryLanguage),
    };
  }

  /**
   * Fields every job request shares.
   * @internal
   */
  protected _commonRequest(): { [key: string]: any } {
    const props = this.jobProps;
    return {
      [`${this.kind.actionNoun}Name.$`]: perExecutionName(this.jobNamePrefix),
      RoleArn: this.role.roleArn,
      Environment: props.environment,
      StoppingCondition: { MaxRuntimeInSeconds: (props.maxRuntime ?? Duration.days(1)).toSeconds() },
      Tags: renderTags(props.tags),
    };
  }

  /**
   * The compute resources of the job.
   * @internal
   */
  protected _clusterConfig(): { [key: string]: any } {
    const props = this.jobProps;
    return {
      InstanceType: props.instanceType ?? 'ml.m5.xlarge',
      InstanceCount: props.instanceCount ?? 1,
      VolumeSizeInGB: (props.volumeSize ?? Size.gibibytes(30)).toGibibytes(),
      VolumeKmsKeyId: props.volumeEncryptionKey?.keyArn,
    };
  }

}
