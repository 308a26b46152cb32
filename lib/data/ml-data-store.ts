import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { acknowledge, acknowledgeInCompliancePacks } from '../private/nag';
import { fail, validateIn } from '../private/validate';

/**
 * Where a team's ML data and artifacts live: an `MlDataStore`, or existing buckets
 * (`MlDataStore.fromBuckets`).
 */
export interface IMlDataStore extends IConstruct {
  /** Training, validation and raw data; configuration uploaded at run time. */
  readonly dataBucket: s3.IBucket;
  /** Model artifacts, checkpoints, evaluation reports and job outputs. */
  readonly artifactsBucket: s3.IBucket;
  /**
   * The key that encrypts both buckets, if they use a customer managed key.
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Existing buckets to use as a data store.
 */
export interface MlDataStoreAttributes {
  /** The data bucket. Import it with its key (`Bucket.fromBucketAttributes`) if it is KMS-encrypted. */
  readonly dataBucket: s3.IBucket;
  /** The artifacts bucket. Import it with its key if it is KMS-encrypted. */
  readonly artifactsBucket: s3.IBucket;
  /**
   * The key both buckets are encrypted with.
   *
   * @default - the buckets' own `encryptionKey`, if any
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Properties of an MlDataStore.
 */
export interface MlDataStoreProps {
  /**
   * The customer managed key that encrypts the buckets.
   *
   * @default - a key is defined, with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the buckets and the key when they leave the stack. Retained by
   * default: training data and models outlive stacks.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * How long noncurrent object versions are kept before they expire.
   *
   * @default - kept forever
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * How long server access logs are kept.
   *
   * @default Duration.days(365)
   */
  readonly accessLogsRetention?: Duration;
}

/**
 * The S3 hand-off layer of an ML system: a data bucket and an artifacts bucket, both
 * encrypted with one customer managed key, versioned, private, TLS-only, logged to an
 * access-log bucket, and retained when the stack is deleted.
 *
 * Two buckets rather than one with prefixes: data and artifacts have different owners,
 * retention and sensitivity, and a team can bring an existing data lake bucket while the
 * library owns the artifacts (`MlDataStore.fromBuckets`).
 */
export class MlDataStore extends Construct implements IMlDataStore {
  /**
   * Uses existing buckets as a data store.
   *
   * @param scope the scope of the import
   * @param id the import's construct id
   * @param attrs the buckets, and the key they are encrypted with
   */
  public static fromBuckets(scope: Construct, id: string, attrs: MlDataStoreAttributes): IMlDataStore {
    class Import extends Construct implements IMlDataStore {
      public readonly dataBucket: s3.IBucket;
      public readonly artifactsBucket: s3.IBucket;
      public readonly encryptionKey?: kms.IKey;

      constructor() {
        super(scope, id);
        validateIn(this, () => {
          if (!attrs.dataBucket) fail('dataBucket is required: the bucket of training, validation and raw data, got none');
          if (!attrs.artifactsBucket) fail('artifactsBucket is required: the bucket of model artifacts and job outputs, got none');
          if (attrs.encryptionKey) {
            for (const [prop, bucket] of [['dataBucket', attrs.dataBucket], ['artifactsBucket', attrs.artifactsBucket]] as const) {
              const own = bucket.encryptionKey?.keyArn;
              const given = attrs.encryptionKey.keyArn;
              // Known only when both ARNs are literal: a token may name the same key another way.
              if (own !== undefined && !Token.isUnresolved(own) && !Token.isUnresolved(given) && own !== given) {
                fail(`encryptionKey must be the key the buckets are encrypted with, got '${given}' while ${prop} is imported with key '${own}'`);
              }
            }
          }
        });
        this.dataBucket = attrs.dataBucket;
        this.artifactsBucket = attrs.artifactsBucket;
        this.encryptionKey = attrs.encryptionKey ?? attrs.artifactsBucket.encryptionKey ?? attrs.dataBucket.encryptionKey;
      }
    }
    return new Import();
  }

  public readonly dataBucket: s3.IBucket;
  public readonly artifactsBucket: s3.IBucket;
  public readonly encryptionKey?: kms.IKey;
  /** The bucket that receives the server access logs of the data and artifacts buckets. */
  public readonly accessLogsBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: MlDataStoreProps = {}) {
    super(scope, id);
    // S3 lifecycle rules count in whole days.
    validateIn(this, () => {
      for (const [prop, value] of [['noncurrentVersionExpiration', props.noncurrentVersionExpiration], ['accessLogsRetention', props.accessLogsRetention]] as const) {
        if (value === undefined || Token.isUnresolved(value.toSeconds({ integral: false }))) continue;
        const days = value.toDays({ integral: false });
        if (!Number.isInteger(days) || days < 1 || days > 36500) {
          fail(`${prop} must be a whole number of days between 1 and 36500, got ${value.toHumanString()}`);
        }
      }
    });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: 'Encrypts the ML data and artifacts buckets',
      enableKeyRotation: true,
      removalPolicy,
    });

    // S3 server access logging delivers only to buckets with SSE-S3 (not SSE-KMS).
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      // Ownership left to the CDK: log delivery by bucket policy (feature flag) or by ACL.
      removalPolicy,
      lifecycleRules: [{ expiration: props.accessLogsRetention ?? Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    acknowledge(accessLogs.node.defaultChild!, 'AwsSolutions-S1',
      'This is the access-log target of the data and artifacts buckets; logging it to itself would log its own log deliveries.');
    this.accessLogsBucket = accessLogs;

    const bucket = (bucketId: string, logPrefix: string) => new s3.Bucket(this, bucketId, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: logPrefix,
      removalPolicy,
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ...(props.noncurrentVersionExpiration ? [{ noncurrentVersionExpiration: props.noncurrentVersionExpiration }] : []),
      ],
    });
    acknowledgeInCompliancePacks(accessLogs.node.defaultChild!, 'S3DefaultEncryptionKMS',
      'S3 server access logging delivers only to buckets encrypted with SSE-S3; SSE-KMS targets are not supported.');
    const data = bucket('DataBucket', 'data/');
    const artifacts = bucket('ArtifactsBucket', 'artifacts/');
    for (const b of [data, artifacts, accessLogs]) {
      // Object events to EventBridge (e.g. start a workflow when data lands), set on the L1:
      // the L2's eventBridgeEnabled adds a Lambda-backed custom resource.
      (b.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
      acknowledgeInCompliancePacks(b.node.defaultChild!, 'S3BucketReplicationEnabled',
        'Replication needs a destination bucket in another Region, which this single-Region construct cannot define; versioning and RETAIN protect the objects here, and MlDataStore.fromBuckets takes buckets you replicate.');
    }
    this.dataBucket = data;
    this.artifactsBucket = artifacts;
  }
}
