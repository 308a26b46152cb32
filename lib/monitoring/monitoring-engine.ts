import { Duration } from 'aws-cdk-lib';

/**
 * Options of the processing-job monitoring engine.
 */
export interface ProcessingJobEngineOptions {
  /**
   * The production variant whose captured traffic is analyzed: SageMaker writes captures
   * under `<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/`.
   *
   * @default - the endpoint's first variant (`variants[0].variantName`), for endpoints that
   * name their variants (`RealtimeEndpoint`); required otherwise
   */
  readonly variantName?: string;

  /**
   * How long after the end of a period the run starts, so that the captures SageMaker still
   * buffers at the period's end are in S3 (0 to 60 minutes).
   *
   * @default Duration.minutes(5)
   */
  readonly captureDelay?: Duration;

  /**
   * Whether the schedule starts runs.
   *
   * @default true (as a Model Monitor schedule, which runs once defined)
   */
  readonly enabled?: boolean;
}

/**
 * What runs the data-quality analysis of a `DataQualityMonitor` or `DataQualityBaselineStep`.
 *
 * - `MonitoringEngine.modelMonitor()`: SageMaker Model Monitor (a monitoring schedule with
 *   its analyzer image). For accounts that already use Model Monitor: it is closed to new
 *   AWS customers since 2026-07-30.
 * - `MonitoringEngine.processingJob()`: the library's own analysis script (statistics,
 *   constraints, baseline drift and completeness, in Model Monitor's file formats and
 *   CloudWatch metrics) in AWS's SageMaker scikit-learn processing container, run by a
 *   Step Functions workflow on an EventBridge Scheduler schedule. For every account.
 */
export class MonitoringEngine {
  /** SageMaker Model Monitor (its analyzer image and monitoring schedules). */
  public static modelMonitor(): MonitoringEngine {
    return new MonitoringEngine(false, undefined);
  }

  /** The library's analysis in a SageMaker processing job, on a schedule of its own. */
  public static processingJob(options: ProcessingJobEngineOptions = {}): MonitoringEngine {
    return new MonitoringEngine(true, options);
  }

  /** Whether the analysis runs as the library's processing job rather than in Model Monitor. */
  public readonly isProcessingJob: boolean;

  /**
   * The options of the processing-job engine.
   *
   * @default - none (Model Monitor)
   */
  public readonly processingJobOptions?: ProcessingJobEngineOptions;

  private constructor(isProcessingJob: boolean, options: ProcessingJobEngineOptions | undefined) {
    this.isProcessingJob = isProcessingJob;
    this.processingJobOptions = options;
  }
}
