// The registries of SageMaker Model Monitor's analyzer image (not exported from the package:
// `ModelMonitorImage.uriForRegion` is the public way in).
import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { fail } from '../../private/validate';

/**
 * Where the analyzer table comes from: the SageMaker Python SDK's `model-monitor.json`, which
 * `sagemaker.image_uris.retrieve('model-monitor', region)` reads.
 */
export const MODEL_MONITOR_REGISTRY_SOURCE = {
  repository: 'aws/sagemaker-python-sdk',
  path: 'src/sagemaker/image_uri_config/model-monitor.json (master-v2; sagemaker-core/src/sagemaker/core/image_uri_config/model-monitor.json on master, same content)',
  /** The commit that last changed the file ("change: update image_uri_configs 09-17-2024"). */
  commit: '19e56f3fc21c573ce8e381e89099de9be6bdc881',
  date: '2024-09-17',
  /** When the table here was last compared with that file (unchanged on master at a24812666d258d9d19c9a82d0c9385ca0bd3ba01). */
  checked: '2026-08-21',
};

/**
 * The AWS accounts that publish SageMaker Model Monitor's analyzer image
 * (`sagemaker-model-monitor-analyzer`) in each Region: exactly the Regions and accounts of
 * the SageMaker Python SDK's `model-monitor.json` (`MODEL_MONITOR_REGISTRY_SOURCE`), which has
 * no GovCloud (us-gov-*) entry. The "Amazon SageMaker Model Monitor prebuilt container" page
 * of the SageMaker developer guide (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-built-container.html)
 * gives the URI form and its example `159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer`.
 */
export const MODEL_MONITOR_REGISTRY_ACCOUNTS: { readonly [region: string]: string } = {
  'af-south-1': '875698925577',
  'ap-east-1': '001633400207',
  'ap-northeast-1': '574779866223',
  'ap-northeast-2': '709848358524',
  'ap-northeast-3': '990339680094',
  'ap-south-1': '126357580389',
  'ap-southeast-1': '245545462676',
  'ap-southeast-2': '563025443158',
  'ap-southeast-3': '669540362728',
  'ca-central-1': '536280801234',
  'cn-north-1': '453000072557',
  'cn-northwest-1': '453252182341',
  'eu-central-1': '048819808253',
  'eu-central-2': '590183933784',
  'eu-north-1': '895015795356',
  'eu-south-1': '933208885752',
  'eu-south-2': '437450045455',
  'eu-west-1': '468650794304',
  'eu-west-2': '749857270468',
  'eu-west-3': '680080141114',
  'il-central-1': '843974653677',
  'me-central-1': '588750061953',
  'me-south-1': '607024016150',
  'sa-east-1': '539772159869',
  'us-east-1': '156813124566',
  'us-east-2': '777275614652',
  'us-isof-east-1': '853188333426',
  'us-isof-south-1': '467912361380',
  'us-west-1': '890145073186',
  'us-west-2': '159807026194',
};

/**
 * The domain of the ECR registry in a Region, as the SDK derives it (botocore's endpoint for
 * `ecr`; `ALTERNATE_DOMAINS` in the SDK's common_utils.py): `amazonaws.com.cn` in China,
 * `csp.hci.ic.gov` in the us-isof-* Regions, `amazonaws.com` elsewhere. A region-agnostic
 * stack uses `AWS::URLSuffix`, which CloudFormation resolves to the same domain.
 */
function registryDomain(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('us-isof-')) return 'csp.hci.ic.gov';
  return 'amazonaws.com';
}

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
  return `${account}.dkr.ecr.${region}.${registryDomain(region)}/${REPOSITORY}`;
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
