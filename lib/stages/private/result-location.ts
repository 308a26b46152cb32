import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { JobS3Location, JobS3LocationConfig, S3AccessMode } from '../../data/job-s3-location';
import { fail } from '../../private/validate';

/**
 * An S3 location a stage learns at run time (e.g. the `model.tar.gz` a training job
 * wrote), read from the stage's result. Binding grants what the location it lies in
 * grants (the training output prefix); rendering it gives the JSONPath.
 */
export class ResultS3Location extends JobS3Location {
  constructor(private readonly jsonPath: string, private readonly within: JobS3Location, private readonly description: string) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable, mode: S3AccessMode): JobS3LocationConfig {
    const rendered = this.render(mode);
    this.within.bind(scope, grantee, S3AccessMode.READ);
    return rendered;
  }

  public render(mode: S3AccessMode): JobS3LocationConfig {
    if (mode !== S3AccessMode.READ) {
      fail(`${this.description} can only be read by a later step, got it as an output`);
    }
    return { uri: this.jsonPath, isExpression: true, encryptionKey: this.within.render(S3AccessMode.READ).encryptionKey };
  }
}
