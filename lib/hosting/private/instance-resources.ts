/**
 * What an ML instance type offers the inference components it hosts: vCPUs, memory (GiB) and
 * accelerator devices (GPUs). Source: Amazon EC2 instance type specifications
 * (https://aws.amazon.com/ec2/instance-types/ — G5, G6, P4d, M5, C5; the `ml.` types are the
 * same hardware), as SageMaker AI pricing (https://aws.amazon.com/sagemaker/pricing/) lists
 * them for real-time inference. A type not listed is not checked: SageMaker judges it.
 */
export interface InstanceResources {
  readonly vcpus: number;
  readonly memoryGiB: number;
  readonly accelerators: number;
}

const r = (vcpus: number, memoryGiB: number, accelerators = 0): InstanceResources => ({ vcpus, memoryGiB, accelerators });

const TABLE: { [instanceType: string]: InstanceResources } = {
  // G5: NVIDIA A10G, 24 GiB each.
  'ml.g5.xlarge': r(4, 16, 1),
  'ml.g5.2xlarge': r(8, 32, 1),
  'ml.g5.4xlarge': r(16, 64, 1),
  'ml.g5.8xlarge': r(32, 128, 1),
  'ml.g5.12xlarge': r(48, 192, 4),
  'ml.g5.16xlarge': r(64, 256, 1),
  'ml.g5.24xlarge': r(96, 384, 4),
  'ml.g5.48xlarge': r(192, 768, 8),
  // G6: NVIDIA L4, 24 GiB each.
  'ml.g6.xlarge': r(4, 16, 1),
  'ml.g6.2xlarge': r(8, 32, 1),
  'ml.g6.4xlarge': r(16, 64, 1),
  'ml.g6.8xlarge': r(32, 128, 1),
  'ml.g6.12xlarge': r(48, 192, 4),
  'ml.g6.16xlarge': r(64, 256, 1),
  'ml.g6.24xlarge': r(96, 384, 4),
  'ml.g6.48xlarge': r(192, 768, 8),
  // P4d: 8 NVIDIA A100 (40 GiB each).
  'ml.p4d.24xlarge': r(96, 1152, 8),
  // M5, C5: no accelerator.
  'ml.m5.large': r(2, 8),
  'ml.m5.xlarge': r(4, 16),
  'ml.m5.2xlarge': r(8, 32),
  'ml.m5.4xlarge': r(16, 64),
  'ml.m5.12xlarge': r(48, 192),
  'ml.m5.24xlarge': r(96, 384),
  'ml.c5.large': r(2, 4),
  'ml.c5.xlarge': r(4, 8),
  'ml.c5.2xlarge': r(8, 16),
  'ml.c5.4xlarge': r(16, 32),
  'ml.c5.9xlarge': r(36, 72),
  'ml.c5.18xlarge': r(72, 144),
};

/** The resources of `instanceType`, or undefined for a type the table does not list (or a token). */
export function instanceResources(instanceType: string): InstanceResources | undefined {
  return Object.prototype.hasOwnProperty.call(TABLE, instanceType) ? TABLE[instanceType] : undefined;
}
