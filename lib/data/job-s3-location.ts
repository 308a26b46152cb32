import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { jsonPathOfToken } from './private/json-path';
import { grantWithWildcardResources } from '../private/nag';
import { fail, validateFormatSafe, validatePattern } from '../private/validate';

/**
 * How a job uses an S3 location.
 */
export enum S3AccessMode {
  /** The job reads from it (an input). */
  READ = 'read',
  /** The job writes to it (an output). */
  WRITE = 'write',
}

/**
 * A bound S3 location, as rendered into a SageMaker request.
 */
export interface JobS3LocationConfig {
  /**
   * The `s3://` URI, or a States Language expression that evaluates to one at run time.
   */
  readonly uri: string;
  /**
   * Whether `uri` is evaluated at run time (rendered as a `Key.$` field).
   */
  readonly isExpression: boolean;
  /**
   * The key the location's bucket is encrypted with, for jobs to encrypt what they write.
   *
   * @default - none known
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * An object in a job location.
 */
export interface JobS3ObjectKey {
  /** The bucket. */
  readonly bucket: s3.IBucket;
  /** The key: a literal, or a JSONPath token (`JsonPath.format`) for a per-execution location. */
  readonly key: string;
  /** The IAM resource pattern of the object's keys, e.g. `evaluation/*`. */
  readonly keyPattern: string;
}

/**
 * Where a job reads or writes in S3. Binding it grants the job's role exactly the
 * object actions it needs on that prefix (and the bucket key's use), nothing on the
 * rest of the bucket.
 */
export abstract class JobS3Location {
  /**
   * A fixed prefix in a bucket: `s3://<bucket>/<keyPrefix>`.
   *
   * @param bucket the bucket
   * @param keyPrefix the key prefix, e.g. `datasets/train/`
   */
  public static inBucket(bucket: s3.IBucket, keyPrefix: string): JobS3Location {
    return new BucketLocation(bucket, keyPrefix, false);
  }

  /**
   * A prefix unique to each workflow execution: `s3://<bucket>/<keyPrefix>/<execution name>/`.
   * Use it for outputs so that executions never overwrite each other, and for the inputs
   * of a later step that reads what an earlier step of the same execution wrote.
   *
   * @param bucket the bucket
   * @param keyPrefix the key prefix under which each execution gets its own folder
   */
  public static perExecution(bucket: s3.IBucket, keyPrefix: string): JobS3Location {
    return new BucketLocation(bucket, keyPrefix, true);
  }

  /**
   * A URI taken from the state at run time: a JSONPath such as `$.input.trainingDataUri`, or
   * a `JsonPath.stringAt` token (an earlier step's output).
   * The role is granted the given access on the whole bucket, since the key is unknown
   * at synth.
   *
   * @param jsonPath the JSONPath of the URI in the state, or a `JsonPath.stringAt` token
   * @param bucket the bucket the URI must point into
   * @param keyPrefix the prefix the URI lies under, to scope the grant
   * @default - the whole bucket
   */
  public static fromJsonPath(jsonPath: string, bucket: s3.IBucket, keyPrefix: string = ''): JobS3Location {
    return new JsonPathLocation(jsonPath, bucket, keyPrefix);
  }

  /**
   * A file asset (e.g. a configuration file shipped with the app), read-only.
   */
  public static fromAsset(asset: s3assets.Asset): JobS3Location {
    return new AssetLocation(asset);
  }

  /**
   * A folder inside this location (inside the execution's folder for a per-execution
   * location), e.g. the `train/` folder a preprocessing job wrote to its output.
   */
  public child(relativePath: string): JobS3Location {
    return fail(`child('${relativePath}') needs a location made with JobS3Location.inBucket or perExecution`);
  }

  /**
   * The object `fileName` in this location, for steps that read a file a job wrote
   * (e.g. an evaluation report read by a quality gate). The key is a States Language
   * expression for a per-execution location.
   */
  public objectKey(fileName: string): JobS3ObjectKey {
    return fail(`objectKey('${fileName}') needs a location made with JobS3Location.inBucket or perExecution`);
  }

  /**
   * Renders the location, granting `grantee` the given access.
   */
  public abstract bind(scope: Construct, grantee: iam.IGrantable, mode: S3AccessMode): JobS3LocationConfig;

  /**
   * Renders the location without granting anything, for a request in which no role of the
   * app reads or writes it (e.g. the model data a registered version names: SageMaker reads
   * it with the role of the model defined from the version, later).
   */
  public abstract render(mode: S3AccessMode): JobS3LocationConfig;
}

function grantObjects(scope: Construct, grantee: iam.IGrantable, bucket: s3.IBucket, keyPattern: string, mode: S3AccessMode): void {
  // Hand-written rather than bucket.grantRead/grantWrite: those grant s3:GetObject*, s3:List*
  // and s3:DeleteObject* on the object pattern; a SageMaker channel needs only these.
  const objects = bucket.arnForObjects(keyPattern);
  const prefix = keyPattern.replace(/\*$/, '');
  const reason = `SageMaker reads and writes objects whose keys it derives at run time under the prefix '${prefix}' of this bucket; access is limited to that prefix.`;
  if (mode === S3AccessMode.READ) {
    grantWithWildcardResources(scope, grantee, new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }), reason);
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }));
    bucket.encryptionKey?.grant(grantee, 'kms:Decrypt');
  } else {
    grantWithWildcardResources(scope, grantee, new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [objects] }), reason);
    bucket.encryptionKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
  }
}

/** No '*' (an IAM wildcard in the grant) and no brackets (they break acknowledgement ids). */
function validateKeyPrefix(keyPrefix: string): void {
  validatePattern('keyPrefix', keyPrefix, /^[A-Za-z0-9!_.\/-]*$/, 'an S3 key prefix of letters, digits and ! _ . / - (no * or brackets)');
}

function normalizePrefix(keyPrefix: string): string {
  return keyPrefix.replace(/^\/+/, '').replace(/\/+$/, '');
}

class BucketLocation extends JobS3Location {
  private readonly prefix: string;

  constructor(private readonly bucket: s3.IBucket, keyPrefix: string, private readonly perExecution: boolean, private readonly suffix: string = '') {
    super();
    validatePattern('relativePath', suffix, /^[A-Za-z0-9!_.\/-]*$/, 'a relative path of letters, digits and the characters ! _ . / -');
    validateFormatSafe('relativePath', suffix);
    validateKeyPrefix(keyPrefix);
    if (perExecution) validateFormatSafe('keyPrefix', keyPrefix);
    if (keyPrefix.includes('//')) fail(`keyPrefix must not contain empty path segments ('//'), got '${keyPrefix}'`);
    this.prefix = normalizePrefix(keyPrefix);
  }

  public child(relativePath: string): JobS3Location {
    const rel = normalizePrefix(relativePath);
    if (!rel) fail(`child relativePath must not be empty, got '${relativePath}'`);
    if (this.perExecution) {
      return new BucketLocation(this.bucket, this.prefix, true, this.suffix ? `${this.suffix}/${rel}` : rel);
    }
    return new BucketLocation(this.bucket, this.prefix ? `${this.prefix}/${rel}` : rel, false);
  }

  public objectKey(fileName: string): JobS3ObjectKey {
    validatePattern('fileName', fileName, /^[A-Za-z0-9!_.-][A-Za-z0-9!_.\/-]*$/, 'a relative object key of letters, digits and ! _ . / -');
    const base = this.prefix ? `${this.prefix}/` : '';
    const inner = this.suffix ? `${this.suffix}/` : '';
    const key = this.perExecution ? sfn.JsonPath.format(`${base}{}/${inner}${fileName}`, sfn.JsonPath.executionName) : `${base}${fileName}`;
    return { bucket: this.bucket, key, keyPattern: this.perExecution ? `${base}*/${inner}${fileName}` : key };
  }

  public bind(scope: Construct, grantee: iam.IGrantable, mode: S3AccessMode): JobS3LocationConfig {
    const base = this.prefix ? `${this.prefix}/` : '';
    grantObjects(scope, grantee, this.bucket, `${base}*`, mode);
    return this.render(mode);
  }

  public render(_mode: S3AccessMode): JobS3LocationConfig {
    const base = this.prefix ? `${this.prefix}/` : '';
    if (this.perExecution) {
      const inner = this.suffix ? `${this.suffix}/` : '';
      return { uri: `States.Format('s3://${this.bucket.bucketName}/${base}{}/${inner}', $$.Execution.Name)`, isExpression: true, encryptionKey: this.bucket.encryptionKey };
    }
    return { uri: `s3://${this.bucket.bucketName}/${base}`, isExpression: false, encryptionKey: this.bucket.encryptionKey };
  }
}

class JsonPathLocation extends JobS3Location {
  private readonly prefix: string;

  private readonly jsonPath: string;

  constructor(jsonPath: string, private readonly bucket: s3.IBucket, keyPrefix: string) {
    super();
    validateKeyPrefix(keyPrefix);
    this.prefix = normalizePrefix(keyPrefix);
    // A token (`JsonPath.stringAt(...)`, a stage's output) or the path itself.
    this.jsonPath = jsonPathOfToken(jsonPath) ?? jsonPath;
    validatePattern('jsonPath', this.jsonPath, /^\$[.\[]/, "a JSONPath into the state input, starting with '$.' (e.g. '$.input.trainingDataUri') or a JsonPath.stringAt token");
  }

  public bind(scope: Construct, grantee: iam.IGrantable, mode: S3AccessMode): JobS3LocationConfig {
    grantObjects(scope, grantee, this.bucket, this.prefix ? `${this.prefix}/*` : '*', mode);
    return this.render(mode);
  }

  public render(_mode: S3AccessMode): JobS3LocationConfig {
    return { uri: this.jsonPath, isExpression: true, encryptionKey: this.bucket.encryptionKey };
  }
}

class AssetLocation extends JobS3Location {
  constructor(private readonly asset: s3assets.Asset) {
    super();
    if (asset.isZipArchive) {
      fail(`JobS3Location.fromAsset needs a file asset; '${asset.node.path}' is a directory (zipped), which SageMaker would hand to the job as a zip file`);
    }
  }

  public bind(_scope: Construct, grantee: iam.IGrantable, mode: S3AccessMode): JobS3LocationConfig {
    const rendered = this.render(mode);
    // The exact object: no wildcard. SageMaker lists the prefix before it downloads.
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [this.asset.bucket.arnForObjects(this.asset.s3ObjectKey)],
    }));
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.asset.bucket.bucketArn],
      conditions: { StringEquals: { 's3:prefix': this.asset.s3ObjectKey } },
    }));
    return rendered;
  }

  public render(mode: S3AccessMode): JobS3LocationConfig {
    if (mode !== S3AccessMode.READ) {
      fail(`a file asset can only be a job input, got it as an output ('${this.asset.node.path}')`);
    }
    return { uri: this.asset.s3ObjectUrl, isExpression: false };
  }
}
