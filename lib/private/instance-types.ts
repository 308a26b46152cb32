import { fail, validateInstanceType } from './validate';
import type { SageMakerInstanceType } from '../compute/sagemaker-instance-type';

/**
 * The name of an `instanceType` prop's value (or of its default) where the library renders
 * it, checked again where the prop is consumed so that an error names the construct path
 * (call it inside `validateIn`) and the prop: a JavaScript caller may pass a string where a
 * `SageMakerInstanceType` is typed, and a name may bypass `SageMakerInstanceType.of`.
 */
export function instanceTypeName(prop: string, value: SageMakerInstanceType | undefined, defaultType: SageMakerInstanceType): string {
  const type: unknown = value ?? defaultType;
  const name = typeof type === 'object' && type !== null ? (type as { name?: unknown }).name : undefined;
  if (typeof name !== 'string') {
    const got = typeof type === 'string' ? `the string '${type}' (use SageMakerInstanceType.of('${type}'))` : String(type);
    fail(`${prop} must be a SageMakerInstanceType (e.g. SageMakerInstanceType.ML_M5_XLARGE or SageMakerInstanceType.of('ml.m7i.xlarge')), got ${got}`);
  }
  validateInstanceType(prop, name);
  return name;
}

/** Burstable `ml.t*` instances: Application Auto Scaling refuses them for endpoints. */
export function isBurstable(instanceType: string): boolean {
  return /^ml\.t\d/.test(instanceType);
}

/**
 * Instance types whose only storage is local NVMe instance storage: SageMaker rejects
 * a storage volume KMS key on them (the instance store is hardware-encrypted).
 */
export function hasOnlyInstanceStorage(instanceType: string): boolean {
  const family = instanceType.split('.')[1] ?? '';
  return /^[a-z]+\d+[a-z]*d[a-z]*$/.test(family) // m5d, c5d, r5d, c6id, m6id, r6id, x2iedn
    || /^(g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|p5en|trn1|trn1n|inf2)$/.test(family);
}
