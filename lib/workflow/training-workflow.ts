import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ObservableStateMachine } from './private/observable-state-machine';
import { durationBudget, executionInputDefaultStates, validateExecutionInputDefaults } from './private/workflow-helpers';
import { CreateModelStage } from './stages/create-model-stage';
import { EvaluationStage, QualityGate } from './stages/evaluation-stage';
import { ProcessingStage } from './stages/processing-stage';
import { TrainingStage } from './stages/training-stage';
import { endpointArnOf } from '../hosting/inference-endpoint';
import { SageMakerImage } from '../image/sagemaker-image';
import { retryTransientErrors } from '../jobs/private/retries';
import { ProcessingJobStepProps } from '../jobs/processing-job-step';
import { SageMakerJobStep } from '../jobs/sagemaker-job-step';
import { TrainingJobStepProps } from '../jobs/training-job-step';
import { registerWildcardResource } from '../private/nag';
import {
  fail, validateDuration, validateFormatSafe, validateIn, validateInstanceType, validateInteger, validateLength, validateNumber, validatePattern,
} from '../private/validate';
import { generatedEndpointName } from '../private/variants';
import { IModelPackageGroup } from '../registry/model-package-group';
import { ModelApprovalStatus, RegisterModelStage } from '../registry/register-model-stage';
import { IMlflowTrackingServer } from '../tracking/mlflow-tracking-server';

/**
 * A quality gate on a metric the evaluation job wrote to S3 as JSON.
 */
export interface QualityGateProps extends QualityGate {
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
export interface WorkflowEvaluationProps extends ProcessingJobStepProps {
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
export interface WorkflowModelProps {
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
export interface ExperimentTrackingProps {
  /** The tracking server. */
  readonly trackingServer: IMlflowTrackingServer;
  /** The experiment the jobs log to (`MLFLOW_EXPERIMENT_NAME`). */
  readonly experimentName: string;
}

/**
 * Deploys the model the workflow trained to a real-time endpoint once it passes the gate.
 */
export interface PromoteToEndpointProps {
  /** The endpoint to create, or update if it exists. */
  readonly endpointName: string;

  /**
   * The instance type.
   *
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;

  /**
   * The number of instances.
   *
   * @default 1
   */
  readonly initialInstanceCount?: number;

  /**
   * The prefix of each execution's endpoint configuration name (`<prefix>-<uuid>`; lowercase).
   *
   * @default 'promote'
   */
  readonly endpointConfigNamePrefix?: string;

  /**
   * How often the workflow checks whether the endpoint is in service.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many times the workflow checks before it gives up and fails with
   * `EndpointDeploymentTimedOut`.
   *
   * @default 90
   */
  readonly maxPolls?: number;
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
export interface TrainingWorkflowProps {
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
  readonly evaluate?: WorkflowEvaluationProps;

  /**
   * A gate on the evaluation report; a model that fails it is not defined and the
   * execution fails with `QualityGateFailed`. Requires `evaluate`.
   *
   * @default - no gate
   */
  readonly qualityGate?: QualityGateProps;

  /**
   * The model defined from the artifacts.
   *
   * @default - the training image, a generated role
   */
  readonly model?: WorkflowModelProps;

  /**
   * Log every job to an MLflow tracking server: each job gets `MLFLOW_TRACKING_URI` (the
   * server's ARN) and `MLFLOW_EXPERIMENT_NAME` in its environment, and its role may log.
   *
   * @default - no tracking
   */
  readonly experimentTracking?: ExperimentTrackingProps;

  /**
   * Deploy the model to a real-time endpoint after it is defined (and has passed the gate).
   *
   * @default - the model is defined, not deployed
   */
  readonly promote?: PromoteToEndpointProps;

  /**
   * Register the model (after the gate, once it is defined) as a version of a model package
   * group, with the serving image, the artifacts and, when there is an evaluation, its report
   * as the version's model-quality metrics. The output gets `modelPackageArn`.
   *
   * @default - not registered
   */
  readonly register?: RegisterModelOptions;

  /**
   * Defaults for the execution input, merged under it (the input wins, key by key at the
   * top level). Job props read input values with `JsonPath.stringAt('$.<key>')`; values are
   * strings, and a hyperparameter read from the input is converted to a string whatever its
   * JSON type (`{"max_iter": 50}` works).
   *
   * @default - none
   */
  readonly executionInputDefaults?: { [key: string]: string };

  /**
   * The key that encrypts the workflow's log group and failure topic.
   *
   * @default - a key is defined, with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The topic notified when an execution fails.
   *
   * @default - an encrypted topic is defined
   */
  readonly failureTopic?: sns.ITopic;

  /**
   * How long execution logs are kept.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The longest an execution may take: at least the sum of its jobs' maximum runtimes
   * (spot `maxWait` included), retries and endpoint polls.
   *
   * @default - that sum plus one hour
   */
  readonly timeout?: Duration;

  /**
   * The state machine's role. The steps add the permissions they need to it.
   *
   * @default - a role is defined
   */
  readonly stateMachineRole?: iam.IRole;

  /**
   * A name for the state machine.
   *
   * @default - generated by CloudFormation
   */
  readonly stateMachineName?: string;
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
 * `evaluation` (the report the gate read) when there is a gate.
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
    const plumbing = new ObservableStateMachine(this, {
      description: 'SageMaker training workflow',
      encryptionKey: props.encryptionKey,
      failureTopic: props.failureTopic,
      logRetention: props.logRetention,
      timeout: props.timeout,
      stateMachineName: props.stateMachineName,
      role: props.stateMachineRole,
    });
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

    const output = new sfn.Pass(this, 'Output', {
      parameters: {
        'modelName.$': this.createModelStage.modelName,
        'modelArn.$': this.createModelStage.modelArn,
        'modelDataUrl.$': this.trainStage.modelDataUrl,
        'trainingJobName.$': this.trainStage.trainingJobName,
        ...(this.registerStage ? { 'modelPackageArn.$': this.registerStage.modelPackageArn } : {}),
        ...(props.promote ? { 'endpointName': generatedEndpointName(this, props.promote.endpointName), 'endpointConfigName.$': '$.results.endpointConfig.EndpointConfigName' } : {}),
        // The evaluation report the gate read, so callers see the model's metrics.
        ...(this.evaluateStage?.reportPath ? { 'evaluation.$': this.evaluateStage.reportPath } : {}),
      },
    });
    output.next(new sfn.Succeed(this, 'Succeeded'));

    let chain = executionInputDefaultStates(this, props.executionInputDefaults);
    for (const stage of stages) chain = chain ? chain.next(stage) : sfn.Chain.start(stage);
    const budget = durationBudget(chain!.startState);
    let minimum = budget.total.toSeconds();
    if (props.promote) {
      const promotion = this.buildPromotion(props.promote, plumbing, output);
      chain = chain!.next(promotion.start);
      minimum += promotion.maxWait.toSeconds();
      budget.parts.push(`endpoint polls ${promotion.maxWait.toHumanString()}`);
    } else {
      chain = chain!.next(output);
    }
    this.stateMachine = plumbing.finish(chain, Duration.seconds(minimum), budget.parts.join(', '));
  }

  /** The register stage: the model's image and artifacts, the evaluation report as its metrics. */
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

  private buildPromotion(
    promote: PromoteToEndpointProps, plumbing: ObservableStateMachine, done: sfn.IChainable,
  ): { start: sfn.IChainable; maxWait: Duration } {
    const endpointName = generatedEndpointName(this, promote.endpointName);
    const prefix = promote.endpointConfigNamePrefix ?? 'promote';
    const pollInterval = promote.pollInterval ?? Duration.minutes(1);
    const maxPolls = promote.maxPolls ?? 90;
    validateIn(this, () => {
      validateLength('promote.endpointConfigNamePrefix', prefix, 1, 26);
      validatePattern('promote.endpointConfigNamePrefix', prefix, /^[a-z0-9](-*[a-z0-9])*$/, 'lowercase letters, digits and single hyphens');
      validateInstanceType('promote.instanceType', promote.instanceType ?? 'ml.m5.large');
      validateInteger('promote.initialInstanceCount', promote.initialInstanceCount, 1, 1000);
      validateDuration('promote.pollInterval', promote.pollInterval, Duration.seconds(10), Duration.hours(1));
      validateInteger('promote.maxPolls', promote.maxPolls, 1, 1000);
    });
    const stack = Stack.of(this);
    const configs = stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: `${prefix}-*` });
    registerWildcardResource(this, configs, `Each execution names its endpoint configuration '${prefix}-<uuid>' at run time; the policy is limited to that name prefix.`);
    const endpoint = endpointArnOf(this, endpointName);
    type Extra = Partial<tasks.CallAwsServiceProps>;
    const sdk = (id: string, action: string, parameters: { [key: string]: any }, resources: string[], extra: Extra = {}) => {
      const task = new tasks.CallAwsService(this, id, {
        service: 'sagemaker', action, parameters, iamResources: resources, iamAction: `sagemaker:${action[0].toUpperCase()}${action.slice(1)}`, ...extra,
      });
      retryTransientErrors(task, Duration.seconds(5));
      return task;
    };

    // The SDK integration (no Lambda): request/response, so the wait is a bounded loop below.
    const createConfig = sdk('CreateEndpointConfig', 'createEndpointConfig', {
      EndpointConfigName: sfn.JsonPath.format(`${prefix}-{}`, sfn.JsonPath.uuid()),
      ProductionVariants: [{
        VariantName: 'AllTraffic',
        ModelName: sfn.JsonPath.stringAt(this.createModelStage.modelName),
        InstanceType: promote.instanceType ?? 'ml.m5.large',
        InitialInstanceCount: promote.initialInstanceCount ?? 1,
      }],
    }, [configs], {
      resultSelector: { 'EndpointConfigName.$': "States.ArrayGetItem(States.StringSplit($.EndpointConfigArn, '/'), 1)" },
      resultPath: '$.results.endpointConfig',
    });
    const exists = sdk('FindEndpoint', 'describeEndpoint', { EndpointName: endpointName }, [endpoint], {
      resultSelector: { 'EndpointStatus.$': '$.EndpointStatus' },
      resultPath: '$.results.existingEndpoint',
    });
    const newConfig = sfn.JsonPath.stringAt('$.results.endpointConfig.EndpointConfigName');
    const create = sdk('CreateEndpoint', 'createEndpoint', { EndpointName: endpointName, EndpointConfigName: newConfig }, [endpoint, configs], { resultPath: sfn.JsonPath.DISCARD });
    const update = sdk('UpdateEndpoint', 'updateEndpoint', { EndpointName: endpointName, EndpointConfigName: newConfig }, [endpoint, configs], { resultPath: sfn.JsonPath.DISCARD });
    // The wait loop is bounded: a poll counter, checked before each wait.
    const startPolls = new sfn.Pass(this, 'StartEndpointPolls', { result: sfn.Result.fromObject({ value: 0 }), resultPath: '$.results.endpointPolls' });
    const wait = new sfn.Wait(this, 'WaitForEndpoint', { time: sfn.WaitTime.duration(pollInterval) });
    const count = new sfn.Pass(this, 'CountEndpointPoll', {
      parameters: { 'value.$': 'States.MathAdd($.results.endpointPolls.value, 1)' },
      resultPath: '$.results.endpointPolls',
    });
    const describe = sdk('DescribeEndpoint', 'describeEndpoint', { EndpointName: endpointName }, [endpoint], {
      resultSelector: { 'EndpointStatus.$': '$.EndpointStatus', 'EndpointConfigName.$': '$.EndpointConfigName' },
      resultPath: '$.results.endpoint',
    });
    [createConfig, create, update, describe].forEach(t => plumbing.onError(t));
    // A missing endpoint is a SageMaker ValidationException ("Could not find endpoint"),
    // which the SDK integration reports as SageMakerException: create it then.
    exists.addCatch(create, { errors: ['SageMaker.SageMakerException', 'SageMaker.ValidationException', 'SageMaker.ResourceNotFoundException'], resultPath: '$.results.existingEndpoint' });
    plumbing.onError(exists);

    const failWith = (id: string, error: string, cause: string) => new sfn.Pass(this, id, {
      parameters: { 'Error': error, 'Cause.$': cause },
      resultPath: '$.error',
    }).next(plumbing.failState);
    const failedDeployment = failWith('EndpointFailed', 'EndpointDeploymentFailed',
      `States.Format('endpoint ${endpointName} is {} after deploying {}', $.results.endpoint.EndpointStatus, $.results.endpointConfig.EndpointConfigName)`);
    const rolledBack = failWith('EndpointRolledBack', 'EndpointDeploymentRolledBack',
      `States.Format('endpoint ${endpointName} is in service with {}, not the new configuration {}: the update rolled back', $.results.endpoint.EndpointConfigName, $.results.endpointConfig.EndpointConfigName)`);
    const timedOut = failWith('EndpointTimedOut', 'EndpointDeploymentTimedOut',
      `States.Format('endpoint ${endpointName} is still {} after ${maxPolls} checks every ${pollInterval.toSeconds()} seconds', $.results.endpoint.EndpointStatus)`);
    const status = '$.results.endpoint.EndpointStatus';
    const check = new sfn.Choice(this, 'EndpointInService')
      .when(sfn.Condition.and(sfn.Condition.stringEquals(status, 'InService'),
        sfn.Condition.stringEqualsJsonPath('$.results.endpoint.EndpointConfigName', '$.results.endpointConfig.EndpointConfigName')), done)
      .when(sfn.Condition.stringEquals(status, 'InService'), rolledBack)
      .when(sfn.Condition.or(sfn.Condition.stringEquals(status, 'Failed'), sfn.Condition.stringEquals(status, 'UpdateRollbackFailed')), failedDeployment)
      .when(sfn.Condition.numberGreaterThanEquals('$.results.endpointPolls.value', maxPolls), timedOut)
      .otherwise(wait);
    wait.next(count).next(describe).next(check);
    create.next(startPolls);
    update.next(startPolls);
    startPolls.next(wait);
    const maxWait = Duration.seconds(maxPolls * pollInterval.toSeconds() + 600);
    return { start: createConfig.next(exists).next(update), maxWait };
  }
}
