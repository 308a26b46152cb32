import * as path from 'path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { grantWithWildcardResources } from '../private/nag';
import { fail, validatePattern } from '../private/validate';

/**
 * A bound model data source.
 */
export interface ModelDataConfig {
  /** The `s3://` URI of the `model.tar.gz`, or of the key prefix of uncompressed files. */
  readonly uri: string;
  /**
   * Whether `uri` is a key prefix of uncompressed model files (`ModelDataSource` with
   * `S3DataType: S3Prefix` and `CompressionType: None`) rather than a `model.tar.gz`.
   *
   * @default false
   */
  readonly uncompressedPrefix?: boolean;
}

/**
 * Where a model's artifacts (`model.tar.gz`) come from. Binding grants the model's role
 * read access to exactly that object.
 */
export abstract class ModelData {
  /**
   * An object in a bucket, e.g. what a training job wrote
   * (`models/<job name>/output/model.tar.gz`). The key may be a token (a stack parameter).
   */
  public static fromBucket(bucket: s3.IBucket, key: string): ModelData {
    return new BucketModelData(bucket, key);
  }

  /**
   * Uncompressed model files under a key prefix (ending in '/'), which SageMaker copies to
   * `/opt/ml/model` as they are (`ModelDataSource`: `S3DataType: S3Prefix`,
   * `CompressionType: None`): large models load without a tarball to pack and unpack.
   * Binding grants reading the objects under the prefix and listing it. SageMaker does not
   * take such a source for batch transform, serverless endpoints or multi-model endpoints.
   */
  public static fromS3Prefix(bucket: s3.IBucket, keyPrefix: string): ModelData {
    return new PrefixModelData(bucket, keyPrefix);
  }

  /**
   * A local `model.tar.gz`, uploaded as an asset by `cdk deploy`.
   */
  public static fromAsset(filePath: string): ModelData {
    return new AssetModelData(filePath);
  }

  /** Renders the URI, granting `grantee` read access. */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): ModelDataConfig;
}

class BucketModelData extends ModelData {
  constructor(private readonly bucket: s3.IBucket, private readonly key: string) {
    super();
    validatePattern('key', key, /^[^/].*\.tar\.gz$/, "an object key of a '.tar.gz' archive, without a leading '/'");
  }

  public bind(_scope: Construct, grantee: iam.IGrantable): ModelDataConfig {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(this.key)] }));
    this.bucket.encryptionKey?.grant(grantee, 'kms:Decrypt');
    return { uri: this.bucket.s3UrlForObject(this.key) };
  }
}

class PrefixModelData extends ModelData {
  constructor(private readonly bucket: s3.IBucket, private readonly keyPrefix: string) {
    super();
    // SageMaker: "A valid key name prefix identified by S3Uri always ends with a forward slash (/)" (S3ModelDataSource).
    validatePattern('keyPrefix', keyPrefix, /^[^/].*\/$/, "a key prefix ending in '/', without a leading '/' (e.g. 'models/llama-3-8b/')");
  }

  public bind(scope: Construct, grantee: iam.IGrantable): ModelDataConfig {
    // SageMaker copies every object under the prefix: the model's files are not named in advance.
    grantWithWildcardResources(scope, grantee, new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${this.keyPrefix}*`)] }),
      `SageMaker copies every object under the model data prefix '${this.keyPrefix}' (ModelDataSource S3Prefix); the policy is limited to that prefix.`);
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${this.keyPrefix}*`] } },
    }));
    this.bucket.encryptionKey?.grant(grantee, 'kms:Decrypt');
    return { uri: this.bucket.s3UrlForObject(this.keyPrefix), uncompressedPrefix: true };
  }
}

class AssetModelData extends ModelData {
  private readonly assets = new Map<Construct, s3assets.Asset>();

  constructor(private readonly filePath: string) {
    super();
    if (!filePath.endsWith('.tar.gz')) {
      fail(`ModelData.fromAsset needs a '.tar.gz' archive, got '${filePath}'`);
    }
  }

  public bind(scope: Construct, grantee: iam.IGrantable): ModelDataConfig {
    let asset = this.assets.get(scope);
    if (!asset) {
      asset = new s3assets.Asset(scope, 'ModelData', { path: path.resolve(this.filePath) });
      this.assets.set(scope, asset);
    }
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)],
    }));
    return { uri: asset.s3ObjectUrl };
  }
}
