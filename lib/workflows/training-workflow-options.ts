import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';
import { SageMakerImage } from '../images/sagemaker-image';
import { IModelPackageGroup } from '../registry/model-package-group';
import { ModelApprovalStatus } from '../stages/register-model-stage';
import { IMlflowTrackingServer } from '../tracking/mlflow-tracking-server';

// What the TrainingWorkflow preset takes besides the stages' own props: the parts of the
// model, registration and promotion stages it does not fill in itself.

/**
 * The model the workflow defines from the trained (or best) artifacts.
 */
export interface WorkflowModelOptions {
  /**
   * The serving image.
   *
   * @default - the training image
   */
  readonly image?: SageMakerImage;

  /**
   * The model's execution role.
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly role?: iam.IRole;

  /**
   * The model name prefix (lowercase).
   *
   * @default 'model'
   */
  readonly modelNamePrefix?: string;

  /**
   * Environment variables of the serving container.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };
}

/**
 * Experiment tracking with a SageMaker managed MLflow tracking server.
 */
export interface ExperimentTrackingOptions {
  /** The tracking server. */
  readonly trackingServer: IMlflowTrackingServer;
  /** The experiment the jobs log to (`MLFLOW_EXPERIMENT_NAME`). */
  readonly experimentName: string;
}

/**
 * Deploys the model the workflow trained through a `RealtimeEndpoint` once it passes the
 * gate: a `DeployStage` after the model is defined, so the run-time endpoint configuration
 * carries the endpoint's own variants, key and data capture, and the update uses the
 * endpoint's blue/green deployment config with its rollback alarms.
 */
export interface PromoteToEndpointOptions {
  /** The endpoint the model is deployed through (created at run time if it is missing). */
  readonly endpoint: RealtimeEndpoint;

  /**
   * The variant that serves the model; the others keep their own models.
   *
   * @default - every variant serves the model
   */
  readonly variantName?: string;

  /**
   * How often the workflow checks whether the deployment has ended: 10 seconds to 1 hour.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many checks before the workflow gives up and fails with `EndpointDeploymentTimedOut`.
   *
   * @default - enough checks for the endpoint's maximumExecutionTimeout and 30 minutes of fleet start, or 2 hours
   */
  readonly maxPolls?: number;

  /**
   * Whether a successful deployment deletes the run-time configuration the previous one
   * replaced (the previous one is kept for a rollback).
   *
   * @default true
   */
  readonly cleanUp?: boolean;
}

/**
 * Registers the model that passed the gate as a new version of a model package group.
 */
export interface RegisterModelOptions {
  /** The group the version is registered in. */
  readonly modelPackageGroup: IModelPackageGroup;

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
   * The approval status the version starts with.
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
}

