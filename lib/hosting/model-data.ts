import * as path from 'path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { fail, validatePattern } from '../private/validate';

/**
 * A bound model data source.
 */
export interface ModelDataConfig {
  /** The `s3://` URI of the `model.tar.gz`. */
  readonly uri: string;
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
