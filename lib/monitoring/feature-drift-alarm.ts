/**
 * An alarm on the baseline drift of one feature.
 */
export interface FeatureDriftAlarm {
  /** The feature (column) name, as in the baseline statistics. */
  readonly featureName: string;
  /**
   * The drift (distribution distance from the baseline, 0 to 1) above which the alarm fires.
   *
   * @default 0.1 (the comparison threshold of a suggested baseline)
   */
  readonly threshold?: number;
}
