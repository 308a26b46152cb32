import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { CostBasis, CostEstimate, SageMakerAsyncStack, SageMakerRealtimeStack, SageMakerServerlessStack, SageMakerTrainingStack } from '../../lib';
import { ENV } from '../util';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-'));
const app = new App({ outdir, context: JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context });
const training = new SageMakerTrainingStack(app, 'Training', { env: ENV });
const hosting = { env: ENV, dataStore: training.dataStore };
new SageMakerRealtimeStack(app, 'Realtime', hosting);
new SageMakerServerlessStack(app, 'Serverless', hosting);
new SageMakerAsyncStack(app, 'Async', hosting);
const assembly = app.synth();
// A price table the caller supplies (these numbers are test data, not prices).
const prices = { source: 'test table', currency: 'USD', pricePerHour: { 'ml.m5.large': 0.5 } };

describe('CostEstimate', () => {
  const estimate = CostEstimate.fromAssembly(assembly, prices);

  test('lists what each stack provisions, with autoscaling bounds, per-run jobs and usage-based modes', () => {
    const byKind = (stack: string) => estimate.lines.filter(l => l.stackName === stack)
      .map(l => [l.kind, l.basis, l.instanceType, l.minInstances, l.maxInstances, l.maxHoursPerRun]);
    expect(byKind('Realtime')).toEqual([['real-time variant AllTraffic', CostBasis.ALWAYS_ON, 'ml.m5.large', 1, 4, undefined]]);
    expect(byKind('Async')).toEqual([['async variant AllTraffic', CostBasis.SCALE_TO_ZERO, 'ml.m5.large', 0, 2, undefined]]);
    expect(byKind('Serverless')).toEqual([['serverless variant AllTraffic', CostBasis.USAGE_BASED, undefined, 0, 0, undefined]]);
    expect(byKind('Training')).toEqual(expect.arrayContaining([
      ['training job', CostBasis.PER_RUN, 'ml.m5.large', 1, 1, 2],
      ['processing job', CostBasis.PER_RUN, 'ml.m5.large', 1, 1, 1],
      ['MLflow tracking server (Small)', CostBasis.ALWAYS_ON, undefined, 1, 1, undefined],
    ]));
  });

  test('prices only from the table it is given: idle cost of the always-on minimum', () => {
    expect(estimate.idleCostPerHour('Realtime')).toBe(0.5);
    expect(estimate.idleCostPerHour('Async')).toBe(0);
    const unpriced = CostEstimate.fromAssembly(assembly);
    expect(unpriced.lines.every(l => l.pricePerHour === undefined)).toBe(true);
    expect(unpriced.idleCostPerHour('Realtime')).toBeUndefined();
    expect(unpriced.toTable()).toMatch(/unpriced/);
    expect(unpriced.toTable()).toMatch(/no price table/);
  });

  test('writes <stack>.cost.json beside the templates', () => {
    estimate.writeTo(assembly.directory);
    const realtime = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Realtime.cost.json'), 'utf8'));
    expect(realtime).toEqual(expect.objectContaining({ stackName: 'Realtime', priceSource: 'test table', currency: 'USD', idleCostPerHour: 0.5 }));
  });
});
