import * as path from 'path';
import { CfnParameter } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel } from '../../lib';
import { testStack } from '../util';

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

  test('its name goes where an instanceType string is taken', () => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    const model = new SageMakerModel(stack, 'Model', {
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      modelData: ModelData.fromBucket(store.artifactsBucket, 'models/model.tar.gz'),
    });
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model, instanceType: SageMakerInstanceType.ML_C5_XLARGE.name }] });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.c5.xlarge', VariantName: 'AllTraffic' })],
    });
  });
});
