import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { fail } from '../../private/validate';
import { JobS3Location, JobS3LocationConfig, S3AccessMode } from '../../data/job-s3-location';

/**
 * An S3 location a stage learns at run time (e.g. the `model.tar.gz` a training job
 * wrote), read from the stage's result. Binding grants what the location it lies in
 * grants (the training output prefix), and renders the JSONPath.
 */
export class ResultS3Location extends JobS3Location {
  constructor(private readonly jsonPath: string, private readonly within: JobS3Location, private readonly description: string) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable, mode: S3AccessMode): JobS3LocationConfig {
    if (mode !== S3AccessMode.READ) {
      fail(`${this.description} can only be read by a later step, got it as an output`);
    }
    const inner = this.within.bind(scope, grantee, S3AccessMode.READ);
    return { uri: this.jsonPath, isExpression: true, encryptionKey: inner.encryptionKey };
  }
}
