import { Duration, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { grantVolumeKeyGrants } from './private/job-policies';
import { SageMakerTask, SageMakerTaskProps } from './sagemaker-task';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { SageMakerImage } from '../images/sagemaker-image';
import { hasOnlyInstanceStorage, instanceTypeName } from '../private/instance-types';
import { acknowledgeInCompliancePacks } from '../private/nag';
import { selectPrivateSubnets } from '../private/subnets';
import { fail, validateDuration, validateEnvironment, validateIn, validateInteger } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';

/**
 * Properties common to the SageMaker job steps.
 */
export interface SageMakerJobStepProps extends SageMakerTaskProps {
  /** The container image the job runs. */
  readonly image: SageMakerImage;

  /**
   * The prefix of the job's name. Each execution names the job `<prefix>-<uuid>`:
   * SageMaker job names are unique per account and region and jobs cannot be deleted, so
   * a fixed name would fail on the second execution. At most 26 characters.
   *
   * @default - the job kind and a hash of the construct path, e.g. 'training-1a2b3c4d':
   * distinct per step, so one workflow's policy never reaches another's jobs
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
   * @default SageMakerInstanceType.ML_M5_XLARGE
   */
  readonly instanceType?: SageMakerInstanceType;

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
   * storage reject a volume key (refused at synth).
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
   * @default - the VPC's private subnets with egress, or its isolated subnets if it has none
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
   * Whether traffic between the instances of a distributed job is encrypted. A training job
   * with `true` runs through the AWS SDK integration and a poll loop (see TrainingJobStep).
   *
   * @default false
   */
  readonly enableInterContainerTrafficEncryption?: boolean;

  // retryOnServiceErrors and capacityRetries: see SageMakerTaskProps.
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
  /**
   * The longest an environment variable value may be.
   *
   * @default 512
   */
  readonly maxEnvironmentValueLength?: number;
  /**
   * Whether the job is started through the AWS SDK integration
   * (`arn:aws:states:::aws-sdk:sagemaker:<api>`, request/response: the subclass waits for the
   * job itself) rather than the optimized `.sync` one: for a request with a field the optimized
   * integration does not take (optimized-fields.ts). The state machine then needs neither the
   * Stop action nor the `.sync` managed rule, and reads the job name back from its lowercase ARN
   * (the name prefix must be lowercase).
   *
   * @default false
   */
  readonly sdkIntegration?: boolean;
}

/**
 * A Step Functions task state that runs a SageMaker job with the optimized `.sync`
 * integration: Step Functions starts the job and waits for it to end, with no polling (a job
 * whose request the optimized integration does not take starts through the AWS SDK
 * integration instead, and its step polls: see TrainingJobStep).
 * Naming, retries, tags, IAM and rendering come from `SageMakerTask`; this class adds
 * the job's role, image, compute, network and stopping condition.
 */
export abstract class SageMakerJobStep extends SageMakerTask implements iam.IGrantable, ec2.IConnectable {
  /** The role the job runs with. */
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  /** The job's network connections (empty without a VPC). */
  public readonly connections: ec2.Connections;
  /** The job name prefix. */
  public readonly jobNamePrefix: string;

  /** @internal */
  protected readonly _imageUri: string;
  /** @internal */
  protected readonly _vpcConfig?: { SecurityGroupIds: string[]; Subnets: string[] };
  private readonly kind: SageMakerJobKind;
  private readonly jobProps: SageMakerJobStepProps;
  private readonly instanceTypeName: string;

  constructor(scope: Construct, id: string, props: SageMakerJobStepProps, kind: SageMakerJobKind) {
    const sdk = kind.sdkIntegration ?? false;
    super(scope, id, props, {
      api: kind.api,
      integrationPattern: sdk ? sfn.IntegrationPattern.REQUEST_RESPONSE : sfn.IntegrationPattern.RUN_JOB,
      resourceType: kind.resourceType,
      // `.sync` stops the job when the execution is aborted; the SDK integration cannot.
      actions: [`sagemaker:Create${kind.actionNoun}`, `sagemaker:Describe${kind.actionNoun}`, ...(sdk ? [] : [`sagemaker:Stop${kind.actionNoun}`])],
      nameField: `${kind.actionNoun}Name`,
      namePrefix: props.jobNamePrefix,
      namePrefixProp: 'jobNamePrefix',
      defaultNamePrefix: kind.defaultPrefix,
      eventRule: sdk ? undefined : kind.eventRule,
      startsCompute: true,
      sdkIntegration: sdk,
    });
    this.kind = kind;
    this.jobProps = props;
    this.jobNamePrefix = this.namePrefix;

    this.instanceTypeName = validateIn(this, () => {
      const instanceType = instanceTypeName('instanceType', props.instanceType, SageMakerInstanceType.ML_M5_XLARGE);
      validateInteger('instanceCount', props.instanceCount, 1, 100);
      validateInteger('volumeSize (GiB)', props.volumeSize?.toGibibytes({ rounding: SizeRoundingBehavior.NONE }), 1, 16384);
      validateDuration('maxRuntime', props.maxRuntime, Duration.seconds(1), kind.maxRuntime);
      validateEnvironment('environment', props.environment, { maxEntries: 100, maxKeyLength: 256, maxValueLength: kind.maxEnvironmentValueLength ?? 512 });
      if (props.vpcSubnets && !props.vpc) fail('vpcSubnets requires vpc');
      if (props.securityGroups && !props.vpc) fail('securityGroups requires vpc');
      if (props.securityGroups && props.securityGroups.length > 5) fail(`securityGroups may have at most 5 entries, got ${props.securityGroups.length}`);
      if (props.volumeEncryptionKey && hasOnlyInstanceStorage(instanceType)) {
        fail(`volumeEncryptionKey must not be set for instanceType '${instanceType}': its storage is local NVMe instance storage, which SageMaker encrypts itself and for which it rejects a volume key`);
      }
      return instanceType;
    });

    if (props.role) {
      this.role = props.role;
    } else {
      this.role = new SageMakerExecutionRole(this, 'Role', { vpcAccess: props.vpc !== undefined }).role;
    }
    this.grantPrincipal = this.role;
    this.addPassRole(this.role);
    this._imageUri = validateIn(this, () => props.image.bind(this, this.role).imageUri);
    // SageMaker attaches the encrypted volumes through a grant (KMS key permissions for
    // SageMaker: kms:CreateGrant on the volume key), and reads the key's description.
    if (props.volumeEncryptionKey) {
      props.volumeEncryptionKey.grant(this.role, 'kms:DescribeKey');
      grantVolumeKeyGrants(this.role, props.volumeEncryptionKey);
    }

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
        // Distributed jobs talk between their own instances (ingress only: egress is open); a
        // single-instance job has no peer, so no rule.
        if ((props.instanceCount ?? 1) > 1) {
          sg.addIngressRule(sg, ec2.Port.allTraffic(), 'traffic between the instances of the job');
          const selfIngress = sg.node.children.find(c => c instanceof ec2.CfnSecurityGroupIngress && c.node.id.endsWith(':ALL TRAFFIC'));
          if (selfIngress) {
            acknowledgeInCompliancePacks(selfIngress, 'EC2RestrictedCommonPorts',
              'Self-referencing rule of a distributed job: SageMaker requires its security group to allow inbound traffic between its own members (Give SageMaker Training Jobs Access to Resources in Your Amazon VPC); distributed frameworks pick their ports at run time. No other source is allowed.');
          }
        }
        securityGroups = [sg];
      }
    }
    this.connections = new ec2.Connections({ securityGroups });
    if (props.vpc) {
      this._vpcConfig = {
        SecurityGroupIds: securityGroups.map(sg => sg.securityGroupId),
        Subnets: selectPrivateSubnets(this, props.vpc, props.vpcSubnets, 'a SageMaker job').subnetIds,
      };
    }
  }

  /**
   * The longest the job runs: its maximum runtime.
   * @internal
   */
  protected _runDuration(): Duration {
    return this.jobProps.maxRuntime ?? Duration.days(1);
  }

  /**
   * Fields every job request shares (the job name and tags are added by the base).
   * @internal
   */
  protected _commonRequest(): { [key: string]: any } {
    const props = this.jobProps;
    return {
      RoleArn: this.role.roleArn,
      Environment: props.environment,
      StoppingCondition: { MaxRuntimeInSeconds: (props.maxRuntime ?? Duration.days(1)).toSeconds() },
    };
  }

  /**
   * The compute resources of the job.
   * @internal
   */
  protected _clusterConfig(): { [key: string]: any } {
    const props = this.jobProps;
    return {
      InstanceType: this.instanceTypeName,
      InstanceCount: props.instanceCount ?? 1,
      VolumeSizeInGB: (props.volumeSize ?? Size.gibibytes(30)).toGibibytes(),
      VolumeKmsKeyId: props.volumeEncryptionKey?.keyArn,
    };
  }

  /** The job kind (for subclasses' messages). @internal */
  protected get _kind(): SageMakerJobKind {
    return this.kind;
  }
}

