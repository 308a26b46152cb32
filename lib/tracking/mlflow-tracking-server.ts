import { IResource, Names, Resource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { fail, validateIn, validatePattern } from '../private/validate';

/** What a job needs to log runs, metrics, parameters and models to a tracking server. */
const TRACKING_ACTIONS = [
  'sagemaker-mlflow:CreateExperiment', 'sagemaker-mlflow:GetExperiment', 'sagemaker-mlflow:GetExperimentByName', 'sagemaker-mlflow:SearchExperiments',
  'sagemaker-mlflow:CreateRun', 'sagemaker-mlflow:UpdateRun', 'sagemaker-mlflow:GetRun', 'sagemaker-mlflow:SearchRuns',
  'sagemaker-mlflow:LogMetric', 'sagemaker-mlflow:LogParam', 'sagemaker-mlflow:LogBatch', 'sagemaker-mlflow:LogModel', 'sagemaker-mlflow:LogInputs',
  'sagemaker-mlflow:SetTag', 'sagemaker-mlflow:GetMetricHistory',
];

/**
 * The longest server name whose ARN fits a processing job's environment value (256
 * characters), where jobs receive it as `MLFLOW_TRACKING_URI`: the ARN around the name,
 * `arn:aws-us-gov:sagemaker:<region>:<account>:mlflow-tracking-server/`, takes up to 76
 * (partition 10, Region 14, account 12). SageMaker itself allows 256.
 */
const MAX_NAME_LENGTH = 180;

function validateTrackingServerName(name: string): void {
  if (!Token.isUnresolved(name) && (name.length < 1 || name.length > MAX_NAME_LENGTH)) {
    fail(`trackingServerName must be between 1 and ${MAX_NAME_LENGTH} characters long so that the server's ARN fits a job's MLFLOW_TRACKING_URI (256 characters), got ${name.length} characters ('${name}')`);
  }
  validatePattern('trackingServerName', name, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens');
}

/**
 * A SageMaker managed MLflow tracking server.
 */
export interface IMlflowTrackingServer extends IResource {
  /**
   * The server's name.
   * @attribute
   */
  readonly trackingServerName: string;
  /**
   * The server's ARN: jobs use it as `MLFLOW_TRACKING_URI` (with the `sagemaker-mlflow` plugin).
   * @attribute
   */
  readonly trackingServerArn: string;
  /** Lets `grantee` log experiments, runs, metrics and artifacts to the server. */
  grantTracking(grantee: iam.IGrantable): iam.Grant;
}

/**
 * The capacity of a tracking server.
 */
export enum MlflowTrackingServerSize {
  /** Up to about 25 users. */
  SMALL = 'Small',
  /** Up to about 50 users. */
  MEDIUM = 'Medium',
  /** Up to about 100 users. */
  LARGE = 'Large',
}

/**
 * Properties of an MlflowTrackingServer.
 */
export interface MlflowTrackingServerProps {
  /** Where MLflow stores artifacts: a fixed location, e.g. `mlflow/` in the artifacts bucket. */
  readonly artifactStore: JobS3Location;

  /**
   * The server's name.
   *
   * @default - a name unique to this construct, generated at synth
   */
  readonly trackingServerName?: string;

  /**
   * The capacity.
   *
   * @default MlflowTrackingServerSize.SMALL
   */
  readonly size?: MlflowTrackingServerSize;

  /**
   * The MLflow version.
   *
   * @default - SageMaker's default
   */
  readonly mlflowVersion?: string;

  /**
   * Whether models logged to MLflow are registered in the SageMaker Model Registry.
   *
   * @default false
   */
  readonly automaticModelRegistration?: boolean;

  /**
   * The weekly maintenance window start, e.g. `Tue:03:30`.
   *
   * @default - SageMaker chooses
   */
  readonly weeklyMaintenanceWindowStart?: string;
}

/**
 * A SageMaker managed MLflow tracking server with its artifact store in S3 and a
 * least-privilege role. Jobs of a `TrainingWorkflow` given `experimentTracking` get its
 * ARN as `MLFLOW_TRACKING_URI`, an experiment name and the permissions to log.
 *
 * It runs (and is billed) continuously while it exists.
 */
export class MlflowTrackingServer extends Resource implements IMlflowTrackingServer {
  /** Imports a tracking server by name. */
  public static fromTrackingServerName(scope: Construct, id: string, trackingServerName: string): IMlflowTrackingServer {
    class Import extends Resource implements IMlflowTrackingServer {
      public readonly trackingServerName = trackingServerName;
      public readonly trackingServerArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'mlflow-tracking-server', resourceName: trackingServerName });
      public grantTracking(grantee: iam.IGrantable): iam.Grant {
        return iam.Grant.addToPrincipal({ grantee, actions: TRACKING_ACTIONS, resourceArns: [this.trackingServerArn] });
      }
    }
    validateTrackingServerName(trackingServerName);
    return new Import(scope, id);
  }

  public readonly trackingServerName: string;
  public readonly trackingServerArn: string;
  /** The role the server uses for its artifact store. */
  public readonly role: iam.IRole;
  private readonly artifactStore: JobS3Location;

  constructor(scope: Construct, id: string, props: MlflowTrackingServerProps) {
    super(scope, id);
    const name = props.trackingServerName ?? Names.uniqueResourceName(this, { maxLength: MAX_NAME_LENGTH, separator: '-' }).replace(/-+/g, '-');
    validateIn(this, () => {
      validateTrackingServerName(name);
      validatePattern('mlflowVersion', props.mlflowVersion, /^\d+(\.\d+){1,2}$/, "a version such as '2.16.2'");
      validatePattern('weeklyMaintenanceWindowStart', props.weeklyMaintenanceWindowStart, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d$/, "a day and time such as 'Tue:03:30'");
    });
    this.artifactStore = props.artifactStore;

    this.role = new ManagedPolicyRole(this, 'Role', {
      description: 'Lets the SageMaker MLflow tracking server use its artifact store',
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(this).account } }),
    });
    const store = validateIn(this, () => {
      props.artifactStore.bind(this, this.role, S3AccessMode.READ);
      const written = props.artifactStore.bind(this, this.role, S3AccessMode.WRITE);
      if (written.isExpression) fail('artifactStore must be a fixed location (JobS3Location.inBucket), not one computed at run time');
      return written;
    });

    const server = new sagemaker.CfnMlflowTrackingServer(this, 'Resource', {
      trackingServerName: name,
      artifactStoreUri: store.uri,
      roleArn: this.role.roleArn,
      trackingServerSize: props.size ?? MlflowTrackingServerSize.SMALL,
      mlflowVersion: props.mlflowVersion,
      automaticModelRegistration: props.automaticModelRegistration,
      weeklyMaintenanceWindowStart: props.weeklyMaintenanceWindowStart,
    });
    server.node.addDependency(this.role);
    this.trackingServerName = name;
    this.trackingServerArn = server.attrTrackingServerArn;
  }

  public grantTracking(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: TRACKING_ACTIONS, resourceArns: [this.trackingServerArn] });
    // The MLflow client uploads artifacts to the store itself, with the job's credentials.
    this.artifactStore.bind(this, grantee, S3AccessMode.READ);
    this.artifactStore.bind(this, grantee, S3AccessMode.WRITE);
    return grant;
  }
}
