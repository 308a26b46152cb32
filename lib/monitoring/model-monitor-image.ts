import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { modelMonitorImageUri, modelMonitorImageUriFor } from './private/model-monitor-registries';
import { SageMakerImage, SageMakerImageConfig } from '../images/sagemaker-image';

/**
 * SageMaker Model Monitor's analyzer image for the stack's Region, as a job image (the
 * baseline processing job). SageMaker pulls it with its own credentials: the job's role
 * needs no ECR grant for it. In a region-agnostic stack the registry account is looked up
 * at deploy time.
 */
export class ModelMonitorImage extends SageMakerImage {
  /**
   * The analyzer image's URI in `region`, from the SageMaker Python SDK's registry table
   * (`model-monitor.json`). Throws, naming the Regions it knows, for any other.
   */
  public static uriForRegion(region: string): string {
    return modelMonitorImageUri(region);
  }

  public bind(scope: Construct, _grantee: iam.IGrantable): SageMakerImageConfig {
    return { imageUri: modelMonitorImageUriFor(scope) };
  }
}
