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
