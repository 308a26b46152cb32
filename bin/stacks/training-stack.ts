import * as path from 'path';
import { CfnOutput, Duration, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerInstanceType } from '../../lib/compute/sagemaker-instance-type';
import { JobConfigFile } from '../../lib/data/job-config-file';
import { JobS3Location } from '../../lib/data/job-s3-location';
import { IMlDataStore, MlDataStore } from '../../lib/data/ml-data-store';
import { SageMakerImage } from '../../lib/images/sagemaker-image';
import { ChannelDataSource } from '../../lib/jobs/channel-data-source';
import { validateIn, validateNumber } from '../../lib/private/validate';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { MetricComparison } from '../../lib/stages/evaluation-stage';
import { IMlflowTrackingServer, MlflowTrackingServer } from '../../lib/tracking/mlflow-tracking-server';
import { RetrainingOnNewData } from '../../lib/triggers/retraining-on-new-data';
import { RetrainingSchedule } from '../../lib/triggers/retraining-schedule';
import { TrainingWorkflow } from '../../lib/workflows/training-workflow';

/** The example GLM image shipped with the library. */
export const EXAMPLE_IMAGE_DIRECTORY = path.join(__dirname, '..', '..', 'containers', 'glm');

/**
 * Properties of a SageMakerTrainingStack.
 */
export interface SageMakerTrainingStackProps extends StackProps {
  /**
   * The image that preprocesses, trains, evaluates and serves.
   *
   * @default - the example GLM image in `containers/glm`
   */
  readonly image?: SageMakerImage;

  /**
   * The training configuration file (predictors, target, family, link).
   *
   * @default - the example GLM's `containers/glm/sample/config.json`
   */
  readonly configFile?: string;

  /**
   * The raw data the preprocessing job reads.
   *
   * @default - the example GLM's sample data set, shipped as an asset
   */
  readonly rawData?: JobS3Location;

  /**
   * The data store.
   *
   * @default - an MlDataStore is defined
   */
  readonly dataStore?: IMlDataStore;

  /**
   * The instance type of every job.
   *
   * @default SageMakerInstanceType.ML_M5_LARGE
   */
  readonly instanceType?: SageMakerInstanceType;

  /**
   * The MLflow tracking server the jobs log to.
   *
   * @default - a Small managed tracking server with its artifacts under `mlflow/` in the artifacts bucket
   */
  readonly trackingServer?: IMlflowTrackingServer;

  /**
   * The share of deviance the model must explain on the validation set to be promoted.
   *
   * @default 0.2
   */
  readonly minimumDevianceExplained?: number;

  /**
   * Whether the weekly retraining schedule (Mondays 03:00 UTC) starts runs. Off by default,
   * so a deploy starts nothing that costs money; turn it on with `weeklyRetraining: true`
   * (or the context value `weeklyRetraining=true`), or for a trial with
   * `aws scheduler update-schedule --name <name> --state ENABLED ...` (update-schedule
   * replaces the whole schedule: pass its expression, target and flexible time window again).
   *
   * @default false
   */
  readonly weeklyRetraining?: boolean;

  /**
   * The prefix of the data bucket under which new data starts a retraining run, when a
   * `_SUCCESS` marker lands there.
   *
   * @default 'incoming/'
   */
  readonly newDataPrefix?: string;
}

/**
 * A deployable training system: data store, image, configuration channel and a
 * preprocess -> train -> evaluate -> gate -> model -> register workflow. Each model that
 * passes the gate is registered in `modelPackageGroup`, pending manual approval. The
 * workflow retrains weekly (a schedule that is disabled by default: `weeklyRetraining`) and
 * whenever a `_SUCCESS` marker lands under `newDataPrefix` in the data bucket (its key in
 * the execution input as `objectKey`).
 *
 * Start an execution with optional hyperparameter overrides, e.g.
 * `aws stepfunctions start-execution --state-machine-arn <arn> --input '{"max_iter":"50"}'`.
 */
export class SageMakerTrainingStack extends Stack {
  /** The data store. */
  public readonly dataStore: IMlDataStore;
  /** The workflow. */
  public readonly workflow: TrainingWorkflow;
  /** The image. */
  public readonly image: SageMakerImage;
  /** The MLflow tracking server the jobs log to. */
  public readonly trackingServer: IMlflowTrackingServer;
  /** The group each model that passes the gate is registered in, pending manual approval. */
  public readonly modelPackageGroup: ModelPackageGroup;
  /** The weekly retraining schedule (disabled unless `weeklyRetraining`). */
  public readonly retrainingSchedule: RetrainingSchedule;
  /** The trigger that retrains when new data lands. */
  public readonly retrainingOnNewData: RetrainingOnNewData;

  constructor(scope: Construct, id: string, props: SageMakerTrainingStackProps = {}) {
    super(scope, id, props);
    validateIn(this, () => validateNumber('minimumDevianceExplained', props.minimumDevianceExplained, 0, 1));
    const instanceType = props.instanceType ?? SageMakerInstanceType.ML_M5_LARGE;

    this.dataStore = props.dataStore ?? new MlDataStore(this, 'DataStore');
    const { dataBucket, artifactsBucket } = this.dataStore;
    this.image = props.image ?? SageMakerImage.fromAsset(EXAMPLE_IMAGE_DIRECTORY);
    const config = new JobConfigFile(this, 'TrainingConfig', {
      path: props.configFile ?? path.join(EXAMPLE_IMAGE_DIRECTORY, 'sample', 'config.json'),
    });
    const rawData = props.rawData ?? JobS3Location.fromAsset(new s3assets.Asset(this, 'SampleData', {
      path: path.join(EXAMPLE_IMAGE_DIRECTORY, 'sample', 'claims.csv'),
    }));

    // Experiment tracking: a managed MLflow server with its artifacts in the artifacts bucket.
    this.trackingServer = props.trackingServer ?? new MlflowTrackingServer(this, 'Tracking', {
      artifactStore: JobS3Location.inBucket(artifactsBucket, 'mlflow'),
    });

    const processed = JobS3Location.perExecution(dataBucket, 'processed');
    const models = JobS3Location.inBucket(artifactsBucket, 'models');
    const evaluation = JobS3Location.perExecution(artifactsBucket, 'evaluation');
    this.modelPackageGroup = new ModelPackageGroup(this, 'Models', {
      description: 'GLM claims models that passed the quality gate, pending approval',
    });

    this.workflow = new TrainingWorkflow(this, 'TrainingWorkflow', {
      executionInputDefaults: { max_iter: '100', tol: '1e-8' },
      experimentTracking: { trackingServer: this.trackingServer, experimentName: 'glm-claims' },
      preprocess: {
        image: this.image,
        instanceType,
        containerEntrypoint: ['preprocess'],
        processingInputs: [
          { inputName: 'raw', source: rawData },
          { inputName: 'config', source: config.location },
        ],
        processingOutputs: [{ outputName: 'processed', destination: processed }],
        maxRuntime: Duration.hours(1),
      },
      train: {
        image: this.image,
        instanceType,
        volumeSize: Size.gibibytes(10),
        channels: [
          { channelName: 'train', source: ChannelDataSource.s3(processed.child('train')), contentType: 'text/csv' },
          { channelName: 'config', source: ChannelDataSource.s3(config.location), contentType: 'application/json' },
        ],
        hyperparameters: {
          max_iter: sfn.JsonPath.stringAt('$.max_iter'),
          tol: sfn.JsonPath.stringAt('$.tol'),
        },
        metricDefinitions: [
          { name: 'train:deviance', regex: 'train_deviance=([-+0-9.eE]+)' },
          { name: 'train:aic', regex: 'train_aic=([-+0-9.eE]+)' },
        ],
        outputLocation: models,
        maxRuntime: Duration.hours(2),
        tags: { 'ml:workflow': 'glm-training' },
      },
      evaluate: {
        image: this.image,
        instanceType,
        containerEntrypoint: ['evaluate'],
        processingInputs: [
          { inputName: 'validation', source: processed.child('validation'), localPath: '/opt/ml/processing/validation' },
          { inputName: 'config', source: config.location },
        ],
        // The trained model is the input 'model', at /opt/ml/processing/model.
        processingOutputs: [{ outputName: 'evaluation', destination: evaluation }],
        maxRuntime: Duration.hours(1),
        reportOutputName: 'evaluation',
        gate: {
          metricPath: 'metrics.deviance_explained',
          comparison: MetricComparison.GREATER_THAN_OR_EQUAL,
          threshold: props.minimumDevianceExplained ?? 0.2,
        },
      },
      register: {
        modelPackageGroup: this.modelPackageGroup,
        contentTypes: ['text/csv'],
        responseContentTypes: ['application/json'],
        description: 'GLM claims model that passed the quality gate',
      },
    });

    const context = this.node.tryGetContext('weeklyRetraining');
    this.retrainingSchedule = new RetrainingSchedule(this, 'WeeklyRetraining', {
      stateMachine: this.workflow.stateMachine,
      schedule: scheduler.ScheduleExpression.expression('cron(0 3 ? * MON *)'),
      enabled: props.weeklyRetraining ?? (context === true || context === 'true'),
    });
    this.retrainingOnNewData = new RetrainingOnNewData(this, 'RetrainOnNewData', {
      stateMachine: this.workflow.stateMachine,
      bucket: dataBucket,
      prefix: props.newDataPrefix ?? 'incoming/',
      suffix: '_SUCCESS',
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn, description: 'Start an execution of the training workflow' });
    new CfnOutput(this, 'DataBucketName', { value: dataBucket.bucketName, description: 'Training data and processed data' });
    new CfnOutput(this, 'ArtifactsBucketName', { value: artifactsBucket.bucketName, description: 'Model artifacts (models/) and evaluation reports (evaluation/)' });
    new CfnOutput(this, 'TrackingServerArn', { value: this.trackingServer.trackingServerArn, description: 'The MLflow tracking server (MLFLOW_TRACKING_URI)' });
    new CfnOutput(this, 'ModelPackageGroupName', { value: this.modelPackageGroup.modelPackageGroupName, description: 'Approve the registered model versions here' });
    new CfnOutput(this, 'RetrainingScheduleName', { value: this.retrainingSchedule.schedule.scheduleName, description: 'Weekly retraining (disabled unless weeklyRetraining; aws scheduler update-schedule --state ENABLED)' });
    new CfnOutput(this, 'FailureTopicArn', { value: this.workflow.failureTopic.topicArn, description: 'Subscribe to be told of failed executions' });
  }
}
