import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { CostEstimate } from '../../local/src';

/**
 * The composition's region-agnostic hosting stack is priced in the Region the estimate is given.
 * Called by test/composition/composition.test.ts with the composition app's cloud assembly.
 */
export function describeCost(assembly: CloudAssembly): void {
  test('CostEstimate.fromAssembly prices region-agnostic stacks in the given Region', () => {
    const hostingOf = (e: CostEstimate) => e.lines.filter(l => l.stackName === 'TeamForecastingDemandPlanningHostingRegionAgnostic');

    const estimate = CostEstimate.fromAssembly(assembly, { region: 'us-east-1' });
    const hosting = hostingOf(estimate);
    expect(new Set(hosting.map(l => l.region))).toEqual(new Set(['us-east-1']));
    // The bundled prices have ml.m5.xlarge hosting in us-east-1: the variants on it are priced (the
    // real-time Blue, the component endpoint's shared fleet, the shadowed endpoint's Live and its
    // shadow Candidate, the async variant).
    const m5 = hosting.filter(l => l.component === 'hosting' && l.instanceType === 'ml.m5.xlarge');
    expect(m5.map(l => l.kind).sort()).toEqual([
      'async variant AllTraffic', 'inference components variant Shared (managed instance scaling, scales to zero)', 'real-time shadow variant Candidate',
      'real-time variant Blue', 'real-time variant Live',
    ]);
    expect(m5.map(l => l.price?.pricePerHour)).toEqual(m5.map(() => expect.any(Number)));
    // Region-bound stacks keep their own Region.
    expect(new Set(estimate.lines.filter(l => l.stackName.endsWith('EuWest1')).map(l => l.region))).toEqual(new Set(['eu-west-1']));

    // Without a Region, the region-agnostic stack is listed unpriced.
    expect(hostingOf(CostEstimate.fromAssembly(assembly)).every(l => l.region === undefined && l.price === undefined)).toBe(true);
  });
}
