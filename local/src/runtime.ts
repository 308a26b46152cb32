import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import { ApiError, Integration, apiError, apiName, validateRequest } from './api';
import { LOCAL_ACCOUNT, LocalAssembly, StateMachineResource, findStateMachine, stateMachinePaths } from './assembly';
import { LocalCloudWatch, alarmsOf } from './cloudwatch';
import { doneLine, failedLine, retriedLine, startedLine } from './display';
import { MAX_BUS_HOPS, defaultBusArn, groupAccount, isBusArn, ruleBusArn } from './event-buses';
import { matchesPattern, targetInput } from './events';
import { LocalFaults, serviceErrorCause } from './faults';
import { DockerRunner, IJobRunner, ProcessRunner } from './runners';
import { LocalS3 } from './s3';
import { LocalSageMaker } from './sagemaker';
import { SERVED_APIS } from './served-apis';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+); Node 20 lacks it.
if (typeof (Promise as any).withResolvers !== 'function') {
  (Promise as any).withResolvers = function withResolvers<T>() {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
// The interpreter is an ES module with a CommonJS build; its types are ESM-only, so it is
// required here with the little of its API the runtime uses typed below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const asl = require('aws-local-stepfunctions') as {
  StateMachine: new (definition: any, options?: any) => {
    run(input: any, options?: any): { abort: () => void; result: Promise<any>; eventLogs: AsyncGenerator<any> };
  };
  ExecutionAbortedError: new () => Error;
};

/** How jobs run: `process` (the image's entry points as local processes) or `docker`. */
export enum RunnerKind {
  PROCESS = 'process',
  DOCKER = 'docker',
}

/** Options of a local runtime. */
export interface LocalRuntimeOptions {
  /**
   * How jobs run.
   *
   * @default RunnerKind.PROCESS
   */
  readonly runner?: RunnerKind;
  /** A runner of your own (overrides `runner`). */
  readonly jobRunner?: IJobRunner;
  /**
   * The Python of the process runner.
   *
   * @default - the first of python3 and /usr/bin/python3 that imports the image's requirements
   */
  readonly python?: string;
  /**
   * Bucket name -> an existing folder that holds its objects. Other buckets live in the
   * runtime's temporary folder.
   *
   * @default - none
   */
  readonly buckets?: Record<string, string>;
  /** Faults to inject. */
  readonly faults?: LocalFaults;
  /**
   * The pause of every Wait state and before every retry, in milliseconds (the definition's
   * own intervals are kept in the definition; only the interpreter's pauses are overridden).
   *
   * @default 5
   */
  readonly pauseMs?: number;
  /**
   * How many DescribeEndpoint calls see an endpoint Creating or Updating before it settles.
   *
   * @default 1
   */
  readonly describesUntilSettled?: number;
  /** Called with each progress line (states starting and ending, job output when `verbose`). */
  readonly print?: (line: string) => void;
  /**
   * Print the jobs' output too.
   *
   * @default false
   */
  readonly verbose?: boolean;
}

/** Options of one execution. */
export interface LocalRunOptions {
  /**
   * The execution name.
   *
   * @default - `local-<n>-<random>`
   */
  readonly executionName?: string;
  /**
   * End the execution as TIMED_OUT after this many milliseconds, in place of the state
   * machine's TimeoutSeconds.
   *
   * @default - the state machine's TimeoutSeconds
   */
  readonly timeoutMs?: number;
}

/** A message published to an SNS topic, by a state or by an EventBridge rule. */
export interface PublishedMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  /** The state that published it, or `rule:<logical id>` for an EventBridge rule. */
  readonly publisher: string;
  readonly executionName: string;
}

/** How an execution ended. */
export interface LocalRunResult {
  readonly executionName: string;
  readonly executionArn: string;
  /** SUCCEEDED, FAILED, TIMED_OUT or ABORTED. */
  readonly status: string;
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** The states entered, in order. */
  readonly states: string[];
  /** The states that failed, with their error. */
  readonly failures: Array<{ state: string; error: string; cause: string }>;
  /** The retries, in order: the state and the error that was retried. */
  readonly retries: Array<{ state: string; error: string }>;
  /** The messages published during this execution (states and status-change rules). */
  readonly notifications: PublishedMessage[];
  /** The interpreter's event log. */
  readonly events: any[];
}

/** A running execution. */
export interface LocalExecution {
  readonly executionName: string;
  readonly result: Promise<LocalRunResult>;
  /** Aborts the execution (it ends ABORTED). */
  abort(): void;
}

const SERVED_OPTIMIZED = [
  'sagemaker:createTrainingJob', 'sagemaker:createTrainingJob.sync', 'sagemaker:createProcessingJob', 'sagemaker:createProcessingJob.sync',
  'sagemaker:createTransformJob', 'sagemaker:createTransformJob.sync', 'sagemaker:createHyperParameterTuningJob',
  'sagemaker:createHyperParameterTuningJob.sync', 'sagemaker:createModel', 'sagemaker:createEndpointConfig', 'sagemaker:createEndpoint',
  'sagemaker:updateEndpoint', 'sns:publish',
];

/** The integrations the runtime serves, as the Resource ARNs name them. */
export function servedIntegrations(): string[] {
  const sdk = Object.entries(SERVED_APIS).flatMap(([service, apis]) => apis.map(a => `aws-sdk:${service}:${a[0].toLowerCase()}${a.slice(1)}`));
  return [...SERVED_OPTIMIZED, ...sdk];
}

interface Call {
  readonly service: string;
  readonly api: string;
  readonly integration: Integration;
  readonly sync: boolean;
}

function parseResource(resource: string): Call | undefined {
  const match = /^arn:aws[a-z-]*:states:::(.+)$/.exec(resource);
  if (!match) return undefined;
  const served = servedIntegrations();
  if (!served.includes(match[1])) return undefined;
  const sdk = /^aws-sdk:([a-z0-9]+):([a-zA-Z][a-zA-Z0-9]*)$/.exec(match[1]);
  if (sdk) return { service: sdk[1], api: apiName(sdk[2]), integration: Integration.AWS_SDK, sync: false };
  const [service, action] = match[1].split(':');
  const [name, pattern] = action.split('.');
  return { service, api: apiName(name), integration: Integration.OPTIMIZED, sync: pattern === 'sync' };
}

/** Every state of a definition, nested ones included. */
function allStates(definition: any): Array<[string, any]> {
  return Object.entries<any>(definition.States ?? {}).flatMap(([name, state]) => [
    [name, state] as [string, any],
    ...(state.Branches ?? []).flatMap((b: any) => allStates(b)),
    ...(state.ItemProcessor ?? state.Iterator ? allStates(state.ItemProcessor ?? state.Iterator) : []),
  ]);
}

// Node's timers hold at most 2^31-1 ms; the interpreter's default task timeout (60 s) is not
// Step Functions' (99999999 s): tasks without one get the longest timer Node has.
const LONGEST_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

let executions = 0;

/** Definitions (as a run adjusts them) that asl-validator has accepted in this process. */
const validatedDefinitions = new Set<string>();

/**
 * Runs a synthesized state machine on this machine, with SageMaker, S3 and SNS emulated.
 * The definition runs as synthesized; Wait and Retry pauses are shortened through the
 * interpreter's overrides, never by changing the definition.
 */
export class LocalRuntime {
  /** A runtime for a state machine of a cloud assembly, named `<stack>/<construct path>`. */
  public static fromAssembly(directory: string, stateMachine: string, options: LocalRuntimeOptions = {}): LocalRuntime {
    return new LocalRuntime(LocalAssembly.fromDirectory(directory), stateMachine, options);
  }

  /**
   * A runtime for a state machine of a stack (its app is synthesized). `constructPath` is the
   * state machine's path in the stack; it may be left out when the stack has one.
   */
  public static fromStack(stack: Stack, constructPath: string | undefined, options: LocalRuntimeOptions = {}): LocalRuntime {
    const stage = Stage.of(stack);
    if (!stage) throw new Error(`stack ${stack.node.path} is not in an app`);
    const assembly = stage.synth();
    const selector = constructPath ? `${stack.stackName}/${constructPath}` : stack.stackName;
    return LocalRuntime.fromAssembly(assembly.directory, selector, options);
  }

  public readonly assembly: LocalAssembly;
  public readonly stateMachine: StateMachineResource;
  public readonly s3: LocalS3;
  public readonly sagemaker: LocalSageMaker;
  /** CloudWatch: the metrics put and the app's alarms. */
  public readonly cloudwatch: LocalCloudWatch;
  public readonly faults: LocalFaults;
  public readonly runner: IJobRunner;
  /** Every message published, all executions. */
  public readonly notifications: PublishedMessage[] = [];
  /** The runtime's temporary folder (removed by `dispose`). */
  public readonly workDirectory: string;
  /** Executions EventBridge rules of the template started (a rule whose target is a state machine), in order. */
  public readonly triggered: Array<{ rule: string; stateMachine: string; input: any; execution: LocalExecution }> = [];
  private readonly options: LocalRuntimeOptions;
  private readonly topics: Set<string>;
  private readonly region: string;
  /** The runtime whose S3, SageMaker and folder this one shares (a rule's target), if any. */
  private readonly parent?: LocalRuntime;

  constructor(assembly: LocalAssembly, stateMachine: string, options: LocalRuntimeOptions = {}, parent?: LocalRuntime) {
    this.assembly = assembly;
    this.options = options;
    this.stateMachine = findStateMachine(assembly, stateMachine);
    this.region = assembly.stack(this.stateMachine.stackName).region;
    this.checkServed();
    if (parent) {
      // Another state machine of the same assembly, on the same emulated account.
      this.parent = parent;
      this.workDirectory = parent.workDirectory;
      this.s3 = parent.s3;
      this.faults = parent.faults;
      this.runner = parent.runner;
      this.sagemaker = parent.sagemaker;
      this.topics = parent.topics;
      this.cloudwatch = parent.cloudwatch;
      this.notifications = parent.notifications;
      this.triggered = parent.triggered;
      return;
    }
    this.workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-sagemaker-ml-local-'));
    try {
      this.s3 = new LocalS3(path.join(this.workDirectory, 's3'), options.buckets);
    } catch (e) {
      this.dispose();
      throw e;
    }
    this.faults = options.faults ?? new LocalFaults();
    const images = Object.fromEntries(assembly.imageAssets().map(i => [i.imageUri, i.directory]));
    this.runner = options.jobRunner ?? (options.runner === RunnerKind.DOCKER
      ? new DockerRunner({ images })
      : new ProcessRunner({ images, python: options.python, workDirectory: this.workDirectory }));
    this.sagemaker = new LocalSageMaker({
      s3: this.s3,
      runner: this.runner,
      region: this.region,
      workDirectory: this.workDirectory,
      faults: this.faults,
      describesUntilSettled: options.describesUntilSettled,
      log: options.verbose ? options.print : undefined,
    });
    this.topics = new Set();
    this.cloudwatch = new LocalCloudWatch(alarmsOf([...assembly.stacks.values()].flatMap(st => {
      const resolver = assembly.resolver(st.stackName);
      return Object.entries<any>(resolver.resources).map(([id, r]) => [id, r, (v: any) => resolver.resolve(v)] as [string, any, (v: any) => any]);
    })), this.region);
    this.deployTemplates();
    this.sagemaker.onModelPackageStateChange = pkg => this.emitModelPackageStateChange(pkg);
  }

  /**
   * A runtime for another state machine of the assembly (`<stack>/<construct path>`) on the
   * same emulated account: S3, SageMaker (models, packages, endpoints), faults and notifications shared.
   */
  public sibling(stateMachine: string): LocalRuntime {
    return new LocalRuntime(this.assembly, stateMachine, this.options, this.parent ?? this);
  }

  /**
   * Approves a model package version as a reviewer would (UpdateModelPackage with
   * `ModelApprovalStatus: Approved`): SageMaker's `SageMaker Model Package State Change` event
   * reaches the template's matching rules, which start their target state machines. Returns
   * the executions it started.
   */
  public async approveModelPackage(modelPackageArn: string, description?: string): Promise<LocalExecution[]> {
    const request = { ModelPackageArn: modelPackageArn, ModelApprovalStatus: 'Approved', ...(description ? { ApprovalDescription: description } : {}) };
    validateRequest('sagemaker', 'UpdateModelPackage', request, Integration.AWS_SDK);
    const before = this.triggered.length;
    await this.sagemaker.call('UpdateModelPackage', request, Integration.AWS_SDK, false);
    return this.triggered.slice(before).map(t => t.execution);
  }

  private checkServed(): void {
    for (const [name, state] of allStates(this.stateMachine.definition)) {
      if (state.Type !== 'Task') continue;
      if (!parseResource(state.Resource)) {
        throw new Error(`state '${name}' of ${this.stateMachine.path} uses ${state.Resource}, which the local runtime does not serve; it serves: ${servedIntegrations().join(', ')}`);
      }
    }
  }

  /** What CloudFormation would have done before any execution: assets published, models and topics defined. */
  private deployTemplates(): void {
    for (const asset of this.assembly.fileAssets()) {
      // Stack templates are assets too; jobs never read them.
      const isFile = asset.packaging === 'file' && fs.existsSync(asset.source) && fs.statSync(asset.source).isFile();
      if (isFile && !asset.source.endsWith('.template.json')) {
        this.s3.putFile(asset.bucket, asset.key, asset.source);
      }
    }
    for (const stack of this.assembly.stacks.values()) {
      const resolver = this.assembly.resolver(stack.stackName);
      for (const [id, resource] of Object.entries<any>(resolver.resources)) {
        if (resource.Type === 'AWS::SNS::Topic') this.topics.add(resolver.arnOf(id));
        if (resource.Type === 'AWS::SageMaker::Model') {
          const p = resolver.resolve(resource.Properties ?? {});
          this.sagemaker.registerModel({ ...p, ModelName: resolver.physicalName(id) });
        }
        if (resource.Type === 'AWS::SageMaker::InferenceComponent') {
          this.sagemaker.components.register(resolver.resolve(resource.Properties ?? {}));
        }
        if (resource.Type === 'AWS::SageMaker::ModelPackageGroup') {
          this.sagemaker.registerModelPackageGroup(resolver.resolve(resource.Properties ?? {}).ModelPackageGroupName ?? resolver.physicalName(id));
        }
      }
    }
  }

  /** Starts an execution. */
  public start(input: any = {}, options: LocalRunOptions = {}): LocalExecution {
    const executionName = options.executionName ?? `local-${++executions}-${crypto.randomBytes(4).toString('hex')}`;
    const machine = this.stateMachine;
    const executionArn = `arn:aws:states:${this.region}:${LOCAL_ACCOUNT}:execution:${machine.name}:${executionName}`;
    const definition = JSON.parse(JSON.stringify(machine.definition));
    const machineTimeoutSeconds: number | undefined = definition.TimeoutSeconds;
    // The runtime enforces the execution timeout itself (so that it can be shortened).
    delete definition.TimeoutSeconds;
    const handlers: Record<string, (input: any) => Promise<any>> = {};
    const waits: Record<string, number> = {};
    const retries: Record<string, number> = {};
    const pause = this.options.pauseMs ?? 5;
    const notifications: PublishedMessage[] = [];
    const adjust = (def: any) => {
      for (const [name, state] of Object.entries<any>(def.States)) {
        if (state.Type === 'Task') {
          const call = parseResource(state.Resource)!;
          handlers[name] = (params: any) => this.call(call, params, name, executionName, notifications);
          if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = LONGEST_TIMER_SECONDS;
        }
        if (state.Type === 'Wait') waits[name] = pause;
        if (state.Retry) retries[name] = pause;
        for (const branch of state.Branches ?? []) adjust(branch);
        if (state.ItemProcessor ?? state.Iterator) adjust(state.ItemProcessor ?? state.Iterator);
      }
    };
    adjust(definition);

    // aws-local-stepfunctions validates a definition with asl-validator on every construction,
    // which compiles its JSON schemas afresh (about 0.4 s, the largest cost of a local run):
    // each distinct definition is validated once per process, as the first run saw it.
    const key = JSON.stringify(definition);
    const sm = new asl.StateMachine(definition, { validationOptions: { checkArn: false, noValidate: validatedDefinitions.has(key) } });
    validatedDefinitions.add(key);
    const startTime = new Date();
    const run = sm.run(input, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
      context: {
        Execution: { Id: executionArn, Name: executionName, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`, StartTime: startTime.toISOString() },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    const print = this.options.print;
    const events: any[] = [];
    const entered = new Map<string, number>();
    const failedStates = new Set<string>();
    const collect = (async () => {
      for await (const event of run.eventLogs) {
        events.push(event);
        if (!print) continue;
        const name = event.state?.name;
        if (event.type === 'StateEntered') {
          entered.set(name, event.timestamp);
          print(startedLine(name));
        } else if (event.type === 'StateExited') {
          // A failure that a Catch handled also ends in StateExited: show it once, as failed.
          if (failedStates.delete(name)) continue;
          print(doneLine(name, event.timestamp - (entered.get(name) ?? event.timestamp)));
        } else if (event.type === 'StateFailed') {
          failedStates.add(name);
          print(failedLine(name, event.timestamp - (entered.get(name) ?? event.timestamp), event.Error));
        } else if (event.type === 'StateRetried') {
          print(retriedLine(name, event.retry?.attempt ?? 0));
        }
      }
    })();

    let timedOut = false;
    const timeoutMs = options.timeoutMs ?? (machineTimeoutSeconds !== undefined ? machineTimeoutSeconds * 1000 : undefined);
    const timer = timeoutMs !== undefined && timeoutMs <= 2 ** 31 - 1 ? setTimeout(() => {
      timedOut = true;
      run.abort();
    }, timeoutMs) : undefined;

    const result = (async (): Promise<LocalRunResult> => {
      let status = 'SUCCEEDED';
      let output: any;
      let error: string | undefined;
      let cause: string | undefined;
      try {
        output = await run.result;
      } catch (e) {
        if (e instanceof asl.ExecutionAbortedError) {
          status = timedOut ? 'TIMED_OUT' : 'ABORTED';
          if (timedOut) {
            error = 'States.Timeout';
            cause = `the execution ran longer than its timeout (${timeoutMs} ms locally)`;
          }
        } else {
          status = 'FAILED';
        }
      } finally {
        clearTimeout(timer);
      }
      await collect;
      const failed = events.find(ev => ev.type === 'ExecutionFailed');
      if (status === 'FAILED') {
        error = failed?.Error ?? 'States.Runtime';
        cause = failed ? (typeof failed.Cause === 'string' ? failed.Cause : failed.Cause?.message ?? JSON.stringify(failed.Cause)) : undefined;
      }
      const base = {
        executionName,
        executionArn,
        status,
        output,
        error,
        cause,
        states: events.filter(ev => ev.type === 'StateEntered').map(ev => ev.state.name),
        failures: events.filter(ev => ev.type === 'StateFailed').map(ev => ({ state: ev.state.name, error: ev.Error, cause: String(ev.Cause?.message ?? ev.Cause) })),
        retries: events.filter(ev => ev.type === 'StateRetried').map(ev => ({ state: ev.state.name, error: String(events.filter(f => f.type === 'StateFailed' && f.state.name === ev.state.name && f.timestamp <= ev.timestamp).pop()?.Error) })),
        events,
      };
      this.emitStatusChange({ ...base, startTime, input }, notifications);
      if (print) {
        if (status === 'SUCCEEDED') print(`output ${JSON.stringify(output)}`);
        else print(`${error ?? ''} ${cause ?? ''}`.trim());
        print(status);
      }
      return { ...base, notifications };
    })();
    return { executionName, result, abort: () => run.abort() };
  }

  /** Runs an execution to its end. */
  public run(input: any = {}, options: LocalRunOptions = {}): Promise<LocalRunResult> {
    return this.start(input, options).result;
  }

  /** Removes the runtime's temporary folder (bucket folders the user named are kept). */
  public dispose(): void {
    if (this.parent) return;
    if (this.workDirectory) fs.rmSync(this.workDirectory, { recursive: true, force: true });
  }

  private async call(call: Call, params: any, stateName: string, executionName: string, notifications: PublishedMessage[]): Promise<any> {
    try {
      return await this.serve(call, params, stateName, executionName, notifications);
    } catch (e) {
      // Step Functions reports the error with the AWS SDK for Java's message as the Cause.
      if (!(e instanceof ApiError)) throw e;
      const message = e.message.replace(/ \(Service: [^()]*\)$/, '');
      const optimized = call.integration === Integration.OPTIMIZED;
      throw new ApiError(e.name, e.code, serviceErrorCause(call.service, optimized, e.code, message, (e as any).status));
    }
  }

  private async serve(call: Call, params: any, stateName: string, executionName: string, notifications: PublishedMessage[]): Promise<any> {
    const { service, api, integration } = call;
    const injected = this.faults.takeApiError(service, api);
    if (injected) throw Object.assign(apiError(service, api, injected.code, injected.message, integration), { status: injected.status });
    const request = service === 'sns' && integration === Integration.OPTIMIZED && typeof params.Message !== 'string'
      ? { ...params, Message: JSON.stringify(params.Message) } : params;
    validateRequest(service, api, request, integration);
    switch (service) {
      case 'sagemaker':
      case 'sagemakerruntime': return this.sagemaker.call(api, request, integration, call.sync);
      case 's3': return this.s3Call(api, request, integration);
      case 'cloudwatch': {
        const { result, notifications: raised } = this.cloudwatch.putMetricData(request);
        for (const n of raised.filter(r => this.topics.has(r.topicArn))) {
          const message = { topicArn: n.topicArn, subject: n.subject, message: n.message, publisher: `alarm:${n.alarm}`, executionName };
          notifications.push(message);
          this.notifications.push(message);
        }
        return result;
      }
      case 'sns': {
        if (!this.topics.has(request.TopicArn)) throw apiError('sns', 'Publish', 'NotFound', 'Topic does not exist', integration);
        const message = { topicArn: request.TopicArn, subject: request.Subject, message: request.Message, publisher: stateName, executionName };
        notifications.push(message);
        this.notifications.push(message);
        return { MessageId: crypto.randomUUID(), SdkHttpMetadata: { HttpStatusCode: 200 } };
      }
      default: throw new Error(`the local runtime does not serve ${service}`);
    }
  }

  private s3Call(api: string, request: any, integration: Integration): any {
    const { Bucket: bucket, Key: key } = request;
    switch (api) {
      case 'GetObject':
      case 'HeadObject': {
        const body = this.s3.get(bucket, key);
        if (!body) throw apiError('s3', api, 'NoSuchKey', 'The specified key does not exist.', integration);
        const meta = { ContentLength: body.length, ETag: `"${crypto.createHash('md5').update(body).digest('hex')}"`, LastModified: new Date().toISOString() };
        return api === 'GetObject' ? { ...meta, Body: body.toString('utf8') } : meta;
      }
      case 'ListObjectsV2': {
        const keys = this.s3.list(bucket, request.Prefix ?? '').slice(0, request.MaxKeys ?? 1000);
        const maxKeys = request.MaxKeys ?? 1000;
        const contents = keys.map(k => ({ Key: k }));
        return { Name: bucket, Prefix: request.Prefix, KeyCount: keys.length, MaxKeys: maxKeys, IsTruncated: false, Contents: contents };
      }
      case 'PutObject':
        this.s3.put(bucket, key, typeof request.Body === 'string' ? request.Body : JSON.stringify(request.Body ?? ''));
        return { ETag: '"local"' };
      default: throw new Error(`the local runtime does not serve s3:${api}`);
    }
  }

  /**
   * EventBridge: SageMaker's `SageMaker Model Package State Change` event (the detail is the
   * package's description), delivered to matching rules: SNS targets get a message, state
   * machine targets an execution with the rule's input.
   */
  private emitModelPackageStateChange(pkg: any): void {
    // The event is the group's account's, on that account's default bus.
    const stacks = this.assembly.stacks.values();
    const account = groupAccount(stacks, st => this.assembly.resolver(st.stackName), pkg.ModelPackageGroupName) ?? LOCAL_ACCOUNT;
    const event = {
      'version': '0',
      'id': crypto.randomUUID(),
      'detail-type': 'SageMaker Model Package State Change',
      'source': 'aws.sagemaker',
      'account': account,
      'time': new Date().toISOString(),
      'region': this.region,
      'resources': [pkg.ModelPackageArn],
      'detail': {
        ModelPackageGroupName: pkg.ModelPackageGroupName,
        ModelPackageVersion: pkg.ModelPackageVersion,
        ModelPackageArn: pkg.ModelPackageArn,
        ModelPackageName: pkg.ModelPackageName,
        CreationTime: pkg.CreationTime,
        InferenceSpecification: pkg.InferenceSpecification,
        ModelPackageStatus: pkg.ModelPackageStatus,
        ModelApprovalStatus: pkg.ModelApprovalStatus,
        ...(pkg.ApprovalDescription ? { ApprovalDescription: pkg.ApprovalDescription } : {}),
        ...(pkg.ModelLifeCycle ? { ModelLifeCycle: pkg.ModelLifeCycle } : {}),
      },
    };
    const machines = new Map<string, string>();
    for (const p of stateMachinePaths(this.assembly)) machines.set(findStateMachine(this.assembly, p).arn, p);
    for (const { id, target } of this.ruleTargets(event, defaultBusArn(account, this.region))) {
      const machine = machines.get(target.Arn);
      if (machine) {
        const input = JSON.parse(targetInput(target, event));
        const execution = this.sibling(machine).start(input);
        this.triggered.push({ rule: id, stateMachine: machine, input, execution });
      } else if (this.topics.has(target.Arn)) {
        this.notifications.push({ topicArn: target.Arn, message: targetInput(target, event), publisher: `rule:${id}`, executionName: '' });
      }
    }
  }

  /** EventBridge: the `Step Functions Execution Status Change` event, delivered to the SNS targets of matching rules. */
  private emitStatusChange(
    run: { executionName: string; executionArn: string; status: string; output?: any; error?: string; cause?: string; startTime: Date; input: any },
    notifications: PublishedMessage[]): void {
    const event = {
      'version': '0',
      'id': crypto.randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      'source': 'aws.states',
      'account': this.assembly.stack(this.stateMachine.stackName).account ?? LOCAL_ACCOUNT,
      'time': new Date().toISOString(),
      'region': this.region,
      'resources': [run.executionArn],
      'detail': {
        executionArn: run.executionArn,
        stateMachineArn: this.stateMachine.arn,
        name: run.executionName,
        status: run.status,
        startDate: run.startTime.getTime(),
        stopDate: Date.now(),
        input: JSON.stringify(run.input),
        output: run.output === undefined ? null : JSON.stringify(run.output),
        error: run.error ?? null,
        cause: run.cause ?? null,
      },
    };
    for (const { id, target } of this.ruleTargets(event, defaultBusArn(event.account, this.region))) {
      if (!this.topics.has(target.Arn)) continue;
      const message = { topicArn: target.Arn, message: targetInput(target, event), publisher: `rule:${id}`, executionName: run.executionName };
      notifications.push(message);
      this.notifications.push(message);
    }
  }

  /**
   * The targets of every enabled EventBridge rule on `bus` whose pattern matches `event`; a
   * target that is another bus (another account's) delivers the event to that bus's rules.
   */
  private *ruleTargets(event: any, bus: string, hops: number = 0): Generator<{ id: string; target: any }> {
    for (const stack of this.assembly.stacks.values()) {
      const resolver = this.assembly.resolver(stack.stackName);
      for (const [id, resource] of Object.entries<any>(resolver.resources)) {
        if (resource.Type !== 'AWS::Events::Rule' || !resource.Properties?.EventPattern) continue;
        const rule = resolver.resolve(resource.Properties);
        if (ruleBusArn(stack, rule) !== bus) continue;
        if ((rule.State ?? 'ENABLED') !== 'ENABLED' || !matchesPattern(rule.EventPattern, event)) continue;
        for (const target of rule.Targets ?? []) {
          if (isBusArn(target.Arn) && hops < MAX_BUS_HOPS) yield* this.ruleTargets(event, target.Arn, hops + 1);
          else yield { id, target };
        }
      }
    }
  }
}

export { ApiError };
