import * as path from 'path';
import { CfnParameter, Errors, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  AsyncEndpoint, ChannelDataSource, DataQualityBaseline, DataQualityMonitor, JobS3Location, MlDataStore, ModelData, ModelPackageGroup,
  RealtimeEndpoint, RegisterModelStage, SageMakerImage, SageMakerInstanceType, SageMakerModel, TrainingJobStep, TrainingJobStepProps,
  TransformJobStep,
} from '../../lib';
import { definitionOf, renderState, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

describe('SageMakerInstanceType', () => {
  test('constants name SageMaker instance types, CPU and GPU', () => {
    expect(SageMakerInstanceType.ML_M5_XLARGE.name).toBe('ml.m5.xlarge');
    expect(SageMakerInstanceType.ML_G5_XLARGE.toString()).toBe('ml.g5.xlarge');
    expect(`${SageMakerInstanceType.ML_P4D_24XLARGE}`).toBe('ml.p4d.24xlarge');
    expect(SageMakerInstanceType.ML_G4DN_12XLARGE.family).toBe('g4dn');
    expect(SageMakerInstanceType.ML_G4DN_12XLARGE.size).toBe('12xlarge');
  });

  test('every constant is of the form ml.<family>.<size> and named after it', () => {
    const constants = Object.entries(SageMakerInstanceType)
      .filter(([, v]) => v instanceof SageMakerInstanceType) as [string, SageMakerInstanceType][];
    expect(constants.length).toBeGreaterThan(20);
    for (const [key, type] of constants) {
      expect(type.name).toMatch(/^ml\.[a-z0-9]+\.[a-z0-9]+$/);
      expect(key).toBe(type.name.replace(/\./g, '_').toUpperCase());
    }
  });

  test('of() takes any ml.<family>.<size> name and a token', () => {
    expect(SageMakerInstanceType.of('ml.m7i.xlarge').name).toBe('ml.m7i.xlarge');
    const stack = testStack();
    const param = new CfnParameter(stack, 'Type').valueAsString;
    const fromToken = SageMakerInstanceType.of(param);
    expect(fromToken.name).toBe(param);
    expect(fromToken.family).toBe('');
  });

  test.each([
    ['m5.large', /instanceType must be a SageMaker instance type of the form 'ml.<family>.<size>' \(e.g. 'ml.m5.xlarge'\), got 'm5.large'/],
    ['ml.m5', /instanceType must be a SageMaker instance type .*got 'ml.m5'/],
    ['', /instanceType must be a SageMaker instance type .*got ''/],
    ['ML.M5.LARGE', /got 'ML.M5.LARGE'/],
  ])('of(%p) is refused', (name, error) => {
    expect(() => SageMakerInstanceType.of(name)).toThrow(error);
  });

  test('of() refuses a malformed name with a validation error naming it', () => {
    let thrown: unknown;
    try {
      SageMakerInstanceType.of('m5.large');
    } catch (e) {
      thrown = e;
    }
    expect(Errors.isValidationError(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(/got 'm5.large'$/);
  });

  test('the instanceType props take it, and render its name', () => {
    const { stack, store, model } = setup();
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model, instanceType: SageMakerInstanceType.ML_C5_XLARGE }] });
    new TransformJobStep(stack, 'Transform', {
      model,
      input: JobS3Location.inBucket(store.dataBucket, 'in'),
      output: JobS3Location.inBucket(store.artifactsBucket, 'out'),
      instanceType: SageMakerInstanceType.of('ml.m7i.xlarge'),
    });
    const train = renderState(stack, new TrainingJobStep(stack, 'Train', { ...training(store), instanceType: SageMakerInstanceType.ML_G5_2XLARGE }));
    expect(train.Parameters.ResourceConfig).toEqual({ InstanceType: 'ml.g5.2xlarge', InstanceCount: 1, VolumeSizeInGB: 30 });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.c5.xlarge', VariantName: 'AllTraffic' })],
    });
  });

  test('a token from of() renders as the parameter at every consumer', () => {
    const { stack, store, model } = setup();
    const type = SageMakerInstanceType.of(new CfnParameter(stack, 'Type').valueAsString);
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model, instanceType: type }] });
    new AsyncEndpoint(stack, 'Async', { model, instanceType: type, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'async') });
    const register = new RegisterModelStage(stack, 'Register', {
      modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', 'churn'),
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      modelData: JobS3Location.inBucket(store.artifactsBucket, 'model.tar.gz'),
      realtimeInstanceTypes: [type],
    });
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(register) });
    const variants = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::EndpointConfig')).map(r => r.Properties.ProductionVariants[0].InstanceType);
    expect(variants).toEqual([{ Ref: 'Type' }, { Ref: 'Type' }]);
    const registration = Object.values<any>(definitionOf(stack).States).find(st => st.Parameters?.InferenceSpecification);
    expect(registration.Parameters.InferenceSpecification.SupportedRealtimeInferenceInstanceTypes).toEqual(['${Type}']);
  });

  // A JavaScript caller can still pass a string, and a name can bypass of(): the consumers check
  // again, and the error names the construct path and the prop.
  const js = (value: unknown) => value as SageMakerInstanceType;
  test.each<[string, (f: Fixture) => unknown, RegExp]>([
    ['TrainingJobStep', f => new TrainingJobStep(f.stack, 'Train', { ...training(f.store), instanceType: js('ml.m5.large') }),
      /^Test\/Train: instanceType must be a SageMakerInstanceType \(e.g. SageMakerInstanceType.ML_M5_XLARGE or SageMakerInstanceType.of\('ml.m7i.xlarge'\)\), got the string 'ml.m5.large' \(use SageMakerInstanceType.of\('ml.m5.large'\)\)$/],
    ['RealtimeEndpoint', f => new RealtimeEndpoint(f.stack, 'Endpoint', { variants: [{ model: f.model }, { model: f.model, instanceType: js('ml.m5.large') }] }),
      /^Test\/Endpoint: variants\[1\].instanceType must be a SageMakerInstanceType .*got the string 'ml.m5.large'/],
    ['an imported endpoint', f => RealtimeEndpoint.fromEndpointAttributes(f.stack, 'Team', { endpointName: 'team', variants: [{ variantName: 'A', instanceType: js('ml.m5.large') }] }),
      /^Test\/Team: variants\[0\].instanceType must be a SageMakerInstanceType .*got the string 'ml.m5.large'/],
    ['AsyncEndpoint', f => new AsyncEndpoint(f.stack, 'Async', { model: f.model, instanceType: js({ name: 'c5.large' }), outputLocation: JobS3Location.inBucket(f.store.artifactsBucket, 'a') }),
      /^Test\/Async: variant.instanceType must be a SageMaker instance type of the form 'ml.<family>.<size>' \(e.g. 'ml.m5.xlarge'\), got 'c5.large'$/],
    ['TransformJobStep', f => new TransformJobStep(f.stack, 'Transform', {
      model: f.model,
      input: JobS3Location.inBucket(f.store.dataBucket, 'in'),
      output: JobS3Location.inBucket(f.store.artifactsBucket, 'out'),
      instanceType: js(42),
    }), /^Test\/Transform: instanceType must be a SageMakerInstanceType .*got 42$/],
    ['RegisterModelStage', f => new RegisterModelStage(f.stack, 'Register', {
      modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(f.stack, 'Group', 'churn'),
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      modelData: JobS3Location.inBucket(f.store.artifactsBucket, 'model.tar.gz'),
      realtimeInstanceTypes: [SageMakerInstanceType.ML_M5_LARGE, js('ml.c5.large')],
    }), /^Test\/Register: realtimeInstanceTypes\[\] must be a SageMakerInstanceType .*got the string 'ml.c5.large'/],
    ['DataQualityMonitor', f => new DataQualityMonitor(f.stack, 'Monitor', {
      endpoint: new RealtimeEndpoint(f.stack, 'Endpoint', { variants: [{ model: f.model }], dataCapture: { destination: JobS3Location.inBucket(f.store.artifactsBucket, 'capture') } }),
      baseline: DataQualityBaseline.fromBucket(f.store.artifactsBucket, 'baseline'),
      output: JobS3Location.inBucket(f.store.artifactsBucket, 'reports'),
      instanceType: js('ml.m5.xlarge'),
    }), /^Test\/Monitor: instanceType must be a SageMakerInstanceType .*got the string 'ml.m5.xlarge'/],
  ])('%s refuses an instance type that is not a checked SageMakerInstanceType', (_name, make, error) => {
    expect(() => make(setup())).toThrow(error);
  });
});

interface Fixture { readonly stack: Stack; readonly store: MlDataStore; readonly model: SageMakerModel }

function setup(): Fixture {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', {
    image: SageMakerImage.fromAsset(IMAGE_DIR),
    modelData: ModelData.fromBucket(store.artifactsBucket, 'models/model.tar.gz'),
  });
  return { stack, store, model };
}

function training(store: MlDataStore): TrainingJobStepProps {
  return {
    image: SageMakerImage.fromAsset(IMAGE_DIR),
    outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
  };
}
