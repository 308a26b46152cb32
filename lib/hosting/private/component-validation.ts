import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { instanceResources } from './instance-resources';
import { fail, validateCount, validateDuration, validateInteger, validateNumber } from '../../private/validate';
import type { InferenceComponentProps } from '../inference-component';
import type { ComponentComputeResources } from '../inference-component-options';

/*
 * Synth-time checks of an inference component against SageMaker's API limits (botocore
 * sagemaker 2017-07-24: InferenceComponentComputeResourceRequirements, InferenceComponentRuntimeConfig,
 * InferenceComponentRollingUpdatePolicy, InferenceComponentStartupParameters) and against what its
 * endpoint's instance type has (instance-resources.ts). Call within `validateIn`.
 */

function mebibytes(prop: string, size: Size | undefined): number | undefined {
  if (size === undefined) return undefined;
  const mib = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  if (Token.isUnresolved(mib)) return undefined;
  validateInteger(`${prop} (MiB)`, mib, 128, 10_000_000);
  return mib;
}

/** The reservation's own limits, then what the instance type has (a listed type only). */
export function validateComputeResources(c: ComponentComputeResources | undefined, instanceType: string): void {
  if (!c || c.minMemory === undefined) fail('computeResources.minMemory is required: SageMaker needs the memory a copy reserves (MinMemoryRequiredInMb)');
  const min = mebibytes('computeResources.minMemory', c.minMemory);
  const max = mebibytes('computeResources.maxMemory', c.maxMemory);
  if (min !== undefined && max !== undefined && max < min) fail(`computeResources.maxMemory must be at least minMemory (${min} MiB), got ${max} MiB`);
  validateNumber('computeResources.cpuCores', c.cpuCores, 0.25, 1000);
  validateNumber('computeResources.acceleratorDevices', c.acceleratorDevices, 1, 64);
  if (c.acceleratorDevices !== undefined && !Token.isUnresolved(c.acceleratorDevices) && !Number.isInteger(c.acceleratorDevices)) {
    fail(`computeResources.acceleratorDevices must be a whole number of devices, got ${c.acceleratorDevices}`);
  }
  const has = Token.isUnresolved(instanceType) ? undefined : instanceResources(instanceType);
  if (!has) return;
  const devices = c.acceleratorDevices;
  if (devices !== undefined && !Token.isUnresolved(devices) && devices > has.accelerators) {
    fail(`computeResources.acceleratorDevices must fit the endpoint's instance type ${instanceType}, which has ${has.accelerators} accelerator device(s), got ${devices}`);
  }
  if (c.cpuCores !== undefined && !Token.isUnresolved(c.cpuCores) && c.cpuCores > has.vcpus) {
    fail(`computeResources.cpuCores must fit the endpoint's instance type ${instanceType}, which has ${has.vcpus} vCPUs, got ${c.cpuCores}`);
  }
  if (min !== undefined && min > has.memoryGiB * 1024) {
    fail(`computeResources.minMemory must fit the endpoint's instance type ${instanceType}, which has ${has.memoryGiB} GiB (${has.memoryGiB * 1024} MiB), got ${min} MiB`);
  }
}

export function validateComponent(props: InferenceComponentProps): void {
  const endpoint = props.endpoint;
  validateComputeResources(props.computeResources, endpoint.instanceType.name);
  validateInteger('copyCount', props.copyCount, 0, 1000);
  validateDuration('modelDataDownloadTimeout', props.modelDataDownloadTimeout, Duration.seconds(60), Duration.seconds(3600));
  validateDuration('containerStartupHealthCheckTimeout', props.containerStartupHealthCheckTimeout, Duration.seconds(60), Duration.seconds(3600));
  const copies = props.copyCount ?? 1;
  const scaling = props.autoScaling;
  if (scaling) {
    validateInteger('autoScaling.minCopies', scaling.minCopies, 0, 1000);
    validateInteger('autoScaling.maxCopies', scaling.maxCopies, 1, 1000);
    const known = [scaling.minCopies, scaling.maxCopies, copies].every(n => !Token.isUnresolved(n));
    if (known && scaling.minCopies > scaling.maxCopies) fail(`autoScaling.minCopies must be at most maxCopies (${scaling.maxCopies}), got ${scaling.minCopies}`);
    if (known && (copies < scaling.minCopies || copies > scaling.maxCopies)) {
      fail(`copyCount must be between autoScaling.minCopies and maxCopies (${scaling.minCopies} to ${scaling.maxCopies}), got ${copies}`);
    }
    const targets = [scaling.targetInvocationsPerCopy, scaling.targetConcurrentRequestsPerCopy].filter(t => t !== undefined);
    if (targets.length !== 1) {
      fail(`autoScaling must set exactly one of targetInvocationsPerCopy and targetConcurrentRequestsPerCopy, got ${targets.length === 0 ? 'neither' : 'both'}`);
    }
    validateNumber('autoScaling.targetInvocationsPerCopy', scaling.targetInvocationsPerCopy, 0.001, 1e9);
    validateNumber('autoScaling.targetConcurrentRequestsPerCopy', scaling.targetConcurrentRequestsPerCopy, 0.001, 1e9);
    validateDuration('autoScaling.scaleInCooldown', scaling.scaleInCooldown, Duration.seconds(0), Duration.days(7));
    validateDuration('autoScaling.scaleOutCooldown', scaling.scaleOutCooldown, Duration.seconds(0), Duration.days(7));
    const floor = endpoint.minInstanceCount;
    if (scaling.minCopies === 0 && !Token.isUnresolved(floor) && floor !== 0) {
      fail(`autoScaling.minCopies 0 (scale to zero) needs an endpoint that can reach zero instances, but endpoint '${endpoint.node.path}' keeps minInstanceCount ${floor}: its idle instances would still be billed; set the endpoint's minInstanceCount to 0, or minCopies to 1 or more`);
    }
  } else if (!Token.isUnresolved(copies) && copies === 0) {
    fail('copyCount must be at least 1 without autoScaling (a component with no copy and no scaling never serves), got 0');
  }
  const d = props.deployment;
  if (d) {
    validateDuration('deployment.waitInterval', d.waitInterval, Duration.seconds(0), Duration.hours(1));
    validateDuration('deployment.maximumExecutionTimeout', d.maximumExecutionTimeout, Duration.seconds(600), Duration.hours(8));
    if (d.rollbackAlarms) validateCount('deployment.rollbackAlarms', d.rollbackAlarms.length, 10);
  }
}

/** The `ComputeResourceRequirements` of a copy (CloudFormation shape). */
export function renderComputeResources(
  c: ComponentComputeResources,
): sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty {
  const mib = (s?: Size) => s?.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  return {
    minMemoryRequiredInMb: mib(c.minMemory),
    maxMemoryRequiredInMb: mib(c.maxMemory),
    numberOfCpuCoresRequired: c.cpuCores,
    numberOfAcceleratorDevicesRequired: c.acceleratorDevices,
  };
}
