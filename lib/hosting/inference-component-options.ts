import { Duration, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { validateInteger } from '../private/validate';

/**
 * What one copy of a component reserves on an instance (`ComputeResourceRequirements`).
 * SageMaker places copies only where the reservation fits.
 */
export interface ComponentComputeResources {
  /** The memory a copy needs at least (128 MiB or more, whole MiB). */
  readonly minMemory: Size;
  /**
   * The memory a copy may use at most.
   *
   * @default - no limit beyond the instance's
   */
  readonly maxMemory?: Size;
  /**
   * The CPU cores (vCPUs) a copy reserves, 0.25 or more.
   *
   * @default - none reserved
   */
  readonly cpuCores?: number;
  /**
   * The accelerator devices (GPUs, Inferentia) a copy reserves, 1 or more.
   *
   * @default - none reserved
   */
  readonly acceleratorDevices?: number;
}

/**
 * Target-tracking autoscaling of a component's copy count (Application Auto Scaling,
 * `sagemaker:inference-component:DesiredCopyCount`) on one of the metrics AWS predefines for
 * components. With `minCopies: 0` the component scales to zero copies when idle, and a
 * step-scaling policy on a `NoCapacityInvocationFailures` alarm brings a copy back on the first
 * request (SageMaker developer guide, "Scale an endpoint to zero instances"); its endpoint must
 * then have `minInstanceCount: 0`.
 */
export interface ComponentAutoScalingOptions {
  /** The fewest copies (0 scales the component to zero). */
  readonly minCopies: number;
  /** The most copies. */
  readonly maxCopies: number;
  /**
   * The invocations per copy per minute to hold (`SageMakerInferenceComponentInvocationsPerCopy`).
   * Exactly one of this and `targetConcurrentRequestsPerCopy`.
   *
   * @default - scale on concurrent requests
   */
  readonly targetInvocationsPerCopy?: number;
  /**
   * The requests in flight per copy to hold, sampled every 10 seconds
   * (`SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`).
   *
   * @default - scale on invocations
   */
  readonly targetConcurrentRequestsPerCopy?: number;
  /**
   * How long to wait after a scale-in.
   *
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * How long to wait after a scale-out.
   *
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}

/**
 * A batch of a rolling update (`InferenceComponentCapacitySize`): a number of copies or a share of
 * the component's copies.
 */
export class ComponentBatchSize {
  /** `count` copies at a time. */
  public static copies(count: number): ComponentBatchSize {
    validateInteger('copies', count, 1, 1000);
    return new ComponentBatchSize('COPY_COUNT', count);
  }

  /** `percent` of the copies at a time (1 to 100). */
  public static percent(percent: number): ComponentBatchSize {
    validateInteger('percent', percent, 1, 100);
    return new ComponentBatchSize('CAPACITY_PERCENT', percent);
  }

  /** `COPY_COUNT` or `CAPACITY_PERCENT`. */
  public readonly type: string;
  /** The number of copies or the percentage. */
  public readonly value: number;

  private constructor(type: string, value: number) {
    this.type = type;
    this.value = value;
  }
}

/**
 * How a new model version (or any change of the specification) reaches the component's copies:
 * a rolling update that rolls back when an alarm fires (`InferenceComponentDeploymentConfig`).
 * CloudFormation updates and `DeployComponentStage` use the same.
 */
export interface ComponentDeploymentOptions {
  /**
   * The copies replaced at a time.
   *
   * @default ComponentBatchSize.copies(1)
   */
  readonly batchSize?: ComponentBatchSize;
  /**
   * How long each batch bakes (its alarms watched) before the next, 0 to 1 hour.
   *
   * @default Duration.minutes(2)
   */
  readonly waitInterval?: Duration;
  /**
   * The longest the update may take, 10 minutes to 8 hours.
   *
   * @default - SageMaker's default
   */
  readonly maximumExecutionTimeout?: Duration;
  /**
   * The copies rolled back at a time.
   *
   * @default - all at once (blue/green)
   */
  readonly rollbackBatchSize?: ComponentBatchSize;
  /**
   * Alarms that roll the update back (at most 10). Your own replace the defaults.
   *
   * @default - an alarm on the component's 5xx errors and one on its model latency
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];
  /**
   * The model latency that triggers the default rollback alarm.
   *
   * @default Duration.seconds(1)
   */
  readonly maxModelLatency?: Duration;
}
