import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SageMakerImage, SageMakerImageConfig } from '../images/sagemaker-image';
import { fail } from '../private/validate';

/**
 * The AWS accounts that publish SageMaker Model Monitor's analyzer image
 * (`sagemaker-model-monitor-analyzer`) in each Region. Source: the SageMaker Python SDK's
 * `src/sagemaker/image_uri_config/model-monitor.json` (aws/sagemaker-python-sdk, the version
 * that added af-south-1 and eu-south-1), which `image_uris.retrieve('model-monitor', region)`
 * reads; the "Amazon SageMaker Model Monitor prebuilt container" page of the SageMaker
 * developer guide (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-built-container.html)
 * gives the URI form `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/sagemaker-model-monitor-analyzer`
 * and its example `159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer`.
 */
export const MODEL_MONITOR_REGISTRY_ACCOUNTS: { readonly [region: string]: string } = {
  'af-south-1': '875698925577',
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
  'eu-south-1': '933208885752',
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

const MAPPING_ID = 'ModelMonitorAnalyzerRegistries';

/**
 * The analyzer image URI for the stack of `scope`. A stack with an explicit Region gets the
 * literal URI (or a synth-time error for a Region without a registry); a region-agnostic
 * stack gets a `Fn::FindInMap` on a mapping of the registry accounts, resolved by
 * CloudFormation at deploy time (which fails there, naming the mapping, in a Region the
 * table lacks), as the Deep Learning Container images do.
 */
export function modelMonitorImageUriFor(scope: Construct): string {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) return modelMonitorImageUri(stack.region);
  // Lazy: rendered because the lookup key (the Region) is a token, without the CDK's
  // "could be lazy" notice on every synth.
  const mapping = (stack.node.tryFindChild(MAPPING_ID) as CfnMapping | undefined) ?? new CfnMapping(stack, MAPPING_ID, {
    mapping: Object.fromEntries(Object.entries(MODEL_MONITOR_REGISTRY_ACCOUNTS).map(([region, account]) => [region, { account }])),
    lazy: true,
  });
  return `${mapping.findInMap(Aws.REGION, 'account')}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${REPOSITORY}`;
}

/**
 * SageMaker Model Monitor's analyzer image for the stack's Region, as a job image (the
 * baseline processing job). SageMaker pulls it with its own credentials: the job's role
 * needs no ECR grant for it. In a region-agnostic stack the registry account is looked up
 * at deploy time.
 */
export class ModelMonitorImage extends SageMakerImage {
  public bind(scope: Construct, _grantee: iam.IGrantable): SageMakerImageConfig {
    return { imageUri: modelMonitorImageUriFor(scope) };
  }
}
