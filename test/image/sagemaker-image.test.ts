import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeepLearningContainerUse, DeepLearningFramework, Processor, SageMakerImage } from '../../lib';
import { iamPolicies, testApp, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const pytorchGpu = {
  framework: DeepLearningFramework.PYTORCH,
  use: DeepLearningContainerUse.TRAINING,
  frameworkVersion: '2.3.0',
  processor: Processor.GPU,
  pythonVersion: 'py311',
  cudaVersion: 'cu121',
};

function roleIn(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
}

function policyActions(stack: Stack): any[] {
  const policies = iamPolicies(stack);
  return Object.values<any>(policies).flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('SageMakerImage.fromAsset', () => {
  test('stages one image asset per stack and grants pull on its repository', () => {
    // GIVEN
    const stack = testStack();
    const role = roleIn(stack);
    const image = SageMakerImage.fromAsset(IMAGE_DIR);
    // WHEN
    const first = image.bind(stack, role);
    image.bind(new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }), role);
    // THEN
    expect(stack.node.findAll().filter(c => c instanceof ecrAssets.DockerImageAsset)).toHaveLength(1);
    expect(stack.resolve(first.imageUri)).toEqual({ 'Fn::Sub': expect.stringMatching(/^123456789012\.dkr\.ecr\.us-east-1\.\$\{AWS::URLSuffix\}\/cdk-hnb659fds-container-assets-123456789012-us-east-1:[a-f0-9]{64}$/) });
    expect(policyActions(stack)).toContainEqual(expect.objectContaining({
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: 'arn:aws:ecr:us-east-1:123456789012:repository/cdk-hnb659fds-container-assets-123456789012-us-east-1',
    }));
  });

  test('rejects a directory without a Dockerfile', () => {
    expect(() => SageMakerImage.fromAsset(path.join(IMAGE_DIR, 'sample')))
      .toThrow(/SageMakerImage.fromAsset directory must contain Dockerfile, got '.*sample'/);
  });
});

describe('SageMakerImage.fromEcrRepository', () => {
  test('renders the repository URI with a tag or a digest and grants pull on that repository', () => {
    const stack = testStack();
    const role = roleIn(stack);
    const repo = new ecr.Repository(stack, 'Repo');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(stack.resolve(SageMakerImage.fromEcrRepository(repo, 'v1').bind(stack, role).imageUri))
      .toEqual({ 'Fn::Join': ['', expect.arrayContaining([':v1'])] });
    expect(JSON.stringify(stack.resolve(SageMakerImage.fromEcrRepository(repo, digest).bind(stack, role).imageUri))).toContain(`@${digest}`);
    expect(policyActions(stack)).toContainEqual(expect.objectContaining({
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Repo/), 'Arn'] },
    }));
  });

  test.each(['', 'has space', 'sha256:abc', 'x'.repeat(129)])('rejects tagOrDigest %p', (tag) => {
    const stack = testStack();
    expect(() => SageMakerImage.fromEcrRepository(new ecr.Repository(stack, 'Repo'), tag)).toThrow(/tagOrDigest must be an image tag .* or a digest 'sha256:<64 hex digits>', got/);
  });
});

describe('SageMakerImage.fromDeepLearningContainer', () => {
  test('builds the tag and uses the registry of the stack region', () => {
    const stack = testStack({ account: '123456789012', region: 'eu-south-1' });
    const uri = stack.resolve(SageMakerImage.fromDeepLearningContainer(pytorchGpu).bind(stack, roleIn(stack)).imageUri);
    expect(uri).toEqual({ 'Fn::Join': ['', ['692866216735.dkr.ecr.eu-south-1.', { Ref: 'AWS::URLSuffix' }, '/pytorch-training:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker']] });
    expect(policyActions(stack)).toContainEqual(expect.objectContaining({
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-south-1:692866216735:repository/pytorch-training']] },
    }));
  });

  test('resolves the registry at deploy time with a mapping in a region-agnostic stack', () => {
    const stack = new Stack(testApp(), 'Agnostic');
    const cpu = SageMakerImage.fromDeepLearningContainer({ ...pytorchGpu, processor: Processor.CPU, cudaVersion: undefined });
    const uri = stack.resolve(cpu.bind(stack, roleIn(stack)).imageUri);
    expect(JSON.stringify(uri)).toContain('"Fn::FindInMap":["DeepLearningContainerRegistries",{"Ref":"AWS::Region"},"account"]');
    const mapping = Template.fromStack(stack).toJSON().Mappings.DeepLearningContainerRegistries;
    expect(mapping['us-east-1']).toEqual({ account: '763104351884' });
    expect(mapping['af-south-1']).toEqual({ account: '626614931356' });
    // The mapping is lazy (rendered because the Region is a token): no annotation on synth.
    expect(Annotations.fromStack(stack).findInfo('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test.each([
    ['ca-west-1', '204538143572'],
    ['ap-southeast-5', '550225433462'],
    ['ap-southeast-7', '590183813437'],
    ['mx-central-1', '637423239942'],
    ['ap-east-2', '975050140332'],
    ['ap-southeast-6', '633930458069'],
  ])('has the registry of %s', (region, account) => {
    const stack = testStack({ account: '123456789012', region });
    const uri = stack.resolve(SageMakerImage.fromDeepLearningContainer(pytorchGpu).bind(stack, roleIn(stack)).imageUri);
    expect(JSON.stringify(uri)).toContain(`${account}.dkr.ecr.${region}.`);
  });

  test('fails clearly in a region without a registry', () => {
    const stack = testStack({ account: '123456789012', region: 'xx-nowhere-1' });
    const image = SageMakerImage.fromDeepLearningContainer(pytorchGpu);
    expect(() => image.bind(stack, roleIn(stack))).toThrow(/no Deep Learning Container registry for region 'xx-nowhere-1'; regions with one: af-south-1, /);
  });

  test('takes a complete tag for images with their own tag scheme', () => {
    const stack = testStack();
    const uri = stack.resolve(SageMakerImage.fromDeepLearningContainer({
      ...pytorchGpu,
      framework: DeepLearningFramework.HUGGINGFACE_PYTORCH,
      tag: '2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04',
    }).bind(stack, roleIn(stack)).imageUri);
    expect(uri['Fn::Join'][1][2]).toBe('/huggingface-pytorch-training:2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04');
  });

  test.each([
    [{ frameworkVersion: 'latest' }, /frameworkVersion must be a version such as '2.3.0', got 'latest'/],
    [{ pythonVersion: '3.11' }, /pythonVersion must be a Python tag such as 'py311', got '3.11'/],
    [{ cudaVersion: '12.1' }, /cudaVersion must be a CUDA tag such as 'cu121', got '12.1'/],
    [{ cudaVersion: undefined }, /cudaVersion is required for GPU Deep Learning Containers/],
    [{ processor: Processor.CPU }, /cudaVersion must not be set for CPU Deep Learning Containers, got 'cu121'/],
    [{ osVersion: 'Ubuntu 20' }, /osVersion must be an OS tag such as 'ubuntu20.04', got 'Ubuntu 20'/],
  ])('rejects %p', (override, error) => {
    expect(() => SageMakerImage.fromDeepLearningContainer({ ...pytorchGpu, ...override })).toThrow(error);
  });
});
