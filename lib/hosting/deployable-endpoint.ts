import { Duration, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IInferenceEndpoint } from './inference-endpoint';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { JobS3Location } from '../data/job-s3-location';

/**
 * Captured requests and responses, for monitoring and retraining.
 */
export interface DataCaptureOptions {
  /** Where captures are written (a fixed location; SageMaker adds the date and hour). */
  readonly destination: JobS3Location;
  /**
   * The percentage of requests captured.
   *
   * @default 100
   */
  readonly samplingPercentage?: number;
  /**
   * Whether requests are captured.
   *
   * @default true
   */
  readonly captureRequest?: boolean;
  /**
   * Whether responses are captured.
   *
   * @default true
   */
  readonly captureResponse?: boolean;
  /**
   * The key captures are encrypted with.
   *
   * @default - the destination bucket's key, if known
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Where an asynchronous endpoint writes responses and whom it notifies: what every
 * configuration of the endpoint carries (`AsyncInferenceConfig`).
 */
export interface AsyncInferenceSettings {
  /** Where responses are written (a fixed location). */
  readonly outputLocation: JobS3Location;
  /**
   * Where failed requests' errors are written (a fixed location).
   *
   * @default - failures are only notified
   */
  readonly failureLocation?: JobS3Location;
  /**
   * The key responses are encrypted with.
   *
   * @default - the output bucket's key, if known
   */
  readonly outputEncryptionKey?: kms.IKey;
  /**
   * The topic notified of successful requests.
   *
   * @default - no notification
   */
  readonly successTopic?: sns.ITopic;
  /**
   * The topic notified of failed requests.
   *
   * @default - no notification
   */
  readonly errorTopic?: sns.ITopic;
  /**
   * Whether notifications carry the response body (small responses only).
   *
   * @default false
   */
  readonly includeResponseInNotifications?: boolean;
  /**
   * The most requests an instance handles at once.
   *
   * @default - SageMaker chooses
   */
  readonly maxConcurrentInvocationsPerInstance?: number;
}

/**
 * A production variant as a configuration defined at run time gets it: the same fleet for
 * another model.
 */
export interface DeployableVariant {
  /** The variant's name. */
  readonly variantName: string;
  /** The instance type (e.g. `SageMakerInstanceType.ML_M5_LARGE`). */
  readonly instanceType: SageMakerInstanceType;
  /**
   * The number of instances.
   *
   * @default 1
   */
  readonly initialInstanceCount?: number;
  /**
   * The variant's weight.
   *
   * @default 1
   */
  readonly initialVariantWeight?: number;
  /**
   * The ML storage volume of each instance.
   *
   * @default - SageMaker's default for the instance type
   */
  readonly volumeSize?: Size;
  /**
   * How long SageMaker may take to download the model data.
   *
   * @default - SageMaker's default
   */
  readonly modelDataDownloadTimeout?: Duration;
  /**
   * How long the container may take to pass its first `/ping` health check.
   *
   * @default - SageMaker's default
   */
  readonly containerStartupHealthCheckTimeout?: Duration;
  /**
   * The model the variant serves, which it keeps when a deployment serves another variant.
   *
   * @default - unknown: a deployment must serve its model on this variant
   */
  readonly modelName?: string;
  /**
   * Whether autoscaling sets the variant's instance count: an update then keeps the count.
   *
   * @default false
   */
  readonly autoScaled?: boolean;
}

/**
 * An endpoint that captures its traffic, which a monitor reads.
 */
export interface ICapturingEndpoint extends IInferenceEndpoint {
  /**
   * The endpoint's data capture.
   *
   * @default - it captures nothing
   */
  readonly dataCapture?: DataCaptureOptions;
}

/**
 * An endpoint a workflow deploys models to (`DeployStage`, `ApprovedModelDeployment`):
 * each deployment defines a configuration with the endpoint's own settings (its variants,
 * key, data capture, asynchronous inference) for another model and moves the endpoint to
 * it. `RealtimeEndpoint` and `AsyncEndpoint` are deployable, and so are their imports
 * (`RealtimeEndpoint.fromEndpointAttributes`, `AsyncEndpoint.fromEndpointAttributes`).
 */
export interface IDeployableEndpoint extends ICapturingEndpoint {
  /** The variants a run-time configuration gets, in order. */
  readonly variants: DeployableVariant[];

  /** The name prefix of configurations defined at run time (`<prefix>-<uuid>`), which `grantDeploy` is scoped to. */
  readonly runtimeConfigNamePrefix: string;

  /**
   * The key of the instances' storage volumes.
   *
   * @default - none
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Where responses go and who is notified, for an asynchronous endpoint.
   *
   * @default - a real-time endpoint
   */
  readonly asyncInference?: AsyncInferenceSettings;

  /**
   * How an update shifts traffic and which alarms roll it back.
   *
   * @default - SageMaker's default (blue/green, all at once, no rollback alarms)
   */
  readonly deploymentConfig?: sagemaker.CfnEndpoint.DeploymentConfigProperty;

  /** The alarms that roll an update back (the caller of an update may read them). */
  readonly rollbackAlarms: cloudwatch.IAlarm[];

  /**
   * The longest SageMaker lets an update run.
   *
   * @default - SageMaker's default
   */
  readonly deploymentTimeout?: Duration;

  /**
   * The ARN of the configuration the endpoint was defined with, which a rollback may
   * return to.
   *
   * @default - unknown: a rollback may return to run-time configurations only
   */
  readonly definedConfigArn?: string;

  /**
   * Lets `grantee` (a workflow's role) deploy through this endpoint: define and tag
   * configurations named `<runtimeConfigNamePrefix>-*`, read their tags, create, update and
   * describe the endpoint, let SageMaker use the volume key for the new fleet
   * (`kms:CreateGrant` for AWS resources, `kms:DescribeKey`), and read the rollback alarms.
   */
  grantDeploy(grantee: iam.IGrantable): iam.Grant;
}
