import { Annotations, Duration, Size, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct, IConstruct } from 'constructs';
import { InferenceEndpointBase } from './inference-endpoint';
import { endpointArnOf } from './private/endpoint-arn';
import { variantScalableTarget } from './private/scaling';
import {
  DEFAULT_INSTANCE_TYPE, acknowledgeNoKeyForInstanceStorage, generatedEndpointName, renderVariant, toApiShape, validateVariant, volumeKeyFor,
} from './private/variants';
import { ISageMakerModel } from './sagemaker-model';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { acknowledgeInCompliancePacks, registerWildcardResource } from '../private/nag';
import { constructNamePrefix, MAX_NAME_PREFIX_LENGTH } from '../private/names';
import { fail, failAt, requireModelRole, validateCount, validateDuration, validateInteger, validateLength, validateNumber, validateIn, validatePattern, validateUnique } from '../private/validate';

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

/**
 * Properties of a RealtimeEndpoint.
 */
export interface RealtimeEndpointProps {
  /** The production variants (1 to 10). */
  readonly variants: ProductionVariantOptions[];

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
 * A CreateEndpointConfig request for a model deployed to a RealtimeEndpoint at run time.
 */
export interface EndpointConfigRequestOptions {
  /**
   * The new configuration's name: a literal or a JSONPath/JSONata expression, starting with
   * the endpoint's `runtimeConfigNamePrefix` and a hyphen.
   */
  readonly endpointConfigName: string;

  /**
   * The model to serve: a literal or a JSONPath/JSONata expression (for example the name a
   * create-model step wrote).
   */
  readonly modelName: string;

  /**
   * The variant that serves the model; the others keep their own models.
   *
   * @default - every variant serves the model
   */
  readonly variantName?: string;

  /**
   * Tags of the configuration (for example the workflow and execution that defined it).
   * Values may be JSONPath/JSONata expressions.
   *
   * @default - no tags
   */
  readonly tags?: { [key: string]: string };
}

/**
 * A real-time endpoint on provisioned instances: one or more production variants
 * (A/B testing by weight), autoscaling on invocations per instance, blue/green updates
 * that roll back on alarms, data capture, and encrypted storage volumes.
 *
 * A workflow deploys a new model through the endpoint's own settings: `endpointConfigRequest`
 * renders a configuration with the same variants, key and data capture for another model,
 * `updateEndpointRequest` the update with the endpoint's blue/green deployment config and
 * rollback alarms, and `grantDeploy` what the workflow's role needs for both.
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
  /** The name prefix of configurations defined at run time (`<prefix>-<uuid>`), which `grantDeploy` is scoped to. */
  public readonly runtimeConfigNamePrefix: string;
  /** The key of the instances' storage volumes, if any. */
  public readonly encryptionKey?: kms.IKey;
  /** The endpoint's data capture, if it captures its traffic (a monitor reads its destination). */
  public readonly dataCapture?: DataCaptureOptions;
  protected readonly defaultVariantName: string;
  private readonly scalableTargets = new Map<string, appscaling.ScalableTarget>();
  private readonly variants: ProductionVariantOptions[];
  private readonly dataCaptureConfig?: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty;
  private readonly deploymentConfig: sagemaker.CfnEndpoint.DeploymentConfigProperty;
  private readonly excludedVariantProperties: string[];
  /** The ARN of CloudFormation's configuration (its `Ref`: the ARN as SageMaker writes it). */
  private readonly stackConfigArn: string;
  /**
   * The longest SageMaker lets an update run, if set.
   * @internal
   */
  public readonly _deploymentTimeout?: Duration;

  constructor(scope: Construct, id: string, props: RealtimeEndpointProps) {
    super(scope, id);
    const variants = props.variants ?? [];
    this.variants = variants;
    this.variantNames = variants.map((v, i) => v.variantName ?? (i === 0 ? 'AllTraffic' : `Variant${i + 1}`));
    this.defaultVariantName = this.variantNames[0];
    const instanceTypes = variants.map(v => v.instanceType ?? DEFAULT_INSTANCE_TYPE);
    const deployment = props.deployment ?? {};
    const routing = (deployment.trafficRouting ?? TrafficRouting.allAtOnce()).render();
    const terminationWait = deployment.terminationWait ?? Duration.minutes(5);

    this.runtimeConfigNamePrefix = validateIn(this, () => {
      if (variants.length === 0) fail('variants must have at least one production variant, got none');
      validateCount('variants', variants.length, 10);
      variants.forEach((v, i) => validateVariant(`variants[${i}]`, v));
      validateUnique('variants[].variantName', this.variantNames);
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
    this.dataCaptureConfig = props.dataCapture ? validateIn(this, () => this.renderDataCapture(props.dataCapture!, variants)) : undefined;
    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: variants.map((v, i) => renderVariant(v, this.variantNames[i])),
      kmsKeyId: this.encryptionKey?.keyArn,
      dataCaptureConfig: this.dataCaptureConfig,
    });
    acknowledgeNoKeyForInstanceStorage(config, instanceTypes, this.encryptionKey);
    this.endpointConfigName = config.attrEndpointConfigName;
    this.stackConfigArn = config.ref;

    this._deploymentTimeout = deployment.maximumExecutionTimeout;
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
    this.excludedVariantProperties = autoscaled.length ? ['DesiredWeight'] : ['DesiredWeight', 'DesiredInstanceCount'];
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
      excludeRetainedVariantProperties: this.excludedVariantProperties.map(variantPropertyType => ({ variantPropertyType })),
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
    if (!this.variantNames.includes(variantName)) failAt(this, `variantName must be one of ${this.variantNames.join(', ')}, got '${variantName}'`);
    return this.metric(metricName, { ...props, dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName } });
  }

  /**
   * The CreateEndpointConfig request (SageMaker API shape) of a configuration that serves
   * another model with this endpoint's own settings: the same variants (instance type and
   * count, weight, volume, timeouts), volume key and data capture. A model deployed at run
   * time so cannot downgrade the endpoint. JSONPath values are tokens; render the request
   * with `sfn.FieldUtils.renderObject` in a JSONPath state.
   */
  public endpointConfigRequest(options: EndpointConfigRequestOptions): { [key: string]: any } {
    validateIn(this, () => {
      if (options.variantName !== undefined && !Token.isUnresolved(options.variantName) && !this.variantNames.includes(options.variantName)) {
        fail(`endpointConfigRequest variantName must be one of ${this.variantNames.join(', ')}, got '${options.variantName}'`);
      }
      const name = options.endpointConfigName;
      if (!Token.isUnresolved(name) && !isExpression(name) && !name.startsWith(`${this.runtimeConfigNamePrefix}-`)) {
        fail(`endpointConfigRequest endpointConfigName must start with the endpoint's runtimeConfigNamePrefix '${this.runtimeConfigNamePrefix}-' (grantDeploy allows only those), got '${name}'`);
      }
    });
    const tags = options.tags ? Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
    return {
      EndpointConfigName: options.endpointConfigName,
      ProductionVariants: this.variants.map((v, i) => toApiShape(renderVariant(v, this.variantNames[i],
        options.variantName === undefined || options.variantName === this.variantNames[i] ? options.modelName : undefined))),
      ...(this.encryptionKey ? { KmsKeyId: this.encryptionKey.keyArn } : {}),
      ...(this.dataCaptureConfig ? { DataCaptureConfig: toApiShape(this.dataCaptureConfig) } : {}),
      ...(tags ? { Tags: tags } : {}),
    };
  }

  /**
   * The UpdateEndpoint request (SageMaker API shape) that moves this endpoint to another
   * configuration with its blue/green deployment config and rollback alarms, keeping
   * autoscaled instance counts as the CloudFormation endpoint does.
   */
  public updateEndpointRequest(endpointConfigName: string): { [key: string]: any } {
    return {
      EndpointName: this.endpointName,
      EndpointConfigName: endpointConfigName,
      DeploymentConfig: toApiShape(this.deploymentConfig),
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: this.excludedVariantProperties.map(VariantPropertyType => ({ VariantPropertyType })),
    };
  }

  /**
   * The CreateEndpoint request (SageMaker API shape) that defines this endpoint with another
   * configuration, for a deployment that finds the endpoint missing.
   */
  public createEndpointRequest(endpointConfigName: string): { [key: string]: any } {
    return {
      EndpointName: this.endpointName,
      EndpointConfigName: endpointConfigName,
      DeploymentConfig: toApiShape(this.deploymentConfig),
    };
  }

  /**
   * Lets `grantee` (a workflow's role) deploy a model through this endpoint: define tagged
   * configurations named `<runtimeConfigNamePrefix>-*`, create, update and describe this
   * endpoint, let SageMaker use the volume key for the new fleet (`kms:CreateGrant` for AWS
   * resources, `kms:DescribeKey`), and read the rollback alarms (`cloudwatch:DescribeAlarms`).
   */
  public grantDeploy(grantee: iam.IGrantable): iam.Grant {
    // The wildcard is acknowledged in the grantee's stack, where its policy is.
    const scope = Construct.isConstruct(grantee) ? grantee : this;
    let grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:AddTags', 'sagemaker:ListTags'],
      resourceArns: [this._runtimeConfigArns(scope)],
    });
    const actions = ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:DescribeEndpoint', 'sagemaker:ListTags'];
    for (const statement of this._deployStatements(actions, scope)) {
      if (Object.keys(statement.conditions).length) {
        grantee.grantPrincipal.addToPrincipalPolicy(statement);
      } else {
        grant = grant.combine(iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources }));
      }
    }
    return grant;
  }

  /**
   * What a caller of `actions` on this endpoint needs: the actions on this endpoint and
   * its run-time configurations (CreateEndpoint and UpdateEndpoint authorize the
   * configuration they deploy as well), and for CreateEndpoint/UpdateEndpoint the volume
   * key (SageMaker attaches the new fleet's encrypted volumes through a grant made in the
   * caller's name) and the rollback alarms (SageMaker's deployment guardrails: the caller
   * must be allowed `cloudwatch:DescribeAlarms` on them).
   *
   * @internal
   */
  public _deployStatements(actions: string[], scope: IConstruct = this): iam.PolicyStatement[] {
    const configs = this._runtimeConfigArns(scope);
    // An update may also move the endpoint back to CloudFormation's configuration (a rollback).
    const stackConfig = actions.includes('sagemaker:UpdateEndpoint') ? [this.stackConfigArn] : [];
    const statements = [new iam.PolicyStatement({ actions, resources: [configs, ...stackConfig, this.endpointArn] })];
    if (!actions.some(a => /^sagemaker:(Create|Update)Endpoint$/.test(a))) return statements;
    if (this.encryptionKey) {
      statements.push(new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [this.encryptionKey.keyArn] }));
      statements.push(new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [this.encryptionKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }));
    }
    if (this.rollbackAlarms.length) {
      statements.push(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: this.rollbackAlarms.map(alarm => alarm.alarmArn) }));
    }
    return statements;
  }

  /**
   * The ARN pattern of this endpoint's run-time configurations (SageMaker lowercases names
   * in ARNs), registered as the one wildcard a deployment's policy needs, in the stack of
   * `scope` (the state machine's, which may not be the endpoint's).
   *
   * @internal
   */
  public _runtimeConfigArns(scope: IConstruct = this): string {
    const configs = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: `${this.runtimeConfigNamePrefix}-*` });
    registerWildcardResource(scope, configs,
      `Workflows name the configurations they define for endpoint ${this.node.path} '${this.runtimeConfigNamePrefix}-<uuid>' at run time; the policy is limited to that name prefix.`);
    return configs;
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
    const model = this.variants[index]?.model;
    const resource = model?.node.tryFindChild('Resource');
    if (!(resource instanceof sagemaker.CfnModel) || !resource.vpcConfig) return undefined;
    const vpc = resource.vpcConfig as sagemaker.CfnModel.VpcConfigProperty;
    return { SecurityGroupIds: vpc.securityGroupIds, Subnets: vpc.subnets };
  }

  /**
   * Whether the endpoint captures data (written with the serving model's role).
   * @internal
   */
  public get _capturesData(): boolean {
    return this.dataCapture !== undefined;
  }

  /**
   * Grants a model deployed to this endpoint at run time what the endpoint's own models
   * have: writing data capture (SageMaker writes captures with the model's role).
   *
   * @internal
   */
  public _grantServingModel(grantee: iam.IGrantable): void {
    if (!this.dataCapture) return;
    this.dataCapture.destination.bind(this, grantee, S3AccessMode.WRITE);
    this.dataCapture.encryptionKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  private renderDataCapture(
    capture: DataCaptureOptions, variants: ProductionVariantOptions[],
  ): sagemaker.CfnEndpointConfig.DataCaptureConfigProperty {
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

/** Whether a string is a JSONPath (`$.x`, `States.Format(...)`) or JSONata (`{% ... %}`) expression. */
function isExpression(value: string): boolean {
  return value.startsWith('$') || value.startsWith('States.') || /^\{%.*%\}$/s.test(value);
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

/** The prefix of run-time configuration names: `<prefix>-<uuid>` fits SageMaker's 63 characters. */
function runtimeConfigNamePrefix(scope: Construct, kind: string, given?: string): string {
  if (given !== undefined) {
    if (Token.isUnresolved(given)) fail('runtimeConfigNamePrefix must be a literal (it scopes grantDeploy\'s policy), got a token');
    validateLength('runtimeConfigNamePrefix', given, 1, MAX_NAME_PREFIX_LENGTH);
    validatePattern('runtimeConfigNamePrefix', given, /^[a-z0-9](-*[a-z0-9])*$/, 'lowercase letters, digits and single hyphens');
    return given;
  }
  return constructNamePrefix(scope, kind);
}
