import * as path from 'path';
import { performance } from 'perf_hooks';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import {
  CloudFormationValidatePlugin,
  CloudFormationValidatePluginProps,
  IPolicyValidationContext,
  PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import { USUAL_RESOURCE_TYPES } from './resource-types';

/**
 * Options for `BackgroundCloudFormationValidatePlugin`.
 */
export interface BackgroundCloudFormationValidateOptions extends CloudFormationValidatePluginProps {
  /**
   * How long `cdk synth` waits for the worker thread's report before validating on the main
   * thread instead (the same validation, without the head start).
   *
   * @default 600 seconds
   */
  readonly timeoutSeconds?: number;
}

/**
 * aws-cdk-lib's CloudFormation validation (`CloudFormationValidatePlugin`: the engine, rules,
 * exclusions and severities that `@aws-cdk/core:validateAgainstDefaultRules` runs on every
 * synthesis) on a worker thread that builds its engine while the app defines its constructs.
 *
 * Building that engine (a WebAssembly module holding every CloudFormation resource schema) is
 * the largest single cost of `cdk synth`: about 1.5 s of a 2-core machine, paid after the app
 * has defined its stacks, and validating is the next (about 3 ms per resource). Constructed when
 * the app starts, before any stack, this plugin starts a worker thread that loads the engine at
 * once, on another core. Under `cdk synth` the worker then validates the templates as soon as
 * aws-cdk-lib has written the cloud assembly, while the other validation plugins (cdk-nag's
 * packs) run on the main thread: register it after them. When aws-cdk-lib asks it, it returns
 * that report if the templates are the ones it validated (it compares them), and validates
 * them otherwise. The findings, and whether they fail synthesis, are the built-in plugin's: the
 * worker runs aws-cdk-lib's own `CloudFormationValidatePlugin` (this class extends it, so
 * aws-cdk-lib does not add its default instance as well, and reports it under the same name).
 * If the worker cannot start, fails or does not answer within `timeoutSeconds`, the same
 * plugin validates on the main thread (then and for later synthesis). The worker answers every
 * synthesis of the apps the plugin is registered with (one worker, one engine); it does not keep
 * the process alive. (aws-cdk-lib 2.269's base plugin builds an engine in its
 * constructor, on the main thread: with it the plugin saves nothing; 2.276 builds it on first use.)
 *
 * `cdk synth --no-validation` (`CDK_VALIDATION=false`) switches it off as it does the built-in
 * plugin; like any explicitly registered `CloudFormationValidatePlugin`, it validates whatever
 * the App's `builtinCloudFormationValidation` says. `@aws-cdk/core:validateAgainstDefaultRules`
 * decides, as for the built-in plugin, whether its findings fail synthesis or are warnings.
 *
 * @example
 * const app = new App();
 * // constructed before any stack, so that the engine loads while they are defined; registered
 * // after the other plugins, so that they run while it validates
 * Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new BackgroundCloudFormationValidatePlugin());
 */
export class BackgroundCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  private readonly timeoutMs: number;
  private worker?: Worker;
  private port?: MessagePort;
  private signal?: Int32Array;
  private engineVersion?: string;
  /** Where the last validation ran (the tests read it). @internal */
  public _validatedOn?: 'worker' | 'main thread';
  /** Whether the worker had validated the assembly before it was asked (the tests read it). @internal */
  public _validatedEarly?: boolean;
  /** How long synthesis waited for the worker's reports, in milliseconds (the benchmark reads it). @internal */
  public _waitedMs = 0;

  constructor(options: BackgroundCloudFormationValidateOptions = {}) {
    const { timeoutSeconds, ...pluginProps } = options;
    super(pluginProps);
    if (timeoutSeconds !== undefined && !(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
      throw new Error(`BackgroundCloudFormationValidatePlugin: timeoutSeconds must be a positive number of seconds, got ${timeoutSeconds}`);
    }
    this.timeoutMs = (timeoutSeconds ?? 600) * 1000;
    if (!validationSwitchedOff()) this.start(pluginProps);
  }

  /**
   * Validates the app's templates with aws-cdk-lib's CloudFormation validation, on the worker
   * thread when it is up (the main thread otherwise).
   */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    if (validationSwitchedOff()) return { success: true, violations: [] };
    const report = this.askWorker(context);
    this._validatedOn = report ? 'worker' : 'main thread';
    return report ?? super.validate(context);
  }

  /**
   * The validation engine's version, as the built-in plugin reports it (from the worker, so that
   * the main thread does not load the engine just to name it).
   */
  public get version(): string | undefined {
    return this.engineVersion ?? super.version;
  }

  private start(pluginProps: CloudFormationValidatePluginProps): void {
    try {
      const { port1, port2 } = new MessageChannel();
      // [0]: the worker's answer is on the port; [1]: assemblies it validated before being asked.
      const signal = new Int32Array(new SharedArrayBuffer(8));
      // Workers run JavaScript files; the worker's code goes as a string so that it runs the
      // same from lib/*.ts (ts-node, ts-run) and from the compiled dist/*.js.
      const worker = new Worker(`(${workerMain.toString()})()`, {
        eval: true,
        workerData: { port: port2, signal, props: pluginProps, warmTypes: USUAL_RESOURCE_TYPES, outdir: outdirOfCdkSynth(), startedAt: Date.now(), cdkLib: path.dirname(require.resolve('aws-cdk-lib/package.json')) },
        transferList: [port2],
        stdout: true, // the worker prints nothing of its own; nor does a stray log reach cdk synth's output
      });
      worker.unref(); // a synthesis that never validates (or an app that fails first) exits as before
      port1.unref();
      worker.on('error', () => this.stop());
      this.worker = worker;
      this.port = port1;
      this.signal = signal;
    } catch {
      this.stop();
    }
  }

  private askWorker(context: IPolicyValidationContext): PolicyValidationPluginReport | undefined {
    const { port, signal } = this;
    if (!port || !signal) return undefined;
    try {
      Atomics.store(signal, 0, 0);
      // Plain data only: the app's construct tree stays on this thread (the plugin reads the
      // template files, not the constructs).
      port.postMessage({
        templatePaths: [...context.templatePaths],
        stackTemplates: context.stackTemplates.map(s => ({
          stackConstructPath: s.stackConstructPath, templatePath: s.templatePath, accountId: s.accountId, region: s.region,
        })),
        accountId: context.accountId,
        region: context.region,
      });
      // Atomics.wait blocks this thread, which is what a synchronous plugin must do; the worker
      // sets the signal once its answer is on the port.
      const waitStarted = performance.now();
      const waited = Atomics.wait(signal, 0, 0, this.timeoutMs);
      this._waitedMs += performance.now() - waitStarted;
      if (waited === 'timed-out') return this.stop();
      const answer = receiveMessageOnPort(port)?.message as { report?: PolicyValidationPluginReport; version?: string; early?: boolean } | undefined;
      if (!answer?.report) return this.stop();
      this.engineVersion = answer.version;
      this._validatedEarly = answer.early;
      // The worker stays for the next request (an app or test that synthesizes again).
      return answer.report;
    } catch {
      return this.stop();
    }
  }

  /** How many cloud assemblies the worker validated before it was asked (the tests read it). @internal */
  public _earlyValidations(): number {
    return this.signal ? Atomics.load(this.signal, 1) : 0;
  }

  /** Ends the worker (a late answer must not be taken for the next request's); the main thread validates from now on. */
  private stop(): undefined {
    const worker = this.worker;
    this.worker = undefined;
    this.port?.close();
    this.port = undefined;
    this.signal = undefined;
    void worker?.terminate().catch(() => undefined);
    return undefined;
  }
}

/** The cloud assembly directory `cdk synth` gives the app (an App without `outdir` writes there). */
function outdirOfCdkSynth(): string | undefined {
  const outdir = process.env.CDK_OUTDIR;
  return outdir ? path.resolve(outdir) : undefined;
}

/** `cdk synth --no-validation`: the CLI sets CDK_VALIDATION=false, which turns off the built-in plugin. */
function validationSwitchedOff(): boolean {
  return process.env.CDK_VALIDATION === 'false';
}

/**
 * The worker thread: aws-cdk-lib's CloudFormationValidatePlugin, warmed up on a template with
 * one resource of each usual type, then answering validation requests. Under `cdk synth`
 * (CDK_OUTDIR set) it also watches the cloud assembly directory: aws-cdk-lib writes
 * manifest.json after every template and before it runs the validation plugins, so the worker
 * validates the manifest's stacks at once, while the other plugins (cdk-nag) run on the main
 * thread. A request for exactly those stacks, templates unchanged (their contents are compared),
 * gets that report; any other request is validated when it comes. Runs as a string (see
 * `start`): no closure, only `require` and `workerData`.
 */
function workerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { workerData } = require('worker_threads');
  const fs = require('fs');
  const os = require('os');
  const nodePath = require('path');
  const { port, signal, props, cdkLib, warmTypes, outdir, startedAt } = workerData;
  const reply = (message: unknown) => {
    port.postMessage(message);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  interface Stack { stackConstructPath: string; templatePath: string; accountId?: string; region?: string }
  // What a report depends on: each stack's path, environment and template.
  const keyOf = (stacks: Stack[]) => JSON.stringify(stacks.map(s => [s.stackConstructPath, nodePath.resolve(s.templatePath),
    s.accountId ?? null, s.region ?? null, fs.readFileSync(s.templatePath, 'utf8')]));
  let early: { key: string; report: unknown } | undefined;

  let plugin: any;
  let failure: string | undefined;
  let watcher: any;
  let validateAssembly: (() => void) | undefined;
  try {
    plugin = new (require(cdkLib).CloudFormationValidatePlugin)(props);
    // Watch first, so that an assembly written while the engine warms up is seen after it.
    if (outdir) {
      let timer: any;
      validateAssembly = () => {
        try {
          // The stacks as aws-cdk-lib will describe them to the plugins, in its order (the cloud
          // assembly's stacks, dependencies first): the order is part of the report (aws-cdk-lib
          // merges the same finding across templates in that order) and of the key it is found by.
          const cxapi = require(nodePath.join(cdkLib, 'cx-api'));
          const stacks: Stack[] = new cxapi.CloudAssembly(outdir).stacksRecursively.map((s: any) => ({
            stackConstructPath: s.hierarchicalId,
            templatePath: s.templateFullPath,
            accountId: s.environment.account !== cxapi.UNKNOWN_ACCOUNT ? s.environment.account : undefined,
            region: s.environment.region !== cxapi.UNKNOWN_REGION ? s.environment.region : undefined,
          }));
          if (stacks.length === 0) return;
          const key = keyOf(stacks);
          if (early?.key === key) return;
          early = { key, report: plugin.validate({ templatePaths: stacks.map(s => s.templatePath), stackTemplates: stacks }) };
          Atomics.add(signal, 1, 1);
        } catch {
          // A manifest half written (its last write triggers this again) or of another layout:
          // the request is validated when it comes.
        }
      };
      try {
        watcher = fs.watch(outdir, (_event: string, file: string) => {
          if (file !== 'manifest.json') return;
          clearTimeout(timer);
          timer = setTimeout(validateAssembly!, 5);
        });
        watcher.on('error', () => watcher.close());
        watcher.unref();
      } catch {
        // No directory to watch yet (the app creates it) or no file watching here: no early
        // validation, the worker validates when asked.
      }
    }
    // The engine's one-time cost (compiling the WebAssembly module's rules and schemas) is paid
    // on the first template; pay it now, on a template with a resource of the kinds the
    // library's stacks hold, so that the app's templates most likely reuse the same engine.
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'cfn-validate-warm-'));
    try {
      const resources: Record<string, unknown> = {};
      (warmTypes as string[]).forEach((type, i) => resources[`R${i}`] = { Type: type });
      const templatePath = nodePath.join(dir, 'warm.template.json');
      fs.writeFileSync(templatePath, JSON.stringify({ Resources: resources }));
      plugin.validate({ templatePaths: [templatePath], stackTemplates: [{ stackConstructPath: 'Warm', templatePath, accountId: undefined, region: undefined }] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // An app quicker than this thread's start may have written its assembly before the watch began:
    // a manifest written since the plugin was constructed is this synthesis's.
    const manifest = outdir && nodePath.join(outdir, 'manifest.json');
    if (manifest && fs.existsSync(manifest) && fs.statSync(manifest).mtimeMs >= startedAt - 50) setImmediate(validateAssembly!);
  } catch (e) {
    failure = String(e);
  }
  // Every request (an app may synthesize more than once); the assembly validated early can only
  // answer the first, which is cdk synth's.
  port.on('message', (context: { stackTemplates: Stack[]; templatePaths: string[] }) => {
    watcher?.close();
    const first = early;
    early = undefined;
    if (failure !== undefined) return reply({ failure });
    try {
      const ready = first && first.key === keyOf(context.stackTemplates) ? first.report : undefined;
      reply({ report: ready ?? plugin.validate(context), version: plugin.version, early: ready !== undefined });
    } catch (e) {
      reply({ failure: String(e) });
    }
  });
}

