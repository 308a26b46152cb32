import { JobS3Location } from '../data/job-s3-location';

/**
 * The model a training or tuning stage produced (`TrainingStage.trainedModel`,
 * `TuningStage.trainedModel`): what evaluation, registration and model stages take.
 */
export interface TrainedModel {
  /**
   * The `model.tar.gz` this execution's job wrote: a model's data or an evaluation job's
   * input. Readers are granted read access to the training output prefix.
   */
  readonly modelArtifacts: JobS3Location;

  /** The `s3://` URI of the `model.tar.gz` (a `JsonPath` token). */
  readonly modelDataUrl: string;

  /** The name of the training job that wrote it (a `JsonPath` token; the best one for a tuning job). */
  readonly trainingJobName: string;
}
