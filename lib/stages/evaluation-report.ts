import { JobS3ObjectKey } from '../data/job-s3-location';

/**
 * An evaluation report an execution writes to S3 (`EvaluationStage.report`): what the
 * stage's quality gate reads and what `RegisterModelStage` attaches to a version as its
 * model-quality metrics. For a report written by a job of your own, give its object:
 * `{ object: location.objectKey('evaluation.json') }`.
 */
export interface EvaluationReport {
  /** The report object: its bucket, and its key (a `JsonPath` token for a per-execution location). */
  readonly object: JobS3ObjectKey;

  /**
   * The report's content type.
   *
   * @default 'application/json'
   */
  readonly contentType?: string;
}
