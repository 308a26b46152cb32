import { InstancePrice, PriceComponent } from './price-types';

// The bundled on-demand prices. Each one was traced to the AWS Price List (service code
// AmazonSageMaker; the usage type says which price: <region prefix>-Host, -Train or
// -Processing, then the instance type) or to an AWS bill, on the date given. This machine
// reaches neither the Price List nor the pricing pages, so every entry is a price someone
// read there and recorded publicly, kept only where it could be cross-checked; nothing here
// is interpolated from another size or Region. To refresh one, read the usage type it
// names with `aws pricing get-products --service-code AmazonSageMaker --region us-east-1
// --filters Type=TERM_MATCH,Field=usagetype,Value=<usage type>`.

export const BUNDLED_PRICES_CURRENCY = 'USD';

const PRICE_LIST = 'AWS Price List API, AmazonSageMaker, usage type';
// An AWS bill for December 2023 in eu-west-1, published by AWS with its sample project
// (aws-samples/sagemaker-ssh-helper, Sample_Costs.md): one rate per line item.
const EU_BILL = 'AWS bill, December 2023, EU (Ireland), line item';

function price(region: string, component: PriceComponent, instanceType: string, pricePerHour: number, asOf: string, source: string): InstancePrice {
  return { region, component, instanceType, pricePerHour, asOf, source };
}

const { HOSTING, TRAINING, PROCESSING, BATCH_TRANSFORM } = PriceComponent;

export const BUNDLED_PRICES: InstancePrice[] = [
  price('us-east-1', HOSTING, 'ml.m5.large', 0.115, '2026-07-30', `${PRICE_LIST} USE1-Host:ml.m5.large`),
  price('us-east-1', HOSTING, 'ml.m5.xlarge', 0.23, '2026-09-28', `${PRICE_LIST} USE1-Host:ml.m5.xlarge (SKU JDZQJFUVUR8SUWHS; the same on 2026-06-27)`),
  price('us-east-1', HOSTING, 'ml.m5.2xlarge', 0.461, '2026-09-28', `${PRICE_LIST} USE1-Host:ml.m5.2xlarge`),
  price('us-east-1', HOSTING, 'ml.g4dn.xlarge', 0.7364, '2026-09-27', 'AWS SageMaker pricing page, real-time inference, US East (N. Virginia)'),
  price('us-east-1', TRAINING, 'ml.m5.large', 0.115, '2026-08-11', `${PRICE_LIST} USE1-Train:ml.m5.large (SKU JMCWJEAPVJNFJ5P4)`),
  price('us-east-1', TRAINING, 'ml.g5.2xlarge', 1.515, '2026-08-20', `${PRICE_LIST} USE1-Train:ml.g5.2xlarge`),
  price('us-east-1', PROCESSING, 'ml.m5.large', 0.115, '2026-07-30', `${PRICE_LIST} USE1-Processing:ml.m5.large`),
  price('us-east-1', PROCESSING, 'ml.m5.xlarge', 0.23, '2026-07-30', `${PRICE_LIST} USE1-Processing:ml.m5.xlarge`),
  price('us-east-1', PROCESSING, 'ml.t3.medium', 0.05, '2026-07-30', `${PRICE_LIST} USE1-Processing:ml.t3.medium`),
  price('us-east-1', PROCESSING, 'ml.t3.large', 0.1, '2026-07-31', 'AWS bill, a processing job on ml.t3.large in us-east-1 (billed rate)'),
  price('eu-west-1', HOSTING, 'ml.m5.xlarge', 0.257, '2023-12', `${EU_BILL} "Hosting ml.m5.xlarge hour"`),
  price('eu-west-1', TRAINING, 'ml.m5.xlarge', 0.257, '2023-12', `${EU_BILL} "Training ml.m5.xlarge hour"`),
  price('eu-west-1', PROCESSING, 'ml.m5.xlarge', 0.257, '2023-12', `${EU_BILL} "Processing ml.m5.xlarge hour"`),
  price('eu-west-1', BATCH_TRANSFORM, 'ml.m5.xlarge', 0.257, '2023-12', `${EU_BILL} "BatchTransform Job ml.m5.xlarge hour"`),
  price('eu-west-1', HOSTING, 'ml.g4dn.xlarge', 0.821, '2023-12', `${EU_BILL} "Endpoint ml.g4dn.xlarge"`),
  price('eu-west-1', TRAINING, 'ml.g4dn.xlarge', 0.822, '2023-12', `${EU_BILL} "Training job ml.g4dn.xlarge per hour"`),
  price('eu-west-1', TRAINING, 'ml.g5.xlarge', 1.57, '2023-12', `${EU_BILL} "Training ml.g5.xlarge hour"`),
  price('eu-west-1', HOSTING, 'ml.g4dn.4xlarge', 1.678, '2023-12', `${EU_BILL} "Hosting ml.g4dn.4xlarge hour"`),
  price('eu-west-1', TRAINING, 'ml.p3.2xlarge', 4.131, '2023-12', `${EU_BILL} "Training ml.p3.2xlarge hour"`),
  price('eu-west-1', HOSTING, 'ml.g4dn.12xlarge', 5.453, '2023-12', `${EU_BILL} "Hosting ml.g4dn.12xlarge hour"`),
  price('eu-west-1', HOSTING, 'ml.g5.12xlarge', 7.91, '2023-12', `${EU_BILL} "Hosting ml.g5.12xlarge hour"`),
];
