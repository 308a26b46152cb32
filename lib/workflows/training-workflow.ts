import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ObservableStateMachine } from './private/observable-state-machine';
import { durationBudget, executionInputDefaultStates, validateExecutionInputDefaults } from './private/workflow-helpers';
import { CreateModelStage } from '../stages/create-model-stage';
import { DeployStage } from '../stages/deploy-stage';
import { EvaluationStage, QualityGate } from '../stages/evaluation-stage';
import { ProcessingStage } from '../stages/processing-stage';
import { TrainingStage } from '../stages/training-stage';
import { WorkflowOptions } from './workflow-options';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';
import { SageMakerImage } from '../images/sagemaker-image';
import { ProcessingJobStepProps } from '../jobs/processing-job-step';
import { SageMakerJobStep } from '../jobs/sagemaker-job-step';
import { TrainingJobStepProps } from '../jobs/training-job-step';
import { fail, validateFormatSafe, validateIn, validateLength, validateNumber, validatePattern } from '../private/validate';
import { IModelPackageGroup } from '../registry/model-package-group';
import { ModelApprovalStatus, RegisterModelStage } from '../stages/register-model-stage';
import { IMlflowTrackingServer } from '../tracking/mlflow-tracking-server';

/**
 * A quality gate on a metric the evaluation job wrote to S3 as JSON.
 */
export interface QualityGateOptions extends QualityGate {
  /** The output of the evaluation step that holds the report (a per-execution location). */
  readonly outputName: string;

  /**
   * The report's file name in that output.
   *
   * @default 'evaluation.json'
   */
  readonly reportFileName?: string;
}

/**
 * The evaluation job of a TrainingWorkflow.
 */
export interface WorkflowEvaluationOptions extends ProcessingJobStepProps {
  /**
   * Where the evaluation job finds the trained model (`model.tar.gz`): the workflow adds
   * the input `model` from the training stage's artifacts, unless `processingInputs` has an
   * input named `model` already.
   *
   * @default '/opt/ml/processing/model'
   */
  readonly modelLocalPath?: string;
}

/**
 * The model the workflow defines from the training artifacts.
 */
export interface WorkflowModelOptions {
  /**
   * The serving image.
   *
   * @default - the training image
   */
  readonly image?: SageMakerImage;

  /**
   * The model's execution role.
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly role?: iam.IRole;

  /**
   * The model name prefix (lowercase).
   *
   * @default 'model'
   */
  readonly modelNamePrefix?: string;

  /**
   * Environment variables of the serving container.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };
}

/**
 * Experiment tracking with a SageMaker managed MLflow tracking server.
 */
export interface ExperimentTrackingOptions {
  /** The tracking server. */
  readonly trackingServer: IMlflowTrackingServer;
  /** The experiment the jobs log to (`MLFLOW_EXPERIMENT_NAME`). */
  readonly experimentName: string;
}

/**
 * Deploys the model the workflow trained through a `RealtimeEndpoint` once it passes the
 * gate: a `DeployStage` after the model is defined, so the run-time endpoint configuration
 * carries the endpoint's own variants, key and data capture, and the update uses the
 * endpoint's blue/green deployment config with its rollback alarms.
 */
export interface PromoteToEndpointOptions {
  /** The endpoint the model is deployed through (created at run time if it is missing). */
  readonly endpoint: RealtimeEndpoint;

  /**
   * The variant that serves the model; the others keep their own models.
   *
   * @default - every variant serves the model
   */
  readonly variantName?: string;

  /**
   * How often the workflow checks whether the deployment has ended: 10 seconds to 1 hour.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many checks before the workflow gives up and fails with `EndpointDeploymentTimedOut`.
   *
   * @default - enough checks for the endpoint's maximumExecutionTimeout and 30 minutes of fleet start, or 2 hours
   */
  readonly maxPolls?: number;

  /**
   * Whether a successful deployment deletes the run-time configuration the previous one
   * replaced (the previous one is kept for a rollback).
   *
   * @default true
   */
  readonly cleanUp?: boolean;
}

/**
 * Registers the model that passed the gate as a new version of a model package group.
 */
export interface RegisterModelOptions {
  /** The group the version is registered in. */
  readonly modelPackageGroup: IModelPackageGroup;

  /**
   * The request content types the model accepts.
   *
   * @default ['application/json']
   */
  readonly contentTypes?: string[];

  /**
   * The response content types the model returns.
   *
   * @default ['application/json']
   */
  readonly responseContentTypes?: string[];

  /**
   * The instance types the version may be deployed on in real time.
   *
   * @default - any
   */
  readonly realtimeInstanceTypes?: string[];

  /**
   * The approval status the version starts with.
   *
   * @default ModelApprovalStatus.PENDING_MANUAL_APPROVAL
   */
  readonly approvalStatus?: ModelApprovalStatus;

  /**
   * A description of the version (up to 1024 characters).
   *
   * @default - none
   */
  readonly description?: string;
}

/**
 * Properties of a TrainingWorkflow.
 */
export interface TrainingWorkflowProps extends WorkflowOptions {
  /**
   * A processing job before training (preprocessing, feature engineering).
   *
   * @default - no preprocessing
   */
  readonly preprocess?: ProcessingJobStepProps;

  /** The training job. */
  readonly train: TrainingJobStepProps;

  /**
   * A processing job after training that evaluates the model. It gets the trained model as
   * the input `model` (at `modelLocalPath`) and writes a JSON report for the quality gate.
   *
   * @default - no evaluation
   */
  readonly evaluate?: WorkflowEvaluationOptions;

  /**
   * A gate on the evaluation report; a model that fails it is not defined and the
   * execution fails with `QualityGateFailed`. Requires `evaluate`.
   *
   * @default - no gate
   */
  readonly qualityGate?: QualityGateOptions;

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
 * A Step Functions standard workflow that does what a notebook's `estimator.fit()`
 * does, as infrastructure: optional preprocessing job, training job, optional
 * evaluation job, optional quality gate on the evaluation, then a SageMaker model from
 * the artifacts. It is the preset of the common shape, built from the stages
 * (`ProcessingStage`, `TrainingStage`, `EvaluationStage`, `CreateModelStage`); compose them
 * with `SageMakerWorkflow` for any other shape.
 *
 * Every job is named per attempt, retries capacity, throttling and transient SageMaker
 * errors, and ends a failed execution with the job's error; every execution that fails,
 * times out or is aborted is notified once on the failure topic. Executions are logged in
 * full to an encrypted log group and traced with X-Ray.
 *
 * The execution's output is `{ modelName, modelArn, modelDataUrl, trainingJobName }`, with
 * `evaluation` (the report the gate read) when there is a gate, and `endpointName` and
 * `endpointConfigName` (the run-time configuration deployed) when it promotes.
 */
export class TrainingWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic notified of unsuccessful executions. */
  public readonly failureTopic: sns.ITopic;
  /** The execution log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The preprocessing stage, if any. */
  public readonly preprocessStage?: ProcessingStage;
  /** The training stage. */
  public readonly trainStage: TrainingStage;
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
    validateIn(this, () => {
      if (props.qualityGate && !props.evaluate) {
        fail('qualityGate requires evaluate: the gate reads the report the evaluation job writes');
      }
      validateExecutionInputDefaults(props.executionInputDefaults);
      const gate = props.qualityGate;
      if (gate && props.evaluate) {
        const outputs = (props.evaluate.processingOutputs ?? []).map(o => o.outputName);
        if (!outputs.includes(gate.outputName)) {
          fail(`qualityGate.outputName must name an output of evaluate, got '${gate.outputName}'; outputs: ${outputs.join(', ') || 'none'}`);
        }
        validatePattern('qualityGate.metricPath', gate.metricPath, /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, "a dotted path of identifiers such as 'metrics.rmse'");
        validateNumber('qualityGate.threshold', gate.threshold, -Number.MAX_VALUE, Number.MAX_VALUE);
        validateFormatSafe('qualityGate.reportFileName', gate.reportFileName ?? 'evaluation.json');
        validatePattern('qualityGate.reportFileName', gate.reportFileName, /^[A-Za-z0-9!_.-][A-Za-z0-9!_.\/-]*$/, 'a relative object key of letters, digits and ! _ . / -');
      }
      if (tracking) {
        validateLength('experimentTracking.experimentName', tracking.experimentName, 1, 256);
        validatePattern('experimentTracking.experimentName', tracking.experimentName, /^[a-zA-Z0-9\-_./]+$/, 'letters, digits and - _ . /');
        for (const [name, job] of [['preprocess', props.preprocess], ['train', props.train], ['evaluate', props.evaluate]] as const) {
          if (job?.enableNetworkIsolation) {
            fail(`${name}.enableNetworkIsolation must not be true with experimentTracking: an isolated container cannot reach the MLflow tracking server`);
          }
        }
      }
    });
    const plumbing = new ObservableStateMachine(this, { ...props, description: 'SageMaker training workflow' });
    this.failureTopic = plumbing.failureTopic;
    this.logGroup = plumbing.logGroup;

    const withTracking = <T extends { environment?: { [key: string]: string } }>(jobProps: T): T => tracking ? {
      ...jobProps,
      environment: {
        ...jobProps.environment,
        MLFLOW_TRACKING_URI: tracking.trackingServer.trackingServerArn,
        MLFLOW_EXPERIMENT_NAME: tracking.experimentName,
      },
    } : jobProps;
    const tracked = (job: SageMakerJobStep) => tracking?.trackingServer.grantTracking(job);

    const stages: sfn.IChainable[] = [];
    if (props.preprocess) {
      this.preprocessStage = new ProcessingStage(this, 'Preprocess', withTracking(props.preprocess));
      tracked(this.preprocessStage.job);
      stages.push(this.preprocessStage);
    }

    this.trainStage = new TrainingStage(this, 'Train', withTracking(props.train));
    tracked(this.trainStage.job);
    stages.push(this.trainStage);

    if (props.evaluate) {
      const evaluate = props.evaluate;
      const gate = props.qualityGate;
      const hasModelInput = (evaluate.processingInputs ?? []).some(i => i.inputName === 'model');
      this.evaluateStage = new EvaluationStage(this, 'Evaluate', {
        ...withTracking(evaluate),
        model: hasModelInput ? undefined : this.trainStage.modelArtifacts,
        modelLocalPath: evaluate.modelLocalPath,
        reportOutputName: gate?.outputName ?? (evaluate.processingOutputs ?? [])[0]?.outputName ?? '',
        reportFileName: gate?.reportFileName,
        gate: gate ? { metricPath: gate.metricPath, threshold: gate.threshold, comparison: gate.comparison } : undefined,
      });
      tracked(this.evaluateStage.job);
      stages.push(this.evaluateStage);
    }

    this.createModelStage = new CreateModelStage(this, 'CreateModel', {
      image: props.model?.image ?? props.train.image,
      role: props.model?.role,
      modelNamePrefix: props.model?.modelNamePrefix,
      environment: props.model?.environment,
      modelData: this.trainStage.modelArtifacts,
      enableNetworkIsolation: props.train.enableNetworkIsolation,
    });
    stages.push(this.createModelStage);

    if (props.register) {
      this.registerStage = this.buildRegistration(props.register, props);
      stages.push(this.registerStage);
    }

    if (props.promote) {
      // The promoted model runs where the endpoint's model runs (its VPC, subnets, security groups).
      const vpcConfig = props.promote.endpoint._modelVpcConfig(props.promote.variantName);
      if (vpcConfig) this.createModelStage.step._useVpcConfig(vpcConfig);
      this.promoteStage = new DeployStage(this, 'Promote', {
        endpoint: props.promote.endpoint,
        modelName: this.createModelStage.modelName,
        modelRole: this.createModelStage.step.role,
        variantName: props.promote.variantName,
        pollInterval: props.promote.pollInterval,
        maxPolls: props.promote.maxPolls,
        cleanUp: props.promote.cleanUp,
      });
      stages.push(this.promoteStage);
    }

    const output = new sfn.Pass(this, 'Output', {
      parameters: {
        'modelName.$': this.createModelStage.modelName,
        'modelArn.$': this.createModelStage.modelArn,
        'modelDataUrl.$': this.trainStage.modelDataUrl,
        'trainingJobName.$': this.trainStage.trainingJobName,
        ...(this.registerStage ? { 'modelPackageArn.$': this.registerStage.modelPackageArn } : {}),
        ...(this.promoteStage ? { 'endpointName': this.promoteStage.endpoint.endpointName, 'endpointConfigName.$': this.promoteStage.endpointConfigName } : {}),
        // The evaluation report the gate read, so callers see the model's metrics.
        ...(this.evaluateStage?.reportPath ? { 'evaluation.$': this.evaluateStage.reportPath } : {}),
      },
    });
    output.next(new sfn.Succeed(this, 'Succeeded'));

    let chain = executionInputDefaultStates(this, props.executionInputDefaults);
    for (const stage of stages) chain = chain ? chain.next(stage) : sfn.Chain.start(stage);
    chain = chain!.next(output);
    // The budget counts every stage's jobs and waits, the deployment's polls included.
    const budget = durationBudget(chain.startState);
    this.stateMachine = plumbing.finish(chain, budget.total, budget.parts.join(', '));
  }

  private buildRegistration(register: RegisterModelOptions, props: TrainingWorkflowProps): RegisterModelStage {
    const outputs = this.evaluateStage ? props.evaluate?.processingOutputs ?? [] : [];
    const reportOutputName = props.qualityGate?.outputName ?? outputs[0]?.outputName;
    const reportOutput = outputs.find(o => o.outputName === reportOutputName);
    return new RegisterModelStage(this, 'Register', {
      modelPackageGroup: register.modelPackageGroup,
      image: props.model?.image ?? props.train.image,
      modelData: this.trainStage.modelArtifacts,
      contentTypes: register.contentTypes,
      responseContentTypes: register.responseContentTypes,
      realtimeInstanceTypes: register.realtimeInstanceTypes,
      approvalStatus: register.approvalStatus,
      description: register.description,
      evaluationReport: reportOutput
        ? { location: reportOutput.destination, fileName: props.qualityGate?.reportFileName ?? 'evaluation.json' }
        : undefined,
    });
  }
}
