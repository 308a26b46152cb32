import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { DataCaptureOptions, DeployableVariant, IDeployableEndpoint } from './deployable-endpoint';
import { IInferenceEndpoint, InferenceEndpointBase } from './inference-endpoint';
import { grantDeploy, renderDataCapture, runtimeConfigNamePrefix } from './private/deployment';
import { endpointArnOf } from './private/endpoint-arn';
import { ImportedDeployableEndpoint, ImportedEndpoint } from './private/imported-endpoint';
import { rollbackAlarms } from './private/rollback-alarms';
import { variantScalableTarget } from './private/scaling';
import { DEFAULT_SHADOW_NAME, ShadowSettings, registerEndpointExtras, renderShadow, shadowInstanceType, validateShadow } from './private/shadow';
import { DEFAULT_INSTANCE_TYPE, acknowledgeNoKeyForInstanceStorage, generatedEndpointName, renderVariant, validateVariant, volumeKeyFor } from './private/variants';
import { EndpointDeploymentOptions, ProductionVariantOptions, ShadowVariantOptions, TrafficRouting, VariantAutoScalingOptions } from './realtime-endpoint-options';
import { fail, failAt, requireModelRole, validateCount, validateDuration, validateIn, validateUnique } from '../private/validate';

/**
 * Properties of a RealtimeEndpoint.
 */
export interface RealtimeEndpointProps {
  /** The production variants (1 to 10). */
  readonly variants: ProductionVariantOptions[];

  /**
   * A shadow variant: a new model that receives a copy of a share of the production
   * variant's requests, its responses captured (with `dataCapture`) and measured, never
   * returned. With one, `variants` must hold exactly one production variant (SageMaker's
   * limit). `PromoteShadowStage` makes it the production variant.
   *
   * @default - no shadow variant
   */
  readonly shadowVariant?: ShadowVariantOptions;

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

  /**
   * The name prefix of the endpoint configurations that workflows define at run time to
   * deploy a new model to this endpoint (`<prefix>-<uuid>`): `grantDeploy` allows creating
   * configurations with this prefix only. Lowercase letters, digits and single hyphens,
   * at most 26 characters (a UUID and a hyphen fill the rest of SageMaker's 63).
   *
   * @default - derived from the construct's path, unique to this endpoint
   */
  readonly runtimeConfigNamePrefix?: string;
}

/**
 * An endpoint defined elsewhere that workflows of this app deploy to: what a run-time
 * configuration must carry, as the endpoint serves it.
 */
export interface RealtimeEndpointAttributes {
  /** The endpoint's name. */
  readonly endpointName: string;

  /** The endpoint's production variants: each deployment's configuration gets the same fleet. */
  readonly variants: DeployableVariant[];

  /**
   * The name prefix of configurations workflows define at run time (`<prefix>-<uuid>`).
   *
   * @default - derived from the endpoint's name
   */
  readonly runtimeConfigNamePrefix?: string;

  /**
   * The key of the instances' storage volumes, which every configuration carries.
   *
   * @default - none
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The endpoint's data capture, which every configuration carries (and a monitor reads).
   *
   * @default - no capture
   */
  readonly dataCapture?: DataCaptureOptions;

  /**
   * The configuration the endpoint serves now: a rollback of the first deployment through
   * this app may return to it.
   *
   * @default - unknown: rollbacks may return to run-time configurations only
   */
  readonly endpointConfigName?: string;

  /**
   * Alarms that roll an update back (all at once, then a 5-minute bake).
   *
   * @default - none
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];
}

/**
 * A real-time endpoint on provisioned instances: one or more production variants
 * (A/B testing by weight), autoscaling on invocations per instance, blue/green updates
 * that roll back on alarms, data capture, and encrypted storage volumes.
 *
 * It is an `IDeployableEndpoint`: a `DeployStage` deploys a new model through the
 * endpoint's own settings (a configuration with the same variants, key and data capture,
 * the update with its blue/green deployment config and rollback alarms), and `grantDeploy`
 * gives a workflow's role what that takes.
 */
export class RealtimeEndpoint extends InferenceEndpointBase implements IDeployableEndpoint {
  /** Imports an endpoint by name, for its metrics and invoke grants. */
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): IInferenceEndpoint {
    return new ImportedEndpoint(scope, id, endpointName, false);
  }

  /** Imports an endpoint defined elsewhere that workflows of this app deploy to. */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: RealtimeEndpointAttributes): IDeployableEndpoint {
    return new ImportedDeployableEndpoint(scope, id, {
      ...attrs,
      deploymentConfig: attrs.rollbackAlarms?.length
        ? { autoRollbackConfiguration: { alarms: attrs.rollbackAlarms.map(alarm => ({ alarmName: alarm.alarmName })) } } : undefined,
    });
  }

  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** The endpoint configuration's name (generated; it changes with the configuration). */
  public readonly endpointConfigName: string;
  /** The alarms that roll back an update. */
  public readonly rollbackAlarms: cloudwatch.IAlarm[];
  /** The variants' names, in order. */
  public readonly variantNames: string[];
  /** The shadow variant's name, if the endpoint has one. */
  public readonly shadowVariantName?: string;
  /** The variants as a run-time configuration gets them. */
  public readonly variants: DeployableVariant[];
  /** The name prefix of configurations defined at run time (`<prefix>-<uuid>`), which `grantDeploy` is scoped to. */
  public readonly runtimeConfigNamePrefix: string;
  /** The key of the instances' storage volumes, if any. */
  public readonly encryptionKey?: kms.IKey;
  /** The endpoint's data capture, if it captures its traffic (a monitor reads its destination). */
  public readonly dataCapture?: DataCaptureOptions;
  /** The blue/green deployment config and rollback alarms, which run-time updates use too. */
  public readonly deploymentConfig?: sagemaker.CfnEndpoint.DeploymentConfigProperty;
  /** The longest SageMaker lets an update run, if set. */
  public readonly deploymentTimeout?: Duration;
  /** The ARN of CloudFormation's configuration (its `Ref`: the ARN as SageMaker writes it). */
  public readonly definedConfigArn?: string;
  protected readonly defaultVariantName: string;
  private readonly scalableTargets = new Map<string, appscaling.ScalableTarget>();
  private readonly variantOptions: ProductionVariantOptions[];

  constructor(scope: Construct, id: string, props: RealtimeEndpointProps) {
    super(scope, id);
    const variants = props.variants ?? [];
    this.variantOptions = variants;
    this.variantNames = variants.map((v, i) => v.variantName ?? (i === 0 ? 'AllTraffic' : `Variant${i + 1}`));
    this.variants = variants.map((v, i) => ({
      variantName: this.variantNames[i],
      modelName: v.model.modelName,
      instanceType: v.instanceType ?? DEFAULT_INSTANCE_TYPE,
      initialInstanceCount: v.initialInstanceCount,
      initialVariantWeight: v.initialVariantWeight,
      volumeSize: v.volumeSize,
      modelDataDownloadTimeout: v.modelDataDownloadTimeout,
      containerStartupHealthCheckTimeout: v.containerStartupHealthCheckTimeout,
      autoScaled: v.autoScaling !== undefined,
    }));
    this.defaultVariantName = this.variantNames[0];
    const shadow: ShadowSettings | undefined = props.shadowVariant ? {
      ...props.shadowVariant,
      variantName: props.shadowVariant.variantName ?? DEFAULT_SHADOW_NAME,
      samplingPercentage: props.shadowVariant.samplingPercentage ?? 100,
    } : undefined;
    this.shadowVariantName = shadow?.variantName;
    // The volume key covers the shadow variant's instances too.
    const instanceTypes = [...variants.map(v => (v.instanceType ?? DEFAULT_INSTANCE_TYPE).name), ...(shadow ? [shadowInstanceType(shadow)] : [])];
    const deployment = props.deployment ?? {};
    const routing = (deployment.trafficRouting ?? TrafficRouting.allAtOnce()).render();
    const terminationWait = deployment.terminationWait ?? Duration.minutes(5);

    this.runtimeConfigNamePrefix = validateIn(this, () => {
      if (variants.length === 0) fail('variants must have at least one production variant, got none');
      validateCount('variants', variants.length, 10);
      variants.forEach((v, i) => validateVariant(`variants[${i}]`, v));
      validateUnique('variants[].variantName', this.variantNames);
      if (shadow) validateShadow(shadow, this.variantNames);
      validateDuration('deployment.terminationWait', deployment.terminationWait, Duration.seconds(0), Duration.hours(1));
      validateDuration('deployment.maximumExecutionTimeout', deployment.maximumExecutionTimeout, Duration.seconds(600), Duration.hours(8));
      validateTimeoutCoversWaits(routing, terminationWait, deployment.maximumExecutionTimeout);
      // Named after the endpoint where its name is known, so the console shows whose configuration it is.
      const kind = props.endpointName !== undefined && !Token.isUnresolved(props.endpointName) ? props.endpointName : id;
      return runtimeConfigNamePrefix(this, kind, props.runtimeConfigNamePrefix);
    });

    this.endpointName = validateIn(this, () => generatedEndpointName(this, props.endpointName));
    this.endpointArn = endpointArnOf(this, this.endpointName);
    this.encryptionKey = validateIn(this, () => volumeKeyFor(this, instanceTypes, props.encryptionKey));

    this.dataCapture = props.dataCapture;
    const dataCaptureConfig = props.dataCapture ? validateIn(this, () => {
      // SageMaker writes captures with the role of the variants' models.
      variants.forEach((v, i) => requireModelRole(`variants[${i}].model`, v.model));
      if (props.shadowVariant) requireModelRole('shadowVariant.model', props.shadowVariant.model);
      const writers = [...variants.map(v => v.model), ...(props.shadowVariant ? [props.shadowVariant.model] : [])];
      return renderDataCapture(this, props.dataCapture!, writers);
    }) : undefined;
    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: variants.map((v, i) => renderVariant(v, this.variantNames[i])),
      shadowProductionVariants: shadow ? [validateIn(this, () => renderShadow(shadow, variants[0]?.initialVariantWeight))] : undefined,
      kmsKeyId: this.encryptionKey?.keyArn,
      dataCaptureConfig,
    });
    acknowledgeNoKeyForInstanceStorage(config, instanceTypes, this.encryptionKey);
    this.endpointConfigName = config.attrEndpointConfigName;
    this.definedConfigArn = config.ref;
    registerEndpointExtras(this, {
      routing: Object.fromEntries(variants.flatMap((v, i) => v.routingStrategy ? [[this.variantNames[i], v.routingStrategy]] : [])),
      shadow,
    });

    this.deploymentTimeout = deployment.maximumExecutionTimeout;
    this.rollbackAlarms = deployment.rollbackAlarms ?? this.defaultAlarms(deployment.maxModelLatency ?? Duration.seconds(1));
    validateIn(this, () => validateCount('deployment.rollbackAlarms', this.rollbackAlarms.length, 10));
    this.deploymentConfig = {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: routing,
        terminationWaitInSeconds: terminationWait.toSeconds(),
        maximumExecutionTimeoutInSeconds: deployment.maximumExecutionTimeout?.toSeconds(),
      },
      autoRollbackConfiguration: this.rollbackAlarms.length
        ? { alarms: this.rollbackAlarms.map(alarm => ({ alarmName: alarm.alarmName })) }
        : undefined,
    };

    // An update keeps what autoscaling decided (the instance counts) and applies what the
    // code says (the weights); without autoscaling the code decides both.
    const autoscaled = variants.filter(v => v.autoScaling).map((_v, i) => this.variantNames[i]);
    const excludedVariantProperties = autoscaled.length ? ['DesiredWeight'] : ['DesiredWeight', 'DesiredInstanceCount'];
    const fixed = this.variantNames.filter((_n, i) => !variants[i].autoScaling);
    if (autoscaled.length && fixed.length) {
      Annotations.of(this).addWarningV2('cdk-sagemaker-ml:realtime-endpoint-mixed-scaling',
        `variants ${fixed.join(', ')} have no autoScaling but share the endpoint with autoscaled variants: updates keep every variant's current instance count, so a changed initialInstanceCount of ${fixed.join(', ')} applies only to a new endpoint`);
    }

    const endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: config.attrEndpointConfigName,
      deploymentConfig: this.deploymentConfig,
      retainAllVariantProperties: true,
      excludeRetainedVariantProperties: excludedVariantProperties.map(variantPropertyType => ({ variantPropertyType })),
    });

    variants.forEach((v, i) => {
      if (v.autoScaling) this.autoScale(this.variantNames[i], v.autoScaling, endpoint);
    });
  }

  /** The scalable target of an autoscaled variant. */
  public scalableTarget(variantName: string): appscaling.ScalableTarget {
    const target = this.scalableTargets.get(variantName);
    if (!target) failAt(this, `variant '${variantName}' has no autoScaling; variants with it: ${[...this.scalableTargets.keys()].join(', ') || 'none'}`);
    return target;
  }

  /** A metric of a given variant. */
  public metricForVariant(variantName: string, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    const names = [...this.variantNames, ...(this.shadowVariantName ? [this.shadowVariantName] : [])];
    if (!names.includes(variantName)) failAt(this, `variantName must be one of ${names.join(', ')}, got '${variantName}'`);
    return this.metric(metricName, { ...props, dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName } });
  }

  /**
   * A metric of the shadow variant (e.g. `ModelLatency`, `Invocations`, `Invocation5XXErrors`):
   * SageMaker reports a shadow variant's metrics under its own `VariantName`, side by side
   * with the production variant's.
   */
  public metricShadowVariant(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!this.shadowVariantName) failAt(this, 'metricShadowVariant needs a shadowVariant, and the endpoint has none');
    return this.metricForVariant(this.shadowVariantName, metricName, props);
  }

  public grantDeploy(grantee: iam.IGrantable): iam.Grant {
    return grantDeploy(this, grantee);
  }

  /**
   * The `VpcConfig` (SageMaker API shape) of the model served by `variantName` (the first
   * variant by default), when it is a `SageMakerModel` of this app that runs in a VPC: a
   * model defined at run time for this endpoint takes the same network settings.
   *
   * @internal
   */
  public _modelVpcConfig(variantName?: string): { [key: string]: any } | undefined {
    const index = variantName === undefined || Token.isUnresolved(variantName) ? 0 : Math.max(0, this.variantNames.indexOf(variantName));
    const model = this.variantOptions[index]?.model;
    const resource = model?.node.tryFindChild('Resource');
    if (!(resource instanceof sagemaker.CfnModel) || !resource.vpcConfig) return undefined;
    const vpc = resource.vpcConfig as sagemaker.CfnModel.VpcConfigProperty;
    return { SecurityGroupIds: vpc.securityGroupIds, Subnets: vpc.subnets };
  }

  private defaultAlarms(maxLatency: Duration): cloudwatch.IAlarm[] {
    return this.variantNames.flatMap((variant, index) => rollbackAlarms(this, {
      idPrefix: `Variant${index + 1}`,
      description: `variant ${variant}`,
      rollsBack: 'an endpoint update',
      guardedUpdate: 'an update',
      errors: this.metricForVariant(variant, 'Invocation5XXErrors', { statistic: 'Sum' }),
      latency: this.metricForVariant(variant, 'ModelLatency', { statistic: 'p99' }),
    }, maxLatency));
  }

  private autoScale(variantName: string, scaling: VariantAutoScalingOptions, endpoint: sagemaker.CfnEndpoint): void {
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

/**
 * SageMaker fails an update whose timeout does not exceed the deployment's configured
 * waits: the traffic routing's wait after each step, then the termination wait.
 */
function validateTimeoutCoversWaits(
  routing: sagemaker.CfnEndpoint.TrafficRoutingConfigProperty, terminationWait: Duration, timeout?: Duration,
): void {
  if (!timeout || Token.isUnresolved(timeout.toSeconds()) || Token.isUnresolved(terminationWait.toSeconds())) return;
  const wait = routing.waitIntervalInSeconds;
  if (wait === undefined || Token.isUnresolved(wait)) return;
  const step = (routing.linearStepSize as sagemaker.CfnEndpoint.CapacitySizeProperty | undefined)?.value;
  const steps = routing.type === 'LINEAR' && typeof step === 'number' && !Token.isUnresolved(step) ? Math.ceil(100 / step) : 1;
  const waits = steps * wait + terminationWait.toSeconds();
  if (timeout.toSeconds() <= waits) {
    fail(`deployment.maximumExecutionTimeout must be longer than the deployment's waits (${steps} x ${wait}s of traffic routing + ${terminationWait.toSeconds()}s termination wait = ${waits}s), got ${timeout.toSeconds()}s`);
  }
}
