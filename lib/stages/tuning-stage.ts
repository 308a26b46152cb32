import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { stageTaskProps } from './private/stage-props';
import { TrainedModel } from './trained-model';
import { WorkflowStage } from './workflow-stage';
import { JobS3Location } from '../data/job-s3-location';
import { HyperParameterTuningJobStep, HyperParameterTuningJobStepProps } from '../jobs/hyperparameter-tuning-job-step';
import { registerWildcardResource } from '../private/nag';
import { ResultS3Location } from './private/result-location';

/**
 * Properties of a TuningStage: those of the tuning job. Of the task-state props, the stage
 * honours `resultPath`, `stateName`, `comment`, `inputPath` and the timeouts, and refuses
 * `resultSelector` and `outputPath`.
 */
export interface TuningStageProps extends HyperParameterTuningJobStepProps {}

/**
 * A stage that runs a hyperparameter tuning job (`createHyperParameterTuningJob.sync`),
 * then reads the best training job's artifacts (`DescribeTrainingJob`: the tuning result
 * names the best job only), and hands them on typed like a `TrainingStage`'s: evaluation,
 * gate, registration and model stages take its `trainedModel` as a training stage's.
 *
 * Results at `resultPath` (`$.results.<id>`): `Tuning: { HyperParameterTuningJobName, HyperParameterTuningJobArn,
 * BestTrainingJob }` and `Best: { TrainingJobName, TrainingJobArn, ModelArtifacts }`.
 */
export class TuningStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The tuning job task. */
  public readonly task: HyperParameterTuningJobStep;
  /** The best training job's model: artifacts, their URI and the job's name. */
  public readonly trainedModel: TrainedModel;
  /** The `model.tar.gz` of the best training job (`trainedModel.modelArtifacts`). */
  public readonly modelArtifacts: JobS3Location;
  /** The best training job's name (a `JsonPath` token). */
  public readonly trainingJobName: string;
  /** The tuning job's name (a `JsonPath` token). */
  public readonly tuningJobName: string;
  /** The tuning job's ARN (a `JsonPath` token). */
  public readonly tuningJobArn: string;

  constructor(scope: Construct, id: string, props: TuningStageProps) {
    super(scope, id, { resultPath: props.resultPath });
    const taskProps = stageTaskProps(this, props);
    this.task = new HyperParameterTuningJobStep(this, 'Job', {
      ...props,
      stateName: taskProps.stateName,
      resultPath: `${this.resultPath}.Tuning`,
      resultSelector: {
        'HyperParameterTuningJobName.$': '$.HyperParameterTuningJobName',
        'HyperParameterTuningJobArn.$': '$.HyperParameterTuningJobArn',
        'BestTrainingJob.$': '$.BestTrainingJob',
      },
    });
    this.catchFailures(this.task);

    // The tuning job names its training jobs '<tuning job name>-<n>-<suffix>', so the
    // best one lies under this step's own name prefix.
    const trainingJobs = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: `${this.task.namePrefix.toLowerCase()}-*` });
    registerWildcardResource(this, trainingJobs,
      `The training jobs of tuning job '${this.task.namePrefix}-<random>' are named by SageMaker at run time under that prefix.`);
    const describe = new tasks.CallAwsService(this, 'DescribeBestTrainingJob', {
      stateName: `${taskProps.stateName}: read the best training job`,
      service: 'sagemaker',
      action: 'describeTrainingJob',
      parameters: { 'TrainingJobName.$': this.resultField('Tuning.BestTrainingJob.TrainingJobName') },
      iamResources: [trainingJobs],
      iamAction: 'sagemaker:DescribeTrainingJob',
      resultSelector: {
        'TrainingJobName.$': '$.TrainingJobName',
        'TrainingJobArn.$': '$.TrainingJobArn',
        'ModelArtifacts.$': '$.ModelArtifacts',
      },
      resultPath: this.resultField('Best'),
    });
    this.catchSageMakerSdkFailures(describe, this.resultField('Best'));
    // The call itself.
    this.addWaitBudget(Duration.seconds(60));
    this.task.next(describe);

    this.modelArtifacts = new ResultS3Location(this.resultField('Best.ModelArtifacts.S3ModelArtifacts'), props.training.outputLocation,
      `the best model artifacts of stage '${id}'`);
    this.trainingJobName = this.resultValue('Best.TrainingJobName');
    this.trainedModel = {
      modelArtifacts: this.modelArtifacts,
      modelDataUrl: this.resultValue('Best.ModelArtifacts.S3ModelArtifacts'),
      trainingJobName: this.trainingJobName,
    };
    this.tuningJobName = this.resultValue('Tuning.HyperParameterTuningJobName');
    this.tuningJobArn = this.resultValue('Tuning.HyperParameterTuningJobArn');
    this.startState = this.task;
    this.endStates = [describe];
  }
}
