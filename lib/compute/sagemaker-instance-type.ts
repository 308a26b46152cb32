import { Token } from 'aws-cdk-lib';
import { validateInstanceType } from '../private/validate';

/**
 * A SageMaker ML instance type (`ml.<family>.<size>`): common ones as constants, any other
 * with `SageMakerInstanceType.of('ml.m7i.xlarge')`.
 *
 * Every `instanceType` prop of the library takes one: a constant, or
 * `SageMakerInstanceType.of(name)` for a name from configuration or a token (e.g.
 * `SageMakerInstanceType.of(param.valueAsString)`, which SageMaker judges at deploy time).
 * The constants do not say which job kinds and Regions offer a type:
 * SageMaker's API reference lists the types of each use (`ResourceConfig` for training,
 * `ProcessingClusterConfig` for processing, `ProductionVariant` for hosting,
 * `TransformResources` for batch transform); for example `ml.c5.large` and `ml.inf2.*` are
 * not training types.
 */
export class SageMakerInstanceType {
  // CPU, general purpose.
  /** ml.t3.medium: burstable, 2 vCPU, 4 GiB (endpoints on it cannot be autoscaled). */
  public static readonly ML_T3_MEDIUM = new SageMakerInstanceType('ml.t3.medium');
  /** ml.m5.large: 2 vCPU, 8 GiB. */
  public static readonly ML_M5_LARGE = new SageMakerInstanceType('ml.m5.large');
  /** ml.m5.xlarge: 4 vCPU, 16 GiB. */
  public static readonly ML_M5_XLARGE = new SageMakerInstanceType('ml.m5.xlarge');
  /** ml.m5.2xlarge: 8 vCPU, 32 GiB. */
  public static readonly ML_M5_2XLARGE = new SageMakerInstanceType('ml.m5.2xlarge');
  /** ml.m5.4xlarge: 16 vCPU, 64 GiB. */
  public static readonly ML_M5_4XLARGE = new SageMakerInstanceType('ml.m5.4xlarge');
  /** ml.m5.12xlarge: 48 vCPU, 192 GiB. */
  public static readonly ML_M5_12XLARGE = new SageMakerInstanceType('ml.m5.12xlarge');
  /** ml.m6i.large: 2 vCPU, 8 GiB. */
  public static readonly ML_M6I_LARGE = new SageMakerInstanceType('ml.m6i.large');
  /** ml.m6i.xlarge: 4 vCPU, 16 GiB. */
  public static readonly ML_M6I_XLARGE = new SageMakerInstanceType('ml.m6i.xlarge');

  // CPU, compute optimized.
  /** ml.c5.large: 2 vCPU, 4 GiB (hosting and processing; not a training type). */
  public static readonly ML_C5_LARGE = new SageMakerInstanceType('ml.c5.large');
  /** ml.c5.xlarge: 4 vCPU, 8 GiB. */
  public static readonly ML_C5_XLARGE = new SageMakerInstanceType('ml.c5.xlarge');
  /** ml.c5.2xlarge: 8 vCPU, 16 GiB. */
  public static readonly ML_C5_2XLARGE = new SageMakerInstanceType('ml.c5.2xlarge');
  /** ml.c5.4xlarge: 16 vCPU, 32 GiB. */
  public static readonly ML_C5_4XLARGE = new SageMakerInstanceType('ml.c5.4xlarge');
  /** ml.c6i.xlarge: 4 vCPU, 8 GiB. */
  public static readonly ML_C6I_XLARGE = new SageMakerInstanceType('ml.c6i.xlarge');

  // CPU, memory optimized.
  /** ml.r5.large: 2 vCPU, 16 GiB. */
  public static readonly ML_R5_LARGE = new SageMakerInstanceType('ml.r5.large');
  /** ml.r5.xlarge: 4 vCPU, 32 GiB. */
  public static readonly ML_R5_XLARGE = new SageMakerInstanceType('ml.r5.xlarge');

  // GPU (their storage is local NVMe: SageMaker refuses a volume key on them).
  /** ml.g4dn.xlarge: 1 NVIDIA T4. */
  public static readonly ML_G4DN_XLARGE = new SageMakerInstanceType('ml.g4dn.xlarge');
  /** ml.g4dn.2xlarge: 1 NVIDIA T4. */
  public static readonly ML_G4DN_2XLARGE = new SageMakerInstanceType('ml.g4dn.2xlarge');
  /** ml.g4dn.12xlarge: 4 NVIDIA T4. */
  public static readonly ML_G4DN_12XLARGE = new SageMakerInstanceType('ml.g4dn.12xlarge');
  /** ml.g5.xlarge: 1 NVIDIA A10G. */
  public static readonly ML_G5_XLARGE = new SageMakerInstanceType('ml.g5.xlarge');
  /** ml.g5.2xlarge: 1 NVIDIA A10G. */
  public static readonly ML_G5_2XLARGE = new SageMakerInstanceType('ml.g5.2xlarge');
  /** ml.g5.12xlarge: 4 NVIDIA A10G. */
  public static readonly ML_G5_12XLARGE = new SageMakerInstanceType('ml.g5.12xlarge');
  /** ml.g5.48xlarge: 8 NVIDIA A10G. */
  public static readonly ML_G5_48XLARGE = new SageMakerInstanceType('ml.g5.48xlarge');
  /** ml.g6.xlarge: 1 NVIDIA L4. */
  public static readonly ML_G6_XLARGE = new SageMakerInstanceType('ml.g6.xlarge');
  /** ml.p3.2xlarge: 1 NVIDIA V100 (EBS storage: a volume key is accepted). */
  public static readonly ML_P3_2XLARGE = new SageMakerInstanceType('ml.p3.2xlarge');
  /** ml.p3.8xlarge: 4 NVIDIA V100 (EBS storage: a volume key is accepted). */
  public static readonly ML_P3_8XLARGE = new SageMakerInstanceType('ml.p3.8xlarge');
  /** ml.p4d.24xlarge: 8 NVIDIA A100. */
  public static readonly ML_P4D_24XLARGE = new SageMakerInstanceType('ml.p4d.24xlarge');
  /** ml.p5.48xlarge: 8 NVIDIA H100. */
  public static readonly ML_P5_48XLARGE = new SageMakerInstanceType('ml.p5.48xlarge');

  // AWS accelerators.
  /** ml.inf2.xlarge: 1 AWS Inferentia2 (hosting). */
  public static readonly ML_INF2_XLARGE = new SageMakerInstanceType('ml.inf2.xlarge');
  /** ml.trn1.2xlarge: 1 AWS Trainium (built for training). */
  public static readonly ML_TRN1_2XLARGE = new SageMakerInstanceType('ml.trn1.2xlarge');
  /** ml.trn1.32xlarge: 16 AWS Trainium (built for training). */
  public static readonly ML_TRN1_32XLARGE = new SageMakerInstanceType('ml.trn1.32xlarge');

  /**
   * An instance type by name, e.g. `ml.m7i.xlarge`: checked to be `ml.<family>.<size>` (an
   * EC2 name such as `m5.large` is refused with a validation error naming it) unless it is
   * a token.
   */
  public static of(name: string): SageMakerInstanceType {
    validateInstanceType('instanceType', name);
    return new SageMakerInstanceType(name);
  }

  /** The name SageMaker takes, e.g. `ml.g5.xlarge` (a token for `of(token)`). */
  public readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /**
   * The family, e.g. `g5` for `ml.g5.xlarge`.
   *
   * @returns the family, or an empty string for a token
   */
  public get family(): string {
    return Token.isUnresolved(this.name) ? '' : this.name.split('.')[1];
  }

  /**
   * The size, e.g. `xlarge` for `ml.g5.xlarge`.
   *
   * @returns the size, or an empty string for a token
   */
  public get size(): string {
    return Token.isUnresolved(this.name) ? '' : this.name.split('.')[2];
  }

  /** The name, e.g. `ml.g5.xlarge`. */
  public toString(): string {
    return this.name;
  }
}
