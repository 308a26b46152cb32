import { SageMakerLargeModelStack } from '../../bin/stacks';
import { CostBasis, CostEstimate, InstancePrice, PriceComponent, PriceList } from '../../local/src';
import { ENV, testApp } from '../util';

// Test data, not prices.
const price = (instanceType: string, pricePerHour: number): InstancePrice =>
  ({ region: 'us-east-1', component: PriceComponent.HOSTING, instanceType, pricePerHour, asOf: '2026-01-01', source: 'test data' });

describe('CostEstimate of a shadow test', () => {
  const app = testApp();
  new SageMakerLargeModelStack(app, 'LargeModel', { env: ENV });
  const estimate = CostEstimate.fromAssembly(app.synth(), { prices: PriceList.of('USD', [price('ml.g5.2xlarge', 1.5)]) });
  const lines = estimate.lines.filter(l => l.stackName === 'LargeModel');

  test('the shadow variant is a fleet of its own, always on beside the production variant', () => {
    expect(lines.map(l => [l.kind, l.basis, l.component, l.instanceType, l.minInstances, l.maxInstances])).toEqual([
      ['real-time variant AllTraffic', CostBasis.ALWAYS_ON, PriceComponent.HOSTING, 'ml.g5.2xlarge', 1, 1],
      ['real-time shadow variant Shadow', CostBasis.ALWAYS_ON, PriceComponent.HOSTING, 'ml.g5.2xlarge', 1, 1],
    ]);
    expect(lines.map(l => l.price?.pricePerHour)).toEqual([1.5, 1.5]);
  });

  test('the promotion workflow\'s configuration replaces the endpoint\'s: no capacity of its own', () => {
    expect(lines.some(l => /the workflow deploys/.test(l.kind))).toBe(false);
  });
});
