import { Duration, Size } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { InferenceEndpointBase, endpointArnOf } from './inference-endpoint';
import { ISageMakerModel } from './sagemaker-model';
import { acknowledgeInCompliancePacks } from '../private/nag';
import { variantScalableTarget } from '../private/scaling';
import { fail, requireModelRole, validateCount, validateDuration, validateInteger, validateNumber, validateUnique } from '../private/validate';
import { acknowledgeNoKeyForInstanceStorage, generatedEndpointName, renderVariant, validateVariant, volumeKeyFor } from '../private/variants';
import { JobS3Location, S3AccessMode } from '../storage/job-s3-location';

/**
 * Target-tracking autoscaling of a variant on invocations per instance.
 */
export interface VariantAutoScaling {
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
export interface ProductionVariantProps {
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
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;

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
   * Autoscaling of the variant.
   *
   * @default - a fixed instance count
   */
  readonly autoScaling?: VariantAutoScaling;
}

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
 * How a blue/green update shifts traffic to the new fleet.
 */
export abstract class TrafficRouting {
  /** All traffic at once, then bake for `wait` before the old fleet goes. */
  public static allAtOnce(wait: Duration = Duration.minutes(5)): TrafficRouting {
    return new Routing('ALL_AT_ONCE', wait);
  }

  /** `percent` of capacity first, the rest after `wait`. */
  public static canary(percent: number, wait: Duration = Duration.minutes(5)): TrafficRouting {
    return new Routing('CANARY', wait, percent);
  }

  /** `percent` of capacity per step, a step every `wait`. */
  public static linear(percent: number, wait: Duration = Duration.minutes(5)): TrafficRouting {
    return new Routing('LINEAR', wait, percent);
  }

  /** The `TrafficRoutingConfiguration` of the endpoint's deployment config. */
  public abstract render(): sagemaker.CfnEndpoint.TrafficRoutingConfigProperty;
}

class Routing extends TrafficRouting {
  constructor(private readonly type: string, private readonly wait: Duration, private readonly percent?: number) {
    super();
    validateDuration('trafficRouting wait', wait, Duration.seconds(0), Duration.hours(1));
    if (percent !== undefined) validateNumber(`${type.toLowerCase()} percent`, percent, 1, 99);
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
   * The longest the update may take.
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

/**
 * Properties of a RealtimeEndpoint.
 */
export interface RealtimeEndpointProps {
  /** The production variants (1 to 10). */
  readonly variants: ProductionVariantProps[];

  /**
   * The endpoint's name. Endpoint configurations never get a fixed name (they are
   * immutable and replaced on every change); the endpoint keeps its name across updates.
   *
   * @default - a name unique to this construct, generated at synth
   */
  readonly endpointName?: string;

  /**
   * The key that encrypts the instances' storage volumes. Instance types whose only
   * storage is local NVMe (ml.m5d, ml.g5, ml.p4d, …) reject a key: they encrypt their
   * instance store in hardware, and setting a key for them is an error.
   *
   * @default - a key with rotation when every variant's instance type takes one; none otherwise
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Data capture.
   *
   * @default - no capture
   */
  readonly dataCapture?: DataCaptureOptions;

  /**
   * Safe updates: blue/green traffic shifting with automatic rollback on alarms.
   *
   * @default - all at once with the default rollback alarms
   */
  readonly deployment?: EndpointDeploymentOptions;
}

/**
 * A real-time endpoint on provisioned instances: one or more production variants
 * (A/B testing by weight), autoscaling on invocations per instance, blue/green updates
 * that roll back on alarms, data capture, and encrypted storage volumes.
 */
export class RealtimeEndpoint extends InferenceEndpointBase {
  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** The endpoint configuration's name (generated; it changes with the configuration). */
  public readonly endpointConfigName: string;
  /** The alarms that roll back an update. */
  public readonly rollbackAlarms: cloudwatch.IAlarm[];
  /** The variants' names, in order. */
  public readonly variantNames: string[];
  protected readonly defaultVariantName: string;
  private readonly scalableTargets = new Map<string, appscaling.ScalableTarget>();

  constructor(scope: Construct, id: string, props: RealtimeEndpointProps) {
    super(scope, id);
    const variants = props.variants ?? [];
    if (variants.length === 0) fail('variants must have at least one production variant, got none');
    validateCount('variants', variants.length, 10);
    variants.forEach((v, i) => validateVariant(`variants[${i}]`, v));
    this.variantNames = variants.map((v, i) => v.variantName ?? (i === 0 ? 'AllTraffic' : `Variant${i + 1}`));
    validateUnique('variants[].variantName', this.variantNames);
    this.defaultVariantName = this.variantNames[0];

    this.endpointName = generatedEndpointName(this, props.endpointName);
    this.endpointArn = endpointArnOf(this, this.endpointName);
    const key = volumeKeyFor(this, variants.map(v => v.instanceType ?? 'ml.m5.large'), props.encryptionKey);

    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: variants.map((v, i) => renderVariant(v, this.variantNames[i])),
      kmsKeyId: key?.keyArn,
      dataCaptureConfig: props.dataCapture ? this.renderDataCapture(props.dataCapture, variants) : undefined,
    });
    acknowledgeNoKeyForInstanceStorage(config, variants.map(v => v.instanceType ?? 'ml.m5.large'), key);
    this.endpointConfigName = config.attrEndpointConfigName;

    this.rollbackAlarms = props.deployment?.rollbackAlarms ?? this.defaultAlarms(props.deployment?.maxModelLatency ?? Duration.seconds(1));
    const deployment = props.deployment ?? {};
    validateDuration('deployment.terminationWait', deployment.terminationWait, Duration.seconds(0), Duration.hours(1));
    validateDuration('deployment.maximumExecutionTimeout', deployment.maximumExecutionTimeout, Duration.seconds(600), Duration.hours(4));
    validateCount('deployment.rollbackAlarms', this.rollbackAlarms.length, 10);

    const endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: config.attrEndpointConfigName,
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration: (deployment.trafficRouting ?? TrafficRouting.allAtOnce()).render(),
          terminationWaitInSeconds: (deployment.terminationWait ?? Duration.minutes(5)).toSeconds(),
          maximumExecutionTimeoutInSeconds: deployment.maximumExecutionTimeout?.toSeconds(),
        },
        autoRollbackConfiguration: this.rollbackAlarms.length
          ? { alarms: this.rollbackAlarms.map(alarm => ({ alarmName: alarm.alarmName })) }
          : undefined,
      },
    });

    variants.forEach((v, i) => {
      if (v.autoScaling) this.autoScale(this.variantNames[i], v.autoScaling, endpoint);
    });
  }

  /** The scalable target of an autoscaled variant. */
  public scalableTarget(variantName: string): appscaling.ScalableTarget {
    const target = this.scalableTargets.get(variantName);
    if (!target) fail(`variant '${variantName}' has no autoScaling; variants with it: ${[...this.scalableTargets.keys()].join(', ') || 'none'}`);
    return target;
  }

  /** A metric of a given variant. */
  public metricForVariant(variantName: string, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!this.variantNames.includes(variantName)) fail(`variantName must be one of ${this.variantNames.join(', ')}, got '${variantName}'`);
    return this.metric(metricName, { ...props, dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName } });
  }

  private renderDataCapture(capture: DataCaptureOptions, variants: ProductionVariantProps[]): sagemaker.CfnEndpointConfig.DataCaptureConfigProperty {
    validateNumber('dataCapture.samplingPercentage', capture.samplingPercentage, 0, 100);
    validateInteger('dataCapture.samplingPercentage', capture.samplingPercentage, 0, 100);
    const modes = [
      ...(capture.captureRequest ?? true ? [{ captureMode: 'Input' }] : []),
      ...(capture.captureResponse ?? true ? [{ captureMode: 'Output' }] : []),
    ];
    if (modes.length === 0) fail('dataCapture must capture requests, responses or both; got captureRequest and captureResponse false');
    // SageMaker writes captures with the role of the variants' models.
    variants.forEach((v, i) => requireModelRole(`variants[${i}].model`, v.model));
    let destination: { uri: string; isExpression: boolean; encryptionKey?: kms.IKey } | undefined;
    for (const v of variants) destination = capture.destination.bind(this, v.model, S3AccessMode.WRITE);
    if (destination!.isExpression) fail('dataCapture.destination must be a fixed location (JobS3Location.inBucket), not one computed at run time');
    const key = capture.encryptionKey ?? destination!.encryptionKey;
    if (capture.encryptionKey) variants.forEach(v => capture.encryptionKey!.grant(v.model, 'kms:GenerateDataKey', 'kms:Decrypt'));
    return {
      enableCapture: true,
      initialSamplingPercentage: capture.samplingPercentage ?? 100,
      destinationS3Uri: destination!.uri,
      kmsKeyId: key?.keyArn,
      captureOptions: modes,
    };
  }

  private defaultAlarms(maxLatency: Duration): cloudwatch.IAlarm[] {
    const alarms = this.variantNames.flatMap(variant => [
      new cloudwatch.Alarm(this, `Variant${this.variantNames.indexOf(variant) + 1}Errors`, {
        alarmDescription: `5xx errors of variant ${variant}: rolls back an endpoint update`,
        metric: this.metricForVariant(variant, 'Invocation5XXErrors', { statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, `Variant${this.variantNames.indexOf(variant) + 1}Latency`, {
        alarmDescription: `p99 model latency of variant ${variant} above ${maxLatency.toHumanString()}: rolls back an endpoint update`,
        metric: this.metricForVariant(variant, 'ModelLatency', { statistic: 'p99' }),
        // ModelLatency is reported in microseconds.
        threshold: maxLatency.toMilliseconds() * 1000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ]);
    for (const alarm of alarms) {
      acknowledgeInCompliancePacks(alarm.node.defaultChild!, 'CloudWatchAlarmAction',
        'SageMaker\'s deployment guardrail reads this alarm\'s state (AutoRollbackConfiguration) to roll an update back; it needs no action of its own.',
        ['HIPAA.Security', 'NIST.800.53.R5']);
    }
    return alarms;
  }

  private autoScale(variantName: string, scaling: VariantAutoScaling, endpoint: sagemaker.CfnEndpoint): void {
    const index = this.variantNames.indexOf(variantName) + 1;
    const target = variantScalableTarget(this, `Variant${index}Scaling`, {
      endpointName: this.endpointName, variantName, minCapacity: scaling.minCapacity, maxCapacity: scaling.maxCapacity,
    });
    target.node.addDependency(endpoint);
    target.scaleToTrackMetric('InvocationsPerInstance', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      targetValue: scaling.targetInvocationsPerInstance,
      scaleInCooldown: scaling.scaleInCooldown ?? Duration.minutes(5),
      scaleOutCooldown: scaling.scaleOutCooldown ?? Duration.minutes(1),
    });
    this.scalableTargets.set(variantName, target);
  }
}
