import * as fs from 'fs';
import * as path from 'path';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { JobS3Location } from './job-s3-location';
import { fail, validateIn } from '../private/validate';

/**
 * Properties of a JobConfigFile.
 */
export interface JobConfigFileProps {
  /** The local path of a JSON or YAML configuration file. */
  readonly path: string;
}

/**
 * A configuration file shipped with the CDK app and handed to a job as its own input
 * channel, so the image stays stable while the job's configuration changes.
 *
 * The file is an S3 asset (uploaded by `cdk deploy`, no Lambda-backed deployment). In the
 * container it appears as the only file in the channel's directory, e.g.
 * `/opt/ml/input/data/config/<asset hash>.json`, with its original extension: read the
 * one `*.json` / `*.yaml` file there. A `.json` file is parsed at synth, so a broken
 * configuration fails `cdk synth` rather than a training job.
 */
export class JobConfigFile extends Construct {
  /** The asset. */
  public readonly asset: s3assets.Asset;
  /** The location to use as a job input. */
  public readonly location: JobS3Location;

  constructor(scope: Construct, id: string, props: JobConfigFileProps) {
    super(scope, id);
    const file = props.path;
    validateIn(this, () => {
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
        fail(`JobConfigFile path must be an existing file, got '${file}'`);
      }
      const ext = path.extname(file).toLowerCase();
      if (!['.json', '.yaml', '.yml'].includes(ext)) {
        fail(`JobConfigFile path must end in .json, .yaml or .yml, got '${file}'`);
      }
      if (ext === '.json') {
        let parseError: string | undefined;
        try {
          JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (e) {
          parseError = (e as Error).message;
        }
        if (parseError !== undefined) fail(`JobConfigFile path '${file}' is not valid JSON: ${parseError}`);
      }
    });
    this.asset = new s3assets.Asset(this, 'Asset', { path: file });
    this.location = JobS3Location.fromAsset(this.asset);
  }
}
