/**
 * What SageMaker bills an instance-hour as. One instance type has a price per use: the same
 * `ml.m5.large` is priced separately for hosting, training, processing and batch transform.
 */
export enum PriceComponent {
  /** Endpoint instances: real-time and asynchronous inference. */
  HOSTING = 'hosting',
  /** Training job instances. */
  TRAINING = 'training',
  /** Processing job instances. */
  PROCESSING = 'processing',
  /** Batch transform job instances. */
  BATCH_TRANSFORM = 'batch-transform',
  /** Managed MLflow tracking servers, priced by size (`Small`, `Medium`, `Large`). */
  MLFLOW_TRACKING_SERVER = 'mlflow-tracking-server',
}

/**
 * One on-demand price: an instance type used one way, in one Region, as read on a date from
 * a named source.
 */
export interface InstancePrice {
  /** The Region, e.g. `us-east-1`. */
  readonly region: string;
  /** What the instance-hour is billed as. */
  readonly component: PriceComponent;
  /** The instance type (`ml.m5.large`), or for MLflow tracking servers the size (`Small`). */
  readonly instanceType: string;
  /** The on-demand price per instance-hour, in the price list's currency. */
  readonly pricePerHour: number;
  /** When the price was read: `YYYY-MM-DD`, or `YYYY-MM` for a monthly bill. */
  readonly asOf: string;
  /** Where it was read, precisely enough to check it again (e.g. the Price List usage type). */
  readonly source: string;
}
