import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { grantOutputKey } from './private/job-policies';
import { SageMakerJobStep, SageMakerJobStepProps } from './sagemaker-job-step';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { fail, validateCount, validateIn, validateLength, validatePattern, validateUnique } from '../private/validate';

/**
 * An input of a processing job, downloaded (File) or streamed (Pipe) to `localPath`.
 */
export interface ProcessingInput {
  /** The input name. */
  readonly inputName: string;
  /** Where the input is read from. */
  readonly source: JobS3Location;
  /**
   * Where the container finds it; under `/opt/ml/processing/`.
   *
   * @default '/opt/ml/processing/input/<inputName>'
   */
  readonly localPath?: string;
  /**
   * File (download before the job starts) or Pipe (stream).
   *
   * @default InputMode.FILE
   */
  readonly inputMode?: tasks.InputMode;
  /**
   * How objects are distributed to the instances of a multi-instance job.
   *
   * @default S3DataDistributionType.FULLY_REPLICATED
   */
  readonly distribution?: tasks.S3DataDistributionType;
  /**
   * Whether the URI is a prefix or a manifest.
   *
   * @default S3DataType.S3_PREFIX
   */
  readonly dataType?: tasks.S3DataType;
  /**
   * Whether Pipe mode data is gzip-compressed.
   *
   * @default CompressionType.NONE
   */
  readonly compressionType?: tasks.CompressionType;
}

/**
 * When SageMaker uploads a processing output.
 */
export enum ProcessingUploadMode {
  /** When the job ends. */
  END_OF_JOB = 'EndOfJob',
  /** Continuously, while the job runs. */
  CONTINUOUS = 'Continuous',
}

/**
 * An output of a processing job, uploaded from `localPath` to `destination`.
 */
export interface ProcessingOutput {
  /** The output name. */
  readonly outputName: string;
  /** Where the output is written; a per-execution location keeps executions apart. */
  readonly destination: JobS3Location;
  /**
   * Where the container writes it; under `/opt/ml/processing/`.
   *
   * @default '/opt/ml/processing/output/<outputName>'
   */
  readonly localPath?: string;
  /**
   * When the output is uploaded.
   *
   * @default ProcessingUploadMode.END_OF_JOB
   */
  readonly uploadMode?: ProcessingUploadMode;
}

/**
 * Properties of a ProcessingJobStep.
 */
export interface ProcessingJobStepProps extends SageMakerJobStepProps {
  /**
   * The entrypoint of the container, e.g. `['python3', '/opt/program/preprocess.py']`.
   *
   * @default - the image's ENTRYPOINT
   */
  readonly containerEntrypoint?: string[];

  /**
   * Arguments passed to the entrypoint. Literal strings only: SageMaker passes them as-is.
   *
   * @default - none
   */
  readonly containerArguments?: string[];

  /**
   * The inputs.
   *
   * @default - none
   */
  readonly processingInputs?: ProcessingInput[];

  /**
   * The outputs.
   *
   * @default - none
   */
  readonly processingOutputs?: ProcessingOutput[];

  /**
   * The key that encrypts the outputs.
   *
   * @default - the first output bucket's key, if known
   */
  readonly outputEncryptionKey?: kms.IKey;
}

/** SageMaker lets a processing job run for at most 777600 seconds (9 days). */
const MAX_PROCESSING_RUNTIME = Duration.seconds(777600);
const PROCESSING_ROOT = '/opt/ml/processing/';

interface RenderedOutput {
  readonly request: any;
  readonly uri: string;
  readonly isExpression: boolean;
  readonly key?: kms.IKey;
}

/**
 * A Step Functions step that runs a SageMaker processing job
 * (`createProcessingJob.sync`): preprocessing, feature engineering, evaluation.
 * aws-cdk-lib has no processing-job task, so this step renders the request itself.
 *
 * The step's output is SageMaker's `DescribeProcessingJob` response.
 */
export class ProcessingJobStep extends SageMakerJobStep {
  private readonly props: ProcessingJobStepProps;
  private readonly inputs: any[];
  private readonly renderedOutputs = new Map<string, RenderedOutput>();

  constructor(scope: Construct, id: string, props: ProcessingJobStepProps) {
    super(scope, id, props, {
      api: 'createProcessingJob',
      actionNoun: 'ProcessingJob',
      resourceType: 'processing-job',
      eventRule: 'StepFunctionsGetEventsForSageMakerProcessingJobsRule',
      defaultPrefix: 'processing',
      maxRuntime: MAX_PROCESSING_RUNTIME,
      maxEnvironmentValueLength: 256,
    });
    this.props = props;
    validateIn(this, () => validateProcessingProps(props));

    this.inputs = (props.processingInputs ?? []).map(input => {
      const uri = validateIn(this, () => input.source.bind(this, this.role, S3AccessMode.READ));
      return {
        InputName: input.inputName,
        S3Input: {
          [uri.isExpression ? 'S3Uri.$' : 'S3Uri']: uri.uri,
          LocalPath: input.localPath ?? `${PROCESSING_ROOT}input/${input.inputName}`,
          S3DataType: input.dataType ?? tasks.S3DataType.S3_PREFIX,
          S3InputMode: input.inputMode ?? tasks.InputMode.FILE,
          S3DataDistributionType: input.distribution ?? tasks.S3DataDistributionType.FULLY_REPLICATED,
          S3CompressionType: input.compressionType,
        },
      };
    });

    for (const output of props.processingOutputs ?? []) {
      const uri = validateIn(this, () => output.destination.bind(this, this.role, S3AccessMode.WRITE));
      this.renderedOutputs.set(output.outputName, {
        uri: uri.uri,
        isExpression: uri.isExpression,
        key: uri.encryptionKey,
        request: {
          OutputName: output.outputName,
          S3Output: {
            [uri.isExpression ? 'S3Uri.$' : 'S3Uri']: uri.uri,
            LocalPath: output.localPath ?? `${PROCESSING_ROOT}output/${output.outputName}`,
            S3UploadMode: output.uploadMode ?? ProcessingUploadMode.END_OF_JOB,
          },
        },
      });
    }
    // The key the request names as ProcessingOutputConfig.KmsKeyId (see _renderRequest): the
    // role needs kms:Encrypt on it (job-policies.ts).
    grantOutputKey(this.role, this.outputKey);
  }

  /** The key of ProcessingOutputConfig.KmsKeyId: the given one, else the first output bucket's. */
  private get outputKey(): kms.IKey | undefined {
    return this.props.outputEncryptionKey ?? [...this.renderedOutputs.values()].find(o => o.key)?.key;
  }

  /**
   * The S3 URI (or the States Language expression that evaluates to it) an output is
   * uploaded to, for later steps of the same execution.
   */
  public outputUri(outputName: string): string {
    const output = this.renderedOutputs.get(outputName);
    if (!output) {
      return validateIn(this, () => fail(`processing step '${this.node.id}' has no output named '${outputName}'; outputs: ${[...this.renderedOutputs.keys()].join(', ') || 'none'}`));
    }
    return output.uri;
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const props = this.props;
    const outputs = [...this.renderedOutputs.values()];
    const key = this.outputKey;
    return {
      ...this._commonRequest(),
      AppSpecification: {
        ImageUri: this._imageUri,
        ContainerEntrypoint: props.containerEntrypoint,
        ContainerArguments: props.containerArguments,
      },
      ProcessingResources: { ClusterConfig: this._clusterConfig() },
      ProcessingInputs: this.inputs.length ? this.inputs : undefined,
      ProcessingOutputConfig: outputs.length ? { Outputs: outputs.map(o => o.request), KmsKeyId: key?.keyArn } : undefined,
      NetworkConfig: (this._vpcConfig || props.enableNetworkIsolation !== undefined || props.enableInterContainerTrafficEncryption !== undefined) ? {
        EnableNetworkIsolation: props.enableNetworkIsolation,
        EnableInterContainerTrafficEncryption: props.enableInterContainerTrafficEncryption,
        VpcConfig: this._vpcConfig,
      } : undefined,
    };
  }
}

function validateLocalPath(prop: string, path: string | undefined): void {
  validateLength(prop, path, 1, 256);
  validatePattern(prop, path, /^\/opt\/ml\/processing\/[^\0]+$/, `a path under ${PROCESSING_ROOT}`);
}

function validateProcessingProps(props: ProcessingJobStepProps): void {
  const inputs = props.processingInputs ?? [];
  const outputs = props.processingOutputs ?? [];
  validateCount('processingInputs', inputs.length, 10);
  validateCount('processingOutputs', outputs.length, 10);
  for (const input of inputs) {
    validateLength('processingInputs[].inputName', input.inputName, 1, 256);
    validatePattern('processingInputs[].inputName', input.inputName, /^\S+$/, 'a name without white space');
    validateLocalPath(`processingInputs['${input.inputName}'].localPath`, input.localPath);
    if (input.inputMode === tasks.InputMode.FAST_FILE) {
      fail(`processingInputs['${input.inputName}'].inputMode must be File or Pipe for a processing job, got FastFile`);
    }
  }
  for (const output of outputs) {
    validateLength('processingOutputs[].outputName', output.outputName, 1, 256);
    validatePattern('processingOutputs[].outputName', output.outputName, /^\S+$/, 'a name without white space');
    validateLocalPath(`processingOutputs['${output.outputName}'].localPath`, output.localPath);
  }
  validateUnique('processingInputs[].inputName', inputs.map(i => i.inputName));
  validateUnique('processingOutputs[].outputName', outputs.map(o => o.outputName));
  validateUnique('input and output localPath', [
    ...inputs.map(i => i.localPath ?? `${PROCESSING_ROOT}input/${i.inputName}`),
    ...outputs.map(o => o.localPath ?? `${PROCESSING_ROOT}output/${o.outputName}`),
  ]);

  validateCount('containerEntrypoint', props.containerEntrypoint?.length ?? 0, 100);
  if (props.containerEntrypoint && props.containerEntrypoint.length === 0) fail('containerEntrypoint must have at least one entry when set, got []');
  props.containerEntrypoint?.forEach((e, i) => validateLength(`containerEntrypoint[${i}]`, e, 1, 256));
  validateCount('containerArguments', props.containerArguments?.length ?? 0, 256);
  props.containerArguments?.forEach((a, i) => validateLength(`containerArguments[${i}]`, a, 1, 256));
}
