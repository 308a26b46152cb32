import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appWith, findings, runScenarios } from './scenarios';
import { RUNNER } from '../../bench/measure';
import { BackgroundCloudFormationValidatePlugin } from '../../bin/validation/background-cloudformation-validate-plugin';

const ROOT = path.join(__dirname, '..', '..');

// cdk.json's runner (node's flags and bin/ts-run.js), as `cdk synth` runs the reference app.
const RUNNER_ARGS = RUNNER.split(' ').slice(1);
// The scenarios that build validation engines run in one fresh Node process (see scenarios.ts).
const run = spawnSync(process.execPath, [...RUNNER_ARGS, path.join(__dirname, 'scenarios.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
const outcomes: ReturnType<typeof runScenarios> = run.status === 0 ? JSON.parse(run.stdout) : undefined as any;
const finding = (rule: RegExp) => expect.stringMatching(rule);
const BROKEN = [
  finding(/^CloudFormation Validate failure F\d+ error Queues\/Queue: Colour: /),
  finding(/^CloudFormation Validate failure F\d+ error Queues\/Queue: VisibilityTimeout: 'soon' /),
];

describe('BackgroundCloudFormationValidatePlugin', () => {
  test('the scenarios ran', () => {
    expect({ status: run.status, signal: run.signal, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(outcomes.builtIn).toEqual(BROKEN);
  });

  // Three stacks defined in another order than aws-cdk-lib asks about them in (the cloud assembly's
  // order, dependencies first), which the report depends on: a finding in two templates lists them
  // in that order. Keyed by the manifest's order, the early report never matched an app of several
  // stacks and the worker validated them again when asked. One finding, not two: aws-cdk-lib adds
  // no default instance of the plugin beside this one.
  test('under cdk synth (CDK_OUTDIR) the worker validates the assembly as soon as it is written, while the other plugins run; the built-in plugin\'s findings', () => {
    expect(outcomes.multiStackBuiltIn).toEqual([
      "CloudFormation Validate failure F3012 error Audit/Queue,Serving/Queue: VisibilityTimeout: 'soon' is not of type 'integer'",
    ]);
    expect(outcomes.early).toEqual({ outdirIsCdkOutdir: true, findings: outcomes.multiStackBuiltIn, validatedOn: 'worker', early: true });
  });

  // Also the passing case (the template the worker validated early had no finding; the reference
  // app's report, all valid, comes from the worker too) and a validation made when asked.
  test('a template changed after the worker validated it early is validated again, when asked (the report is of the templates asked about)', () => {
    expect(outcomes.tampered).toEqual({ findings: [BROKEN[1]], validatedOn: 'worker', early: false, validatedEarly: 1, version: outcomes.builtInVersion });
  });

  // Every option a team sets: its Guard and Rego rules, aws-cdk-lib's default rules off (the fleet's
  // CDK-GameLift-001 is not reported), a timeout. The rules reach the worker (the same findings as
  // aws-cdk-lib's plugin with them on the main thread), an acknowledgement of one finding is
  // honoured, and the one worker answers a second synthesis. CDK_OUTDIR did not exist when the
  // plugin started: no early validation, but no fallback to the main thread either (the worker
  // failed as a whole when it could not watch the directory).
  test("a team's own Guard and Rego rules, default rules off, a timeout: the worker reports the main thread's findings, and again for a second app", () => {
    const team = [
      'CloudFormation Validate failure TEAM-SQS-001 error Team/Queue: VisibilityTimeout: VisibilityTimeout 900 is above 600 s',
      'CloudFormation Validate failure TEAM_QUEUE_ENCRYPTED error Team/Queue: Properties: Queues are encrypted with a KMS key (KmsMasterKeyId)',
    ];
    expect(outcomes.teamMainThread).toEqual(team);
    expect(outcomes.team).toEqual({
      first: { findings: team, validatedOn: 'worker', early: false },
      again: { findings: [team[1]], validatedOn: 'worker', early: false },
    });
  });

  test('a worker that does not answer in time: the main thread validates, with the same findings', () => {
    expect(outcomes.timedOut).toEqual({ findings: outcomes.builtIn, validatedOn: 'main thread' });
  });

  test('without the flag @aws-cdk/core:validateAgainstDefaultRules the findings are warnings and synthesis passes, as with the built-in plugin', () => {
    expect(outcomes.warnings).toEqual({ plugin: [], builtIn: [] });
    expect(run.stderr).toMatch(/WARNING VisibilityTimeout: 'soon' is not of type 'integer' \(CloudFormation Validate\)/);
  });

  test('cdk synth --no-validation (CDK_VALIDATION=false) switches it off as it does the built-in plugin: no worker, no findings', () => {
    process.env.CDK_VALIDATION = 'false';
    try {
      const plugin = new BackgroundCloudFormationValidatePlugin();
      expect((plugin as any).worker).toBeUndefined();
      expect(findings(appWith([plugin], true))).toEqual([]);
      expect(findings(appWith([], true))).toEqual([]);
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
      const lib = path.join(__dirname, '..', '..', 'bin', 'validation', 'background-cloudformation-validate-plugin');
      fs.writeFileSync(entry, `import { BackgroundCloudFormationValidatePlugin } from ${JSON.stringify(lib)};\nnew BackgroundCloudFormationValidatePlugin();\nconsole.log('defined');\n`);
      const exit = spawnSync(process.execPath, [...RUNNER_ARGS, entry], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect({ status: exit.status, signal: exit.signal, stdout: exit.stdout, stderr: exit.stderr }).toEqual({ status: 0, signal: null, stdout: 'defined\n', stderr: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
