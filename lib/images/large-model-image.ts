import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DJL_LMI_REGISTRY_ACCOUNTS, DJL_LMI_TAGS, TGI_REGISTRY_ACCOUNTS, TGI_TAGS } from './large-model-image-accounts';
import { SageMakerImage, SageMakerImageConfig } from './sagemaker-image';
import { fail, validatePattern } from '../private/validate';

/** The ECR actions that pulling an image needs (authentication is granted by the execution role). */
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];

/**
 * Options of a large-model inference image.
 */
export interface LargeModelImageOptions {
  /**
   * The complete image tag, for a version this library does not list (AWS publishes new
   * ones often). The version is then only documentation.
   *
   * @default - the tag AWS publishes for the version
   */
  readonly tag?: string;
}

/**
 * The large-model inference images AWS publishes in its own registries, by Region:
 * Hugging Face Text Generation Inference (TGI) and Large Model Inference (LMI) on DJL
 * Serving. Both serve a model from uncompressed files (`ModelData.fromS3Prefix`) or download
 * it from the Hugging Face Hub (environment `HF_MODEL_ID`), on GPU instances.
 *
 * The registry account differs per Region (from the SageMaker Python SDK's image
 * configuration): a stack whose Region is known at synth fails clearly where no registry is
 * known; a Region-agnostic stack looks the account up at deploy time from a mapping.
 */
export class LargeModelImage {
  /** The Hugging Face TGI versions whose tags this library knows, oldest first. */
  public static readonly TGI_VERSIONS: string[] = Object.keys(TGI_TAGS);
  /** The DJL Serving versions of the LMI container whose tags this library knows, oldest first. */
  public static readonly DJL_LMI_VERSIONS: string[] = Object.keys(DJL_LMI_TAGS);

  /**
   * Hugging Face Text Generation Inference (`huggingface-pytorch-tgi-inference`), e.g. `'3.3.6'`.
   */
  public static huggingFaceTgi(tgiVersion: string, options: LargeModelImageOptions = {}): SageMakerImage {
    return new LargeModelContainerImage('huggingface-pytorch-tgi-inference', 'TgiRegistries', TGI_REGISTRY_ACCOUNTS,
      tagOf('tgiVersion', tgiVersion, TGI_TAGS, options.tag));
  }

  /**
   * Large Model Inference on DJL Serving (`djl-inference`, vLLM and TensorRT-LLM backends),
   * by its DJL Serving version, e.g. `'0.36.0'`.
   */
  public static djlLmi(djlVersion: string, options: LargeModelImageOptions = {}): SageMakerImage {
    return new LargeModelContainerImage('djl-inference', 'DjlLmiRegistries', DJL_LMI_REGISTRY_ACCOUNTS,
      tagOf('djlVersion', djlVersion, DJL_LMI_TAGS, options.tag));
  }

  private constructor() {}
}

function tagOf(prop: string, version: string, tags: { readonly [version: string]: string }, tag?: string): string {
  validatePattern(prop, version, /^\d+\.\d+\.\d+$/, "a version such as '3.3.6'");
  if (tag !== undefined) {
    validatePattern('tag', tag, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "an image tag (letters, digits, '_', '.', '-', at most 128)");
    return tag;
  }
  const known = tags[version];
  if (!known) fail(`${prop} must be one of ${Object.keys(tags).join(', ')} (the versions this library knows the tag of), got '${version}'; for another version give its tag`);
  return known;
}

class LargeModelContainerImage extends SageMakerImage {
  constructor(
    private readonly repositoryName: string,
    private readonly mappingId: string,
    private readonly accounts: { readonly [region: string]: string },
    private readonly tag: string,
  ) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable): SageMakerImageConfig {
    const stack = Stack.of(scope);
    const account = this.registryAccount(stack);
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: PULL_ACTIONS,
      resources: [`arn:${Aws.PARTITION}:ecr:${stack.region}:${account}:repository/${this.repositoryName}`],
    }));
    return { imageUri: `${account}.dkr.ecr.${stack.region}.${Aws.URL_SUFFIX}/${this.repositoryName}:${this.tag}` };
  }

  private registryAccount(stack: Stack): string {
    if (!Token.isUnresolved(stack.region)) {
      const account = this.accounts[stack.region];
      if (!account) {
        fail(`LargeModelImage has no ${this.repositoryName} registry for region '${stack.region}'; regions with one: ${Object.keys(this.accounts).join(', ')}`);
      }
      return account;
    }
    const mapping = (stack.node.tryFindChild(this.mappingId) as CfnMapping | undefined) ?? new CfnMapping(stack, this.mappingId, {
      mapping: Object.fromEntries(Object.entries(this.accounts).map(([region, account]) => [region, { account }])),
      lazy: true,
    });
    return mapping.findInMap(Aws.REGION, 'account');
  }
}
