import * as path from 'path';
import { CfnOutput, Duration, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerInstanceType } from '../../lib/compute/sagemaker-instance-type';
import { JobConfigFile } from '../../lib/data/job-config-file';
import { JobS3Location } from '../../lib/data/job-s3-location';
import { MlDataStore } from '../../lib/data/ml-data-store';
import { SageMakerImage } from '../../lib/images/sagemaker-image';
import { ChannelDataSource } from '../../lib/jobs/channel-data-source';
import { ParameterRange, ScalingType, TuningObjectiveType } from '../../lib/jobs/hyperparameter-tuning-job-step';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { RegisterModelStage } from '../../lib/stages/register-model-stage';
import { TuningStage } from '../../lib/stages/tuning-stage';
import { RetrainingOnNewData } from '../../lib/triggers/retraining-on-new-data';
import { RetrainingSchedule } from '../../lib/triggers/retraining-schedule';
import { SageMakerWorkflow } from '../../lib/workflows/sagemaker-workflow';

const EXAMPLE_IMAGE_DIRECTORY = path.join(__dirname, '..', '..', 'containers', 'glm');

/**
 * Properties of the lifecycle demonstration stack.
 */
export interface SageMakerLifecycleStackProps extends StackProps {
  /**
   * The training configuration file (predictors, target, family, link): the tuning job's
   * `config` channel, which the example image's `train` reads.
   *
   * @default - the example GLM's `containers/glm/sample/config.json`
   */
  readonly configFile?: string;

  /**
   * The training data: CSV files with the configuration's predictors, target and weights
   * (the tuning job's `train` channel).
   *
   * @default - the example GLM's sample data set (`containers/glm/sample/claims.csv`), shipped as an asset
   */
  readonly trainingData?: JobS3Location;

  /**
   * Whether the weekly retraining schedule starts runs. It is disabled by default, so a
   * deploy starts nothing that costs money; turn it on with `weeklyRetraining: true`, the
   * context value `weeklyRetraining=true` (`cdk deploy -c weeklyRetraining=true`), or for a
   * trial with `aws scheduler update-schedule --state ENABLED` on the `RetrainingScheduleName`
   * output (with the schedule's expression, target and flexible time window: the call
   * replaces the whole schedule).
   *
   * @default - false, unless the context value `weeklyRetraining` is `true`
   */
  readonly weeklyRetraining?: boolean;
}

/**
 * Demonstrates the MLOps lifecycle on the example GLM image: a workflow that tunes the
 * model (max_iter, tol) and registers the best one in a model package group, pending
 * approval; retrained weekly (disabled by default) and when a `_SUCCESS` marker lands under
 * `incoming/` in the data bucket.
 *
 * The tuning job's training jobs read the data the stack ships (`trainingData`, by default
 * the sample data set) in their `train` channel and the configuration file (`configFile`)
 * in their `config` channel: the example image's `train` needs both, so a run succeeds
 * right after `cdk deploy`, with no data to upload first.
 */
export class SageMakerLifecycleStack extends Stack {
  /** The data store. */
  public readonly dataStore: MlDataStore;
  /** The registry group. */
  public readonly modelPackageGroup: ModelPackageGroup;
  /** The tune-and-register workflow. */
  public readonly stateMachine: sfn.StateMachine;
  /** The weekly schedule. */
  public readonly schedule: RetrainingSchedule;

  constructor(scope: Construct, id: string, props: SageMakerLifecycleStackProps = {}) {
    super(scope, id, props);
    this.dataStore = new MlDataStore(this, 'DataStore');
    const { dataBucket, artifactsBucket } = this.dataStore;
    const image = SageMakerImage.fromAsset(EXAMPLE_IMAGE_DIRECTORY);
    const config = new JobConfigFile(this, 'TrainingConfig', {
      path: props.configFile ?? path.join(EXAMPLE_IMAGE_DIRECTORY, 'sample', 'config.json'),
    });
    const trainingData = props.trainingData ?? JobS3Location.fromAsset(new s3assets.Asset(this, 'SampleData', {
      path: path.join(EXAMPLE_IMAGE_DIRECTORY, 'sample', 'claims.csv'),
    }));
    this.modelPackageGroup = new ModelPackageGroup(this, 'Models', { description: 'GLM claims models, tuned and registered by the lifecycle workflow' });

    const tune = new TuningStage(this, 'tune', {
      training: {
        image,
        instanceType: SageMakerInstanceType.ML_M5_LARGE,
        volumeSize: Size.gibibytes(10),
        channels: [
          { channelName: 'train', source: ChannelDataSource.s3(trainingData), contentType: 'text/csv' },
          { channelName: 'config', source: ChannelDataSource.s3(config.location), contentType: 'application/json' },
        ],
        metricDefinitions: [{ name: 'train:deviance', regex: 'train_deviance=([-+0-9.eE]+)' }],
        outputLocation: JobS3Location.perExecution(artifactsBucket, 'tuned-models'),
        maxRuntime: Duration.hours(1),
      },
      objectiveMetricName: 'train:deviance',
      objectiveType: TuningObjectiveType.MINIMIZE,
      parameterRanges: [
        ParameterRange.integer('max_iter', 50, 500),
        ParameterRange.continuous('tol', 1e-10, 1e-4, ScalingType.LOGARITHMIC),
      ],
      maxTrainingJobs: 8,
      maxParallelTrainingJobs: 2,
      earlyStopping: true,
    });
    const register = new RegisterModelStage(this, 'register', {
      modelPackageGroup: this.modelPackageGroup,
      image,
      modelData: tune.trainedModel.modelArtifacts,
      contentTypes: ['text/csv'],
      responseContentTypes: ['application/json'],
      description: 'Best model of a tuning run',
    });

    const workflow = new SageMakerWorkflow(this, 'Workflow', {
      definition: tune.next(register),
      description: 'Tune and register the GLM claims model',
      outputs: { modelPackageArn: register.modelPackageArn, trainingJobName: tune.trainedModel.trainingJobName },
    });
    this.stateMachine = workflow.stateMachine;

    this.schedule = new RetrainingSchedule(this, 'WeeklyRetraining', {
      stateMachine: this.stateMachine,
      schedule: scheduler.ScheduleExpression.expression('cron(0 3 ? * MON *)'),
      enabled: props.weeklyRetraining ?? retrainingFromContext(this),
    });
    new RetrainingOnNewData(this, 'RetrainOnNewData', { stateMachine: this.stateMachine, bucket: dataBucket, prefix: 'incoming/', suffix: '_SUCCESS' });

    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn, description: 'Tune and register a model' });
    new CfnOutput(this, 'ModelPackageGroupName', { value: this.modelPackageGroup.modelPackageGroupName, description: 'Approve versions here' });
    new CfnOutput(this, 'RetrainingScheduleName', {
      value: this.schedule.schedule.scheduleName,
      description: 'Weekly retraining (disabled unless weeklyRetraining; aws scheduler update-schedule --state ENABLED)',
    });
  }
}

function retrainingFromContext(scope: Construct): boolean {
  const context = scope.node.tryGetContext('weeklyRetraining');
  return context === true || context === 'true';
}
