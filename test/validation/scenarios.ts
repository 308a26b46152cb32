/* eslint-disable no-console */
// The scenarios of background-cloudformation-validate-plugin.test.ts, each synthesizing a small
// app with schema validation. The test runs them all in one fresh Node process (node
// bin/ts-run.js test/validation/scenarios.ts): a validation engine built in a jest worker that
// ran the bad-input search took 20 s or more instead of 2 (its heap), and this file builds several
// (three workers' and three on the main thread).
// Prints one JSON object: each scenario's outcome.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, CloudFormationValidatePlugin, IPolicyValidationPlugin, Stack, Validations } from 'aws-cdk-lib';
import { BackgroundCloudFormationValidatePlugin } from '../../bin/validation/background-cloudformation-validate-plugin';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = require('../../cdk.json').context;
const ENV = { account: '123456789012', region: 'us-east-1' };

/** An app with cdk.json's context (and `context`), schema validation on, and `plugins`. */
function validatingApp(plugins: IPolicyValidationPlugin[], context: Record<string, unknown> = {}): App {
  // No synthesis at exit (an App created under CDK_OUTDIR would synthesize again when the process ends).
  const app = new App({ context: { ...CDK_CONTEXT, ...context }, builtinCloudFormationValidation: true, autoSynth: false });
  if (plugins.length) Validations.of(app).addPlugins(...plugins);
  return app;
}

/** An app with a queue whose properties break its resource schema (two findings) or not. */
export function appWith(plugins: IPolicyValidationPlugin[], broken: boolean, context: Record<string, unknown> = {}): App {
  const app = validatingApp(plugins, context);
  const stack = new Stack(app, 'Queues', { env: ENV });
  new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: broken ? { VisibilityTimeout: 'soon', Colour: 'blue' } : { VisibilityTimeout: 30 } });
  return app;
}

/**
 * Three stacks, defined in another order than aws-cdk-lib hands them to the plugins (the cloud
 * assembly's order: dependencies first): `Serving` depends on `Data`; the queues in `Serving`
 * and `Audit` break the same schema rule the same way, one finding over two templates.
 */
export function multiStackApp(plugins: IPolicyValidationPlugin[]): App {
  const app = validatingApp(plugins);
  const queue = (stack: Stack, broken: boolean) =>
    new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: broken ? 'soon' : 30 } });
  const serving = new Stack(app, 'Serving', { env: ENV });
  queue(serving, true);
  const data = new Stack(app, 'Data', { env: ENV });
  queue(data, false);
  serving.addDependency(data);
  queue(new Stack(app, 'Audit', { env: ENV }), true);
  return app;
}

/** The findings a failed synthesis reports: `<plugin> <conclusion> <rule> <severity> <construct path>: <message>`, sorted. */
export function findings(app: App): string[] {
  try {
    app.synth();
  } catch (e) {
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    return report.pluginReports.flatMap((r: any) => r.violations.map((v: any) =>
      `${r.pluginName} ${r.conclusion} ${v.ruleName} ${v.severity} ${v.violatingConstructs.map((c: any) => c.constructPath).join(',')}: ${v.description}`)).sort()
      .concat(String((e as Error).message).includes('A copy of this report can be found in') ? [] : [`unexpected error: ${(e as Error).message}`]);
  }
  return [];
}

/** Waits (at most a minute) until the worker has validated an assembly before being asked. */
function untilValidatedEarly(plugin: BackgroundCloudFormationValidatePlugin): number {
  const waited = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 600 && plugin._earlyValidations() === 0; i++) Atomics.wait(waited, 0, 0, 100);
  return plugin._earlyValidations();
}

/** Runs `f` with CDK_OUTDIR set to a fresh directory, as `cdk synth` runs an app. */
function underCdkSynth<T>(f: (outdir: string) => T): T {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  process.env.CDK_OUTDIR = outdir;
  try {
    return f(outdir);
  } finally {
    delete process.env.CDK_OUTDIR;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** A team's own rules, in the forms aws-cdk-lib takes: queues are encrypted (Guard), visibility timeouts at most 600 s (Rego). */
export const TEAM_RULES = {
  guardRules: [{
    name: 'team-queues.guard',
    content: [
      "let queues = Resources.*[ Type == 'AWS::SQS::Queue' ]",
      'rule TEAM_QUEUE_ENCRYPTED when %queues !empty {',
      '  %queues.Properties.KmsMasterKeyId exists',
      '  <<Queues are encrypted with a KMS key (KmsMasterKeyId)>>',
      '}',
      '',
    ].join('\n'),
  }],
  regoRules: [{
    name: 'team-queues.rego',
    content: [
      'package team_rules.sqs',
      '',
      'import rego.v1',
      '',
      'violation contains v if {',
      '\tsome name in resources_of_type("AWS::SQS::Queue")',
      '\ttimeout := resolve(name, "Properties.VisibilityTimeout")',
      '\tis_number(timeout)',
      '\ttimeout > 600',
      '\tv := make_diag_at("TEAM-SQS-001", "ERROR", name, "Properties.VisibilityTimeout", sprintf("VisibilityTimeout %v is above 600 s", [timeout]))',
      '}',
      '',
    ].join('\n'),
  }],
  // aws-cdk-lib's own rules (here CDK-GameLift-001, which the fleet below breaks) off.
  includeDefaultRules: false,
};

/**
 * A queue that breaks both team rules and a GameLift fleet whose inverted port range breaks
 * aws-cdk-lib's default rule CDK-GameLift-001 (schema-valid otherwise); `acknowledged`: the
 * team acknowledges TEAM-SQS-001 on the queue.
 */
export function teamApp(plugins: IPolicyValidationPlugin[], acknowledged: boolean): App {
  const app = validatingApp(plugins);
  const stack = new Stack(app, 'Team', { env: ENV });
  const queue = new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 900 } });
  new CfnResource(stack, 'Fleet', {
    type: 'AWS::GameLift::Fleet',
    properties: { Name: 'fleet', EC2InstanceType: 'c5.large', EC2InboundPermissions: [{ FromPort: 2000, ToPort: 1000, IpRange: '10.0.0.0/16', Protocol: 'TCP' }] },
  });
  if (acknowledged) Validations.of(queue).acknowledge({ id: 'CloudFormation-Validate::TEAM-SQS-001', reason: 'this queue holds 15-minute batch jobs' });
  return app;
}

export function runScenarios() {
  const builtIn = findings(appWith([], true));

  // The worker validates the assembly while a plugin registered before it runs (cdk-nag's packs
  // take seconds on a large app), which waits until it has.
  const early = underCdkSynth(outdir => {
    const plugin = new BackgroundCloudFormationValidatePlugin();
    const slow = { name: 'Slow', validate: () => (untilValidatedEarly(plugin), { success: true, violations: [] }) };
    // Several stacks: the early report is of them in the order aws-cdk-lib asks about them.
    const app = multiStackApp([slow, plugin]);
    return { outdirIsCdkOutdir: app.outdir === outdir, findings: findings(app), validatedOn: plugin._validatedOn, early: plugin._validatedEarly };
  });
  const multiStackBuiltIn = findings(multiStackApp([]));

  // A plugin before it breaks the template the worker validated early (as valid).
  const tampered = underCdkSynth(() => {
    const plugin = new BackgroundCloudFormationValidatePlugin();
    let validatedEarly = 0;
    const tamper = {
      name: 'Tamper',
      validate: (context: { templatePaths: string[] }) => {
        validatedEarly = untilValidatedEarly(plugin);
        const file = context.templatePaths[0];
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/"VisibilityTimeout": *30/, '"VisibilityTimeout": "soon"'));
        return { success: true, violations: [] };
      },
    };
    const app = appWith([tamper, plugin], false);
    // aws-cdk-lib would refuse a plugin that changes the assembly; this one does on purpose.
    (app as any)._confirmValidationPluginsDoNotMutate = false;
    return { findings: findings(app), validatedOn: plugin._validatedOn, early: plugin._validatedEarly, validatedEarly, version: plugin.version };
  });

  // No answer in time (1 ms): the main thread validates.
  const timeout = new BackgroundCloudFormationValidatePlugin({ timeoutSeconds: 0.001 });
  const timedOut = { findings: findings(appWith([timeout], true)), validatedOn: timeout._validatedOn };

  // aws-cdk-lib downgrades the report by the plugin's name, wherever it was made (here on the main
  // thread, after a timeout, which spares this process a worker's engine).
  const context = { '@aws-cdk/core:validateAgainstDefaultRules': false };
  const warnings = {
    // The plugin that timed out: it validates on the main thread from then on (its engine is built).
    plugin: findings(appWith([timeout], true, context)),
    builtIn: findings(appWith([], true, context)),
  };

  // Every option: the team's Guard and Rego rules, the default rules off, a timeout; aws-cdk-lib's
  // plugin with the same rules on the main thread is the reference. The plugin starts while
  // CDK_OUTDIR names a directory that does not exist (nothing to watch: no early validation), and
  // the worker still validates when asked, then a second app (an acknowledgement added).
  const team = underCdkSynth(outdir => {
    process.env.CDK_OUTDIR = path.join(outdir, 'missing', 'cdk.out');
    const plugin = new BackgroundCloudFormationValidatePlugin({ ...TEAM_RULES, timeoutSeconds: 120 });
    process.env.CDK_OUTDIR = outdir;
    const first = { findings: findings(teamApp([plugin], false)), validatedOn: plugin._validatedOn, early: plugin._validatedEarly };
    plugin._validatedOn = undefined;
    const again = { findings: findings(teamApp([plugin], true)), validatedOn: plugin._validatedOn, early: plugin._validatedEarly };
    return { first, again };
  });
  const teamMainThread = findings(teamApp([new CloudFormationValidatePlugin(TEAM_RULES)], false));

  const builtInVersion = new CloudFormationValidatePlugin().version;
  return { builtIn, builtInVersion, early, multiStackBuiltIn, tampered, timedOut, warnings, team, teamMainThread };
}

if (path.resolve(process.argv[1] ?? '') === __filename) { // run as the entry point (bin/ts-run.js sets argv[1])
  // The warnings synthesis prints its report to stderr (aws-cdk-lib); stdout carries only the outcomes.
  console.log(JSON.stringify(runScenarios()));
}
