import { Duration, Names, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct, IConstruct } from 'constructs';
import { hasOnlyInstanceStorage, isBurstable } from './instance-types';
import { acknowledgeInCompliancePacks } from './nag';
import { fail, validateDuration, validateInstanceType, validateInteger, validateLength, validateNumber, validatePattern } from './validate';
import type { ProductionVariantProps } from '../hosting/realtime-endpoint';

/** Validation and rendering of instance-based production variants (real-time and asynchronous endpoints). */

export function validateVariant(prefix: string, v: ProductionVariantProps): void {
  validateInstanceType(`${prefix}.instanceType`, v.instanceType ?? 'ml.m5.large');
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
    const type = v.instanceType ?? 'ml.m5.large';
    if (!Token.isUnresolved(type) && isBurstable(type)) {
      fail(`${prefix}.autoScaling cannot scale burstable instance type '${type}': Application Auto Scaling does not scale ml.t* endpoints; use e.g. ml.m5.large or remove autoScaling`);
    }
    validateInteger(`${prefix}.autoScaling.minCapacity`, scaling.minCapacity, 1, 1000);
    validateInteger(`${prefix}.autoScaling.maxCapacity`, scaling.maxCapacity, 1, 1000);
    if (!Token.isUnresolved(scaling.minCapacity) && !Token.isUnresolved(scaling.maxCapacity) && scaling.minCapacity > scaling.maxCapacity) {
      fail(`${prefix}.autoScaling.minCapacity must be at most maxCapacity (${scaling.maxCapacity}), got ${scaling.minCapacity}`);
    }
    validateNumber(`${prefix}.autoScaling.targetInvocationsPerInstance`, scaling.targetInvocationsPerInstance, 1, 1e9);
  }
}

export function renderVariant(v: ProductionVariantProps, variantName: string): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
  return {
    variantName,
    modelName: v.model.modelName,
    instanceType: v.instanceType ?? 'ml.m5.large',
    initialInstanceCount: v.initialInstanceCount ?? 1,
    initialVariantWeight: v.initialVariantWeight ?? 1,
    volumeSizeInGb: v.volumeSize?.toGibibytes(),
    modelDataDownloadTimeoutInSeconds: v.modelDataDownloadTimeout?.toSeconds(),
    containerStartupHealthCheckTimeoutInSeconds: v.containerStartupHealthCheckTimeout?.toSeconds(),
  };
}

export function generatedEndpointName(scope: Construct, name?: string): string {
  if (name !== undefined) {
    validateLength('endpointName', name, 1, 63);
    validatePattern('endpointName', name, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens');
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
    fail(`encryptionKey cannot be used with instance types whose only storage is local NVMe (${refusing.join(', ')}): SageMaker rejects a volume key for them and encrypts their instance store in hardware; remove encryptionKey or choose another instance type`);
  }
  if (given || refusing.length || instanceTypes.some(t => Token.isUnresolved(t))) return given;
  return new kms.Key(scope, 'Key', { description: 'Encrypts the endpoint\'s ML storage volumes', enableKeyRotation: true });
}

