import { pricesFromAwsPriceList } from './aws-price-list';
import { BUNDLED_PRICES, BUNDLED_PRICES_CURRENCY } from './bundled-prices';
import { fail, validateCurrency, validateInstanceType, validatePattern, validateRegion } from './checks';
import { priceKey } from './price-key';
import { InstancePrice, PriceComponent } from './price-types';

const TRACKING_SERVER_SIZES = ['Small', 'Medium', 'Large'];

/**
 * On-demand prices for SageMaker capacity, each dated and sourced, for `CostEstimate`.
 *
 * `PriceList.bundled()` is the library's own table: a few common instance types in
 * us-east-1 and eu-west-1, each price with the date it was read and where. It is small on
 * purpose: only prices that could be traced to the AWS Price List or an AWS bill are in it,
 * and anything else is reported as unpriced rather than guessed. Add your own with
 * `PriceList.bundled().withPrices([...])`, read current ones with `PriceList.fromAwsPriceList`,
 * or start from `PriceList.of(...)`.
 */
export class PriceList {
  /** The library's bundled, dated table (see the class description). */
  public static bundled(): PriceList {
    return new PriceList(BUNDLED_PRICES_CURRENCY, BUNDLED_PRICES);
  }

  /**
   * A price list of your own.
   *
   * @param currency the currency of every price, e.g. `USD`
   * @param prices the prices; one per Region, component and instance type
   */
  public static of(currency: string, prices: InstancePrice[]): PriceList {
    return new PriceList(currency, prices);
  }

  /**
   * The prices in an AWS Price List Query API answer: the `PriceList` of
   * `aws pricing get-products --service-code AmazonSageMaker` (one JSON document per item).
   * Hosting, training and processing prices are read from the usage type
   * (`USE1-Host:ml.m5.large`), batch transform from the price's description, tracking
   * servers from `MLflow:TrackingServerCompute-<size>`; items of other usage types are skipped.
   * Each price is dated by the item's publication date and names its usage type and SKU.
   *
   * @param priceList the answer's PriceList items
   * @param currency the currency to read, e.g. `USD`
   */
  public static fromAwsPriceList(priceList: string[], currency: string): PriceList {
    return new PriceList(currency, pricesFromAwsPriceList(priceList, currency));
  }

  /** The currency of every price. */
  public readonly currency: string;
  /** The prices. */
  public readonly prices: InstancePrice[];
  private readonly index = new Map<string, InstancePrice>();

  private constructor(currency: string, prices: InstancePrice[]) {
    validateCurrency('currency', currency);
    prices.forEach((p, i) => {
      const at = `prices[${i}]`;
      for (const field of ['region', 'instanceType', 'asOf', 'source'] as const) {
        if (typeof p[field] !== 'string') fail(`${at}.${field} must be a string, got ${p[field]}`);
      }
      validateRegion(`${at}.region`, p.region);
      if (!Object.values(PriceComponent).includes(p.component)) {
        fail(`${at}.component must be one of ${Object.values(PriceComponent).join(', ')}, got '${p.component}'`);
      }
      if (p.component === PriceComponent.MLFLOW_TRACKING_SERVER) {
        if (!TRACKING_SERVER_SIZES.includes(p.instanceType)) {
          fail(`${at}.instanceType of an MLflow tracking server price must be one of ${TRACKING_SERVER_SIZES.join(', ')}, got '${p.instanceType}'`);
        }
      } else {
        validateInstanceType(`${at}.instanceType`, p.instanceType);
      }
      if (typeof p.pricePerHour !== 'number' || !Number.isFinite(p.pricePerHour) || p.pricePerHour < 0) {
        fail(`${at}.pricePerHour must be a finite number of at least 0, got ${p.pricePerHour}`);
      }
      validatePattern(`${at}.asOf`, p.asOf, /^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/, "a date 'YYYY-MM-DD' or month 'YYYY-MM'");
      if (p.source.trim() === '') fail(`${at}.source must name where the price was read, got '${p.source}'`);
      const key = priceKey(p.region, p.component, p.instanceType);
      if (this.index.has(key)) fail(`${at} repeats the price of ${p.instanceType} for ${p.component} in ${p.region}`);
      this.index.set(key, p);
    });
    this.currency = currency;
    this.prices = [...prices];
  }

  /**
   * The price of an instance type used one way in a Region.
   *
   * @returns the price, or undefined when the list does not have it (never an estimate)
   */
  public priceOf(region: string, component: PriceComponent, instanceType: string): InstancePrice | undefined {
    return this.index.get(priceKey(region, component, instanceType));
  }

  /**
   * This list with more prices; a new price for a Region, component and instance type the
   * list already has replaces the old one.
   */
  public withPrices(prices: InstancePrice[]): PriceList {
    const replaced = new Set(prices.map(p => priceKey(p.region, p.component, p.instanceType)));
    return new PriceList(this.currency, [...this.prices.filter(p => !replaced.has(priceKey(p.region, p.component, p.instanceType))), ...prices]);
  }

  /** The earliest and latest dates the prices were read, e.g. `2023-12 to 2026-09-28`. */
  public get asOf(): string {
    const dates = this.prices.map(p => p.asOf).sort();
    if (dates.length === 0) return 'no prices';
    return dates[0] === dates[dates.length - 1] ? dates[0] : `${dates[0]} to ${dates[dates.length - 1]}`;
  }
}
