import { PriceComponent, PriceList } from '../../local/src';

// Items in the shape of the Price List Query API's GetProducts answer (test data: the SKUs and
// prices are made up; the structure is the API's).
interface ItemOptions { description?: string; serviceCode?: string; unit?: string; regionCode?: string | null; sku?: string }

function item(usagetype: string, price: string, opts: ItemOptions = {}): string {
  const sku = opts.sku ?? `SKU${usagetype.replace(/[^A-Z0-9]/gi, '').toUpperCase()}`;
  return JSON.stringify({
    product: {
      productFamily: 'ML Instance',
      attributes: { usagetype, ...(opts.regionCode === null ? {} : { regionCode: opts.regionCode ?? 'us-east-1' }), servicecode: 'AmazonSageMaker' },
      sku,
    },
    serviceCode: opts.serviceCode ?? 'AmazonSageMaker',
    terms: {
      OnDemand: {
        [`${sku}.JRTCKXETXF`]: {
          priceDimensions: {
            [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: {
              unit: opts.unit ?? 'Hrs', beginRange: '0', endRange: 'Inf', description: opts.description ?? `$${price} per ${usagetype}`, pricePerUnit: { USD: price },
            },
          },
          sku,
          effectiveDate: '2026-10-01T00:00:00Z',
          offerTermCode: 'JRTCKXETXF',
        },
      },
    },
    version: '20261101000000',
    publicationDate: '2026-11-01T00:00:00Z',
  });
}

describe('PriceList.fromAwsPriceList', () => {
  test('reads hosting, training, processing, batch transform and tracking server prices, dated and sourced', () => {
    const list = PriceList.fromAwsPriceList([
      item('USE1-Host:ml.m5.large', '0.1150000000'),
      item('USE1-Train:ml.m5.large', '0.1200000000'),
      item('USE1-Processing:ml.m5.large', '0.1300000000'),
      item('USE1-Tsform:ml.m5.large', '0.1400000000', { description: '$0.14 per BatchTransform Job ml.m5.large hour in US East (N. Virginia)' }),
      item('USE1-MLflow:TrackingServerCompute-Small', '0.5000000000'),
    ], 'USD');
    expect(list.prices.map(p => [p.component, p.instanceType, p.pricePerHour])).toEqual([
      [PriceComponent.HOSTING, 'ml.m5.large', 0.115],
      [PriceComponent.TRAINING, 'ml.m5.large', 0.12],
      [PriceComponent.PROCESSING, 'ml.m5.large', 0.13],
      [PriceComponent.BATCH_TRANSFORM, 'ml.m5.large', 0.14],
      [PriceComponent.MLFLOW_TRACKING_SERVER, 'Small', 0.5],
    ]);
    const host = list.priceOf('us-east-1', PriceComponent.HOSTING, 'ml.m5.large')!;
    expect(host.asOf).toBe('2026-11-01');
    expect(host.source).toBe('AWS Price List API, AmazonSageMaker, usage type USE1-Host:ml.m5.large (SKU SKUUSE1HOSTMLM5LARGE)');
  });

  test('skips what is not an instance-hour of this library: notebooks, Studio, spot, volumes', () => {
    const skipped = ['USE1-Notebk:ml.t3.medium', 'USE1-Studio:JupyterLab-ml.t3.medium', 'USE1-Train-Spot:ml.m5.large'].map(usage => item(usage, '0.05'));
    const list = PriceList.fromAwsPriceList([...skipped, item('USE1-Host:VolumeUsage.gp2', '0.14', { unit: 'GB-Mo' }), item('USE1-Host:ml.m5.large', '0.115')], 'USD');
    expect(list.prices.map(p => p.instanceType)).toEqual(['ml.m5.large']);
  });

  test('the same price under two SKUs is one price', () => {
    const list = PriceList.fromAwsPriceList([item('USE1-Host:ml.m5.large', '0.115', { sku: 'A' }), item('USE1-Host:ml.m5.large', '0.115', { sku: 'B' })], 'USD');
    expect(list.prices).toHaveLength(1);
  });

  test.each<[string, string[], string, RegExp]>([
    ['not JSON', ['{'], 'USD', /priceList\[0\] must be one JSON document of a GetProducts answer's PriceList, got '\{'/],
    ['another service', [item('USE1-BoxUsage:m5.large', '0.096', { serviceCode: 'AmazonEC2' })], 'USD', /priceList\[0\] must be an AmazonSageMaker price, got serviceCode 'AmazonEC2'/],
    ['no Region', [item('USE1-Host:ml.m5.large', '0.115', { regionCode: null })], 'USD', /priceList\[0\] \(USE1-Host:ml.m5.large\) has no regionCode attribute/],
    ['a currency it lacks', [item('USE1-Host:ml.m5.large', '0.115')], 'EUR', /priceList\[0\] \(USE1-Host:ml.m5.large\) must have one hourly on-demand price in EUR, has 0/],
    ['a bad currency', [], 'usd', /currency must be an ISO 4217 currency code such as 'USD', got 'usd'/],
    ['two prices for one use', [item('USE1-Host:ml.m5.large', '0.115', { sku: 'A' }), item('USE1-Host:ml.m5.large', '0.2', { sku: 'B' })], 'USD',
      /priceList\[1\] \(USE1-Host:ml.m5.large\) prices ml.m5.large hosting in us-east-1 at 0.2, another item at 0.115/],
  ])('%s', (_name, items, currency, message) => {
    expect(() => PriceList.fromAwsPriceList(items, currency)).toThrow(message);
  });
});
