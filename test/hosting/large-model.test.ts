import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  LargeModelImage, MlDataStore, ModelData, ProductionVariantOptions, RealtimeEndpoint, RoutingStrategy, SageMakerImage, SageMakerInstanceType,
  SageMakerModel,
} from '../../lib';
import { runtimeConfigRequest } from '../../lib/hosting/private/deployment';
import { iamPolicies, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; store: MlDataStore; model: SageMakerModel } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Llm', {
    image: LargeModelImage.djlLmi('0.36.0'),
    modelData: ModelData.fromS3Prefix(store.artifactsBucket, 'models/llama/'),
    environment: { OPTION_ROLLING_BATCH: 'vllm' },
  });
  return { stack, store, model };
}

function statementsOf(stack: Stack, rolePrefix: string): any[] {
  return Object.values<any>(iamPolicies(stack))
    .filter(p => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

function largeVariant(model: SageMakerModel, overrides: Partial<ProductionVariantOptions> = {}): ProductionVariantOptions {
  return {
    model,
    instanceType: SageMakerInstanceType.ML_G5_2XLARGE,
    volumeSize: Size.gibibytes(512),
    modelDataDownloadTimeout: Duration.hours(1),
    containerStartupHealthCheckTimeout: Duration.seconds(60),
    routingStrategy: RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
    ...overrides,
  };
}

describe('ModelData.fromS3Prefix', () => {
  test('renders an uncompressed S3 prefix as the model\'s ModelDataSource, not ModelDataUrl', () => {
    const { stack } = setup();
    const container = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::Model'))[0].Properties.PrimaryContainer;
    expect(setup().model.uncompressedModelData).toBe(true);
    expect(container.ModelDataUrl).toBeUndefined();
    expect(container.ModelDataSource).toEqual({
      S3DataSource: {
        S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^StoreArtifactsBucket/) }, '/models/llama/']] },
        S3DataType: 'S3Prefix',
        CompressionType: 'None',
      },
    });
  });

  test('grants reading the objects under the prefix and listing the prefix only, and the bucket key', () => {
    const { stack } = setup();
    const statements = statementsOf(stack, 'LlmRole');
    expect(statements).toContainEqual({
      Action: 's3:GetObject',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreArtifactsBucket/), 'Arn'] }, '/models/llama/*']] },
    });
    expect(statements).toContainEqual({
      Action: 's3:ListBucket',
      Effect: 'Allow',
      Condition: { StringLike: { 's3:prefix': ['models/llama/*'] } },
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StoreArtifactsBucket/), 'Arn'] },
    });
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt' }));
  });

  test.each([
    ['models/llama', /keyPrefix must be a key prefix ending in '\/', without a leading '\/' \(e\.g\. 'models\/llama-3-8b\/'\), got 'models\/llama'/],
    ['/models/llama/', /keyPrefix must be a key prefix ending in '\/'.*got '\/models\/llama\/'/],
    ['', /keyPrefix must be a key prefix ending in '\/'/],
  ])('refuses the key prefix %j', (prefix, error) => {
    const stack = testStack();
    expect(() => ModelData.fromS3Prefix(new s3.Bucket(stack, 'B'), prefix)).toThrow(error);
  });
});

describe('large-model variants', () => {
  test('render the routing strategy, volume size and timeouts on the variant', () => {
    const { stack, model } = setup();
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [largeVariant(model)] });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{
        VariantName: 'AllTraffic',
        InstanceType: 'ml.g5.2xlarge',
        VolumeSizeInGB: 512,
        ModelDataDownloadTimeoutInSeconds: 3600,
        ContainerStartupHealthCheckTimeoutInSeconds: 60,
        RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        InitialInstanceCount: 1,
        InitialVariantWeight: 1,
        ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Llm'), 'ModelName'] },
      }],
    });
  });

  test('without a routing strategy, the variant has no RoutingConfig (SageMaker\'s default)', () => {
    const { stack, model } = setup();
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model, instanceType: SageMakerInstanceType.ML_C5_XLARGE }] });
    const config = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::EndpointConfig'))[0];
    expect(config.Properties.ProductionVariants[0].RoutingConfig).toBeUndefined();
  });

  test('a configuration a workflow defines at run time keeps each variant\'s routing strategy', () => {
    const { stack, model } = setup();
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
      variants: [largeVariant(model), { model, variantName: 'Random', instanceType: SageMakerInstanceType.ML_C5_XLARGE, routingStrategy: RoutingStrategy.RANDOM }],
    });
    const request = runtimeConfigRequest(stack, endpoint, { endpointConfigName: 'x', modelName: 'new-model', variantName: 'AllTraffic' });
    expect(request.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'AllTraffic', ModelName: 'new-model', RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' }, VolumeSizeInGB: 512 }),
      expect.objectContaining({ VariantName: 'Random', RoutingConfig: { RoutingStrategy: 'RANDOM' } }),
    ]);
  });

  test('a GPU instance with only instance storage gets no volume key', () => {
    const { stack, model } = setup();
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [largeVariant(model, { volumeSize: undefined })] });
    const config = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::EndpointConfig'))[0];
    expect(config.Properties.KmsKeyId).toBeUndefined();
    expect(endpoint.encryptionKey).toBeUndefined();
  });

  test.each([
    [{ volumeSize: Size.gibibytes(0) }, /variants\[0\]\.volumeSize \(GiB\) must be an integer between 1 and 512, got 0/],
    [{ volumeSize: Size.gibibytes(513) }, /variants\[0\]\.volumeSize \(GiB\) must be an integer between 1 and 512, got 513/],
    [{ modelDataDownloadTimeout: Duration.seconds(59) }, /variants\[0\]\.modelDataDownloadTimeout must be a whole number of seconds between 60 and 3600/],
    [{ modelDataDownloadTimeout: Duration.seconds(3601) }, /variants\[0\]\.modelDataDownloadTimeout must be a whole number of seconds between 60 and 3600/],
    [{ containerStartupHealthCheckTimeout: Duration.seconds(59) }, /variants\[0\]\.containerStartupHealthCheckTimeout must be a whole number of seconds between 60 and 3600/],
    [{ containerStartupHealthCheckTimeout: Duration.hours(2) }, /variants\[0\]\.containerStartupHealthCheckTimeout must be a whole number of seconds between 60 and 3600/],
    [{ autoScaling: { minCapacity: 0, maxCapacity: 2, targetInvocationsPerInstance: 5 } },
      /variants\[0\]\.autoScaling\.minCapacity must be at least 1 for a production variant, got 0: scaling to zero instances is for inference components only/],
  ])('refuses %j', (overrides, error) => {
    const { stack, model } = setup();
    expect(() => new RealtimeEndpoint(stack, 'Endpoint', { variants: [largeVariant(model, overrides as Partial<ProductionVariantOptions>)] })).toThrow(error);
  });

  test('accepts the limits AWS documents (1 and 512 GiB, 60 and 3600 seconds)', () => {
    const { stack, model } = setup();
    expect(() => new RealtimeEndpoint(stack, 'Low', { variants: [largeVariant(model, { volumeSize: Size.gibibytes(1), modelDataDownloadTimeout: Duration.seconds(60), containerStartupHealthCheckTimeout: Duration.seconds(60) })] })).not.toThrow();
    expect(() => new RealtimeEndpoint(stack, 'High', { variants: [largeVariant(model, { volumeSize: Size.gibibytes(512), modelDataDownloadTimeout: Duration.seconds(3600), containerStartupHealthCheckTimeout: Duration.seconds(3600) })] })).not.toThrow();
  });

  test('a model from an image of the stack\'s region and an S3 prefix synthesizes with the asset image too', () => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    const model = new SageMakerModel(stack, 'Own', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromS3Prefix(store.artifactsBucket, 'm/') });
    expect(model.modelName).toBeDefined();
  });
});
