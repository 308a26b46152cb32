import { fail, isInstanceType, validateCurrency } from './checks';
import { priceKey } from './price-key';
import { InstancePrice, PriceComponent } from './price-types';

// Reads SageMaker on-demand instance-hour prices from the AWS Price List Query API's
// GetProducts answer (`aws pricing get-products --service-code AmazonSageMaker`): each item
// is a JSON document with the product's attributes (usagetype, regionCode, ...) and its
// terms (OnDemand -> priceDimensions -> pricePerUnit). The use is read from the usage type,
// `<region prefix>-<use>:<instance type>`; other usage types (notebooks, Studio, storage,
// data transfer, ...) are not instance-hours of this library's capacity and are skipped.

const USES: Record<string, PriceComponent> = {
  Host: PriceComponent.HOSTING,
  Train: PriceComponent.TRAINING,
  Processing: PriceComponent.PROCESSING,
};

/** The prices in a GetProducts answer, in one currency. */
export function pricesFromAwsPriceList(items: string[], currency: string): InstancePrice[] {
  validateCurrency('currency', currency);
  const prices = new Map<string, InstancePrice>();
  items.forEach((item, i) => {
    const at = `priceList[${i}]`;
    let doc: any;
    try {
      doc = JSON.parse(item);
    } catch {
      fail(`${at} must be one JSON document of a GetProducts answer's PriceList, got '${String(item).slice(0, 40)}'`);
    }
    if (doc?.serviceCode !== 'AmazonSageMaker') fail(`${at} must be an AmazonSageMaker price, got serviceCode '${doc?.serviceCode}'`);
    const attributes = doc.product?.attributes ?? {};
    const usage = /^[A-Z0-9]+-([A-Za-z]+):(.+)$/.exec(String(attributes.usagetype ?? ''));
    if (!usage) return;
    const dimensions = Object.values<any>(doc.terms?.OnDemand ?? {}).flatMap(term => Object.values<any>(term.priceDimensions ?? {}));
    const hourly = dimensions.filter(d => d.unit === 'Hrs' && d.pricePerUnit?.[currency] !== undefined);
    let component: PriceComponent | undefined = USES[usage[1]];
    let instanceType = usage[2];
    // A batch transform price is told by its description ("per BatchTransform Job ml.m5.xlarge
    // hour", the wording of AWS bills); a tracking server's by `MLflow:TrackingServerCompute-<size>`.
    const transform = hourly.map(d => /per BatchTransform Job (ml\.[a-z0-9-]+\.[a-z0-9-]+) hour/.exec(String(d.description))).find(Boolean);
    if (!component && transform) [component, instanceType] = [PriceComponent.BATCH_TRANSFORM, transform[1]];
    const tracking = /^TrackingServerCompute-(Small|Medium|Large)$/.exec(instanceType);
    if (!component && usage[1] === 'MLflow' && tracking) [component, instanceType] = [PriceComponent.MLFLOW_TRACKING_SERVER, tracking[1]];
    if (!component || (component !== PriceComponent.MLFLOW_TRACKING_SERVER && !isInstanceType(instanceType))) return;
    if (hourly.length !== 1) fail(`${at} (${attributes.usagetype}) must have one hourly on-demand price in ${currency}, has ${hourly.length}`);
    if (typeof attributes.regionCode !== 'string') fail(`${at} (${attributes.usagetype}) has no regionCode attribute`);
    const date = String(doc.publicationDate ?? Object.values<any>(doc.terms.OnDemand)[0]?.effectiveDate ?? '').slice(0, 10);
    if (!/^\d{4}-\d\d-\d\d$/.test(date)) fail(`${at} (${attributes.usagetype}) has no publicationDate or effectiveDate`);
    const pricePerHour = Number(hourly[0].pricePerUnit[currency]);
    const key = priceKey(attributes.regionCode, component, instanceType);
    const same = prices.get(key);
    if (same) {
      // The same use offered under two SKUs: one price is fine, two would be a guess.
      if (same.pricePerHour !== pricePerHour) fail(`${at} (${attributes.usagetype}) prices ${instanceType} ${component} in ${attributes.regionCode} at ${pricePerHour}, another item at ${same.pricePerHour}`);
      return;
    }
    prices.set(key, {
      region: attributes.regionCode,
      component,
      instanceType,
      pricePerHour,
      asOf: date,
      source: `AWS Price List API, AmazonSageMaker, usage type ${attributes.usagetype} (SKU ${doc.product.sku})`,
    });
  });
  return [...prices.values()];
}
