import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { WorkflowStage } from './workflow-stage';
import { HyperParameterTuningJobStep, HyperParameterTuningJobStepProps } from '../jobs/hyperparameter-tuning-job-step';
import { registerWildcardResource } from '../private/nag';
import { JobS3Location } from '../data/job-s3-location';
import { ResultS3Location } from './private/result-location';

/**
 * Properties of a TuningStage: those of the tuning job.
 */
export interface TuningStageProps extends HyperParameterTuningJobStepProps {}

/**
 * A stage that runs a hyperparameter tuning job (`createHyperParameterTuningJob.sync`),
 * then reads the best training job's artifacts (`DescribeTrainingJob`: the tuning result
 * names the best job only), and hands them on typed like a `TrainingStage`'s: evaluation,
 * gate, registration and model stages take `modelArtifacts` and `trainingJobName` unchanged.
 *
 * Results at `$.results.<id>`: `Tuning: { HyperParameterTuningJobName, HyperParameterTuningJobArn,
 * BestTrainingJob }` and `Best: { TrainingJobName, TrainingJobArn, ModelArtifacts }`.
 */
export class TuningStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The tuning job step. */
  public readonly job: HyperParameterTuningJobStep;
  /** The `model.tar.gz` of the best training job of this execution's tuning job. */
  public readonly modelArtifacts: JobS3Location;
  /** The best training job's name, as a JSONPath into the execution state. */
  public readonly trainingJobName: string;
  /** The tuning job's name, as a JSONPath into the execution state. */
  public readonly tuningJobName: string;

  constructor(scope: Construct, id: string, props: TuningStageProps) {
    super(scope, id);
    this.job = new HyperParameterTuningJobStep(this, 'Job', {
      ...props,
      stateName: props.stateName ?? id,
      resultPath: `${this.resultPath}.Tuning`,
      resultSelector: {
        'HyperParameterTuningJobName.$': '$.HyperParameterTuningJobName',
        'HyperParameterTuningJobArn.$': '$.HyperParameterTuningJobArn',
        'BestTrainingJob.$': '$.BestTrainingJob',
      },
    });
    this.catchFailures(this.job);

    // The tuning job names its training jobs '<tuning job name>-<n>-<suffix>', so the
    // best one lies under this step's own name prefix.
    const trainingJobs = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: `${this.job.namePrefix.toLowerCase()}-*` });
    registerWildcardResource(this, trainingJobs,
      `The training jobs of tuning job '${this.job.namePrefix}-<random>' are named by SageMaker at run time under that prefix.`);
    const describe = new tasks.CallAwsService(this, 'DescribeBestTrainingJob', {
      stateName: `${id}: read the best training job`,
      service: 'sagemaker',
      action: 'describeTrainingJob',
      parameters: { 'TrainingJobName.$': `${this.resultPath}.Tuning.BestTrainingJob.TrainingJobName` },
      iamResources: [trainingJobs],
      iamAction: 'sagemaker:DescribeTrainingJob',
      resultSelector: {
        'TrainingJobName.$': '$.TrainingJobName',
        'TrainingJobArn.$': '$.TrainingJobArn',
        'ModelArtifacts.$': '$.ModelArtifacts',
      },
      resultPath: `${this.resultPath}.Best`,
    });
    this.catchSageMakerSdkFailures(describe, `${this.resultPath}.Best`);
    // The call itself.
    this.addWaitBudget(Duration.seconds(60));
    this.job.next(describe);

    this.modelArtifacts = new ResultS3Location(this.resultField('Best.ModelArtifacts.S3ModelArtifacts'), props.training.outputLocation,
      `the best model artifacts of stage '${id}'`);
    this.trainingJobName = this.resultField('Best.TrainingJobName');
    this.tuningJobName = this.resultField('Tuning.HyperParameterTuningJobName');
    this.startState = this.job;
    this.endStates = [describe];
  }
}
