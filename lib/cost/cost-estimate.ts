import * as fs from 'fs';
import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { PriceList } from './price-list';
import { InstancePrice, PriceComponent } from './price-types';
import { validateRegion } from '../private/validate';

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
 * Options for `CostEstimate.fromAssembly`.
 */
export interface CostEstimateOptions {
  /**
   * The prices.
   *
   * @default PriceList.bundled()
   */
  readonly prices?: PriceList;
  /**
   * The Region to price environment-agnostic stacks in (a stack with a Region is priced in
   * its own).
   *
   * @default - environment-agnostic stacks are listed unpriced
   */
  readonly region?: string;
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
   * What the capacity is billed as.
   *
   * @default - not billed per instance-hour (serverless endpoints)
   */
  readonly component?: PriceComponent;
  /**
   * The instance type, if instances are provisioned.
   *
   * @default - none (serverless endpoints, tracking servers)
   */
  readonly instanceType?: string;
  /**
   * The size of an MLflow tracking server (`Small`, `Medium`, `Large`).
   *
   * @default - not a tracking server
   */
  readonly trackingServerSize?: string;
  /**
   * The Region the line is priced in.
   *
   * @default - unknown (an environment-agnostic stack priced without `region`)
   */
  readonly region?: string;
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
   * The Map state that runs this job once per item: how many times a run starts it depends
   * on the input.
   *
   * @default - once per run
   */
  readonly repeatedBy?: string;
  /**
   * For per-run lines: the most times one run may start the job, counting the state's
   * retries (a retry after a failed start costs nothing; one after the job ran costs a run).
   *
   * @default 1
   */
  readonly maxAttempts?: number;
  /**
   * The price per instance-hour, with its date and source, if the price list has it.
   *
   * @default - unpriced
   */
  readonly price?: InstancePrice;
}

/**
 * What one stack costs, from its priced lines.
 */
export interface StackCostSummary {
  /** The stack. */
  readonly stackName: string;
  /**
   * The cost per hour of the stack's always-on capacity at its minimum (what it costs while
   * nothing runs and no request arrives).
   *
   * @default - unknown: an always-on line is unpriced (see `unpricedIdle`)
   */
  readonly idleCostPerHour?: number;
  /** The always-on lines without a price. */
  readonly unpricedIdle: string[];
  /**
   * The most one run of each of the stack's workflows can cost when each job runs once:
   * every job at its maximum runtime.
   *
   * @default - none or unknown: no per-run line, or one is unpriced or has no maximum runtime
   *   (see `unboundedPerRun`)
   */
  readonly maxCostPerRun?: number;
  /**
   * The same bound if every retry of a job state started its job again (`maxAttempts`).
   *
   * @default - as `maxCostPerRun`
   */
  readonly maxCostPerRunWithRetries?: number;
  /** The per-run lines that are unpriced or have no maximum runtime. */
  readonly unboundedPerRun: string[];
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
  public static fromAssembly(assembly: cxapi.CloudAssembly, options: CostEstimateOptions = {}): CostEstimate {
    validateRegion('region', options.region);
    const prices = options.prices ?? PriceList.bundled();
    const lines = assembly.stacks.flatMap(stack => {
      const own = stack.environment.region;
      const region = own && own !== cxapi.UNKNOWN_REGION && !Token.isUnresolved(own) ? own : options.region;
      return linesOf(stack.stackName, stack.template).map(line => {
        const key = line.instanceType ?? line.trackingServerSize;
        const price = region && line.component && key ? prices.priceOf(region, line.component, key) : undefined;
        return { ...line, region, price };
      });
    });
    return new CostEstimate(assembly.stacks.map(stack => stack.stackName), lines, prices, options.region);
  }

  /** The capacity lines. */
  public readonly lines: CostLine[];
  /** The prices the lines were priced from. */
  public readonly prices: PriceList;
  /** Every stack of the assembly, including those that provision no SageMaker capacity. */
  public readonly stackNames: string[];
  private readonly region?: string;

  private constructor(stackNames: string[], lines: CostLine[], prices: PriceList, region?: string) {
    this.stackNames = stackNames;
    this.lines = lines;
    this.prices = prices;
    this.region = region;
  }

  /** What one stack costs idle and per run, from its priced lines. */
  public summaryOf(stackName: string): StackCostSummary {
    const lines = this.lines.filter(l => l.stackName === stackName);
    const alwaysOn = lines.filter(l => l.basis === CostBasis.ALWAYS_ON);
    const unpricedIdle = alwaysOn.filter(l => !l.price).map(l => `${describe(l)}: unpriced`);
    const perRun = lines.filter(l => l.basis === CostBasis.PER_RUN);
    const reasons = (l: CostLine) => [
      ...(l.price ? [] : ['unpriced']),
      ...(l.maxHoursPerRun === undefined ? ['no maximum runtime'] : []),
      ...(l.repeatedBy ? [`once per item of Map ${l.repeatedBy}`] : []),
    ];
    const unboundedPerRun = perRun.filter(l => reasons(l).length).map(l => `${describe(l)}: ${reasons(l).join(', ')}`);
    const bounded = perRun.length > 0 && unboundedPerRun.length === 0;
    const runCost = (l: CostLine) => l.maxInstances * l.price!.pricePerHour * l.maxHoursPerRun!;
    return {
      stackName,
      idleCostPerHour: unpricedIdle.length ? undefined : round(alwaysOn.reduce((sum, l) => sum + l.minInstances * l.price!.pricePerHour, 0)),
      unpricedIdle,
      maxCostPerRun: bounded ? round(perRun.reduce((sum, l) => sum + runCost(l), 0)) : undefined,
      maxCostPerRunWithRetries: bounded ? round(perRun.reduce((sum, l) => sum + runCost(l) * (l.maxAttempts ?? 1), 0)) : undefined,
      unboundedPerRun,
    };
  }

  /** The estimate as a text table, with each stack's idle cost and the most a run can cost. */
  public toTable(): string {
    const currency = this.prices.currency;
    const header = ['stack', 'source', 'kind', 'basis', 'instance type', 'instances', 'max h/run', `${currency}/h`, 'price as of'];
    const rows = this.lines.map(l => [
      l.stackName, l.source, l.kind, l.basis, l.instanceType ?? l.trackingServerSize ?? '-',
      l.minInstances === l.maxInstances ? String(l.minInstances) : `${l.minInstances}-${l.maxInstances}`,
      l.maxHoursPerRun === undefined ? '-' : String(round(l.maxHoursPerRun)),
      l.price ? String(l.price.pricePerHour) : l.component ? 'unpriced' : '-',
      l.price?.asOf ?? '-',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    const format = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
    const summaries = this.stackNames.map(name => {
      const s = this.summaryOf(name);
      const idle = s.idleCostPerHour === undefined ? `unknown (${s.unpricedIdle.join('; ')})` : `${s.idleCostPerHour} ${currency}/h`;
      const retries = s.maxCostPerRunWithRetries !== s.maxCostPerRun ? ` (${s.maxCostPerRunWithRetries} if every retry started its job again)` : '';
      const run = s.maxCostPerRun !== undefined ? `, at most ${s.maxCostPerRun} ${currency} per run${retries}`
        : s.unboundedPerRun.length ? `, per run unknown (${s.unboundedPerRun.join('; ')})` : '';
      return `${name}: idle ${idle}${run}`;
    });
    const footer = [
      `on-demand prices: ${this.prices.prices.length} in the price list, read ${this.prices.asOf}; unpriced means not in the list, never guessed`,
      ...(this.region ? [`environment-agnostic stacks priced in ${this.region}`] : []),
    ];
    return [format(header), ...rows.map(format), '', ...summaries, ...footer].join('\n');
  }

  /** Writes `<stack>.cost.json` beside each template in `directory`. */
  public writeTo(directory: string): void {
    for (const stackName of this.stackNames) {
      fs.writeFileSync(path.join(directory, `${stackName}.cost.json`), JSON.stringify({
        ...this.summaryOf(stackName),
        currency: this.prices.currency,
        lines: this.lines.filter(l => l.stackName === stackName),
      }, null, 2) + '\n');
    }
  }
}

function describe(line: CostLine): string {
  return `${line.kind} (${line.source})`;
}

/** Rounds to four decimals (a hundredth of a cent): prices carry up to four, sums pick up float noise. */
function round(value: number): number {
  return Math.round(value * 10000) / 10000;
}

function flatten(value: any): string {
  if (typeof value === 'string') return value;
  if (value && value['Fn::Join']) return value['Fn::Join'][1].map(flatten).join(value['Fn::Join'][0]);
  // References sit inside the definition's JSON strings: stand in a bare placeholder.
  return 'ref';
}

/** Every state of a definition, into Parallel branches and Map iterations. */
function statesOf(definition: any, repeatedBy?: string): Array<{ name: string; state: any; repeatedBy?: string }> {
  return Object.entries<any>(definition?.States ?? {}).flatMap(([name, state]) => [
    { name, state, repeatedBy },
    ...(state.Branches ?? []).flatMap((branch: any) => statesOf(branch, repeatedBy)),
    ...statesOf(state.ItemProcessor ?? state.Iterator, state.Type === 'Map' ? name : repeatedBy),
  ]);
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
          // Asynchronous inference is billed as hosting instance-hours, like real-time.
          component: PriceComponent.HOSTING,
          instanceType: v.InstanceType,
          minInstances: bounds.min,
          maxInstances: bounds.max,
        });
      }
    }
    if (r.Type === 'AWS::SageMaker::MlflowTrackingServer') {
      const size = r.Properties.TrackingServerSize ?? 'Small';
      lines.push({
        stackName,
        source: id,
        kind: `MLflow tracking server (${size})`,
        basis: CostBasis.ALWAYS_ON,
        component: PriceComponent.MLFLOW_TRACKING_SERVER,
        trackingServerSize: size,
        minInstances: 1,
        maxInstances: 1,
      });
    }
    if (r.Type === 'AWS::StepFunctions::StateMachine') {
      let definition: any;
      try {
        definition = JSON.parse(flatten(r.Properties.DefinitionString));
      } catch {
        continue;
      }
      for (const { name, state: st, repeatedBy } of statesOf(definition)) {
        const p = st.Parameters ?? {};
        const source = `${id}/${name}`;
        // An endpoint a workflow deploys (TrainingWorkflow's promote stage): capacity that stays
        // on after the run, so it counts as always-on, though the template does not create it.
        if (/sagemaker:createEndpointConfig$/.test(String(st.Resource)) && Array.isArray(p.ProductionVariants)) {
          for (const v of p.ProductionVariants) {
            const kind = `endpoint variant ${v.VariantName} the workflow deploys`;
            if (v.ServerlessConfig) {
              lines.push({ stackName, source, kind, basis: CostBasis.USAGE_BASED, minInstances: 0, maxInstances: 0 });
            } else if (typeof v.InstanceType === 'string') {
              const count = typeof v.InitialInstanceCount === 'number' ? v.InitialInstanceCount : 1;
              const instances = { instanceType: v.InstanceType, minInstances: count, maxInstances: count };
              lines.push({ stackName, source, kind, basis: CostBasis.ALWAYS_ON, component: PriceComponent.HOSTING, ...instances });
            }
          }
          continue;
        }
        const cluster = p.ResourceConfig ?? p.ProcessingResources?.ClusterConfig ?? p.TransformResources;
        if (!cluster?.InstanceType) continue;
        const count = cluster.InstanceCount ?? 1;
        const seconds = p.StoppingCondition?.MaxRuntimeInSeconds;
        lines.push({
          stackName,
          source,
          kind: p.TransformResources ? 'transform job' : p.ResourceConfig ? 'training job' : 'processing job',
          basis: CostBasis.PER_RUN,
          component: p.TransformResources ? PriceComponent.BATCH_TRANSFORM : p.ResourceConfig ? PriceComponent.TRAINING : PriceComponent.PROCESSING,
          instanceType: cluster.InstanceType,
          minInstances: count,
          maxInstances: count,
          maxHoursPerRun: typeof seconds === 'number' ? seconds / 3600 : undefined,
          repeatedBy,
          // Step Functions' default MaxAttempts is 3.
          maxAttempts: 1 + (st.Retry ?? []).reduce((sum: number, retry: any) => sum + (typeof retry.MaxAttempts === 'number' ? retry.MaxAttempts : 3), 0),
        });
      }
    }
  }
  return lines;
}
