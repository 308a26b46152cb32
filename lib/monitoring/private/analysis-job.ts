// The library's data-quality analysis as a processing job: AWS's SageMaker scikit-learn
// container for the Region, the analysis script as a file asset, and the command that runs it.
import * as fs from 'fs';
import * as path from 'path';
import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { SageMakerImage, SageMakerImageConfig } from '../../images/sagemaker-image';
import { fail } from '../../private/validate';

/**
 * Where the registry table comes from: the SageMaker Python SDK's `sklearn.json`, which
 * `sagemaker.image_uris.retrieve('sklearn', region, '1.2-1')` reads (processing uses the
 * training entry).
 */
export const SCIKIT_LEARN_REGISTRY_SOURCE = {
  repository: 'aws/sagemaker-python-sdk',
  path: 'src/sagemaker/image_uri_config/sklearn.json ("training" > "1.2-1" > "registries")',
  commit: '08288184373326dab899e933d98b758fa7fa87e3',
  checked: '2026-12-07',
};

/** The accounts that publish `sagemaker-scikit-learn` in each Region (SCIKIT_LEARN_REGISTRY_SOURCE). */
export const SCIKIT_LEARN_REGISTRY_ACCOUNTS: { readonly [region: string]: string } = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'cn-north-1': '450853457545',
  'cn-northwest-1': '451049120500',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-gov-east-1': '237065988967',
  'us-gov-west-1': '414596584902',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

/** The image tag: scikit-learn 1.2-1 on CPU, Python 3 (pandas and numpy included). */
export const SCIKIT_LEARN_TAG = '1.2-1-cpu-py3';
const REPOSITORY = 'sagemaker-scikit-learn';

/** The image URI in a Region, or an error naming the Regions with a registry. */
export function scikitLearnImageUri(region: string): string {
  const account = SCIKIT_LEARN_REGISTRY_ACCOUNTS[region];
  if (!account) {
    fail(`the SageMaker scikit-learn container (MonitoringEngine.processingJob()) has no registry known to this library in '${region}'; Regions with one: ${Object.keys(SCIKIT_LEARN_REGISTRY_ACCOUNTS).join(', ')}`);
  }
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${domain}/${REPOSITORY}:${SCIKIT_LEARN_TAG}`;
}

const MAPPING_ID = 'ScikitLearnContainerRegistries';

/**
 * The scikit-learn processing container for the stack's Region: literal where the Region is
 * known, a mapping CloudFormation resolves otherwise (as the analyzer image does). SageMaker
 * pulls AWS's images with its own credentials: the role needs no ECR grant.
 */
export class ScikitLearnProcessingImage extends SageMakerImage {
  public bind(scope: Construct, _grantee: iam.IGrantable): SageMakerImageConfig {
    const stack = Stack.of(scope);
    if (!Token.isUnresolved(stack.region)) return { imageUri: scikitLearnImageUri(stack.region) };
    const mapping = (stack.node.tryFindChild(MAPPING_ID) as CfnMapping | undefined) ?? new CfnMapping(stack, MAPPING_ID, {
      mapping: Object.fromEntries(Object.entries(SCIKIT_LEARN_REGISTRY_ACCOUNTS).map(([region, account]) => [region, { account }])),
      lazy: true,
    });
    return { imageUri: `${mapping.findInMap(Aws.REGION, 'account')}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${REPOSITORY}:${SCIKIT_LEARN_TAG}` };
  }
}

/**
 * The analysis script's file: `lib/monitoring/analysis/data_quality.py` beside the sources (this
 * module in `lib/monitoring/private/`), `dist/monitoring/analysis/data_quality.py` in the package
 * (copied at compile), whose one module is `dist/index.js` (scripts/bundle-package.ts).
 */
export function analysisScriptPath(): string {
  const candidates = [path.join(__dirname, '..', 'analysis', 'data_quality.py'), path.join(__dirname, 'monitoring', 'analysis', 'data_quality.py')];
  const file = candidates.find(f => fs.existsSync(f));
  if (!file) {
    throw new Error(`the data-quality analysis script is missing from this installation of cdk-sagemaker-ml (${candidates.join(', ')})`);
  }
  return file;
}

const ASSET_ID = 'DataQualityAnalysisScript';

/** The script as a file asset, one per stack. */
export function analysisScriptAsset(scope: Construct): s3assets.Asset {
  const stack = Stack.of(scope);
  return (stack.node.tryFindChild(ASSET_ID) as s3assets.Asset | undefined) ?? new s3assets.Asset(stack, ASSET_ID, { path: analysisScriptPath() });
}

/** Where the job finds the script. */
export const CODE_FOLDER = '/opt/ml/processing/code';

/** The container entry point that runs `mode` ('baseline' or 'analyze') of the script in `asset`. */
export function analysisEntrypoint(asset: s3assets.Asset, mode: 'baseline' | 'analyze'): string[] {
  // The object key of a file asset is `<hash>.py`: SageMaker downloads it under that name.
  if (Token.isUnresolved(asset.s3ObjectKey)) {
    fail(`engine MonitoringEngine.processingJob() needs a stack synthesizer whose file asset keys are known at synth (the default one), got a key resolved at deploy time for '${asset.node.path}'`);
  }
  const file = path.posix.basename(asset.s3ObjectKey);
  return ['python3', `${CODE_FOLDER}/${file}`, mode];
}
