import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerWorkflow } from './sagemaker-workflow';
import { ExperimentTrackingOptions, PromoteToEndpointOptions, RegisterModelOptions, WorkflowModelOptions } from './training-workflow-options';
import { WorkflowOptions } from './workflow-options';
import { fail, validateIn, validateLength, validatePattern } from '../private/validate';
import { CreateModelStage } from '../stages/create-model-stage';
import { DeployStage } from '../stages/deploy-stage';
import { EvaluationStage, EvaluationStageProps } from '../stages/evaluation-stage';
import { ProcessingStage, ProcessingStageProps } from '../stages/processing-stage';
import { RegisterModelStage } from '../stages/register-model-stage';
import { TrainedModel } from '../stages/trained-model';
import { TrainingStage, TrainingStageProps } from '../stages/training-stage';
import { TuningStage, TuningStageProps } from '../stages/tuning-stage';

/**
 * Properties of a TrainingWorkflow: the stages' own props, and what the preset fills in
 * between them (the trained model, the evaluation report).
 */
export interface TrainingWorkflowProps extends WorkflowOptions {
  /**
   * A processing job before training (preprocessing, feature engineering).
   *
   * @default - no preprocessing
   */
  readonly preprocess?: ProcessingStageProps;

  /**
   * The training job. Exactly one of `train` and `tune`.
   *
   * @default - none: `tune` is given
   */
  readonly train?: TrainingStageProps;

  /**
   * A hyperparameter tuning job instead of a training job: the best training job's model is
   * evaluated, defined, registered and promoted. Exactly one of `train` and `tune`.
   *
   * @default - none: `train` is given
   */
  readonly tune?: TuningStageProps;

  /**
   * A processing job after training that evaluates the model and writes a JSON report
   * (`reportOutputName`), with an optional quality gate (`gate`): a model that fails it is not
   * defined and the execution fails with `QualityGateFailed`. It gets the trained model as
   * the input `model` (at `modelLocalPath`) unless `model` is given or `processingInputs` has
   * an input named `model`.
   *
   * @default - no evaluation
   */
  readonly evaluate?: EvaluationStageProps;

  /**
   * The model defined from the artifacts.
   *
   * @default - the training image, a generated role
   */
  readonly model?: WorkflowModelOptions;

  /**
   * Log every job to an MLflow tracking server: each job gets `MLFLOW_TRACKING_URI` (the
   * server's ARN) and `MLFLOW_EXPERIMENT_NAME` in its environment, and its role may log.
   *
   * @default - no tracking
   */
  readonly experimentTracking?: ExperimentTrackingOptions;

  /**
   * Deploy the model to a real-time endpoint after it is defined (and has passed the gate).
   *
   * @default - the model is defined, not deployed
   */
  readonly promote?: PromoteToEndpointOptions;

  /**
   * Register the model (after the gate, once it is defined) as a version of a model package
   * group, with the serving image, the artifacts and, when there is an evaluation, its report
   * as the version's model-quality metrics. The output gets `modelPackageArn`.
   *
   * @default - not registered
   */
  readonly register?: RegisterModelOptions;
}

/**
 * A Step Functions standard workflow that does what a notebook's `estimator.fit()` (or a
 * tuner's `fit()`) does, as infrastructure: optional preprocessing job, a training job or a
 * hyperparameter tuning job, optional evaluation job with an optional quality gate, a
 * SageMaker model from the (best) artifacts, then optional registration and promotion. It
 * is a preset of `SageMakerWorkflow` over the stages (`ProcessingStage`, `TrainingStage` or
 * `TuningStage`, `EvaluationStage`, `CreateModelStage`, `RegisterModelStage`,
 * `DeployStage`): compose them with `SageMakerWorkflow` for any other shape.
 *
 * The execution's output is `{ modelName, modelArn, modelDataUrl, trainingJobName }`, with
 * `tuningJobName` when it tunes, `evaluation` (the report the gate read) when there is a
 * gate, `modelPackageArn` when it registers, and `endpointName` and `endpointConfigName`
 * (the run-time configuration deployed) when it promotes.
 */
export class TrainingWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic notified of unsuccessful executions. */
  public readonly failureTopic: sns.ITopic;
  /** The execution log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The longest the stages can take; the timeout is at least this. */
  public readonly maxDuration: Duration;
  /** The preprocessing stage, if any. */
  public readonly preprocessStage?: ProcessingStage;
  /** The training stage, with `train`. */
  public readonly trainStage?: TrainingStage;
  /** The tuning stage, with `tune`. */
  public readonly tuneStage?: TuningStage;
  /** The model the training or tuning stage produced. */
  public readonly trainedModel: TrainedModel;
  /** The evaluation stage, if any. */
  public readonly evaluateStage?: EvaluationStage;
  /** The stage that defines the model. */
  public readonly createModelStage: CreateModelStage;
  /** The stage that registers the model, if `register` is set. */
  public readonly registerStage?: RegisterModelStage;
  /** The stage that deploys the model through the endpoint, if the workflow promotes. */
  public readonly promoteStage?: DeployStage;

  constructor(scope: Construct, id: string, props: TrainingWorkflowProps) {
    super(scope, id);
    const tracking = props.experimentTracking;
    const training = validateIn(this, () => {
      if ((props.train === undefined) === (props.tune === undefined)) {
        fail(`exactly one of train and tune must be set, got ${props.train ? 'both' : 'neither'}`);
      }
      const job = (props.train ?? props.tune?.training)!;
      if (tracking) {
        validateLength('experimentTracking.experimentName', tracking.experimentName, 1, 256);
        validatePattern('experimentTracking.experimentName', tracking.experimentName, /^[a-zA-Z0-9\-_./]+$/, 'letters, digits and - _ . /');
        const jobs = [['preprocess', props.preprocess], [props.train ? 'train' : 'tune.training', job], ['evaluate', props.evaluate]] as const;
        for (const [name, jobProps] of jobs) {
          if (jobProps?.enableNetworkIsolation) {
            fail(`${name}.enableNetworkIsolation must not be true with experimentTracking: an isolated container cannot reach the MLflow tracking server`);
          }
        }
      }
      return job;
    });

    const withTracking = <T extends { environment?: { [key: string]: string } }>(jobProps: T): T => tracking ? {
      ...jobProps,
      environment: {
        ...jobProps.environment,
        MLFLOW_TRACKING_URI: tracking.trackingServer.trackingServerArn,
        MLFLOW_EXPERIMENT_NAME: tracking.experimentName,
      },
    } : jobProps;
    const tracked = (job: iam.IGrantable) => tracking?.trackingServer.grantTracking(job);

    const stages: sfn.IChainable[] = [];
    if (props.preprocess) {
      this.preprocessStage = new ProcessingStage(this, 'Preprocess', withTracking(props.preprocess));
      tracked(this.preprocessStage.task);
      stages.push(this.preprocessStage);
    }

    if (props.tune) {
      this.tuneStage = new TuningStage(this, 'Tune', { ...props.tune, training: withTracking(props.tune.training) });
      tracked(this.tuneStage.task);
      stages.push(this.tuneStage);
      this.trainedModel = this.tuneStage.trainedModel;
    } else {
      this.trainStage = new TrainingStage(this, 'Train', withTracking(training));
      tracked(this.trainStage.task);
      stages.push(this.trainStage);
      this.trainedModel = this.trainStage.trainedModel;
    }
    const image = props.model?.image ?? training.image;

    if (props.evaluate) {
      const evaluate = props.evaluate;
      const hasModelInput = (evaluate.processingInputs ?? []).some(i => i.inputName === 'model');
      this.evaluateStage = new EvaluationStage(this, 'Evaluate', {
        ...withTracking(evaluate),
        model: evaluate.model ?? (hasModelInput ? undefined : this.trainedModel.modelArtifacts),
      });
      tracked(this.evaluateStage.task);
      stages.push(this.evaluateStage);
    }

    this.createModelStage = new CreateModelStage(this, 'CreateModel', {
      image,
      role: props.model?.role,
      modelNamePrefix: props.model?.modelNamePrefix,
      environment: props.model?.environment,
      modelData: this.trainedModel.modelArtifacts,
      enableNetworkIsolation: training.enableNetworkIsolation,
    });
    stages.push(this.createModelStage);

    if (props.register) {
      this.registerStage = new RegisterModelStage(this, 'Register', {
        ...props.register,
        image,
        modelData: this.trainedModel.modelArtifacts,
        evaluationReport: this.evaluateStage?.report,
      });
      stages.push(this.registerStage);
    }

    if (props.promote) {
      // The promoted model runs where the endpoint's model runs (its VPC, subnets, security groups).
      const vpcConfig = props.promote.endpoint._modelVpcConfig(props.promote.variantName);
      if (vpcConfig) this.createModelStage.task._useVpcConfig(vpcConfig);
      this.promoteStage = new DeployStage(this, 'Promote', {
        ...props.promote,
        modelName: this.createModelStage.modelName,
        modelRole: this.createModelStage.model.role,
        // A promotion that fails deletes the model this execution defined.
        modelDefinedBy: this.createModelStage.task,
      });
      stages.push(this.promoteStage);
    }

    let definition = sfn.Chain.start(stages[0]);
    for (const stage of stages.slice(1)) definition = definition.next(stage);

    const outputs: { [key: string]: string } = {
      modelName: this.createModelStage.modelName,
      modelArn: this.createModelStage.modelArn,
      modelDataUrl: this.trainedModel.modelDataUrl,
      trainingJobName: this.trainedModel.trainingJobName,
    };
    if (this.tuneStage) outputs.tuningJobName = this.tuneStage.tuningJobName;
    if (this.registerStage) outputs.modelPackageArn = this.registerStage.modelPackageArn;
    if (this.promoteStage) {
      outputs.endpointName = this.promoteStage.endpoint.endpointName;
      outputs.endpointConfigName = sfn.JsonPath.stringAt(this.promoteStage.endpointConfigName);
    }
    // The evaluation report the gate read, so callers see the model's metrics.
    if (this.evaluateStage?._reportPath) outputs.evaluation = sfn.JsonPath.stringAt(this.evaluateStage._reportPath);

    // 'Default': the state machine, its role, log group, topic and rules keep the logical IDs
    // they had when the preset defined them itself.
    const workflow = new SageMakerWorkflow(this, 'Default', {
      ...props,
      description: 'SageMaker training workflow',
      definition,
      outputs,
    });
    this.stateMachine = workflow.stateMachine;
    this.failureTopic = workflow.failureTopic;
    this.logGroup = workflow.logGroup;
    this.maxDuration = workflow.maxDuration;
  }
}
