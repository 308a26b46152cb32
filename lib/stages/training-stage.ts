import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stageTaskProps } from './private/stage-props';
import { TrainedModel } from './trained-model';
import { WorkflowStage } from './workflow-stage';
import { JobS3Location } from '../data/job-s3-location';
import { TrainingJobStep, TrainingJobStepProps } from '../jobs/training-job-step';
import { constructNamePrefix } from '../private/names';
import { ResultS3Location } from './private/result-location';

/**
 * Properties of a TrainingStage: those of the training job. Of the task-state props, the
 * stage honours `resultPath` (where its results and outputs live), `stateName`, `comment`,
 * `inputPath` and the timeouts, and refuses `resultSelector` and `outputPath`.
 */
export interface TrainingStageProps extends TrainingJobStepProps {}

/**
 * A stage that runs a SageMaker training job (`createTrainingJob.sync`) and hands the
 * trained model to the stages after it.
 *
 * Results at `resultPath` (`$.results.<id>`): `{ TrainingJobName, TrainingJobArn, ModelArtifacts }`.
 */
export class TrainingStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The training job task. */
  public readonly task: TrainingJobStep;
  /** The trained model: artifacts, their URI and the training job's name. */
  public readonly trainedModel: TrainedModel;
  /** The `model.tar.gz` this execution's job wrote (`trainedModel.modelArtifacts`). */
  public readonly modelArtifacts: JobS3Location;
  /** The `s3://` URI of the `model.tar.gz` (a `JsonPath` token). */
  public readonly modelDataUrl: string;
  /** The training job's name (a `JsonPath` token). */
  public readonly trainingJobName: string;
  /** The training job's ARN (a `JsonPath` token). */
  public readonly trainingJobArn: string;

  constructor(scope: Construct, id: string, props: TrainingStageProps) {
    super(scope, id, { resultPath: props.resultPath });
    this.task = new TrainingJobStep(this, 'Job', {
      ...props,
      // Named after the stage, distinct per construct path: 'train-1a2b3c4d'.
      jobNamePrefix: props.jobNamePrefix ?? constructNamePrefix(this, id),
      ...stageTaskProps(this, props),
      resultSelector: {
        'TrainingJobName.$': '$.TrainingJobName',
        'TrainingJobArn.$': '$.TrainingJobArn',
        'ModelArtifacts.$': '$.ModelArtifacts',
      },
    });
    this.catchFailures(this.task);
    this.modelDataUrl = this.resultValue('ModelArtifacts.S3ModelArtifacts');
    this.modelArtifacts = new ResultS3Location(this.resultField('ModelArtifacts.S3ModelArtifacts'), props.outputLocation,
      `the model artifacts of stage '${id}'`);
    this.trainingJobName = this.resultValue('TrainingJobName');
    this.trainingJobArn = this.resultValue('TrainingJobArn');
    this.trainedModel = { modelArtifacts: this.modelArtifacts, modelDataUrl: this.modelDataUrl, trainingJobName: this.trainingJobName };
    this.startState = this.task;
    this.endStates = [this.task];
  }
}
