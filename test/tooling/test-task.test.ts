import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { testTargets, TestRun } from '../../bench/tests';

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const LongestFirst = require('../sequencer');

/** A test as jest hands it to the sequencer, without cached results (as in a fresh clone). */
function fakeTest(file: string, bytes: number) {
  return { path: path.join(ROOT, file), context: { config: { cache: false, id: 'fake' }, hasteFS: { getSize: () => bytes } } };
}

describe('test/sequencer.js: the longest test files first, also without cached durations', () => {
  test('the measured long files first (the bad-input search, the reference app, the validation scenarios), then by size', () => {
    const tests = [
      fakeTest('test/roles/small.test.ts', 3_000),
      fakeTest('test/api/big.test.ts', 60_000),
      fakeTest('test/validation/background-cloudformation-validate-plugin.test.ts', 4_000),
      fakeTest('test/compliance/property/jobs.property.test.ts', 6_000),
      fakeTest('test/compliance/reference-app.test.ts', 7_000),
      fakeTest('test/compliance/property/harness.test.ts', 80_000),
    ];
    const sorted = new LongestFirst().sort(tests).map((t: { path: string }) => path.relative(ROOT, t.path));
    expect(sorted).toEqual([
      'test/compliance/property/jobs.property.test.ts',
      'test/compliance/reference-app.test.ts',
      'test/validation/background-cloudformation-validate-plugin.test.ts',
      'test/compliance/property/harness.test.ts', // not a search file: its size, 8 s
      'test/api/big.test.ts',
      'test/roles/small.test.ts',
    ]);
  });
});

describe('npm test runs the type-check and eslint side by side, then jest', () => {
  test('the projen test task is test/run-tests.js, which passes its arguments to jest', () => {
    const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8')).tasks;
    expect(tasks.test.steps).toEqual([{ exec: 'node test/run-tests.js', receiveArgs: true }]);
  });
});

describe('test/run-tests.js with stand-ins for tsc, eslint (projen eslint) and jest', () => {
  // A copy of the runner in a directory whose node_modules/.bin holds scripts that log and exit as told.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-tests-'));
  fs.mkdirSync(path.join(dir, 'test'));
  fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'test', 'run-tests.js'), path.join(dir, 'test', 'run-tests.js'));
  for (const [tool, status] of [['tsc', 'TSC'], ['projen', 'LINT']]) {
    const file = path.join(dir, 'node_modules', '.bin', tool);
    fs.writeFileSync(file, `#!/bin/sh\necho "${tool} $@" >> "$LOG"\nexit \${${status}_STATUS:-0}\n`);
    fs.chmodSync(file, 0o755);
  }
  // jest runs as node <flags> node_modules/jest/bin/jest.js: the stand-in logs node's flags too.
  fs.mkdirSync(path.join(dir, 'node_modules', 'jest', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), [
    "require('fs').appendFileSync(process.env.LOG, `jest ${[...process.execArgv, '|', ...process.argv.slice(2)].join(' ')}\\n`);",
    'process.exit(Number(process.env.JEST_STATUS ?? 0));',
  ].join('\n'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const runner = (env: Record<string, string>) => {
    const log = path.join(dir, `log-${Object.keys(env).join('-') || 'ok'}`);
    const timings = `${log}.json`;
    const r = spawnSync(process.execPath, [path.join(dir, 'test', 'run-tests.js'), '--json', '--outputFile=x'], { env: { ...process.env, ...env, LOG: log, TEST_TIMINGS_FILE: timings }, encoding: 'utf8' });
    return { status: r.status, calls: fs.readFileSync(log, 'utf8').trim().split('\n').sort(), phases: JSON.parse(fs.readFileSync(timings, 'utf8')).phases.map((p: any) => [p.phase, p.status]) };
  };

  test('all pass: the type-check, eslint and jest (with the arguments) ran, and each phase\'s times are written', () => {
    expect(runner({})).toEqual({
      status: 0,
      calls: ['jest --single-threaded-gc | --passWithNoTests --ci --json --outputFile=x', 'projen eslint', 'tsc -p test/tsconfig.json --noEmit --incremental --tsBuildInfoFile .cache/tsc-test.tsbuildinfo'],
      phases: [['type-check', 0], ['eslint', 0], ['jest', 0]],
    });
  });

  test('a failed type-check: jest does not run, the task fails', () => {
    expect(runner({ TSC_STATUS: '2' })).toMatchObject({ status: 1, phases: [['type-check', 2], ['eslint', 0]] });
  });

  test('eslint or jest failing fails the task, after every phase ran', () => {
    expect(runner({ LINT_STATUS: '1' })).toMatchObject({ status: 1, phases: [['type-check', 0], ['eslint', 1], ['jest', 0]] });
    expect(runner({ JEST_STATUS: '1' })).toMatchObject({ status: 1, phases: [['type-check', 0], ['eslint', 0], ['jest', 1]] });
  });
});

describe('bench/tests.ts: the npm test targets', () => {
  const run = (mode: 'readme' | 'ci', wallSeconds: number, cpuSeconds: number, failed = 0, skipReasons: string[] = []): TestRun => ({
    mode,
    status: failed ? 1 : 0,
    wallSeconds,
    cpuSeconds,
    phases: [
      { phase: 'type-check', status: 0, wallSeconds: 15, cpuSeconds: 16 },
      { phase: 'eslint', status: 0, wallSeconds: 19, cpuSeconds: 25 },
      { phase: 'jest', status: failed ? 1 : 0, wallSeconds: wallSeconds - 19, cpuSeconds: cpuSeconds - 41 },
    ],
    tests: { total: 1000, passed: 1000 - failed - skipReasons.length, failed, skipped: skipReasons.length },
    files: [],
    folders: [{ folder: path.join('test', 'compliance', 'property'), cpuSeconds: 100, share: 0.4 }],
    skipReasons,
    workers: 2,
    failedFiles: failed ? ['test/x.test.ts'] : [],
  });

  test('met when within the limit; not met with the CPU floor, the phases and the search\'s share as the reason', () => {
    const [readme, ci, skips] = testTargets([run('readme', 55, 100), run('ci', 150, 300)], 2);
    expect(readme).toMatchObject({ met: true, reason: '', measured: '55.0 s wall, 100 CPU s (1000 tests)' });
    expect(ci.met).toBe(false);
    expect(ci.reason).toMatch(/^300 CPU s on 2 cores cannot take less than 150 s wall/);
    expect(ci.reason).toContain('type-check 16 + eslint 25 + jest 259 CPU s');
    expect(ci.reason).toContain('the bad-input search is 40% of the test files\' CPU (100 s)');
    expect(ci.reason).toContain('90 s would take at most 180 CPU s');
    expect(skips).toMatchObject({ met: true });
  });

  test('a failed run or a skip without a printed reason is not met', () => {
    const [readme, , failed] = testTargets([run('readme', 30, 50, 2)], 2);
    expect(readme).toMatchObject({ met: false, reason: 'npm test failed (exit 1, 2 tests failed)' });
    expect(failed).toMatchObject({ met: false, reason: 'tests failed' });
    const silent = { ...run('ci', 80, 150), tests: { total: 10, passed: 9, failed: 0, skipped: 1 } };
    expect(testTargets([silent], 2)[2]).toMatchObject({ met: false, reason: 'tests skipped without a reason printed' });
    const explained = run('ci', 80, 150, 0, ['skipping the GLM container contract tests: install python3-gunicorn']);
    expect(testTargets([explained], 2)[2]).toMatchObject({ met: true, measured: expect.stringContaining('python3-gunicorn') });
  });
});
