import * as path from 'path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import {
  CloudFormationValidatePlugin,
  CloudFormationValidatePluginProps,
  IPolicyValidationContext,
  PolicyValidationPluginReport,
} from 'aws-cdk-lib';

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
 * has defined its stacks. Registered first thing in the app, this plugin starts a worker thread
 * that loads the engine at once, on another core; at synthesis it hands the templates to that
 * engine and waits for the report. The findings, and whether they fail synthesis, are the
 * built-in plugin's: the worker runs aws-cdk-lib's own `CloudFormationValidatePlugin` (this
 * class extends it, so aws-cdk-lib does not add its default instance as well, and reports it
 * under the same name). If the worker cannot start, fails or does not answer within
 * `timeoutSeconds`, the same plugin validates on the main thread.
 *
 * `cdk synth --no-validation` (`CDK_VALIDATION=false`) switches it off as it does the built-in
 * plugin; like any explicitly registered `CloudFormationValidatePlugin`, it validates whatever
 * the App's `builtinCloudFormationValidation` says. `@aws-cdk/core:validateAgainstDefaultRules`
 * decides, as for the built-in plugin, whether its findings fail synthesis or are warnings.
 *
 * @example
 * const app = new App();
 * // first, so the engine loads while the stacks are defined
 * Validations.of(app).addPlugins(new BackgroundCloudFormationValidatePlugin());
 */
export class BackgroundCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  private readonly timeoutMs: number;
  private worker?: Worker;
  private port?: MessagePort;
  private signal?: Int32Array;
  private engineVersion?: string;
  /** Where the last validation ran (the tests read it). @internal */
  public _validatedOn?: 'worker' | 'main thread';

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
      const signal = new Int32Array(new SharedArrayBuffer(4));
      // Workers run JavaScript files; the worker's code goes as a string so that it runs the
      // same from lib/*.ts (ts-node, ts-run) and from the compiled dist/*.js.
      const worker = new Worker(`(${workerMain.toString()})()`, {
        eval: true,
        workerData: { port: port2, signal, props: pluginProps, warmTypes: WARM_TYPES, cdkLib: path.dirname(require.resolve('aws-cdk-lib/package.json')) },
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
      if (Atomics.wait(signal, 0, 0, this.timeoutMs) === 'timed-out') return undefined;
      const answer = receiveMessageOnPort(port)?.message as { report?: PolicyValidationPluginReport; version?: string } | undefined;
      this.engineVersion = answer?.version;
      return answer?.report;
    } catch {
      return undefined;
    } finally {
      this.stop();
    }
  }

  private stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.port?.close();
    this.port = undefined;
    this.signal = undefined;
    void worker?.terminate().catch(() => undefined);
  }
}

/** `cdk synth --no-validation`: the CLI sets CDK_VALIDATION=false, which turns off the built-in plugin. */
function validationSwitchedOff(): boolean {
  return process.env.CDK_VALIDATION === 'false';
}

/**
 * The worker thread: aws-cdk-lib's CloudFormationValidatePlugin, warmed up on a one-resource
 * template, then answering one validation request. Runs as a string (see `start`): no closure,
 * only `require` and `workerData`.
 */
function workerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { workerData } = require('worker_threads');
  const fs = require('fs');
  const os = require('os');
  const nodePath = require('path');
  const { port, signal, props, cdkLib, warmTypes } = workerData;
  const reply = (message: unknown) => {
    port.postMessage(message);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  let plugin: any;
  let failure: string | undefined;
  try {
    plugin = new (require(cdkLib).CloudFormationValidatePlugin)(props);
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
  } catch (e) {
    failure = String(e);
  }
  port.once('message', (context: any) => {
    if (failure !== undefined) return reply({ failure });
    try {
      reply({ report: plugin.validate(context), version: plugin.version });
    } catch (e) {
      reply({ failure: String(e) });
    }
  });
}

/**
 * The resource types the library's stacks and a team's usual surroundings define: the warm-up
 * template holds one of each, and aws-cdk-lib reuses the engine for templates whose types it
 * has seen (another type rebuilds it, at about a tenth of its first cost).
 */
const WARM_TYPES = [
  'ApplicationAutoScaling::ScalableTarget', 'ApplicationAutoScaling::ScalingPolicy', 'CDK::Metadata', 'CloudWatch::Alarm',
  'EC2::FlowLog', 'EC2::RouteTable', 'EC2::Route', 'EC2::SecurityGroup', 'EC2::SecurityGroupIngress', 'EC2::SecurityGroupEgress',
  'EC2::Subnet', 'EC2::SubnetRouteTableAssociation', 'EC2::VPC', 'EC2::VPCEndpoint', 'EC2::InternetGateway',
  'EC2::VPCGatewayAttachment', 'EC2::NatGateway', 'EC2::EIP', 'ECR::Repository', 'Events::Rule', 'Events::EventBus',
  'Events::EventBusPolicy', 'IAM::ManagedPolicy', 'IAM::Policy', 'IAM::Role', 'KMS::Alias', 'KMS::Key', 'Lambda::Function',
  'Logs::LogGroup', 'S3::Bucket', 'S3::BucketPolicy', 'SNS::Subscription', 'SNS::Topic', 'SNS::TopicPolicy', 'SQS::Queue',
  'SQS::QueuePolicy', 'SageMaker::DataQualityJobDefinition', 'SageMaker::Domain', 'SageMaker::Endpoint',
  'SageMaker::EndpointConfig', 'SageMaker::MlflowTrackingServer', 'SageMaker::Model', 'SageMaker::ModelPackageGroup',
  'SageMaker::MonitoringSchedule', 'SageMaker::UserProfile', 'Scheduler::Schedule', 'StepFunctions::StateMachine',
].map(t => `AWS::${t}`);
