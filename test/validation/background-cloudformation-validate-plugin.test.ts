import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, CloudFormationValidatePlugin, Stack, Validations } from 'aws-cdk-lib';
import { BackgroundCloudFormationValidatePlugin } from '../../lib';
import { ENV } from '../util';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = require('../../cdk.json').context;

/** An app with a queue whose properties break its resource schema (two findings) or not. */
function appWith(plugin: CloudFormationValidatePlugin | undefined, broken: boolean, context: Record<string, unknown> = {}): App {
  const app = new App({ context: { ...CDK_CONTEXT, ...context }, builtinCloudFormationValidation: true });
  if (plugin) Validations.of(app).addPlugins(plugin);
  const stack = new Stack(app, 'Queues', { env: ENV });
  new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: broken ? { VisibilityTimeout: 'soon', Colour: 'blue' } : { VisibilityTimeout: 30 } });
  return app;
}

/** The findings a failed synthesis reports: `<rule> <construct path>: <message>`, sorted. */
function findings(app: App): string[] {
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

describe('BackgroundCloudFormationValidatePlugin', () => {
  test('under cdk synth (CDK_OUTDIR) the worker validates the assembly as soon as it is written, while the other plugins run; the same findings', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
    process.env.CDK_OUTDIR = outdir;
    try {
      const plugin = new BackgroundCloudFormationValidatePlugin();
      // A plugin registered before it that runs until the worker has validated (cdk-nag's packs take seconds on a large app).
      const slow = {
        name: 'Slow',
        validate: () => {
          const waited = new Int32Array(new SharedArrayBuffer(4));
          for (let i = 0; i < 600 && plugin._earlyValidations() === 0; i++) Atomics.wait(waited, 0, 0, 100);
          return { success: true, violations: [] };
        },
      };
      const app = new App({ context: CDK_CONTEXT, builtinCloudFormationValidation: true });
      expect(app.outdir).toBe(outdir);
      Validations.of(app).addPlugins(slow, plugin);
      const stack = new Stack(app, 'Queues', { env: ENV });
      new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'soon', Colour: 'blue' } });
      // Two findings, not four: aws-cdk-lib adds no default instance of the plugin beside this one.
      const early = findings(app);
      expect({ validatedOn: plugin._validatedOn, early: plugin._validatedEarly }).toEqual({ validatedOn: 'worker', early: true });
      expect(early).toEqual(findings(appWith(undefined, true)));
      expect(early).toHaveLength(2);
    } finally {
      delete process.env.CDK_OUTDIR;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  // Also the passing case (the template the worker validated early had no finding; the reference
  // app's report, all valid, comes from the worker too) and a validation made when asked.
  test('a template changed after the worker validated it early is validated again, when asked (the report is of the templates asked about)', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
    process.env.CDK_OUTDIR = outdir;
    try {
      const plugin = new BackgroundCloudFormationValidatePlugin();
      let validatedEarly = 0;
      const tamper = {
        name: 'Tamper',
        validate: (context: { templatePaths: string[] }) => {
          const waited = new Int32Array(new SharedArrayBuffer(4));
          for (let i = 0; i < 600 && plugin._earlyValidations() === 0; i++) Atomics.wait(waited, 0, 0, 100);
          validatedEarly = plugin._earlyValidations();
          // Break the template the worker saw as valid.
          const file = context.templatePaths[0];
          fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/"VisibilityTimeout": *30/, '"VisibilityTimeout": "soon"'));
          return { success: true, violations: [] };
        },
      };
      const app = new App({ context: CDK_CONTEXT, builtinCloudFormationValidation: true });
      Validations.of(app).addPlugins(tamper, plugin);
      new CfnResource(new Stack(app, 'Queues', { env: ENV }), 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 30 } });
      // aws-cdk-lib would refuse a plugin that changes the assembly; this one does on purpose.
      (app as any)._confirmValidationPluginsDoNotMutate = false;
      expect(findings(app)).toEqual([expect.stringMatching(/^CloudFormation Validate failure F\d+ error Queues\/Queue: VisibilityTimeout: 'soon' /)]);
      expect({ validatedOn: plugin._validatedOn, early: plugin._validatedEarly, validatedEarly }).toEqual({ validatedOn: 'worker', early: false, validatedEarly: 1 });
      // The engine version the report names, from the worker (the main thread need not load the engine to name it).
      expect(plugin.version).toBe(new CloudFormationValidatePlugin().version);
    } finally {
      delete process.env.CDK_OUTDIR;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  // aws-cdk-lib downgrades the report by the plugin's name, wherever it was made: validated on the
  // main thread here (a timeout at once), which spares this file a worker's engine.
  test('without the flag @aws-cdk/core:validateAgainstDefaultRules the findings are warnings and synthesis passes, as with the built-in plugin', () => {
    const context = { '@aws-cdk/core:validateAgainstDefaultRules': false };
    expect(findings(appWith(new BackgroundCloudFormationValidatePlugin({ timeoutSeconds: 0.001 }), true, context))).toEqual([]);
    expect(findings(appWith(undefined, true, context))).toEqual([]);
  });

  test('a worker that does not answer in time: the main thread validates, with the same findings', () => {
    const plugin = new BackgroundCloudFormationValidatePlugin({ timeoutSeconds: 0.001 });
    expect(findings(appWith(plugin, true))).toEqual(findings(appWith(undefined, true)));
    expect(plugin._validatedOn).toBe('main thread');
  });

  test('cdk synth --no-validation (CDK_VALIDATION=false) switches it off as it does the built-in plugin: no worker, no findings', () => {
    process.env.CDK_VALIDATION = 'false';
    try {
      const plugin = new BackgroundCloudFormationValidatePlugin();
      expect((plugin as any).worker).toBeUndefined();
      expect(findings(appWith(plugin, true))).toEqual([]);
      expect(findings(appWith(undefined, true))).toEqual([]);
    } finally {
      delete process.env.CDK_VALIDATION;
    }
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('timeoutSeconds %p is refused', timeoutSeconds => {
    expect(() => new BackgroundCloudFormationValidatePlugin({ timeoutSeconds })).toThrow(
      `BackgroundCloudFormationValidatePlugin: timeoutSeconds must be a positive number of seconds, got ${timeoutSeconds}`);
  });

  test('an app that never synthesizes exits: the worker does not keep the process alive', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'background-validate-'));
    try {
      const entry = path.join(dir, 'app.ts');
      const lib = path.join(__dirname, '..', '..', 'lib', 'validation', 'background-cloudformation-validate-plugin');
      fs.writeFileSync(entry, `import { BackgroundCloudFormationValidatePlugin } from ${JSON.stringify(lib)};\nnew BackgroundCloudFormationValidatePlugin();\nconsole.log('defined');\n`);
      const run = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'ts-run.js'), entry], { encoding: 'utf8', timeout: 60_000 });
      expect({ status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr }).toEqual({ status: 0, signal: null, stdout: 'defined\n', stderr: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
