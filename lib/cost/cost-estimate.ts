import * as fs from 'fs';
import * as path from 'path';
import * as cxapi from 'aws-cdk-lib/cx-api';

/**
 * How an instance line is billed.
 */
export enum CostBasis {
  /** Instances that run while the stack exists (real-time endpoints, tracking servers). */
  ALWAYS_ON = 'always-on',
  /** Instances that exist only while a workflow's job runs. */
  PER_RUN = 'per-run',
  /** Billed per request (serverless endpoints). */
  USAGE_BASED = 'usage-based',
  /** Instances that run only while requests wait (asynchronous endpoints that scale to zero). */
  SCALE_TO_ZERO = 'scale-to-zero',
}

/**
 * On-demand prices per instance-hour, for one Region, as of a date.
 */
export interface PriceTable {
  /** Where and when the prices were read, e.g. 'us-east-1, 2026-11-01, AWS price list'. */
  readonly source: string;
  /** The currency, e.g. 'USD'. */
  readonly currency: string;
  /** Price per instance-hour by instance type, e.g. `{ 'ml.m5.large': 0.115 }`. */
  readonly pricePerHour: { [instanceType: string]: number };
}

/**
 * One kind of SageMaker capacity a stack provisions.
 */
export interface CostLine {
  /** The stack. */
  readonly stackName: string;
  /** The resource (logical ID) or state that provisions it. */
  readonly source: string;
  /** What it is: an endpoint variant, a job cluster, a tracking server. */
  readonly kind: string;
  /** How it is billed. */
  readonly basis: CostBasis;
  /**
   * The instance type, if instances are provisioned.
   *
   * @default - none (serverless endpoints, tracking servers)
   */
  readonly instanceType?: string;
  /** The fewest instances (autoscaling lower bound, or the count). */
  readonly minInstances: number;
  /** The most instances (autoscaling upper bound, or the count). */
  readonly maxInstances: number;
  /**
   * For per-run lines: the longest a run may keep them (the job's max runtime), in hours.
   *
   * @default - not bounded by the job (always-on and usage-based lines)
   */
  readonly maxHoursPerRun?: number;
  /**
   * The price per instance-hour, if the price table has the instance type.
   *
   * @default - unpriced
   */
  readonly pricePerHour?: number;
}

/**
 * A synth-time estimate of the SageMaker capacity each stack provisions, read from the
 * synthesized templates: endpoint variants with their counts and autoscaling bounds, job
 * clusters per workflow run with their maximum runtime, serverless and asynchronous
 * endpoints marked usage-based or scale-to-zero, and tracking servers. Prices come only
 * from a price table you pass: instance types it lacks are listed unpriced, never guessed.
 */
export class CostEstimate {
  /** Reads the estimate from a synthesized cloud assembly. */
  public static fromAssembly(assembly: cxapi.CloudAssembly, prices?: PriceTable): CostEstimate {
    const lines = assembly.stacks.flatMap(stack => linesOf(stack.stackName, stack.template));
    const priced = lines.map(line => ({ ...line, pricePerHour: line.instanceType ? prices?.pricePerHour[line.instanceType] : undefined }));
    return new CostEstimate(priced, prices);
  }

  /** The capacity lines. */
  public readonly lines: CostLine[];
  private readonly prices?: PriceTable;

  private constructor(lines: CostLine[], prices?: PriceTable) {
    this.lines = lines;
    this.prices = prices;
  }

  /** The cost per hour of a stack's always-on capacity at its minimum, if every line is priced. */
  public idleCostPerHour(stackName: string): number | undefined {
    const alwaysOn = this.lines.filter(l => l.stackName === stackName && l.basis === CostBasis.ALWAYS_ON && l.instanceType);
    if (alwaysOn.some(l => l.pricePerHour === undefined)) return undefined;
    return alwaysOn.reduce((sum, l) => sum + l.minInstances * l.pricePerHour!, 0);
  }

  /** The estimate as a text table. */
  public toTable(): string {
    const header = ['stack', 'source', 'kind', 'basis', 'instance type', 'instances', 'max h/run', `price/h${this.prices ? ` (${this.prices.currency})` : ''}`];
    const rows = this.lines.map(l => [
      l.stackName, l.source, l.kind, l.basis, l.instanceType ?? '-',
      l.minInstances === l.maxInstances ? String(l.minInstances) : `${l.minInstances}-${l.maxInstances}`,
      l.maxHoursPerRun === undefined ? '-' : String(Math.round(l.maxHoursPerRun * 100) / 100),
      l.pricePerHour === undefined ? (l.instanceType ? 'unpriced' : '-') : String(l.pricePerHour),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    const format = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
    const source = this.prices ? `prices: ${this.prices.source}` : 'no price table: pass one to CostEstimate.fromAssembly to price the lines';
    return [format(header), ...rows.map(format), source].join('\n');
  }

  /** Writes `<stack>.cost.json` beside each template in `directory`. */
  public writeTo(directory: string): void {
    for (const stackName of new Set(this.lines.map(l => l.stackName))) {
      fs.writeFileSync(path.join(directory, `${stackName}.cost.json`), JSON.stringify({
        stackName,
        priceSource: this.prices?.source,
        currency: this.prices?.currency,
        idleCostPerHour: this.idleCostPerHour(stackName),
        lines: this.lines.filter(l => l.stackName === stackName),
      }, null, 2) + '\n');
    }
  }
}

function flatten(value: any): string {
  if (typeof value === 'string') return value;
  if (value && value['Fn::Join']) return value['Fn::Join'][1].map(flatten).join(value['Fn::Join'][0]);
  // References sit inside the definition's JSON strings: stand in a bare placeholder.
  return 'ref';
}

function linesOf(stackName: string, template: any): CostLine[] {
  const resources: Record<string, any> = template.Resources ?? {};
  const lines: CostLine[] = [];
  const scaling = new Map<string, { min: number; max: number }>();
  for (const r of Object.values(resources)) {
    if (r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' && typeof r.Properties.ResourceId === 'string') {
      scaling.set(r.Properties.ResourceId, { min: r.Properties.MinCapacity, max: r.Properties.MaxCapacity });
    }
  }
  // The endpoint (and so its scalable targets) of each endpoint configuration.
  const endpointOf = new Map<string, string>();
  for (const r of Object.values(resources)) {
    const config = r.Properties?.EndpointConfigName?.['Fn::GetAtt']?.[0];
    if (r.Type === 'AWS::SageMaker::Endpoint' && config && typeof r.Properties.EndpointName === 'string') endpointOf.set(config, r.Properties.EndpointName);
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::SageMaker::EndpointConfig') {
      const asyncConfig = r.Properties.AsyncInferenceConfig !== undefined;
      for (const v of r.Properties.ProductionVariants ?? []) {
        if (v.ServerlessConfig) {
          lines.push({ stackName, source: id, kind: `serverless variant ${v.VariantName}`, basis: CostBasis.USAGE_BASED, minInstances: 0, maxInstances: 0 });
          continue;
        }
        const bounds = scaling.get(`endpoint/${endpointOf.get(id)}/variant/${v.VariantName}`) ?? { min: v.InitialInstanceCount, max: v.InitialInstanceCount };
        lines.push({
          stackName,
          source: id,
          kind: `${asyncConfig ? 'async' : 'real-time'} variant ${v.VariantName}`,
          basis: asyncConfig && bounds.min === 0 ? CostBasis.SCALE_TO_ZERO : CostBasis.ALWAYS_ON,
          instanceType: v.InstanceType,
          minInstances: bounds.min,
          maxInstances: bounds.max,
        });
      }
    }
    if (r.Type === 'AWS::SageMaker::MlflowTrackingServer') {
      lines.push({ stackName, source: id, kind: `MLflow tracking server (${r.Properties.TrackingServerSize ?? 'Small'})`, basis: CostBasis.ALWAYS_ON, minInstances: 1, maxInstances: 1 });
    }
    if (r.Type === 'AWS::StepFunctions::StateMachine') {
      let definition: any;
      try {
        definition = JSON.parse(flatten(r.Properties.DefinitionString));
      } catch {
        continue;
      }
      for (const [state, s] of Object.entries<any>(definition.States ?? {})) {
        const p = s.Parameters ?? {};
        const cluster = p.ResourceConfig ?? p.ProcessingResources?.ClusterConfig ?? p.TransformResources;
        if (!cluster?.InstanceType) continue;
        const count = cluster.InstanceCount ?? 1;
        const seconds = p.StoppingCondition?.MaxRuntimeInSeconds;
        lines.push({
          stackName,
          source: `${id}/${state}`,
          kind: p.TransformResources ? 'transform job' : p.ResourceConfig ? 'training job' : 'processing job',
          basis: CostBasis.PER_RUN,
          instanceType: cluster.InstanceType,
          minInstances: count,
          maxInstances: count,
          maxHoursPerRun: typeof seconds === 'number' ? seconds / 3600 : undefined,
        });
      }
    }
  }
  return lines;
}
