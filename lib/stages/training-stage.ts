import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WorkflowStage } from './workflow-stage';
import { TrainingJobStep, TrainingJobStepProps } from '../jobs/training-job-step';
import { constructNamePrefix } from '../private/names';
import { JobS3Location } from '../data/job-s3-location';
import { ResultS3Location } from './private/result-location';

/**
 * Properties of a TrainingStage: those of the training job.
 */
export interface TrainingStageProps extends TrainingJobStepProps {}

/**
 * A stage that runs a SageMaker training job (`createTrainingJob.sync`) and hands the
 * model artifacts to the stages after it.
 *
 * Results at `$.results.<id>`: `{ TrainingJobName, TrainingJobArn, ModelArtifacts }`.
 */
export class TrainingStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The training job step. */
  public readonly job: TrainingJobStep;
  /**
   * The `model.tar.gz` this execution's job wrote: use it as a model's data or as an input
   * of an evaluation job. Readers are granted read access to the training output prefix.
   */
  public readonly modelArtifacts: JobS3Location;
  /** The `s3://` URI of the `model.tar.gz`, as a JSONPath into the execution state. */
  public readonly modelDataUrl: string;
  /** The training job's name, as a JSONPath into the execution state. */
  public readonly trainingJobName: string;

  constructor(scope: Construct, id: string, props: TrainingStageProps) {
    super(scope, id);
    this.job = new TrainingJobStep(this, 'Job', {
      ...props,
      // Named after the stage, distinct per construct path: 'train-1a2b3c4d'.
      jobNamePrefix: props.jobNamePrefix ?? constructNamePrefix(this, id),
      stateName: props.stateName ?? id,
      resultPath: this.resultPath,
      resultSelector: {
        'TrainingJobName.$': '$.TrainingJobName',
        'TrainingJobArn.$': '$.TrainingJobArn',
        'ModelArtifacts.$': '$.ModelArtifacts',
      },
    });
    this.catchFailures(this.job);
    this.modelDataUrl = this.resultField('ModelArtifacts.S3ModelArtifacts');
    this.modelArtifacts = new ResultS3Location(this.modelDataUrl, props.outputLocation,
      `the model artifacts of stage '${id}'`);
    this.trainingJobName = this.resultField('TrainingJobName');
    this.startState = this.job;
    this.endStates = [this.job];
  }
}
