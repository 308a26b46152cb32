import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { JobS3Location } from '../data/job-s3-location';
import { validatePattern } from '../private/validate';

/**
 * The statistics and constraints that captured traffic is compared with: the output of a
 * baseline job (`statistics.json` and `constraints.json`) run on the training data.
 */
export abstract class DataQualityBaseline {
  /**
   * A baseline written under a key prefix of a bucket, e.g. by a `DataQualityBaselineStep`
   * whose output is `JobS3Location.inBucket(bucket, keyPrefix)`.
   */
  public static fromBucket(bucket: s3.IBucket, keyPrefix: string): DataQualityBaseline {
    return new BucketBaseline(bucket, keyPrefix);
  }

  /** Renders the baseline for a job definition, granting `grantee` read access to both files. */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): DataQualityBaselineConfig;
}

/**
 * Where the baseline's files are.
 */
export interface DataQualityBaselineConfig {
  /** The S3 URI of `statistics.json`. */
  readonly statisticsUri: string;
  /** The S3 URI of `constraints.json`. */
  readonly constraintsUri: string;
  /**
   * The folder that holds both files, for an engine that downloads it
   * (`MonitoringEngine.processingJob()`).
   *
   * @default - the files are not in a folder of their own
   */
  readonly location?: JobS3Location;
}

class BucketBaseline extends DataQualityBaseline {
  private readonly prefix: string;

  constructor(private readonly bucket: s3.IBucket, keyPrefix: string) {
    super();
    validatePattern('keyPrefix', keyPrefix, /^[^/][A-Za-z0-9!_.\/-]*$|^$/, 'a key prefix of letters, digits and ! _ . / -, without a leading \'/\'');
    this.prefix = keyPrefix.replace(/\/+$/, '');
  }

  public bind(_scope: Construct, grantee: iam.IGrantable): DataQualityBaselineConfig {
    const key = (file: string) => this.prefix ? `${this.prefix}/${file}` : file;
    // Exactly the two objects: the CDK's grantRead would add wildcard actions.
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [this.bucket.arnForObjects(key('statistics.json')), this.bucket.arnForObjects(key('constraints.json'))],
    }));
    this.bucket.encryptionKey?.grantDecrypt(grantee);
    return {
      statisticsUri: `s3://${this.bucket.bucketName}/${key('statistics.json')}`,
      constraintsUri: `s3://${this.bucket.bucketName}/${key('constraints.json')}`,
      // A folder JobS3Location takes (no empty path segments), for the processing-job engine.
      location: this.prefix && !this.prefix.includes('//') ? JobS3Location.inBucket(this.bucket, this.prefix) : undefined,
    };
  }
}
