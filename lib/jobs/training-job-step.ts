import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ChannelDataSource } from './channel-data-source';
import { renderHyperparameters } from './private/hyperparameters';
import { SageMakerJobStep, SageMakerJobStepProps } from './sagemaker-job-step';
import { fail, validateCount, validateDuration, validateIn, validateLength, validatePattern, validateStringMap, validateUnique } from '../private/validate';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';

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

/** SageMaker lets a training job run for at most 28 days. */
const MAX_TRAINING_RUNTIME = Duration.days(28);

/**
 * A Step Functions step that runs a SageMaker training job (`createTrainingJob.sync`).
 *
 * aws-cdk-lib's `SageMakerCreateTrainingJob` has no EFS or FSx channels, no managed spot
 * training and no checkpoints, so this step renders the request itself.
 *
 * The step's output is SageMaker's `DescribeTrainingJob` response; the model is at
 * `ModelArtifacts.S3ModelArtifacts`.
 */
export class TrainingJobStep extends SageMakerJobStep {
  private readonly props: TrainingJobStepProps;
  private readonly channels: any[];
  private readonly output: { uri: string; isExpression: boolean; key?: kms.IKey };
  private readonly checkpoint?: { uri: string; isExpression: boolean };

  constructor(scope: Construct, id: string, props: TrainingJobStepProps) {
    super(scope, id, props, {
      api: 'createTrainingJob',
      actionNoun: 'TrainingJob',
      resourceType: 'training-job',
      eventRule: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
      defaultPrefix: 'training',
      maxRuntime: MAX_TRAINING_RUNTIME,
    });
    this.props = props;
    validateIn(this, () => validateTrainingProps(this, props));

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
    // SageMaker encrypts the artifacts with OutputDataConfig.KmsKeyId: kms:Encrypt (CreateTrainingJob's
    // KmsKeyId documentation), and S3 SSE-KMS multipart uploads need GenerateDataKey and Decrypt.
    if (props.outputEncryptionKey) props.outputEncryptionKey.grant(this.role, 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt');

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
  }

  /**
   * The longest the job takes: `spot.maxWait` (waiting for capacity included) or `maxRuntime`.
   * @internal
   */
  protected _runDuration(): Duration {
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
      EnableInterContainerTrafficEncryption: props.enableInterContainerTrafficEncryption,
    };
  }
}

function validateTrainingProps(_scope: Construct, props: TrainingJobStepProps): void {
  const channels = props.channels ?? [];
  validateCount('channels', channels.length, 20);
  for (const channel of channels) {
    validateLength('channels[].channelName', channel.channelName, 1, 64);
    validatePattern('channels[].channelName', channel.channelName, /^[A-Za-z0-9.\-_]+$/, "letters, digits and the characters . - _ (SageMaker's channel name pattern)");
    validateLength(`channels['${channel.channelName}'].contentType`, channel.contentType, 0, 256);
  }
  validateUnique('channels[].channelName', channels.map(c => c.channelName));

  validateStringMap('hyperparameters', props.hyperparameters, {
    maxEntries: 100,
    keyPattern: /^.+$/,
    keyAllowed: 'a non-empty string',
    maxKeyLength: 256,
    maxValueLength: 2500,
  });

  const metrics = props.metricDefinitions ?? [];
  validateCount('metricDefinitions', metrics.length, 40);
  for (const metric of metrics) {
    validateLength('metricDefinitions[].name', metric.name, 1, 255);
    validateLength(`metricDefinitions['${metric.name}'].regex`, metric.regex, 1, 500);
    if (!Token.isUnresolved(metric.regex)) {
      try {
        new RegExp(metric.regex);
      } catch (e) {
        fail(`metricDefinitions['${metric.name}'].regex must be a valid regular expression, got '${metric.regex}': ${(e as Error).message}`);
      }
    }
  }
  validateUnique('metricDefinitions[].name', metrics.map(m => m.name));

  validatePattern('checkpointLocalPath', props.checkpointLocalPath, /^\/.{0,4095}$/, "an absolute path such as '/opt/ml/checkpoints'");
  if (props.checkpointLocalPath && !props.checkpointLocation) {
    fail('checkpointLocalPath requires checkpointLocation');
  }
  if (props.spot) {
    validateDuration('spot.maxWait', props.spot.maxWait, Duration.seconds(1), MAX_TRAINING_RUNTIME);
    const maxRuntime = props.maxRuntime ?? Duration.days(1);
    if (!Token.isUnresolved(props.spot.maxWait.toSeconds()) && !Token.isUnresolved(maxRuntime.toSeconds())
        && props.spot.maxWait.toSeconds() < maxRuntime.toSeconds()) {
      fail(`spot.maxWait must be at least maxRuntime (${maxRuntime.toHumanString()}), got ${props.spot.maxWait.toHumanString()}`);
    }
  }
}
