import * as path from 'path';
import { App, Duration, Errors, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { SageMakerTrainingStack } from '../../bin/stacks';
import {
  AsyncEndpoint, ChannelDataSource, CreateModelStep, DeepLearningContainerUse, DeepLearningFramework, JobConfigFile, JobS3Location,
  MlDataStore, MlflowTrackingServer, ModelData, ProcessingJobStep, Processor, SageMakerImage, SageMakerInstanceType, SageMakerModel,
  ServerlessEndpoint, TeamDomain, TrainingJobStep,
} from '../../lib';
import { testApp, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(IMAGE_DIR, 'sample', 'model.tar.gz');

/**
 * Bad input to any construct fails with the construct's path first, then the prop, the
 * value and what is allowed: a user with fifty endpoints needs to know which one is wrong.
 */
function setup() {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  return { stack, store, model };
}

/** A VPC that reaches AWS through VPC endpoints only: isolated subnets, no NAT. */
function isolatedOnlyVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'IsolatedVpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60700', availabilityZones: ['us-east-1a', 'us-east-1b'], isolatedSubnetIds: ['subnet-0a1b2c3d4e5f60701', 'subnet-0a1b2c3d4e5f60702'],
  });
}

test('a model in a VPC with isolated subnets only runs in them without vpcSubnets', () => {
  const { stack } = setup();
  new SageMakerModel(stack, 'Isolated', { image: SageMakerImage.fromAsset(IMAGE_DIR), vpc: isolatedOnlyVpc(stack) });
  const models = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::Model')).filter(m => m.Properties.VpcConfig);
  expect(models.map(m => m.Properties.VpcConfig.Subnets)).toEqual([['subnet-0a1b2c3d4e5f60701', 'subnet-0a1b2c3d4e5f60702']]);
});

test("the library's errors are aws-cdk-lib validation errors (Errors.isValidationError) with the construct path", () => {
  const { stack, model } = setup();
  let thrown: unknown;
  try {
    new ServerlessEndpoint(stack, 'Serverless', { model, memorySizeInMB: 1500 });
  } catch (e) {
    thrown = e;
  }
  expect(Errors.isValidationError(thrown)).toBe(true);
  expect(Errors.isConstructError(thrown)).toBe(true);
  expect(thrown).toMatchObject({ name: 'ValidationError', constructPath: 'Test/Serverless', type: 'validation' });
  // A plain Error is not one.
  expect(Errors.isValidationError(new Error('x'))).toBe(false);
});

describe('errors name the construct path', () => {
  test.each<[string, (s: ReturnType<typeof setup>) => unknown, RegExp]>([
    ['ServerlessEndpoint memorySizeInMB', ({ stack, model }) => new ServerlessEndpoint(stack, 'Serverless', { model, memorySizeInMB: 1500 }),
      /^Test\/Serverless: memorySizeInMB must be a multiple of 1024 between 1024 and 6144, got 1500$/],
    ['ServerlessEndpoint maxConcurrency', ({ stack, model }) => new ServerlessEndpoint(stack, 'Serverless', { model, maxConcurrency: 201 }),
      /^Test\/Serverless: maxConcurrency must be an integer between 1 and 200, got 201$/],
    ['ServerlessEndpoint provisionedConcurrency', ({ stack, model }) => new ServerlessEndpoint(stack, 'Serverless', { model, maxConcurrency: 2, provisionedConcurrency: 3 }),
      /^Test\/Serverless: provisionedConcurrency must be at most maxConcurrency \(2\), got 3$/],
    ['ServerlessEndpoint endpointName', ({ stack, model }) => new ServerlessEndpoint(stack, 'Serverless', { model, endpointName: 'bad_name' }),
      /^Test\/Serverless: endpointName must be letters, digits and single hyphens, got 'bad_name'$/],
    ['AsyncEndpoint outputLocation', ({ stack, model, store }) => new AsyncEndpoint(stack, 'Async', { model, outputLocation: JobS3Location.perExecution(store.artifactsBucket, 'out') }),
      /^Test\/Async: outputLocation and failureLocation must be fixed locations/],
    ['AsyncEndpoint maxConcurrentInvocationsPerInstance', ({ stack, model, store }) => new AsyncEndpoint(stack, 'Async', {
      model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out'), maxConcurrentInvocationsPerInstance: 0,
    }), /^Test\/Async: maxConcurrentInvocationsPerInstance must be an integer between 1 and 1000, got 0$/],
    ['AsyncEndpoint instanceType', ({ stack, model, store }) => new AsyncEndpoint(stack, 'Async', {
      model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out'), instanceType: { name: 'm5.large' } as SageMakerInstanceType,
    }), /^Test\/Async: variant.instanceType must be a SageMaker instance type of the form 'ml.<family>.<size>' \(e.g. 'ml.m5.xlarge'\), got 'm5.large'$/],
    ['AsyncEndpoint volume key on NVMe-only storage', ({ stack, model, store }) => new AsyncEndpoint(stack, 'Async', {
      model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out'), instanceType: SageMakerInstanceType.ML_G5_XLARGE, encryptionKey: new kms.Key(stack, 'K'),
    }), /^Test\/Async: encryptionKey cannot be used with instance types whose only storage is local NVMe \(ml.g5.xlarge\)/],
    ['AsyncEndpoint autoScaling', ({ stack, model, store }) => new AsyncEndpoint(stack, 'Async', {
      model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out'), autoScaling: { minCapacity: 3, maxCapacity: 1 },
    }), /^Test\/Async: autoScaling.minCapacity must be at most maxCapacity \(1\), got 3$/],
    ['AsyncEndpoint model without role', ({ stack, store }) => new AsyncEndpoint(stack, 'Async', {
      model: SageMakerModel.fromModelName(stack, 'Imported', 'm'), outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out'),
    }), /^Test\/Async: model must have a known execution role/],
    ['SageMakerModel environment', ({ stack }) => new SageMakerModel(stack, 'Bad', { image: SageMakerImage.fromAsset(IMAGE_DIR), environment: { 'A-B': '1' } }),
      /^Test\/Bad: environment key must be a variable name/],
    ['SageMakerModel vpcSubnets without vpc', ({ stack }) => new SageMakerModel(stack, 'Bad', {
      image: SageMakerImage.fromAsset(IMAGE_DIR), vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    }), /^Test\/Bad: vpcSubnets requires vpc$/],
    ['SageMakerModel vpcSubnets the VPC cannot satisfy', ({ stack }) => new SageMakerModel(stack, 'Bad', {
      image: SageMakerImage.fromAsset(IMAGE_DIR), vpc: isolatedOnlyVpc(stack), vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    }), /^Test\/Bad: vpcSubnets selects no subnets of VPC 'Test\/IsolatedVpc': There are no 'Private' subnet groups in this VPC/],
    ['TeamDomain vpcEndpoints in a VPC imported without route tables', ({ stack, store }) => new TeamDomain(stack, 'Domain', {
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Imported', { vpcId: 'vpc-0a1b2c3d4e5f60799', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60791'] }),
      dataStore: store,
    }), /^Test\/Domain: vpcEndpoints defines an S3 gateway endpoint in the route tables of the selected subnets, and VPC 'Test\/Imported' has no route table IDs/],
    ['MlflowTrackingServer weeklyMaintenanceWindowStart', ({ stack, store }) => new MlflowTrackingServer(stack, 'Tracking', {
      artifactStore: JobS3Location.inBucket(store.artifactsBucket, 'mlflow'), weeklyMaintenanceWindowStart: 'Tuesday',
    }), /^Test\/Tracking: weeklyMaintenanceWindowStart must be a day and time such as 'Tue:03:30', got 'Tuesday'$/],
    ['MlflowTrackingServer artifactStore', ({ stack, store }) => new MlflowTrackingServer(stack, 'Tracking', {
      artifactStore: JobS3Location.perExecution(store.artifactsBucket, 'mlflow'),
    }), /^Test\/Tracking: artifactStore must be a fixed location/],
    ['TeamDomain domainName', ({ stack, store }) => new TeamDomain(stack, 'Domain', { vpc: new ec2.Vpc(stack, 'Vpc'), dataStore: store, domainName: 'team_a' }),
      /^Test\/Domain: domainName must be letters, digits and single hyphens, got 'team_a'$/],
    ['MlDataStore accessLogsRetention', ({ stack }) => new MlDataStore(stack, 'Data', { accessLogsRetention: Duration.hours(36) }),
      /^Test\/Data: accessLogsRetention must be a whole number of days between 1 and 36500, got 1 day 12 hours$/],
    ['JobConfigFile path', ({ stack }) => new JobConfigFile(stack, 'Config', { path: path.join(IMAGE_DIR, 'Dockerfile') }),
      /^Test\/Config: JobConfigFile path must end in .json, .yaml or .yml/],
  ])('%s', (_name, make, error) => {
    const s = setup();
    expect(() => make(s)).toThrow(error);
  });

  test('SageMakerTrainingStack minimumDevianceExplained', () => {
    expect(() => new SageMakerTrainingStack(testApp(), 'Training', { minimumDevianceExplained: 1.5 }))
      .toThrow(/^Training: minimumDevianceExplained must be a number between 0 and 1, got 1.5$/);
  });

  test('a volume size of the async endpoint is checked there too', () => {
    const { stack, model, store } = setup();
    expect(() => new AsyncEndpoint(stack, 'Async', { model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out'), volumeSize: Size.gibibytes(600) }))
      .toThrow(/^Test\/Async: variant.volumeSize/);
  });

  // Errors of what a job, model or stage binds (images, locations, channels) carry its path too.
  test('a file system channel of a job outside a VPC', () => {
    const { stack, store } = setup();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const fileSystem = new efs.FileSystem(stack, 'Fs', { vpc });
    expect(() => new TrainingJobStep(stack, 'Train', {
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
      channels: [{ channelName: 'efs', source: ChannelDataSource.efs(fileSystem, '/data') }],
    })).toThrow(/^Test\/Train: channel 'efs' reads from Amazon EFS, which requires the job to run in a VPC: set vpc$/);
  });

  test('a file asset as a job output', () => {
    const { stack } = setup();
    const asset = new s3assets.Asset(stack, 'Requirements', { path: path.join(IMAGE_DIR, 'requirements.txt') });
    expect(() => new TrainingJobStep(stack, 'Train', { image: SageMakerImage.fromAsset(IMAGE_DIR), outputLocation: JobS3Location.fromAsset(asset) }))
      .toThrow(/^Test\/Train: a file asset can only be a job input, got it as an output \('Test\/Requirements'\)$/);
    expect(() => new ProcessingJobStep(stack, 'Process', {
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      processingOutputs: [{ outputName: 'out', destination: JobS3Location.fromAsset(asset) }],
    })).toThrow(/^Test\/Process: a file asset can only be a job input/);
  });

  test('CreateModelStep: vpcSubnets and securityGroups need vpc; with vpc the model runs in its private subnets', () => {
    const { stack, store } = setup();
    const image = SageMakerImage.fromAsset(IMAGE_DIR);
    const modelData = JobS3Location.inBucket(store.artifactsBucket, 'models');
    const vpc = isolatedOnlyVpc(stack);
    expect(() => new CreateModelStep(stack, 'NoVpc', { image, modelData, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }))
      .toThrow(/^Test\/NoVpc: vpcSubnets requires vpc$/);
    expect(() => new CreateModelStep(stack, 'NoVpc2', { image, modelData, securityGroups: [] }))
      .toThrow(/^Test\/NoVpc2: securityGroups requires vpc$/);
    const step = new CreateModelStep(stack, 'InVpc', { image, modelData, vpc });
    const rendered = (step as any)._renderRequest();
    expect(rendered.VpcConfig.Subnets).toEqual(['subnet-0a1b2c3d4e5f60701', 'subnet-0a1b2c3d4e5f60702']);
    expect(rendered.VpcConfig.SecurityGroupIds).toHaveLength(1);
  });

  test('a Deep Learning Container in a Region without its registry', () => {
    const stack = new Stack(new App(), 'Far', { env: { account: '123456789012', region: 'us-isob-east-1' } });
    const store = new MlDataStore(stack, 'Store');
    const image = SageMakerImage.fromDeepLearningContainer({
      framework: DeepLearningFramework.PYTORCH, use: DeepLearningContainerUse.INFERENCE, frameworkVersion: '2.3.0', processor: Processor.CPU, pythonVersion: 'py311',
    });
    expect(() => new CreateModelStep(stack, 'Model', { image, modelData: JobS3Location.inBucket(store.artifactsBucket, 'models') }))
      .toThrow(/^Far\/Model: SageMakerImage.fromDeepLearningContainer has no Deep Learning Container registry for region 'us-isob-east-1'/);
    expect(() => new SageMakerModel(stack, 'Served', { image }))
      .toThrow(/^Far\/Served: SageMakerImage.fromDeepLearningContainer has no Deep Learning Container registry/);
  });
});
