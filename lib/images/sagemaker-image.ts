import * as fs from 'fs';
import * as path from 'path';
import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DLC_REGISTRY_ACCOUNTS } from './deep-learning-container-accounts';
import { fail, validatePattern } from '../private/validate';

/** The ECR actions that pulling an image needs (authentication is granted by the execution role). */
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];

/**
 * What a bound image renders into a SageMaker request.
 */
export interface SageMakerImageConfig {
  /** The image URI: `<registry>/<repository>:<tag>` or `@<digest>`. */
  readonly imageUri: string;
}

/**
 * The deep learning framework of an AWS Deep Learning Container.
 */
export enum DeepLearningFramework {
  /** PyTorch (`pytorch-training`, `pytorch-inference`). */
  PYTORCH = 'pytorch',
  /** TensorFlow (`tensorflow-training`, `tensorflow-inference`). */
  TENSORFLOW = 'tensorflow',
  /** Hugging Face on PyTorch (`huggingface-pytorch-training`, `huggingface-pytorch-inference`). */
  HUGGINGFACE_PYTORCH = 'huggingface-pytorch',
}

/**
 * Whether a Deep Learning Container is built for training or for serving.
 */
export enum DeepLearningContainerUse {
  /** The training image. */
  TRAINING = 'training',
  /** The inference (serving) image. */
  INFERENCE = 'inference',
}

/**
 * The processor a Deep Learning Container is built for.
 */
export enum Processor {
  /** CPU instances. */
  CPU = 'cpu',
  /** GPU instances (needs a CUDA version). */
  GPU = 'gpu',
}

/**
 * Which AWS Deep Learning Container to use.
 */
export interface DeepLearningContainerOptions {
  /** The framework. */
  readonly framework: DeepLearningFramework;
  /** Training or inference image. */
  readonly use: DeepLearningContainerUse;
  /** The framework version, e.g. `2.3.0`. */
  readonly frameworkVersion: string;
  /** CPU or GPU. */
  readonly processor: Processor;
  /** The Python version tag, e.g. `py311`. */
  readonly pythonVersion: string;
  /**
   * The CUDA version tag, e.g. `cu121`. Required for GPU images, refused for CPU images.
   *
   * @default - none (CPU images)
   */
  readonly cudaVersion?: string;
  /**
   * The operating system tag, e.g. `ubuntu20.04`.
   *
   * @default 'ubuntu20.04'
   */
  readonly osVersion?: string;
  /**
   * The complete image tag, for images whose tags do not follow
   * `<version>-<processor>-<python>[-<cuda>]-<os>-sagemaker` (Hugging Face images name
   * the transformers version too). Overrides the tag built from the other props.
   *
   * @default - built from the other props
   */
  readonly tag?: string;
}

/**
 * A container image for a SageMaker job or model: built from a local Dockerfile, taken
 * from an ECR repository, or an AWS Deep Learning Container for the stack's region.
 *
 * Binding the image to a role grants that role what it needs to pull the image.
 */
export abstract class SageMakerImage {
  /**
   * An image built from a local directory with a Dockerfile, pushed to the CDK asset
   * repository at deploy time (`cdk synth` only stages it; deploying needs Docker).
   *
   * @param directory the directory that holds the Dockerfile
   * @param options build options
   * @default - linux/amd64, the platform of SageMaker's instances
   */
  public static fromAsset(directory: string, options: ecrAssets.DockerImageAssetOptions = {}): SageMakerImage {
    return new AssetImage(directory, options);
  }

  /**
   * An image in an ECR repository.
   *
   * @param repository the repository
   * @param tagOrDigest a tag, or a digest (`sha256:...`) to pin the image exactly
   * @default 'latest'
   */
  public static fromEcrRepository(repository: ecr.IRepository, tagOrDigest: string = 'latest'): SageMakerImage {
    return new RepositoryImage(repository, tagOrDigest);
  }

  /**
   * An AWS Deep Learning Container, from the registry that serves the stack's region.
   * A stack whose region is known at synth fails with a clear error where no registry is
   * known; a region-agnostic stack resolves the registry at deploy time from a mapping.
   */
  public static fromDeepLearningContainer(props: DeepLearningContainerOptions): SageMakerImage {
    return new DeepLearningContainerImage(props);
  }

  /**
   * Renders the image for a job or model in `scope`, granting `grantee` the right to pull it.
   */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): SageMakerImageConfig;
}

class AssetImage extends SageMakerImage {
  private readonly assets = new Map<Stack, ecrAssets.DockerImageAsset>();

  constructor(private readonly directory: string, private readonly options: ecrAssets.DockerImageAssetOptions) {
    super();
    const dockerfile = path.join(directory, options.file ?? 'Dockerfile');
    if (!fs.existsSync(dockerfile)) {
      fail(`SageMakerImage.fromAsset directory must contain ${options.file ?? 'Dockerfile'}, got '${directory}' (no ${dockerfile})`);
    }
  }

  public bind(scope: Construct, grantee: iam.IGrantable): SageMakerImageConfig {
    // One asset per stack however many jobs use the image.
    const stack = Stack.of(scope);
    let asset = this.assets.get(stack);
    if (!asset) {
      asset = new ecrAssets.DockerImageAsset(scope, 'ImageAsset', {
        platform: ecrAssets.Platform.LINUX_AMD64,
        ...this.options,
        directory: this.directory,
      });
      this.assets.set(stack, asset);
    }
    asset.repository.grant(grantee, ...PULL_ACTIONS);
    return { imageUri: asset.imageUri };
  }
}

class RepositoryImage extends SageMakerImage {
  constructor(private readonly repository: ecr.IRepository, private readonly tagOrDigest: string) {
    super();
    validatePattern('tagOrDigest', tagOrDigest, /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$/,
      "an image tag (letters, digits, '_', '.', '-', at most 128) or a digest 'sha256:<64 hex digits>'");
  }

  public bind(_scope: Construct, grantee: iam.IGrantable): SageMakerImageConfig {
    this.repository.grant(grantee, ...PULL_ACTIONS);
    return { imageUri: this.repository.repositoryUriForTagOrDigest(this.tagOrDigest) };
  }
}

class DeepLearningContainerImage extends SageMakerImage {
  private readonly repositoryName: string;
  private readonly tag: string;

  constructor(props: DeepLearningContainerOptions) {
    super();
    validatePattern('frameworkVersion', props.frameworkVersion, /^\d+\.\d+(\.\d+)?$/, "a version such as '2.3.0'");
    validatePattern('pythonVersion', props.pythonVersion, /^py\d{2,3}$/, "a Python tag such as 'py311'");
    validatePattern('cudaVersion', props.cudaVersion, /^cu\d{3,4}$/, "a CUDA tag such as 'cu121'");
    validatePattern('osVersion', props.osVersion, /^[a-z]+\d+(\.\d+)?$/, "an OS tag such as 'ubuntu20.04'");
    validatePattern('tag', props.tag, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "an image tag (letters, digits, '_', '.', '-', at most 128)");
    if (props.tag === undefined) {
      if (props.processor === Processor.GPU && !props.cudaVersion) {
        fail(`cudaVersion is required for GPU Deep Learning Containers (e.g. 'cu121'), got none for ${props.framework} ${props.frameworkVersion}`);
      }
      if (props.processor === Processor.CPU && props.cudaVersion) {
        fail(`cudaVersion must not be set for CPU Deep Learning Containers, got '${props.cudaVersion}'`);
      }
    }
    this.repositoryName = `${props.framework}-${props.use}`;
    this.tag = props.tag ?? [
      props.frameworkVersion,
      props.processor,
      props.pythonVersion,
      ...(props.cudaVersion ? [props.cudaVersion] : []),
      props.osVersion ?? 'ubuntu20.04',
      'sagemaker',
    ].join('-');
  }

  public bind(scope: Construct, grantee: iam.IGrantable): SageMakerImageConfig {
    const stack = Stack.of(scope);
    const account = registryAccount(stack);
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: PULL_ACTIONS,
      resources: [`arn:${Aws.PARTITION}:ecr:${stack.region}:${account}:repository/${this.repositoryName}`],
    }));
    return { imageUri: `${account}.dkr.ecr.${stack.region}.${Aws.URL_SUFFIX}/${this.repositoryName}:${this.tag}` };
  }
}

const MAPPING_ID = 'DeepLearningContainerRegistries';

function registryAccount(stack: Stack): string {
  if (!Token.isUnresolved(stack.region)) {
    const account = DLC_REGISTRY_ACCOUNTS[stack.region];
    if (!account) {
      fail(`SageMakerImage.fromDeepLearningContainer has no Deep Learning Container registry for region '${stack.region}'; regions with one: ${Object.keys(DLC_REGISTRY_ACCOUNTS).join(', ')}`);
    }
    return account;
  }
  // Region-agnostic stack: look the account up at deploy time (fails there for an unknown region).
  // Lazy: the mapping is rendered because the lookup key (the Region) is a token, and the CDK
  // does not warn on every synth that it could be lazy.
  const mapping = (stack.node.tryFindChild(MAPPING_ID) as CfnMapping | undefined) ?? new CfnMapping(stack, MAPPING_ID, {
    mapping: Object.fromEntries(Object.entries(DLC_REGISTRY_ACCOUNTS).map(([region, account]) => [region, { account }])),
    lazy: true,
  });
  return mapping.findInMap(Aws.REGION, 'account');
}
