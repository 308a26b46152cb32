import { Duration, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { ISageMakerModel } from './sagemaker-model';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { validateDuration, validateInteger } from '../private/validate';

/**
 * Target-tracking autoscaling of a variant on invocations per instance.
 */
export interface VariantAutoScalingOptions {
  /** The fewest instances. */
  readonly minCapacity: number;
  /** The most instances. */
  readonly maxCapacity: number;
  /** The invocations per instance per minute to hold. */
  readonly targetInvocationsPerInstance: number;
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
 * A production variant: a model on a fleet of instances, taking a share of the traffic.
 */
export interface ProductionVariantOptions {
  /** The model served. */
  readonly model: ISageMakerModel;

  /**
   * The variant name.
   *
   * @default 'AllTraffic' for the first variant, `Variant<n>` for the others
   */
  readonly variantName?: string;

  /**
   * The instance type.
   *
   * @default SageMakerInstanceType.ML_M5_LARGE
   */
  readonly instanceType?: SageMakerInstanceType;

  /**
   * The number of instances at creation.
   *
   * @default 1
   */
  readonly initialInstanceCount?: number;

  /**
   * The variant's weight: its share of traffic is its weight over the sum of weights (A/B testing).
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
   * How the endpoint routes requests among the variant's instances. Large models with long,
   * uneven request times serve better with `LEAST_OUTSTANDING_REQUESTS`.
   *
   * @default - SageMaker's default (`RANDOM`)
   */
  readonly routingStrategy?: RoutingStrategy;

  /**
   * Autoscaling of the variant. Updates of the endpoint (by CloudFormation or by a workflow)
   * then keep the variant's current instance count instead of `initialInstanceCount`.
   *
   * SageMaker refuses an update that changes the instance type of an autoscaled variant
   * while its scalable target is registered. To change `instanceType`, deploy once without
   * `autoScaling` (which deregisters the target), then with the new type and `autoScaling`.
   * The instance type of an autoscaled variant must be a literal for that reason.
   *
   * @default - a fixed instance count
   */
  readonly autoScaling?: VariantAutoScalingOptions;
}

/**
 * How an endpoint routes requests among a variant's instances (`RoutingConfig.RoutingStrategy`).
 */
export enum RoutingStrategy {
  /** To the instance with the fewest requests in flight: suits long, uneven requests (large models). */
  LEAST_OUTSTANDING_REQUESTS = 'LEAST_OUTSTANDING_REQUESTS',
  /** To a randomly chosen instance (SageMaker's default). */
  RANDOM = 'RANDOM',
}

/**
 * A shadow variant: a new model on its own fleet that receives a copy of a share of the
 * production variant's requests. Its responses are captured (data capture) and measured
 * (its own CloudWatch metrics), never returned to the caller. SageMaker allows one shadow
 * variant per endpoint, and an endpoint with a shadow variant has one production variant.
 */
export interface ShadowVariantOptions {
  /** The model tested in shadow. */
  readonly model: ISageMakerModel;

  /**
   * The variant name.
   *
   * @default 'Shadow'
   */
  readonly variantName?: string;

  /**
   * The percentage of the production variant's requests copied to the shadow variant: a
   * whole number from 1 to 100 (SageMaker's traffic sampling percentage). SageMaker derives it
   * from the shadow variant's weight relative to the production variant's, which is how the
   * endpoint configuration renders it.
   *
   * @default 100
   */
  readonly samplingPercentage?: number;

  /**
   * The instance type. AWS recommends the production variant's type, size and count unless
   * the test is about them, so that a promoted shadow carries the production load.
   *
   * @default SageMakerInstanceType.ML_M5_LARGE
   */
  readonly instanceType?: SageMakerInstanceType;

  /**
   * The number of instances.
   *
   * @default 1
   */
  readonly initialInstanceCount?: number;

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
   * How the endpoint routes the copied requests among the shadow variant's instances.
   *
   * @default - SageMaker's default (`RANDOM`)
   */
  readonly routingStrategy?: RoutingStrategy;
}

/**
 * How a blue/green update shifts traffic to the new fleet.
 */
export abstract class TrafficRouting {
  /** All traffic at once, then bake for `wait` before the old fleet goes. */
  public static allAtOnce(wait: Duration = Duration.minutes(5)): TrafficRouting {
    return new Routing('ALL_AT_ONCE', wait);
  }

  /**
   * `percent` of capacity first (1 to 50, SageMaker's limit for a canary), the rest after `wait`.
   */
  public static canary(percent: number, wait: Duration = Duration.minutes(5)): TrafficRouting {
    return new Routing('CANARY', wait, percent);
  }

  /**
   * `percent` of capacity per step (10 to 50, SageMaker's limits for a linear step), a step every `wait`.
   */
  public static linear(percent: number, wait: Duration = Duration.minutes(5)): TrafficRouting {
    return new Routing('LINEAR', wait, percent);
  }

  /** The `TrafficRoutingConfiguration` of the endpoint's deployment config. */
  public abstract render(): sagemaker.CfnEndpoint.TrafficRoutingConfigProperty;
}

/** SageMaker's limits on a step's share of capacity (TrafficRoutingConfig). */
const STEP_LIMITS: { [type: string]: [number, number] } = { CANARY: [1, 50], LINEAR: [10, 50] };

class Routing extends TrafficRouting {
  constructor(private readonly type: string, private readonly wait: Duration, private readonly percent?: number) {
    super();
    validateDuration('trafficRouting wait', wait, Duration.seconds(0), Duration.hours(1));
    if (percent !== undefined) {
      const [min, max] = STEP_LIMITS[type];
      validateInteger(`${type.toLowerCase()} percent`, percent, min, max);
    }
  }

  public render(): sagemaker.CfnEndpoint.TrafficRoutingConfigProperty {
    const size = this.percent === undefined ? undefined : { type: 'CAPACITY_PERCENT', value: this.percent };
    return {
      type: this.type,
      waitIntervalInSeconds: this.wait.toSeconds(),
      canarySize: this.type === 'CANARY' ? size : undefined,
      linearStepSize: this.type === 'LINEAR' ? size : undefined,
    };
  }
}

/**
 * How the endpoint is updated when its configuration changes.
 */
export interface EndpointDeploymentOptions {
  /**
   * How traffic shifts to the new fleet.
   *
   * @default TrafficRouting.allAtOnce()
   */
  readonly trafficRouting?: TrafficRouting;

  /**
   * How long the old fleet is kept after all traffic has shifted.
   *
   * @default Duration.minutes(5)
   */
  readonly terminationWait?: Duration;

  /**
   * The longest the update may take: 10 minutes to 8 hours, and longer than the traffic
   * routing's waits plus `terminationWait`.
   *
   * @default - SageMaker's default
   */
  readonly maximumExecutionTimeout?: Duration;

  /**
   * Alarms that roll the update back. Your own replace the defaults.
   *
   * @default - per variant, an alarm on 5xx errors and one on model latency
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];

  /**
   * The model latency that triggers the default rollback alarm.
   *
   * @default Duration.seconds(1)
   */
  readonly maxModelLatency?: Duration;
}
