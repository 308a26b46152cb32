import { Duration, Names, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct, IConstruct } from 'constructs';
import { SageMakerInstanceType } from '../../compute/sagemaker-instance-type';
import { hasOnlyInstanceStorage, instanceTypeName, isBurstable } from '../../private/instance-types';
import { acknowledgeInCompliancePacks } from '../../private/nag';
import { fail, failAt, validateDuration, validateIn, validateInteger, validateLength, validateNumber, validatePattern } from '../../private/validate';

/**
 * Validation and rendering of instance-based production variants (real-time and
 * asynchronous endpoints). The settings are described structurally here, so this helper
 * does not import the endpoint constructs that use it.
 */
export interface VariantSettings {
  readonly model: { readonly modelName: string };
  readonly variantName?: string;
  readonly instanceType?: SageMakerInstanceType;
  readonly initialInstanceCount?: number;
  readonly initialVariantWeight?: number;
  readonly volumeSize?: Size;
  readonly modelDataDownloadTimeout?: Duration;
  readonly containerStartupHealthCheckTimeout?: Duration;
  /** A `RoutingStrategy` value. */
  readonly routingStrategy?: string;
  readonly autoScaling?: {
    readonly minCapacity: number;
    readonly maxCapacity: number;
    readonly targetInvocationsPerInstance: number;
  };
}

export const DEFAULT_INSTANCE_TYPE = SageMakerInstanceType.ML_M5_LARGE;

export function validateVariant(prefix: string, v: VariantSettings): void {
  const type = instanceTypeName(`${prefix}.instanceType`, v.instanceType, DEFAULT_INSTANCE_TYPE);
  validateInteger(`${prefix}.initialInstanceCount`, v.initialInstanceCount, 1, 1000);
  validateNumber(`${prefix}.initialVariantWeight`, v.initialVariantWeight, Number.MIN_VALUE, 1e9);
  if (v.initialVariantWeight !== undefined && !Token.isUnresolved(v.initialVariantWeight) && v.initialVariantWeight <= 0) {
    fail(`${prefix}.initialVariantWeight must be greater than 0, got ${v.initialVariantWeight}`);
  }
  validateInteger(`${prefix}.volumeSize (GiB)`, v.volumeSize?.toGibibytes({ rounding: SizeRoundingBehavior.NONE }), 1, 512);
  validateDuration(`${prefix}.modelDataDownloadTimeout`, v.modelDataDownloadTimeout, Duration.seconds(60), Duration.seconds(3600));
  validateDuration(`${prefix}.containerStartupHealthCheckTimeout`, v.containerStartupHealthCheckTimeout, Duration.seconds(60), Duration.seconds(3600));
  if (v.variantName !== undefined) {
    validateLength(`${prefix}.variantName`, v.variantName, 1, 63);
    validatePattern(`${prefix}.variantName`, v.variantName, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens');
  }
  const scaling = v.autoScaling;
  if (scaling) {
    if (Token.isUnresolved(type)) {
      // Application Auto Scaling refuses an endpoint update that changes an autoscaled
      // variant's instance type; a literal makes every such change a reviewed code change.
      fail(`${prefix}.instanceType must be a literal when autoScaling is set, got a token: SageMaker refuses an update that changes the instance type of an autoscaled variant, so the type must not change with a parameter`);
    }
    if (isBurstable(type)) {
      fail(`${prefix}.autoScaling cannot scale burstable instance type '${type}': Application Auto Scaling does not scale ml.t* endpoints; use e.g. ml.m5.large or remove autoScaling`);
    }
    if (scaling.minCapacity === 0) {
      // Variants cannot scale to zero instances: only inference components can (and asynchronous endpoints).
      fail(`${prefix}.autoScaling.minCapacity must be at least 1 for a production variant, got 0: scaling to zero instances is for inference components only (and asynchronous endpoints)`);
    }
    validateInteger(`${prefix}.autoScaling.minCapacity`, scaling.minCapacity, 1, 1000);
    validateInteger(`${prefix}.autoScaling.maxCapacity`, scaling.maxCapacity, 1, 1000);
    if (!Token.isUnresolved(scaling.minCapacity) && !Token.isUnresolved(scaling.maxCapacity) && scaling.minCapacity > scaling.maxCapacity) {
      fail(`${prefix}.autoScaling.minCapacity must be at most maxCapacity (${scaling.maxCapacity}), got ${scaling.minCapacity}`);
    }
    validateNumber(`${prefix}.autoScaling.targetInvocationsPerInstance`, scaling.targetInvocationsPerInstance, 1, 1e9);
  }
}

/** A variant as the CloudFormation endpoint configuration takes it; `modelName` overrides the variant's own model. */
export function renderVariant(v: VariantSettings, variantName: string, modelName?: string): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
  return {
    variantName,
    modelName: modelName ?? v.model.modelName,
    instanceType: (v.instanceType ?? DEFAULT_INSTANCE_TYPE).name,
    initialInstanceCount: v.initialInstanceCount ?? 1,
    initialVariantWeight: v.initialVariantWeight ?? 1,
    volumeSizeInGb: v.volumeSize?.toGibibytes(),
    modelDataDownloadTimeoutInSeconds: v.modelDataDownloadTimeout?.toSeconds(),
    containerStartupHealthCheckTimeoutInSeconds: v.containerStartupHealthCheckTimeout?.toSeconds(),
    routingConfig: v.routingStrategy ? { routingStrategy: v.routingStrategy } : undefined,
  };
}

/**
 * CloudFormation's SageMaker property names that are not the API's with the first letter
 * capitalized.
 */
const API_NAMES: { [cfnProperty: string]: string } = {
  volumeSizeInGb: 'VolumeSizeInGB',
};

/**
 * The fields of endpoint configurations and deployment configs that a run-time request
 * may carry. Anything else is refused rather than passed on under a guessed name: a
 * field added to the CloudFormation rendering must be added here on purpose.
 */
const KNOWN_FIELDS = new Set([
  // ProductionVariant
  'variantName', 'modelName', 'instanceType', 'initialInstanceCount', 'initialVariantWeight', 'volumeSizeInGb',
  'modelDataDownloadTimeoutInSeconds', 'containerStartupHealthCheckTimeoutInSeconds', 'routingConfig', 'routingStrategy',
  // DataCaptureConfig
  'enableCapture', 'initialSamplingPercentage', 'destinationS3Uri', 'kmsKeyId', 'captureOptions', 'captureMode',
  // DeploymentConfig
  'blueGreenUpdatePolicy', 'trafficRoutingConfiguration', 'type', 'waitIntervalInSeconds', 'canarySize', 'linearStepSize',
  'value', 'terminationWaitInSeconds', 'maximumExecutionTimeoutInSeconds', 'autoRollbackConfiguration', 'alarms', 'alarmName',
  // AsyncInferenceConfig
  'clientConfig', 'maxConcurrentInvocationsPerInstance', 'outputConfig', 's3OutputPath', 's3FailurePath', 'notificationConfig',
  'successTopic', 'errorTopic', 'includeInferenceResponseIn',
]);

/**
 * Renders a CloudFormation (camelCase) SageMaker property value in the API's request
 * shape (PascalCase), dropping undefined fields. The endpoint and its run-time
 * configurations are rendered from the same value, so they cannot drift apart.
 */
export function toApiShape(value: unknown): any {
  if (Array.isArray(value)) return value.map(toApiShape);
  if (value === null || typeof value !== 'object' || Token.isUnresolved(value)) return value;
  const result: { [key: string]: unknown } = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    if (!KNOWN_FIELDS.has(key)) throw new Error(`toApiShape: no SageMaker API name known for the CloudFormation property '${key}'`);
    result[API_NAMES[key] ?? key.charAt(0).toUpperCase() + key.slice(1)] = toApiShape(inner);
  }
  return result;
}

export function generatedEndpointName(scope: Construct, name?: string): string {
  if (name !== undefined) {
    validateIn(scope, () => {
      validateLength('endpointName', name, 1, 63);
      validatePattern('endpointName', name, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens');
    });
    return name;
  }
  return Names.uniqueResourceName(scope, { maxLength: 63, separator: '-' }).replace(/-+/g, '-').replace(/^-|-$/g, '');
}

/**
 * Acknowledges the missing configuration key where the instance types refuse one.
 */
export function acknowledgeNoKeyForInstanceStorage(config: IConstruct, instanceTypes: string[], key?: kms.IKey): void {
  const refusing = instanceTypes.filter(t => !Token.isUnresolved(t) && hasOnlyInstanceStorage(t));
  if (!key && refusing.length) {
    acknowledgeInCompliancePacks(config, 'SageMakerEndpointConfigurationKMSKeyConfigured',
      `SageMaker rejects a volume key for instance types whose only storage is local NVMe (${refusing.join(', ')}); their instance store is encrypted by the hardware.`);
  }
}

/** The key for instance storage, or none where the instance types refuse one. */
export function volumeKeyFor(scope: Construct, instanceTypes: string[], given?: kms.IKey): kms.IKey | undefined {
  const refusing = instanceTypes.filter(t => !Token.isUnresolved(t) && hasOnlyInstanceStorage(t));
  if (given && refusing.length) {
    failAt(scope, `encryptionKey cannot be used with instance types whose only storage is local NVMe (${refusing.join(', ')}): SageMaker rejects a volume key for them and encrypts their instance store in hardware; remove encryptionKey or choose another instance type`);
  }
  if (given || refusing.length || instanceTypes.some(t => Token.isUnresolved(t))) return given;
  return new kms.Key(scope, 'Key', { description: 'Encrypts the endpoint\'s ML storage volumes', enableKeyRotation: true });
}
