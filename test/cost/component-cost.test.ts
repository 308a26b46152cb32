import { SageMakerInferenceComponentsStack, SageMakerTrainingStack } from '../../bin/stacks';
import { managedScalingBounds } from '../../local/src/cost/component-lines';
import { CostBasis, CostEstimate } from '../../local/src/cost/cost-estimate';
import { PriceList } from '../../local/src/cost/price-list';
import { InstancePrice, PriceComponent } from '../../local/src/cost/price-types';
import { ENV, testApp } from '../util';

const app = testApp();
const training = new SageMakerTrainingStack(app, 'Training', { env: ENV });
new SageMakerInferenceComponentsStack(app, 'Components', { env: ENV, dataStore: training.dataStore });
const assembly = app.synth();

// Test data, not prices.
const price = (component: PriceComponent, instanceType: string, pricePerHour: number): InstancePrice =>
  ({ region: 'us-east-1', component, instanceType, pricePerHour, asOf: '2026-01-01', source: 'test data' });
const prices = PriceList.of('USD', [price(PriceComponent.HOSTING, 'ml.m5.large', 0.5)]);

describe('cost of an endpoint of inference components', () => {
  const estimate = CostEstimate.fromAssembly(assembly, { prices });

  test('one line for the endpoint, bounded by its managed instance scaling; the Claims component keeps an instance', () => {
    const lines = estimate.lines.filter(l => l.stackName === 'Components' && l.component === PriceComponent.HOSTING);
    expect(lines.map(l => [l.kind, l.basis, l.instanceType, l.minInstances, l.maxInstances])).toEqual([
      ['inference components variant AllTraffic (managed instance scaling)', CostBasis.ALWAYS_ON, 'ml.m5.large', 1, 2],
    ]);
    // The components' copies run on those instances: no line of their own.
    expect(estimate.lines.filter(l => /component/i.test(l.source))).toEqual([]);
  });

  test('idle, the endpoint costs the instance the Claims component keeps', () => {
    expect(estimate.summaryOf('Components').idleCostPerHour).toBe(0.5);
  });

  test('an endpoint whose components all scale to zero costs nothing idle', () => {
    const variant = { VariantName: 'AllTraffic', InitialInstanceCount: 1, ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 } };
    const resources = {
      A: { Type: 'AWS::SageMaker::InferenceComponent', Properties: { EndpointName: 'e', InferenceComponentName: 'a', RuntimeConfig: { CopyCount: 1 } } },
      B: { Type: 'AWS::SageMaker::InferenceComponent', Properties: { EndpointName: 'e', InferenceComponentName: 'b', RuntimeConfig: { CopyCount: 1 } } },
      Other: { Type: 'AWS::SageMaker::InferenceComponent', Properties: { EndpointName: 'other', InferenceComponentName: 'c' } },
    };
    const scaling = new Map([['inference-component/a', { min: 0, max: 2 }], ['inference-component/b', { min: 0, max: 1 }]]);
    expect(managedScalingBounds(variant, resources, 'e', scaling)).toEqual({ min: 0, max: 2, kind: 'inference components variant AllTraffic (managed instance scaling, scales to zero)' });
    // One of them with a fixed copy keeps an instance.
    expect(managedScalingBounds(variant, resources, 'e', new Map([['inference-component/a', { min: 0, max: 2 }]]))?.min).toBe(1);
  });

  test.each([
    [{ VariantName: 'v', InitialInstanceCount: 1, ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 3 } }, { min: 1, max: 3 }],
    [{ VariantName: 'v', InitialInstanceCount: 2, ManagedInstanceScaling: { Status: 'ENABLED' } }, { min: 2, max: 2 }],
    [{ VariantName: 'v', InitialInstanceCount: 1, ManagedInstanceScaling: { Status: 'DISABLED', MinInstanceCount: 0 } }, undefined],
    [{ VariantName: 'v', InitialInstanceCount: 1 }, undefined],
  ])('bounds of %j', (variant, bounds) => {
    const found = managedScalingBounds(variant);
    expect(found && { min: found.min, max: found.max }).toEqual(bounds);
  });
});
