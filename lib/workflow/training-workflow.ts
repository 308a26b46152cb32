import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { endpointArnOf } from '../hosting/inference-endpoint';
import { SageMakerImage } from '../image/sagemaker-image';
import { CreateModelStep } from '../jobs/create-model-step';
import { retryTransientErrors } from '../jobs/private/retries';
import { ProcessingJobStep, ProcessingJobStepProps } from '../jobs/processing-job-step';
import { TrainingJobStep, TrainingJobStepProps } from '../jobs/training-job-step';
import { registerWildcardResource } from '../private/nag';
import { ObservableStateMachine } from '../private/observable-state-machine';
import {
  fail, validateDuration, validateFormatSafe, validateInstanceType, validateInteger, validateLength, validateNumber, validatePattern,
} from '../private/validate';
import { generatedEndpointName } from '../private/variants';
import { IMlflowTrackingServer } from '../tracking/mlflow-tracking-server';
import { ResultS3Location } from './private/result-location';

/**
 * How the gate compares the evaluation metric to the threshold.
 */
export enum MetricComparison {
  /** metric < threshold (losses, errors). */
  LESS_THAN = 'LESS_THAN',
  /** metric <= threshold. */
  LESS_THAN_OR_EQUAL = 'LESS_THAN_OR_EQUAL',
  /** metric > threshold (accuracy, R², AUC). */
  GREATER_THAN = 'GREATER_THAN',
  /** metric >= threshold. */
  GREATER_THAN_OR_EQUAL = 'GREATER_THAN_OR_EQUAL',
}

/**
 * A quality gate on a metric the evaluation job wrote to S3 as JSON.
 */
export interface QualityGateProps {
  /** The output of the evaluation step that holds the report. */
  readonly outputName: string;

  /**
   * The report's file name in that output.
   *
   * @default 'evaluation.json'
   */
  readonly reportFileName?: string;

  /** The metric's path in the report, e.g. `metrics.rmse`. */
  readonly metricPath: string;

  /** The threshold. */
  readonly threshold: number;

  /** How the metric must compare to the threshold for the model to pass. */
  readonly comparison: MetricComparison;
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
   * A processing job after training that evaluates the model. It reads the model with an
   * input from the training output and writes a JSON report for the quality gate.
   *
   * @default - no evaluation
   */
  readonly evaluate?: ProcessingJobStepProps;

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
   * Defaults for the execution input, merged under it (the input wins, key by key at the
   * top level). Job props read input values with `JsonPath.stringAt('$.<key>')`.
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
   * The longest an execution may take.
   *
   * @default Duration.days(7)
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
 * the artifacts.
 *
 * Every job is named per execution, retries throttling and transient SageMaker errors,
 * and routes any failure to an SNS notification and a failed execution. Executions are
 * logged in full to an encrypted log group and traced with X-Ray.
 *
 * The execution's output is `{ modelName, modelArn, modelDataUrl, trainingJobName }`, with
 * `evaluation` (the report the gate read) when there is a gate.
 */
export class TrainingWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic notified of failed executions. */
  public readonly failureTopic: sns.ITopic;
  /** The execution log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The preprocessing step, if any. */
  public readonly preprocessStep?: ProcessingJobStep;
  /** The training step. */
  public readonly trainStep: TrainingJobStep;
  /** The evaluation step, if any. */
  public readonly evaluateStep?: ProcessingJobStep;
  /** The step that defines the model. */
  public readonly createModelStep: CreateModelStep;

  constructor(scope: Construct, id: string, props: TrainingWorkflowProps) {
    super(scope, id);
    if (props.qualityGate && !props.evaluate) {
      fail('qualityGate requires evaluate: the gate reads the report the evaluation job writes');
    }
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
    const onError = (state: sfn.TaskStateBase) => plumbing.onError(state);

    const tracking = props.experimentTracking;
    if (tracking) {
      validateLength('experimentTracking.experimentName', tracking.experimentName, 1, 256);
      validatePattern('experimentTracking.experimentName', tracking.experimentName, /^[a-zA-Z0-9\-_./]+$/, 'letters, digits and - _ . /');
    }
    const withTracking = <T extends { environment?: { [key: string]: string } }>(jobProps: T): T => tracking ? {
      ...jobProps,
      environment: {
        ...jobProps.environment,
        MLFLOW_TRACKING_URI: tracking.trackingServer.trackingServerArn,
        MLFLOW_EXPERIMENT_NAME: tracking.experimentName,
      },
    } : jobProps;
    const states: sfn.IChainable[] = [];
    if (props.executionInputDefaults) {
      for (const [k, v] of Object.entries(props.executionInputDefaults)) {
        validateLength(`executionInputDefaults['${k}']`, v, 0, 10000);
      }
      states.push(new sfn.Pass(this, 'InputDefaults', { result: sfn.Result.fromObject(props.executionInputDefaults), resultPath: '$.defaults' }));
      states.push(new sfn.Pass(this, 'MergeInput', {
        parameters: { 'merged.$': 'States.JsonMerge($.defaults, $$.Execution.Input, false)' },
        outputPath: '$.merged',
      }));
    }

    if (props.preprocess) {
      this.preprocessStep = new ProcessingJobStep(this, 'Preprocess', {
        jobNamePrefix: 'preprocess',
        ...withTracking(props.preprocess),
        resultPath: '$.results.preprocess',
        resultSelector: { 'ProcessingJobName.$': '$.ProcessingJobName', 'ProcessingJobArn.$': '$.ProcessingJobArn' },
      });
      onError(this.preprocessStep);
      states.push(this.preprocessStep);
    }

    this.trainStep = new TrainingJobStep(this, 'Train', {
      jobNamePrefix: 'train',
      ...withTracking(props.train),
      resultPath: '$.results.train',
      resultSelector: {
        'TrainingJobName.$': '$.TrainingJobName',
        'TrainingJobArn.$': '$.TrainingJobArn',
        'ModelArtifacts.$': '$.ModelArtifacts',
      },
    });
    onError(this.trainStep);
    states.push(this.trainStep);

    if (props.evaluate) {
      this.evaluateStep = new ProcessingJobStep(this, 'Evaluate', {
        jobNamePrefix: 'evaluate',
        ...withTracking(props.evaluate),
        resultPath: '$.results.evaluate',
        resultSelector: { 'ProcessingJobName.$': '$.ProcessingJobName', 'ProcessingJobArn.$': '$.ProcessingJobArn' },
      });
      onError(this.evaluateStep);
      states.push(this.evaluateStep);
    }

    if (tracking) {
      [this.preprocessStep, this.trainStep, this.evaluateStep].forEach(step => step && tracking.trackingServer.grantTracking(step));
    }

    this.createModelStep = new CreateModelStep(this, 'CreateModel', {
      image: props.model?.image ?? props.train.image,
      role: props.model?.role,
      modelNamePrefix: props.model?.modelNamePrefix,
      environment: props.model?.environment,
      modelData: new ResultS3Location('$.results.train.ModelArtifacts.S3ModelArtifacts', props.train.outputLocation, 'the model artifacts'),
      enableNetworkIsolation: props.train.enableNetworkIsolation,
      resultPath: '$.results.model',
    });
    onError(this.createModelStep);

    const output = new sfn.Pass(this, 'Output', {
      parameters: {
        'modelName.$': '$.results.model.ModelName',
        'modelArn.$': '$.results.model.ModelArn',
        'modelDataUrl.$': '$.results.train.ModelArtifacts.S3ModelArtifacts',
        'trainingJobName.$': '$.results.train.TrainingJobName',
        ...(props.promote ? { 'endpointName': props.promote.endpointName, 'endpointConfigName.$': '$.results.endpointConfig.EndpointConfigName' } : {}),
        // The evaluation report the gate read, so callers see the model's metrics.
        ...(props.qualityGate ? { 'evaluation.$': '$.evaluation.report' } : {}),
      },
    });
    const succeed = new sfn.Succeed(this, 'Succeeded');
    output.next(succeed);
    const modelAndOutput = props.promote
      ? this.createModelStep.next(this.buildPromotion(props.promote, plumbing, output))
      : this.createModelStep.next(output);

    const tail = props.qualityGate ? this.buildQualityGate(props.qualityGate, props.evaluate!, plumbing, modelAndOutput) : modelAndOutput;
    const chain = [...states, tail].reduce((acc: sfn.Chain | undefined, state) => acc ? acc.next(state) : sfn.Chain.start(state), undefined)!;

    this.stateMachine = plumbing.finish(chain);
  }

  private buildPromotion(promote: PromoteToEndpointProps, plumbing: ObservableStateMachine, done: sfn.IChainable): sfn.IChainable {
    const endpointName = generatedEndpointName(this, promote.endpointName);
    const prefix = promote.endpointConfigNamePrefix ?? 'promote';
    validateLength('promote.endpointConfigNamePrefix', prefix, 1, 26);
    validatePattern('promote.endpointConfigNamePrefix', prefix, /^[a-z0-9](-*[a-z0-9])*$/, 'lowercase letters, digits and single hyphens');
    validateInstanceType('promote.instanceType', promote.instanceType ?? 'ml.m5.large');
    validateInteger('promote.initialInstanceCount', promote.initialInstanceCount, 1, 1000);
    validateDuration('promote.pollInterval', promote.pollInterval, Duration.seconds(10), Duration.hours(1));
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

    // The SDK integration (no Lambda): request/response, so the wait is a loop below.
    const createConfig = sdk('CreateEndpointConfig', 'createEndpointConfig', {
      EndpointConfigName: sfn.JsonPath.format(`${prefix}-{}`, sfn.JsonPath.uuid()),
      ProductionVariants: [{
        VariantName: 'AllTraffic',
        ModelName: sfn.JsonPath.stringAt('$.results.model.ModelName'),
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
    const wait = new sfn.Wait(this, 'WaitForEndpoint', { time: sfn.WaitTime.duration(promote.pollInterval ?? Duration.minutes(1)) });
    const describe = sdk('DescribeEndpoint', 'describeEndpoint', { EndpointName: endpointName }, [endpoint], {
      resultSelector: { 'EndpointStatus.$': '$.EndpointStatus', 'EndpointConfigName.$': '$.EndpointConfigName' },
      resultPath: '$.results.endpoint',
    });
    [createConfig, create, update, describe].forEach(t => plumbing.onError(t));
    // A missing endpoint is a SageMaker ValidationException ("Could not find endpoint"),
    // which the SDK integration reports as SageMakerException: create it then.
    exists.addCatch(create, { errors: ['SageMaker.SageMakerException', 'SageMaker.ValidationException', 'SageMaker.ResourceNotFoundException'], resultPath: '$.results.existingEndpoint' });
    plumbing.onError(exists);

    const failedDeployment = new sfn.Pass(this, 'EndpointFailed', {
      parameters: { 'Error': 'EndpointDeploymentFailed', 'Cause.$': `States.Format('endpoint ${endpointName} is {} after deploying {}', $.results.endpoint.EndpointStatus, $.results.endpointConfig.EndpointConfigName)` },
      resultPath: '$.error',
    }).next(plumbing.failurePath);
    const rolledBack = new sfn.Pass(this, 'EndpointRolledBack', {
      parameters: { 'Error': 'EndpointDeploymentRolledBack', 'Cause.$': `States.Format('endpoint ${endpointName} is in service with {}, not the new configuration {}: the update rolled back', $.results.endpoint.EndpointConfigName, $.results.endpointConfig.EndpointConfigName)` },
      resultPath: '$.error',
    }).next(plumbing.failurePath);
    const status = '$.results.endpoint.EndpointStatus';
    const check = new sfn.Choice(this, 'EndpointInService')
      .when(sfn.Condition.and(sfn.Condition.stringEquals(status, 'InService'),
        sfn.Condition.stringEqualsJsonPath('$.results.endpoint.EndpointConfigName', '$.results.endpointConfig.EndpointConfigName')), done)
      .when(sfn.Condition.stringEquals(status, 'InService'), rolledBack)
      .when(sfn.Condition.or(sfn.Condition.stringEquals(status, 'Failed'), sfn.Condition.stringEquals(status, 'UpdateRollbackFailed')), failedDeployment)
      .otherwise(wait);
    wait.next(describe).next(check);
    create.next(wait);
    update.next(wait);
    return createConfig.next(exists).next(update);
  }

  private buildQualityGate(
    gate: QualityGateProps, evaluate: ProcessingJobStepProps, plumbing: ObservableStateMachine, pass: sfn.IChainable,
  ): sfn.IChainable {
    const notify = plumbing.failurePath;
    const output = (evaluate.processingOutputs ?? []).find(o => o.outputName === gate.outputName);
    if (!output) {
      fail(`qualityGate.outputName must name an output of evaluate, got '${gate.outputName}'; outputs: ${(evaluate.processingOutputs ?? []).map(o => o.outputName).join(', ') || 'none'}`);
    }
    validatePattern('qualityGate.metricPath', gate.metricPath, /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, "a dotted path of identifiers such as 'metrics.rmse'");
    validateNumber('qualityGate.threshold', gate.threshold, -Number.MAX_VALUE, Number.MAX_VALUE);
    const fileName = gate.reportFileName ?? 'evaluation.json';
    validateFormatSafe('qualityGate.reportFileName', fileName);
    const object = output.destination.objectKey(fileName);
    const reportObjects = object.bucket.arnForObjects(object.keyPattern);
    registerWildcardResource(this, reportObjects,
      `The evaluation report of each execution lies under a folder named after the execution; the state machine may read only '${fileName}' files under the evaluation output prefix.`);
    // The state machine decrypts the report.
    plumbing.addDecryptKey(object.bucket.encryptionKey);

    // S3 SDK integration, no Lambda: the report body parsed as JSON.
    const read = new tasks.CallAwsService(this, 'ReadEvaluationReport', {
      service: 's3',
      action: 'getObject',
      parameters: { Bucket: object.bucket.bucketName, Key: object.key },
      iamResources: [reportObjects],
      iamAction: 's3:GetObject',
      resultSelector: { 'report.$': 'States.StringToJson($.Body)' },
      resultPath: '$.evaluation',
    });
    read.addRetry({ errors: ['S3.S3Exception', 'S3.SdkClientException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    read.addCatch(notify, { errors: ['States.ALL'], resultPath: '$.error' });

    const metric = `$.evaluation.report.${gate.metricPath}`;
    const compare = {
      [MetricComparison.LESS_THAN]: sfn.Condition.numberLessThan,
      [MetricComparison.LESS_THAN_OR_EQUAL]: sfn.Condition.numberLessThanEquals,
      [MetricComparison.GREATER_THAN]: sfn.Condition.numberGreaterThan,
      [MetricComparison.GREATER_THAN_OR_EQUAL]: sfn.Condition.numberGreaterThanEquals,
    }[gate.comparison];
    const requirement = `${gate.metricPath} ${gate.comparison.toLowerCase().replace(/_/g, ' ')} ${gate.threshold}`;
    const rejected = new sfn.Pass(this, 'QualityGateFailed', {
      parameters: {
        'Error': 'QualityGateFailed',
        'Cause.$': `States.Format('the model does not meet ${requirement}; report: {}', States.JsonToString($.evaluation.report))`,
      },
      resultPath: '$.error',
    });
    rejected.next(notify);
    const choice = new sfn.Choice(this, 'QualityGate', { comment: `pass when ${requirement}` })
      .when(sfn.Condition.and(sfn.Condition.isPresent(metric), sfn.Condition.isNumeric(metric), compare(metric, gate.threshold)), pass)
      .otherwise(rejected);
    return read.next(choice);
  }
}
