import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ChannelDataSource } from './channel-data-source';
import { renderHyperparameters } from './private/hyperparameters';
import { grantOutputKey } from './private/job-policies';
import { unsupportedOptimizedFields } from './private/optimized-fields';
import { pollPlan, TrainingJobPoll } from './private/training-job-poll';
import { MAX_TRAINING_RUNTIME, validateTrainingProps } from './private/training-validation';
import { SageMakerJobStep, SageMakerJobStepProps } from './sagemaker-job-step';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { fail, failAt, validateIn } from '../private/validate';

/**
 * An input channel of a training job: the container finds its data under
 * `/opt/ml/input/data/<channelName>/` (File and FastFile modes) or as a pipe (Pipe mode).
 */
export interface TrainingChannel {
  /** The channel name, e.g. `train`, `validation` or `config`. */
  readonly channelName: string;

  /** Where the channel's data comes from. */
  readonly source: ChannelDataSource;

  /**
   * How the data reaches the container. Pipe and FastFile work only for S3 channels.
   *
   * @default InputMode.FILE
   */
  readonly inputMode?: tasks.InputMode;

  /**
   * The MIME type of the data, passed to the algorithm.
   *
   * @default - none
   */
  readonly contentType?: string;

  /**
   * Whether the data is compressed (Pipe mode decompresses it).
   *
   * @default CompressionType.NONE
   */
  readonly compressionType?: tasks.CompressionType;

  /**
   * The record wrapper of Pipe mode data.
   *
   * @default RecordWrapperType.NONE
   */
  readonly recordWrapperType?: tasks.RecordWrapperType;
}

/**
 * A metric SageMaker parses from the training container's logs and publishes to
 * CloudWatch.
 */
export interface MetricDefinition {
  /** The metric name, e.g. `validation:rmse`. */
  readonly name: string;
  /** The regular expression whose first group captures the value, e.g. `rmse=([0-9.]+)`. */
  readonly regex: string;
}

/**
 * Managed spot training: run on spare capacity for less, waiting for it up to `maxWait`.
 */
export interface SpotTrainingOptions {
  /**
   * How long the job may take in all, waiting for capacity included. At least `maxRuntime`.
   */
  readonly maxWait: Duration;
}

/**
 * Properties of a TrainingJobStep.
 */
export interface TrainingJobStepProps extends SageMakerJobStepProps {
  /**
   * The input channels.
   *
   * @default - none
   */
  readonly channels?: TrainingChannel[];

  /**
   * Where SageMaker writes `<job name>/output/model.tar.gz`.
   */
  readonly outputLocation: JobS3Location;

  /**
   * The key that encrypts the model artifacts.
   *
   * @default - the output bucket's key, if known
   */
  readonly outputEncryptionKey?: kms.IKey;

  /**
   * Hyperparameters, written to `/opt/ml/input/config/hyperparameters.json`. Values are
   * strings; a value may be taken from the state input with `JsonPath.stringAt('$.<key>')`,
   * and is then passed as a string whatever its JSON type (`States.Format('{}', $.<key>)`),
   * so an execution input `{"max_iter": 50}` works.
   *
   * @default - none
   */
  readonly hyperparameters?: { [key: string]: string };

  /**
   * Metrics SageMaker parses from the logs.
   *
   * @default - none
   */
  readonly metricDefinitions?: MetricDefinition[];

  /**
   * Run on managed spot capacity.
   *
   * @default - on-demand capacity
   */
  readonly spot?: SpotTrainingOptions;

  /**
   * Where SageMaker syncs the checkpoints the container writes to `checkpointLocalPath`,
   * so an interrupted spot job resumes rather than restarts. Give a per-execution location.
   *
   * Step Functions' optimized `createTrainingJob.sync` does not take `CheckpointConfig`: with
   * checkpoints the step starts the job through the AWS SDK integration and polls
   * DescribeTrainingJob until it ends (see the class). Its output is the same; but an aborted
   * or timed-out execution does not stop the job (SageMaker stops it at `maxRuntime`, or
   * `spot.maxWait`), `jobNamePrefix` must be lowercase, `timeout` bounds the create call only
   * (the loop is bounded by the job's own limit), `addRetry` applies to the create call only,
   * and a job that fails raises `TrainingJobFailed` rather than `States.TaskFailed`.
   *
   * @default - no checkpoints
   */
  readonly checkpointLocation?: JobS3Location;

  /**
   * Where the container writes checkpoints.
   *
   * @default '/opt/ml/checkpoints'
   */
  readonly checkpointLocalPath?: string;
}


/**
 * A Step Functions step that runs a SageMaker training job (`createTrainingJob.sync`).
 *
 * aws-cdk-lib's `SageMakerCreateTrainingJob` has no EFS or FSx channels, no managed spot
 * training and no checkpoints, so this step renders the request itself.
 *
 * The step's output is SageMaker's `DescribeTrainingJob` response; the model is at
 * `ModelArtifacts.S3ModelArtifacts`.
 *
 * Step Functions refuses, when the state machine is created, an optimized integration whose
 * request carries a field it does not support (optimized-fields.ts). A job with
 * `checkpointLocation` or `enableInterContainerTrafficEncryption: true` therefore starts through
 * the AWS SDK integration (`arn:aws:states:::aws-sdk:sagemaker:createTrainingJob`, which takes
 * every field but has no `.sync`) and the step waits for it itself: Wait, DescribeTrainingJob,
 * and a Choice on the status, checking every minute (longer for long jobs) until the job's
 * limit (`maxRuntime`, or `spot.maxWait`) and an hour more. The step is still one state to
 * whatever chains it (`next`, `addCatch`): a Completed job continues with the DescribeTrainingJob
 * response (through `resultSelector`, at `resultPath`); a Failed or Stopped job raises
 * `TrainingJobFailed` with `{ TrainingJobName, TrainingJobArn, TrainingJobStatus, SecondaryStatus,
 * FailureReason }` as the Cause (JSON); a job still running after the last check raises
 * `TrainingJobTimedOut`. A catch of `States.ALL` or `States.TaskFailed` takes them. Without
 * `.sync`, Step Functions does not stop the job when the execution is aborted or times out,
 * so the state machine gets no `sagemaker:StopTrainingJob` and no `.sync` managed rule; it
 * needs `sagemaker:CreateTrainingJob` and `DescribeTrainingJob` on its jobs, as with `.sync`.
 */
export class TrainingJobStep extends SageMakerJobStep {
  private readonly props: TrainingJobStepProps;
  private readonly channels: any[];
  private readonly output: { uri: string; isExpression: boolean; key?: kms.IKey };
  private readonly checkpoint?: { uri: string; isExpression: boolean };
  /** The poll loop, when the job goes through the AWS SDK integration. */
  private readonly poll?: TrainingJobPoll;
  /** Set while a catch is the create call's alone (its service-error loop's). */
  private ownCatch = false;

  constructor(scope: Construct, id: string, props: TrainingJobStepProps) {
    const sdk = needsSdkIntegration(props);
    super(scope, id, {
      ...props,
      // The step as a whole still runs the job to its end.
      integrationPattern: sdk && props.integrationPattern === sfn.IntegrationPattern.RUN_JOB ? undefined : props.integrationPattern,
    }, {
      api: 'createTrainingJob',
      actionNoun: 'TrainingJob',
      resourceType: 'training-job',
      eventRule: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
      defaultPrefix: 'training',
      maxRuntime: MAX_TRAINING_RUNTIME,
      sdkIntegration: sdk,
    });
    this.props = props;
    validateIn(this, () => {
      validateTrainingProps(this, props);
      if (sdk && this.jobNamePrefix !== this.jobNamePrefix.toLowerCase()) {
        fail(`jobNamePrefix must be lowercase for a job with checkpointLocation or enableInterContainerTrafficEncryption, got '${this.jobNamePrefix}': `
          + 'the job starts through the AWS SDK integration and the step reads its name back from the job ARN, which SageMaker writes lowercase');
      }
      if (sdk && Token.isUnresolved(this.jobLimit().toSeconds())) {
        fail('maxRuntime and spot.maxWait must be literal durations for a job with checkpointLocation or enableInterContainerTrafficEncryption (they bound the step\'s poll loop), got a token');
      }
    });

    this.channels = (props.channels ?? []).map(channel => {
      const source = validateIn(this, () => channel.source.bind(this, {
        grantee: this.role,
        connections: this.connections,
        inVpc: props.vpc !== undefined,
        channelName: channel.channelName,
      }));
      const mode = channel.inputMode ?? tasks.InputMode.FILE;
      if (!source.isS3 && mode !== tasks.InputMode.FILE) {
        validateIn(this, () => fail(`channels['${channel.channelName}'].inputMode ${mode} works only for S3 channels; file system channels use File`));
      }
      return {
        ChannelName: channel.channelName,
        DataSource: source.dataSource,
        ContentType: channel.contentType,
        CompressionType: channel.compressionType,
        RecordWrapperType: channel.recordWrapperType,
        InputMode: channel.inputMode,
      };
    });

    const output = validateIn(this, () => props.outputLocation.bind(this, this.role, S3AccessMode.WRITE));
    this.output = { uri: output.uri, isExpression: output.isExpression, key: props.outputEncryptionKey ?? output.encryptionKey };
    // The key the request names as OutputDataConfig.KmsKeyId (the given one, else the output
    // bucket's): the role needs kms:Encrypt on it (job-policies.ts).
    grantOutputKey(this.role, this.output.key);

    if (props.checkpointLocation) {
      const cp = props.checkpointLocation;
      // Checkpoints are written and read back after an interruption.
      const written = validateIn(this, () => {
        cp.bind(this, this.role, S3AccessMode.READ);
        return cp.bind(this, this.role, S3AccessMode.WRITE);
      });
      this.checkpoint = { uri: written.uri, isExpression: written.isExpression };
    } else if (props.spot) {
      Annotations.of(this).addWarningV2('cdk-sagemaker-ml:spotWithoutCheckpoints',
        'Managed spot training without checkpointLocation: an interrupted job restarts from the beginning. Set checkpointLocation and write checkpoints to /opt/ml/checkpoints.');
    }

    if (sdk) {
      this.poll = new TrainingJobPoll(this, {
        stateName: this.stateId,
        resultPath: props.resultPath,
        resultSelector: props.resultSelector,
        outputPath: props.outputPath,
        plan: pollPlan(this.jobLimit()),
        retryOnServiceErrors: props.retryOnServiceErrors,
        credentials: props.credentials,
      });
      super.next(this.poll.start);
    }
  }

  /**
   * Continues with `next` after the job completed (after the poll loop, for a job started
   * through the AWS SDK integration).
   */
  public next(next: sfn.IChainable): sfn.Chain {
    if (!this.poll) return super.next(next);
    this.poll.done.next(next);
    return sfn.Chain.sequence(this, next);
  }

  /**
   * Adds a catcher; for a job started through the AWS SDK integration, DescribeTrainingJob and
   * the job's failure (`TrainingJobFailed`, `TrainingJobTimedOut`) go to it too.
   */
  public addCatch(handler: sfn.IChainable, props: sfn.CatchProps = {}): sfn.TaskStateBase {
    // The create call's own service-error loop adds its catch through this method too: that
    // one is the create call's only.
    if (this.ownCatch) return super.addCatch(handler, props);
    this.ownCatch = true;
    try {
      super.addCatch(handler, props);
    } finally {
      this.ownCatch = false;
    }
    this.poll?.addCatch(handler, props);
    return this;
  }

  /** Completes the poll loop's failure paths with the catchers added so far. */
  public bindToGraph(graph: sfn.StateGraph): void {
    this.poll?.install();
    this.ownCatch = true;
    try {
      super.bindToGraph(graph);
    } finally {
      this.ownCatch = false;
    }
  }

  /**
   * The longest the job takes: `spot.maxWait` (waiting for capacity included) or `maxRuntime`;
   * with the poll loop, its every check.
   * @internal
   */
  protected _runDuration(): Duration {
    return this.poll ? this.poll.maxDuration : this.jobLimit();
  }

  /**
   * For the AWS SDK integration: the create call keeps the job name and a check counter at the
   * loop's path; the step's resultSelector, resultPath and outputPath apply after the loop. And
   * a guard: the optimized integration gets only the fields it takes.
   * @internal
   */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    if (!this.poll) {
      const refused = unsupportedOptimizedFields('createTrainingJob', rendered.Parameters ?? {});
      if (refused.length) {
        failAt(this, `the optimized createTrainingJob integration does not take ${refused.join(', ')} (Step Functions would refuse the state machine); `
          + 'needsSdkIntegration (training-job-step.ts) must send such a job through the AWS SDK integration');
      }
      return rendered;
    }
    return { ...rendered, ResultSelector: this.poll.createResultSelector, ResultPath: this.poll.scratch, OutputPath: undefined };
  }

  /** `spot.maxWait` (waiting for capacity included) or `maxRuntime`. */
  private jobLimit(): Duration {
    return this.props.spot?.maxWait ?? this.props.maxRuntime ?? Duration.days(1);
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const props = this.props;
    const maxRuntime = props.maxRuntime ?? Duration.days(1);
    const common = this._commonRequest();
    return {
      ...common,
      AlgorithmSpecification: {
        TrainingImage: this._imageUri,
        TrainingInputMode: 'File',
        MetricDefinitions: props.metricDefinitions?.map(m => ({ Name: m.name, Regex: m.regex })),
      },
      HyperParameters: renderHyperparameters(props.hyperparameters),
      InputDataConfig: this.channels.length ? this.channels : undefined,
      OutputDataConfig: {
        [this.output.isExpression ? 'S3OutputPath.$' : 'S3OutputPath']: this.output.uri,
        KmsKeyId: this.output.key?.keyArn,
      },
      ResourceConfig: this._clusterConfig(),
      StoppingCondition: {
        MaxRuntimeInSeconds: maxRuntime.toSeconds(),
        MaxWaitTimeInSeconds: props.spot?.maxWait.toSeconds(),
      },
      EnableManagedSpotTraining: props.spot ? true : undefined,
      CheckpointConfig: this.checkpoint ? {
        [this.checkpoint.isExpression ? 'S3Uri.$' : 'S3Uri']: this.checkpoint.uri,
        LocalPath: props.checkpointLocalPath,
      } : undefined,
      VpcConfig: this._vpcConfig,
      EnableNetworkIsolation: props.enableNetworkIsolation,
      // false is SageMaker's default: left out, so the job keeps the optimized integration.
      EnableInterContainerTrafficEncryption: props.enableInterContainerTrafficEncryption || undefined,
    };
  }
}

/**
 * Whether the request carries a field the optimized `createTrainingJob.sync` does not take
 * (optimized-fields.ts): CheckpointConfig, EnableInterContainerTrafficEncryption. The rendered
 * request is checked against it (`_renderTask`).
 */
function needsSdkIntegration(props: TrainingJobStepProps): boolean {
  return props.checkpointLocation !== undefined || props.enableInterContainerTrafficEncryption === true;
}
