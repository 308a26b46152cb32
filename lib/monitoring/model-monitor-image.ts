import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SageMakerImage, SageMakerImageConfig } from '../image/sagemaker-image';
import { fail, failAt } from '../private/validate';

/**
 * The AWS accounts that publish SageMaker Model Monitor's analyzer image
 * (`sagemaker-model-monitor-analyzer`) in each Region. Source: the SageMaker Python SDK's
 * `src/sagemaker/image_uri_config/model-monitor.json` (aws/sagemaker-python-sdk), which
 * `image_uris.retrieve('model-monitor', region)` reads, and the "Amazon SageMaker Model
 * Monitor prebuilt container" page of the SageMaker developer guide (its example:
 * `159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer`).
 */
export const MODEL_MONITOR_REGISTRY_ACCOUNTS: { readonly [region: string]: string } = {
  'ap-east-1': '001633400207',
  'ap-northeast-1': '574779866223',
  'ap-northeast-2': '709848358524',
  'ap-south-1': '126357580389',
  'ap-southeast-1': '245545462676',
  'ap-southeast-2': '563025443158',
  'ca-central-1': '536280801234',
  'cn-north-1': '453000072557',
  'cn-northwest-1': '453252182341',
  'eu-central-1': '048819808253',
  'eu-north-1': '895015795356',
  'eu-west-1': '468650794304',
  'eu-west-2': '749857270468',
  'eu-west-3': '680080141114',
  'me-south-1': '607024016150',
  'sa-east-1': '539772159869',
  'us-east-1': '156813124566',
  'us-east-2': '777275614652',
  'us-west-1': '890145073186',
  'us-west-2': '159807026194',
};

/** The repository of the analyzer image in each registry account. */
const REPOSITORY = 'sagemaker-model-monitor-analyzer';

/**
 * The image URI of SageMaker Model Monitor's analyzer (baselines and data-quality
 * monitoring) for a Region. Fails, naming the Regions it knows, for any other.
 */
export function modelMonitorImageUri(region: string): string {
  const account = MODEL_MONITOR_REGISTRY_ACCOUNTS[region];
  if (!account) {
    fail(`SageMaker Model Monitor's analyzer image has no registry known to this library in '${region}'; Regions with one: ${Object.keys(MODEL_MONITOR_REGISTRY_ACCOUNTS).join(', ')}`);
  }
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${suffix}/${REPOSITORY}`;
}

/**
 * SageMaker Model Monitor's analyzer image for the stack's Region, as a job image (the
 * baseline processing job). SageMaker pulls it with its own credentials: the job's role
 * needs no ECR grant for it.
 */
export class ModelMonitorImage extends SageMakerImage {
  public bind(scope: Construct, _grantee: iam.IGrantable): SageMakerImageConfig {
    const region = Stack.of(scope).region;
    if (Token.isUnresolved(region)) {
      failAt(scope, 'the Model Monitor analyzer image is chosen per Region: define the stack with an explicit env.region, got a region-agnostic stack');
    }
    return { imageUri: modelMonitorImageUri(region) };
  }
}
