import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { grantOutputKey, grantVolumeKeyGrants } from './private/job-policies';
import { SageMakerTask, SageMakerTaskProps } from './sagemaker-task';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { ISageMakerModel } from '../hosting/sagemaker-model';
import { hasOnlyInstanceStorage, instanceTypeName } from '../private/instance-types';
import {
  fail, requireModelRole, validateDuration, validateEnvironment, validateIn, validateInteger, validateLength,
} from '../private/validate';

/**
 * Properties of a TransformJobStep.
 */
export interface TransformJobStepProps extends SageMakerTaskProps {
  /**
   * The model that transforms the data; its role reads the input and writes the output. A
   * model an earlier stage defines is a `CreateModelStage`'s `model` (its name a `JsonPath`
   * token, rendered as a path).
   */
  readonly model: ISageMakerModel;

  /** The S3 prefix (or manifest) to transform. */
  readonly input: JobS3Location;

  /** Where the results go; each input object yields `<name>.out`. */
  readonly output: JobS3Location;

  /**
   * The MIME type of the input.
   *
   * @default - none
   */
  readonly contentType?: string;

  /**
   * How input files are split into records.
   *
   * @default SplitType.NONE
   */
  readonly splitType?: tasks.SplitType;

  /**
   * Whether the input is compressed.
   *
   * @default CompressionType.NONE
   */
  readonly compressionType?: tasks.CompressionType;

  /**
   * The MIME type the model answers with.
   *
   * @default - the model's default
   */
  readonly accept?: string;

  /**
   * How results are joined in the output file.
   *
   * @default AssembleWith.NONE
   */
  readonly assembleWith?: tasks.AssembleWith;

  /**
   * The key that encrypts the output.
   *
   * @default - the output bucket's key, if known
   */
  readonly outputEncryptionKey?: kms.IKey;

  /**
   * One record or as many as fit in `maxPayload` per request.
   *
   * @default - SageMaker's default
   */
  readonly batchStrategy?: tasks.BatchStrategy;

  /**
   * The largest request, 0 to 100 MB (0 streams).
   *
   * @default - 6 MB
   */
  readonly maxPayload?: Size;

  /**
   * Parallel requests per instance.
   *
   * @default - SageMaker chooses
   */
  readonly maxConcurrentTransforms?: number;

  /**
   * The instance type.
   *
   * @default SageMakerInstanceType.ML_M5_LARGE
   */
  readonly instanceType?: SageMakerInstanceType;

  /**
   * The number of instances.
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * The key that encrypts the instances' storage volumes.
   *
   * @default - AWS managed encryption
   */
  readonly volumeEncryptionKey?: kms.IKey;

  /**
   * How long one request to the model may take (1 second to 1 hour).
   *
   * @default - SageMaker's default (600 seconds)
   */
  readonly invocationTimeout?: Duration;

  /**
   * How often a failed request is retried (0 to 3).
   *
   * @default - SageMaker's default (3)
   */
  readonly invocationMaxRetries?: number;

  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * The job name prefix; each execution names the job `<prefix>-<uuid>`.
   *
   * @default - 'transform' and a hash of the construct path, e.g. 'transform-1a2b3c4d'
   */
  readonly jobNamePrefix?: string;

  /**
   * The longest the job may run. SageMaker's CreateTransformJob has no stopping condition;
   * this bounds the workflow's timeout (and the task's own `TimeoutSeconds`).
   *
   * @default Duration.days(1)
   */
  readonly maxRuntime?: Duration;
}

/**
 * A Step Functions step that runs a SageMaker batch transform job
 * (`createTransformJob.sync`) over an S3 prefix.
 *
 * aws-cdk-lib's `SageMakerCreateTransformJob` defaults to a role with
 * AmazonSageMakerFullAccess and grants `sagemaker:ListTags` on every resource; this step
 * takes the model's least-privilege role and scopes its policy to its own jobs.
 */
export class TransformJobStep extends SageMakerTask {
  /** The job name prefix. */
  public readonly jobNamePrefix: string;
  private readonly props: TransformJobStepProps;
  private readonly instanceTypeName: string;
  private readonly inputUri: { uri: string; isExpression: boolean };
  private readonly outputUri: { uri: string; isExpression: boolean; key?: kms.IKey };

  constructor(scope: Construct, id: string, props: TransformJobStepProps) {
    super(scope, id, { ...props, taskTimeout: props.taskTimeout ?? sfn.Timeout.duration(props.maxRuntime ?? Duration.days(1)) }, {
      api: 'createTransformJob',
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      resourceType: 'transform-job',
      actions: ['sagemaker:CreateTransformJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob'],
      nameField: 'TransformJobName',
      namePrefix: props.jobNamePrefix,
      namePrefixProp: 'jobNamePrefix',
      defaultNamePrefix: 'transform',
      eventRule: 'StepFunctionsGetEventsForSageMakerTransformJobsRule',
      startsCompute: true,
    });
    this.props = props;
    this.jobNamePrefix = this.namePrefix;
    this.instanceTypeName = validateIn(this, () => validateTransformProps(props));

    validateIn(this, () => requireModelRole('model', props.model));
    // SageMaker reads the input and writes the output with the model's role.
    const input = validateIn(this, () => props.input.bind(this, props.model, S3AccessMode.READ));
    const output = validateIn(this, () => props.output.bind(this, props.model, S3AccessMode.WRITE));
    this.inputUri = input;
    this.outputUri = { ...output, key: props.outputEncryptionKey ?? output.encryptionKey };
    // TransformOutput.KmsKeyId (the given key, else the output bucket's): SageMaker writes with
    // the model's role ("The KMS key policy must grant permission to the IAM role that you specify
    // in your CreateModel request"), which needs kms:Encrypt on it (job-policies.ts).
    grantOutputKey(props.model, this.outputUri.key);
    if (props.volumeEncryptionKey) {
      // SageMaker attaches the encrypted volumes through a grant; it needs no data-key use of its own.
      props.volumeEncryptionKey.grant(props.model, 'kms:DescribeKey');
      grantVolumeKeyGrants(props.model, props.volumeEncryptionKey);
    }
  }

  /**
   * The longest the job runs.
   * @internal
   */
  protected _runDuration(): Duration {
    return this.props.maxRuntime ?? Duration.days(1);
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const props = this.props;
    const key = (name: string, expr: boolean) => expr ? `${name}.$` : name;
    return {
      ModelName: props.model.modelName,
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', [key('S3Uri', this.inputUri.isExpression)]: this.inputUri.uri } },
        ContentType: props.contentType,
        SplitType: props.splitType,
        CompressionType: props.compressionType,
      },
      TransformOutput: {
        [key('S3OutputPath', this.outputUri.isExpression)]: this.outputUri.uri,
        Accept: props.accept,
        AssembleWith: props.assembleWith,
        KmsKeyId: this.outputUri.key?.keyArn,
      },
      TransformResources: {
        InstanceType: this.instanceTypeName,
        InstanceCount: props.instanceCount ?? 1,
        VolumeKmsKeyId: props.volumeEncryptionKey?.keyArn,
      },
      BatchStrategy: props.batchStrategy,
      MaxPayloadInMB: props.maxPayload?.toMebibytes(),
      MaxConcurrentTransforms: props.maxConcurrentTransforms,
      ModelClientConfig: props.invocationTimeout || props.invocationMaxRetries !== undefined ? {
        InvocationsTimeoutInSeconds: props.invocationTimeout?.toSeconds(),
        InvocationsMaxRetries: props.invocationMaxRetries,
      } : undefined,
      Environment: props.environment,
    };
  }
}

/** Checks the props; returns the instance type's name. */
function validateTransformProps(props: TransformJobStepProps): string {
  const instanceType = instanceTypeName('instanceType', props.instanceType, SageMakerInstanceType.ML_M5_LARGE);
  validateInteger('instanceCount', props.instanceCount, 1, 100);
  validateInteger('maxPayload (MB)', props.maxPayload?.toMebibytes({ rounding: SizeRoundingBehavior.NONE }), 0, 100);
  validateInteger('maxConcurrentTransforms', props.maxConcurrentTransforms, 0, 1000);
  validateDuration('invocationTimeout', props.invocationTimeout, Duration.seconds(1), Duration.hours(1));
  validateDuration('maxRuntime', props.maxRuntime, Duration.minutes(1), Duration.days(365));
  validateInteger('invocationMaxRetries', props.invocationMaxRetries, 0, 3);
  validateLength('contentType', props.contentType, 0, 256);
  validateLength('accept', props.accept, 0, 256);
  validateEnvironment('environment', props.environment, { maxEntries: 16, maxKeyLength: 1024, maxValueLength: 10240 });
  const maxPayload = props.maxPayload?.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  if (props.batchStrategy === tasks.BatchStrategy.MULTI_RECORD && maxPayload === 0) {
    fail('maxPayload must be greater than 0 with batchStrategy MultiRecord (0 means streaming, one record per request)');
  }
  // CreateTransformJob: "The value of MaxPayloadInMB cannot be greater than 100 MB. If you specify
  // the MaxConcurrentTransforms parameter, the value of (MaxConcurrentTransforms * MaxPayloadInMB)
  // also cannot exceed 100 MB."
  const concurrent = props.maxConcurrentTransforms;
  if (concurrent !== undefined && !Token.isUnresolved(concurrent) && concurrent > 0) {
    const payload = maxPayload ?? 6;
    if (!Token.isUnresolved(payload) && concurrent * payload > 100) {
      fail(`maxConcurrentTransforms x maxPayload must be at most 100 MB, got ${concurrent} x ${payload} MB = ${concurrent * payload} MB${maxPayload === undefined ? ' (maxPayload defaults to 6 MB)' : ''}`);
    }
  }
  if (props.volumeEncryptionKey && hasOnlyInstanceStorage(instanceType)) {
    fail(`volumeEncryptionKey must not be set for instanceType '${instanceType}': its storage is local NVMe instance storage, which SageMaker encrypts itself and for which it rejects a volume key`);
  }
  return instanceType;
}
