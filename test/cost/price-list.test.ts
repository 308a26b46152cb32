import { InstancePrice, PriceComponent, PriceList } from '../../local/src';

const valid: InstancePrice = {
  region: 'us-east-1', component: PriceComponent.HOSTING, instanceType: 'ml.m5.large', pricePerHour: 1, asOf: '2026-01-02', source: 'test data',
};

describe('PriceList.bundled', () => {
  const bundled = PriceList.bundled();

  test('every price is dated no later than today, sourced, positive and in USD', () => {
    expect(bundled.currency).toBe('USD');
    expect(bundled.prices.length).toBeGreaterThanOrEqual(20);
    const today = new Date().toISOString().slice(0, 10);
    for (const p of bundled.prices) {
      expect(p.asOf <= today).toBe(true);
      expect(p.pricePerHour).toBeGreaterThan(0);
      // A source someone can check again: a Price List usage type, an AWS bill line or the pricing page.
      expect(p.source).toMatch(/AWS Price List API, AmazonSageMaker, usage type [A-Z0-9]+-(Host|Train|Processing):ml\.|AWS bill|AWS SageMaker pricing page/);
    }
  });

  test('a Price List usage type names the same Region, component and instance type as the entry', () => {
    const prefix: Record<string, string> = { 'us-east-1': 'USE1' };
    const usage: Record<string, string> = { hosting: 'Host', training: 'Train', processing: 'Processing' };
    const fromPriceList = bundled.prices.filter(p => p.source.includes('usage type'));
    expect(fromPriceList.length).toBeGreaterThan(0);
    for (const p of fromPriceList) expect(p.source).toContain(`${prefix[p.region]}-${usage[p.component]}:${p.instanceType}`);
  });

  test('prices what the reference app provisions in us-east-1, per use, and nothing it has not read', () => {
    for (const component of [PriceComponent.HOSTING, PriceComponent.TRAINING, PriceComponent.PROCESSING]) {
      expect(bundled.priceOf('us-east-1', component, 'ml.m5.large')?.pricePerHour).toBe(0.115);
    }
    expect(bundled.priceOf('us-east-1', PriceComponent.BATCH_TRANSFORM, 'ml.m5.large')).toBeUndefined();
    expect(bundled.priceOf('us-west-2', PriceComponent.HOSTING, 'ml.m5.large')).toBeUndefined();
    expect(bundled.priceOf('us-east-1', PriceComponent.MLFLOW_TRACKING_SERVER, 'Small')).toBeUndefined();
    expect(bundled.priceOf('eu-west-1', PriceComponent.BATCH_TRANSFORM, 'ml.m5.xlarge')?.asOf).toBe('2023-12');
  });

  test('reports the dates its prices were read', () => {
    expect(bundled.asOf).toMatch(/^2023-12 to 2026-\d\d-\d\d$/);
    expect(PriceList.of('USD', []).asOf).toBe('no prices');
    expect(PriceList.of('USD', [valid]).asOf).toBe('2026-01-02');
  });
});

describe('PriceList.withPrices', () => {
  test('adds prices and replaces the one for the same Region, component and instance type', () => {
    const list = PriceList.of('EUR', [valid, { ...valid, component: PriceComponent.TRAINING, pricePerHour: 2 }]);
    const updated = list.withPrices([{ ...valid, pricePerHour: 3, asOf: '2026-02-01' }, { ...valid, region: 'eu-west-1' }]);
    expect(updated.currency).toBe('EUR');
    expect(updated.prices).toHaveLength(3);
    expect(updated.priceOf('us-east-1', PriceComponent.HOSTING, 'ml.m5.large')?.pricePerHour).toBe(3);
    expect(updated.priceOf('us-east-1', PriceComponent.TRAINING, 'ml.m5.large')?.pricePerHour).toBe(2);
    expect(list.priceOf('us-east-1', PriceComponent.HOSTING, 'ml.m5.large')?.pricePerHour).toBe(1);
  });
});

describe('PriceList bad input', () => {
  test.each<[string, Partial<InstancePrice>, RegExp]>([
    ['region', { region: 'US East' }, /prices\[0\]\.region must be a Region code such as 'us-east-1', got 'US East'/],
    ['region type', { region: undefined }, /prices\[0\]\.region must be a string, got undefined/],
    ['component', { component: 'inference' as PriceComponent }, /prices\[0\]\.component must be one of hosting, training, .*got 'inference'/],
    ['instanceType', { instanceType: 'm5.large' }, /prices\[0\]\.instanceType must be a SageMaker instance type .*got 'm5.large'/],
    ['tracking server size', { component: PriceComponent.MLFLOW_TRACKING_SERVER, instanceType: 'ml.m5.large' }, /must be one of Small, Medium, Large, got 'ml.m5.large'/],
    ['negative price', { pricePerHour: -0.1 }, /prices\[0\]\.pricePerHour must be a finite number of at least 0, got -0.1/],
    ['NaN price', { pricePerHour: NaN }, /pricePerHour must be a finite number of at least 0, got NaN/],
    ['infinite price', { pricePerHour: Infinity }, /pricePerHour must be a finite number of at least 0, got Infinity/],
    ['asOf', { asOf: '2026-13-01' }, /prices\[0\]\.asOf must be a date 'YYYY-MM-DD' or month 'YYYY-MM', got '2026-13-01'/],
    ['asOf words', { asOf: 'last week' }, /asOf must be a date/],
    ['source', { source: ' ' }, /prices\[0\]\.source must name where the price was read/],
  ])('%s', (_name, change, message) => {
    expect(() => PriceList.of('USD', [{ ...valid, ...change } as InstancePrice])).toThrow(message);
  });

  test('currency', () => {
    expect(() => PriceList.of('$', [valid])).toThrow(/currency must be an ISO 4217 currency code such as 'USD', got '\$'/);
  });

  test('a repeated price', () => {
    expect(() => PriceList.of('USD', [valid, { ...valid, pricePerHour: 2 }])).toThrow(/prices\[1\] repeats the price of ml.m5.large for hosting in us-east-1/);
  });
});
