import * as fs from 'fs';
import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { validateRegion } from './checks';
import { managedScalingBounds } from './component-lines';
import { PriceList } from './price-list';
import { InstancePrice, PriceComponent } from './price-types';
import { monthlyRuns } from './schedules';

/** SageMaker's instance quota or capacity error: a create call it refused started no billed job. */
const SAGEMAKER_CAPACITY_ERRORS = ['SageMaker.ResourceLimitExceededException'];

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
  /** Instances that run only while requests wait (asynchronous endpoints and inference-component endpoints that scale to zero). */
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
   * For per-run lines: the most times one run may start the job, counting the retries that
   * may follow a job that ran. Capacity retries (`ResourceLimitExceeded`) are not counted:
   * that error comes from the create call, so no job started and nothing was billed.
   *
   * @default 1
   */
  readonly maxAttempts?: number;
  /**
   * For per-run lines: how many jobs of this cluster one start runs (a tuning job's
   * `MaxNumberOfTrainingJobs`, each at most `maxHoursPerRun`).
   *
   * @default 1
   */
  readonly jobsPerRun?: number;
  /**
   * The price per instance-hour, with its date and source, if the price list has it.
   *
   * @default - unpriced
   */
  readonly price?: InstancePrice;
}

/**
 * What starts runs by itself: a schedule, a data-arrival rule or a monitoring schedule.
 */
export interface CostTrigger {
  /** The stack. */
  readonly stackName: string;
  /** The resource (logical ID) of the schedule or rule. */
  readonly source: string;
  /** What it is: a schedule that starts a workflow, a data-arrival rule, a monitoring schedule. */
  readonly kind: string;
  /** Whether it starts runs as deployed (a disabled schedule is listed with 0 runs). */
  readonly enabled: boolean;
  /**
   * The runs it starts in a 30-day month (0 when disabled).
   *
   * @default - unbounded: one run per event (data arrival), priced per run
   */
  readonly runsPerMonth?: number;
  /**
   * The runs it would start in a 30-day month if it were enabled.
   *
   * @default - unbounded (one run per event)
   */
  readonly runsPerMonthWhenEnabled?: number;
  /**
   * The state machine (logical ID) it starts.
   *
   * @default - none (a monitoring schedule runs its own job)
   */
  readonly stateMachine?: string;
  /**
   * The most one run can cost: the state machine's jobs at their maximum runtimes, or the
   * monitoring job's instances at its maximum runtime.
   *
   * @default - unknown: a job is unpriced or has no maximum runtime
   */
  readonly maxCostPerRun?: number;
  /**
   * `runsPerMonth` x `maxCostPerRun`.
   *
   * @default - unknown or unbounded (see `runsPerMonth` and `maxCostPerRun`)
   */
  readonly maxCostPerMonth?: number;
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
    // Endpoints of every stack: a workflow that deploys to one replaces its configuration.
    const endpoints = new Set(assembly.stacks.flatMap(stack => Object.values<any>(stack.template.Resources ?? {})
      .filter(r => r.Type === 'AWS::SageMaker::Endpoint' && typeof r.Properties?.EndpointName === 'string')
      .map(r => r.Properties.EndpointName as string)));
    const lines = assembly.stacks.flatMap(stack => {
      const own = stack.environment.region;
      const region = own && own !== cxapi.UNKNOWN_REGION && !Token.isUnresolved(own) ? own : options.region;
      return linesOf(stack.stackName, stack.template, endpoints).map(line => {
        const key = line.instanceType ?? line.trackingServerSize;
        const price = region && line.component && key ? prices.priceOf(region, line.component, key) : undefined;
        return { ...line, region, price };
      });
    });
    const triggers = assembly.stacks.flatMap(stack => {
      const own = stack.environment.region;
      const region = own && own !== cxapi.UNKNOWN_REGION && !Token.isUnresolved(own) ? own : options.region;
      return triggersOf(stack.stackName, stack.template).map(({ trigger, monitoringJob }): CostTrigger => {
        let maxCostPerRun: number | undefined;
        if (trigger.stateMachine) {
          maxCostPerRun = stateMachineRunCost(lines, trigger.stackName, trigger.stateMachine);
        } else if (monitoringJob && region) {
          const price = prices.priceOf(region, PriceComponent.PROCESSING, monitoringJob.instanceType);
          maxCostPerRun = price && monitoringJob.hours !== undefined
            ? round(monitoringJob.instanceCount * price.pricePerHour * monitoringJob.hours) : undefined;
        }
        const runs = trigger.runsPerMonth;
        return {
          ...trigger,
          maxCostPerRun,
          maxCostPerMonth: runs === 0 ? 0 : runs !== undefined && maxCostPerRun !== undefined ? round(runs * maxCostPerRun) : undefined,
        };
      });
    });
    return new CostEstimate(assembly.stacks.map(stack => stack.stackName), lines, triggers, prices, options.region);
  }

  /** The capacity lines. */
  public readonly lines: CostLine[];
  /**
   * What starts runs by itself, with the runs it implies per month: schedules and scheduled
   * rules that start a workflow (a disabled one listed with 0 runs), data-arrival and other
   * event rules (one run per event: priced per run only), and monitoring schedules.
   */
  public readonly triggers: CostTrigger[];
  /** The prices the lines were priced from. */
  public readonly prices: PriceList;
  /** Every stack of the assembly, including those that provision no SageMaker capacity. */
  public readonly stackNames: string[];
  private readonly region?: string;

  private constructor(stackNames: string[], lines: CostLine[], triggers: CostTrigger[], prices: PriceList, region?: string) {
    this.stackNames = stackNames;
    this.lines = lines;
    this.triggers = triggers;
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
      ...(l.jobsPerRun === undefined && l.kind.startsWith('tuning job') ? ['no maximum number of training jobs'] : []),
    ];
    const unboundedPerRun = perRun.filter(l => reasons(l).length).map(l => `${describe(l)}: ${reasons(l).join(', ')}`);
    const bounded = perRun.length > 0 && unboundedPerRun.length === 0;
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
    const triggers = this.triggers.map(t => {
      const perRun = t.maxCostPerRun === undefined ? 'per run unknown' : `at most ${t.maxCostPerRun} ${currency} per run`;
      const runs = !t.enabled ? `0 runs/month (disabled; ${t.runsPerMonthWhenEnabled ?? 'one per event'} when enabled)`
        : t.runsPerMonth === undefined ? 'one run per event' : `${t.runsPerMonth} runs/month`;
      const month = t.maxCostPerMonth !== undefined && t.enabled ? `, at most ${t.maxCostPerMonth} ${currency}/month` : '';
      return `${t.stackName} trigger ${t.source}: ${t.kind}${t.stateMachine ? ` starts ${t.stateMachine}` : ''}, ${runs}, ${perRun}${month}`;
    });
    const footer = [
      `on-demand prices: ${this.prices.prices.length} in the price list, read ${this.prices.asOf}; unpriced means not in the list, never guessed`,
      ...(this.region ? [`environment-agnostic stacks priced in ${this.region}`] : []),
    ];
    return [format(header), ...rows.map(format), '', ...summaries, ...triggers, ...footer].join('\n');
  }

  /** Writes `<stack>.cost.json` beside each template in `directory`. */
  public writeTo(directory: string): void {
    for (const stackName of this.stackNames) {
      fs.writeFileSync(path.join(directory, `${stackName}.cost.json`), JSON.stringify({
        ...this.summaryOf(stackName),
        currency: this.prices.currency,
        lines: this.lines.filter(l => l.stackName === stackName),
        triggers: this.triggers.filter(t => t.stackName === stackName),
      }, null, 2) + '\n');
    }
  }
}

/** The most a per-run line costs when its job (or each of a tuning job's jobs) runs once. */
function runCost(l: CostLine): number {
  return l.maxInstances * l.price!.pricePerHour * l.maxHoursPerRun! * (l.jobsPerRun ?? 1);
}

/** The most one run of a state machine can cost, if every job of it is bounded and priced. */
function stateMachineRunCost(lines: CostLine[], stackName: string, stateMachine: string): number | undefined {
  const perRun = lines.filter(l => l.stackName === stackName && l.basis === CostBasis.PER_RUN && l.source.startsWith(`${stateMachine}/`));
  const unbounded = (l: CostLine) => !l.price || l.maxHoursPerRun === undefined || l.repeatedBy || (l.kind.startsWith('tuning job') && l.jobsPerRun === undefined);
  if (perRun.some(unbounded)) return undefined;
  return round(perRun.reduce((sum, l) => sum + runCost(l), 0));
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

/**
 * The most times a job state may start a job that is billed: its first attempt and the
 * retries that can follow a job that ran (transient errors, which the `.sync` integration
 * also reports while it polls a running job). A retrier that only catches capacity errors
 * (`ResourceLimitExceeded`) adds nothing: SageMaker refused the create call, so no job
 * started and no instance was billed, however many times it is tried.
 */
function attemptsOf(state: any, name: string, states: Array<{ name: string; state: any }>): number {
  return 1 + (state.Retry ?? [])
    .filter((retry: any) => !(retry.ErrorEquals ?? []).every((e: string) => SAGEMAKER_CAPACITY_ERRORS.includes(e)))
    // Step Functions' default MaxAttempts is 3.
    .reduce((sum: number, retry: any) => sum + (typeof retry.MaxAttempts === 'number' ? retry.MaxAttempts : 3), 0)
    + loopAttempts(state, name, states);
}

/**
 * Retries through a catch: a Catch whose Choice leads (through Pass and Wait states only)
 * back to the task, bounded by the Choice's `NumericLessThan` on its attempt counter (the
 * construct library's service-error loop, lib/jobs/private/fail-fast.ts).
 */
function loopAttempts(state: any, name: string, states: Array<{ name: string; state: any }>): number {
  const byName = new Map(states.map(s => [s.name, s.state]));
  let total = 0;
  for (const c of state.Catch ?? []) {
    const choice = byName.get(c.Next);
    if (choice?.Type !== 'Choice') continue;
    const bounds = (choice.Choices ?? []).filter((rule: any) => typeof rule.NumericLessThan === 'number' && leadsBack(rule.Next));
    if (bounds.length > 0) total += Math.max(...bounds.map((rule: any) => rule.NumericLessThan));
  }
  return total;

  function leadsBack(from: string): boolean {
    const seen = new Set<string>();
    for (let at: string | undefined = from; at && !seen.has(at); at = byName.get(at)?.Next) {
      if (at === name) return true;
      seen.add(at);
      if (!['Pass', 'Wait'].includes(byName.get(at)?.Type)) return false;
    }
    return false;
  }
}

/**
 * The endpoints (by name) that the CreateEndpoint or UpdateEndpoint states first reached
 * from a state create or update: where the configuration that state defines goes. Empty
 * when none is reached or an endpoint name is not a literal.
 */
function endpointsDeployedFrom(states: Array<{ name: string; state: any }>, from: string): string[] {
  const byName = new Map(states.map(s => [s.name, s.state]));
  const targets: string[] = [];
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const state = byName.get(name);
    if (!state) continue;
    if (name !== from && /sagemaker:(createEndpoint|updateEndpoint)$/.test(String(state.Resource))) {
      const endpoint = state.Parameters?.EndpointName;
      if (typeof endpoint !== 'string' || endpoint === 'ref') return [];
      targets.push(endpoint);
      continue;
    }
    queue.push(...[state.Next, state.Default, ...(state.Choices ?? []).map((c: any) => c.Next)].filter((n): n is string => typeof n === 'string'));
  }
  return targets;
}

/** A trigger as read from the template, before pricing. */
interface RawTrigger {
  readonly trigger: Omit<CostTrigger, 'maxCostPerRun' | 'maxCostPerMonth'>;
  /** A monitoring schedule's job: its instances, billed as processing, at most `hours` a run. */
  readonly monitoringJob?: { instanceType: string; instanceCount: number; hours?: number };
}

/** The logical ID of a state machine of this template that `arn` refers to. */
function stateMachineRef(resources: Record<string, any>, arn: any): string | undefined {
  const ref = arn?.Ref ?? arn?.['Fn::GetAtt']?.[0];
  return typeof ref === 'string' && resources[ref]?.Type === 'AWS::StepFunctions::StateMachine' ? ref : undefined;
}


/** The schedules, rules and monitoring schedules of a template that start runs. */
function triggersOf(stackName: string, template: any): RawTrigger[] {
  const resources: Record<string, any> = template.Resources ?? {};
  const triggers: RawTrigger[] = [];
  const monitoringDefinitions = new Map<string, any>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::SageMaker::DataQualityJobDefinition') monitoringDefinitions.set(id, r.Properties);
  }
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::Scheduler::Schedule') {
      const stateMachine = stateMachineRef(resources, p.Target?.Arn);
      if (!stateMachine) continue;
      const enabled = p.State !== 'DISABLED';
      const runs = monthlyRuns(p.ScheduleExpression);
      triggers.push({
        trigger: { stackName, source: id, kind: `schedule ${p.ScheduleExpression}`, enabled, stateMachine, runsPerMonth: enabled ? runs : 0, runsPerMonthWhenEnabled: runs },
      });
    }
    if (r.Type === 'AWS::Events::Rule') {
      const enabled = p.State !== 'DISABLED';
      for (const target of p.Targets ?? []) {
        const stateMachine = stateMachineRef(resources, target.Arn);
        if (!stateMachine) continue;
        if (p.ScheduleExpression) {
          const runs = monthlyRuns(p.ScheduleExpression);
          triggers.push({
            trigger: { stackName, source: id, kind: `scheduled rule ${p.ScheduleExpression}`, enabled, stateMachine, runsPerMonth: enabled ? runs : 0, runsPerMonthWhenEnabled: runs },
          });
        } else {
          const sources: string[] = [p.EventPattern?.source ?? []].flat();
          const kind = sources.includes('aws.s3') ? 'data-arrival rule' : `event rule (${sources.join(', ') || 'custom events'})`;
          // One run per matching event: how many arrive is not in the template.
          triggers.push({ trigger: { stackName, source: id, kind, enabled, stateMachine, runsPerMonth: enabled ? undefined : 0 } });
        }
      }
    }
    if (r.Type === 'AWS::SageMaker::MonitoringSchedule') {
      const config = p.MonitoringScheduleConfig ?? {};
      const expression = config.ScheduleConfig?.ScheduleExpression;
      // SageMaker runs monitoring hourly or daily (a cron with one hour): 720 or 30 runs.
      const hourly = typeof expression === 'string' && /^cron\(\S+ \* /.test(expression);
      const runs = typeof expression === 'string' ? (hourly ? 720 : /^cron\(\S+ \d+ /.test(expression) ? 30 : monthlyRuns(expression)) : undefined;
      const definitionId = JSON.stringify(config.MonitoringJobDefinitionName ?? '').match(/"([A-Za-z0-9]+)","JobDefinitionArn"/)?.[1];
      const definition = definitionId ? monitoringDefinitions.get(definitionId) : undefined;
      const cluster = definition?.JobResources?.ClusterConfig;
      const seconds = definition?.StoppingCondition?.MaxRuntimeInSeconds;
      triggers.push({
        trigger: {
          stackName, source: id, kind: `monitoring schedule (${config.MonitoringType ?? 'monitoring'}) ${expression}`, enabled: true, runsPerMonth: runs, runsPerMonthWhenEnabled: runs,
        },
        monitoringJob: cluster?.InstanceType ? {
          instanceType: cluster.InstanceType,
          instanceCount: cluster.InstanceCount ?? 1,
          hours: typeof seconds === 'number' ? seconds / 3600 : 1,
        } : undefined,
      });
    }
  }
  return triggers;
}

function linesOf(stackName: string, template: any, assemblyEndpoints: Set<string>): CostLine[] {
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
      // A shadow variant is a fleet of its own, billed like the production variant it copies requests from.
      const shadows = new Set<any>(r.Properties.ShadowProductionVariants ?? []);
      for (const v of [...(r.Properties.ProductionVariants ?? []), ...shadows]) {
        if (v.ServerlessConfig) {
          lines.push({ stackName, source: id, kind: `serverless variant ${v.VariantName}`, basis: CostBasis.USAGE_BASED, minInstances: 0, maxInstances: 0 });
          continue;
        }
        // A variant that hosts inference components: its managed instance scaling bounds the instances.
        const managed = managedScalingBounds(v, resources, endpointOf.get(id), scaling);
        const bounds = managed ?? scaling.get(`endpoint/${endpointOf.get(id)}/variant/${v.VariantName}`) ?? { min: v.InitialInstanceCount, max: v.InitialInstanceCount };
        lines.push({
          stackName,
          source: id,
          kind: managed?.kind ?? `${asyncConfig ? 'async' : 'real-time'} ${shadows.has(v) ? 'shadow ' : ''}variant ${v.VariantName}`,
          basis: (asyncConfig || managed) && bounds.min === 0 ? CostBasis.SCALE_TO_ZERO : CostBasis.ALWAYS_ON,
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
      const states = statesOf(definition);
      for (const { name, state: st, repeatedBy } of states) {
        const p = st.Parameters ?? {};
        const source = `${id}/${name}`;
        // An endpoint a workflow deploys: capacity that stays on after the run, so it counts as
        // always-on, though the template does not create it. A configuration the workflow moves
        // an endpoint of the assembly to (a DeployStage through a RealtimeEndpoint) replaces
        // that endpoint's configuration, already counted with its variants: not more capacity.
        if (/sagemaker:createEndpointConfig$/.test(String(st.Resource)) && Array.isArray(p.ProductionVariants)) {
          const targets = endpointsDeployedFrom(states, name);
          if (targets.length > 0 && targets.every(t => assemblyEndpoints.has(t))) continue;
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
        // A tuning job runs up to MaxNumberOfTrainingJobs training jobs of its definition.
        const tuning = /sagemaker:createHyperParameterTuningJob(\.sync)?$/.test(String(st.Resource)) ? p.TrainingJobDefinition : undefined;
        if (tuning?.ResourceConfig?.InstanceType) {
          // Grid without a job limit runs every combination of its categorical values (SageMaker
          // developer guide, Grid search), which the definition lists.
          const config = p.HyperParameterTuningJobConfig;
          const grid = config?.Strategy === 'Grid' ? (config.ParameterRanges?.CategoricalParameterRanges ?? [])
            .reduce((n: number, range: any) => n * (Array.isArray(range.Values) ? range.Values.length : NaN), 1) : NaN;
          const maxJobs = config?.ResourceLimits?.MaxNumberOfTrainingJobs ?? (Number.isInteger(grid) ? grid : undefined);
          const tuningSeconds = tuning.StoppingCondition?.MaxRuntimeInSeconds;
          lines.push({
            stackName,
            source,
            kind: `tuning job (${typeof maxJobs === 'number' ? `up to ${maxJobs}` : 'unbounded number of'} training jobs)`,
            basis: CostBasis.PER_RUN,
            component: PriceComponent.TRAINING,
            instanceType: tuning.ResourceConfig.InstanceType,
            minInstances: tuning.ResourceConfig.InstanceCount ?? 1,
            maxInstances: tuning.ResourceConfig.InstanceCount ?? 1,
            maxHoursPerRun: typeof tuningSeconds === 'number' ? tuningSeconds / 3600 : undefined,
            jobsPerRun: typeof maxJobs === 'number' ? maxJobs : undefined,
            repeatedBy,
            maxAttempts: attemptsOf(st, name, states),
          });
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
          maxAttempts: attemptsOf(st, name, states),
        });
      }
    }
  }
  return lines;
}
