/* eslint-disable no-console */
// `npm test` as a fresh clone runs it, timed: the README's command (`npm test`) and at CI strength
// (`CI=true`, as .ci/run runs it: 500 cases per property of the bad-input search). Each run starts
// from empty caches (jest's transform cache, the type-check's build info, the temporary directory
// and bin/ts-run.js's transpile cache), prints its phases (type-check, eslint, jest: wall and CPU
// seconds), each test folder's and the costliest files' share of jest's CPU (a test file's worker
// and every child process it waited for: cfn-lint, Python, the validation scenarios), and returns
// the target lines of issue 26.
//
// Standalone: `npx ts-node --transpile-only bench/tests.ts [--readme-only | --ci-only]` (each run
// about 2 to 4 minutes on the 2-core machine); bench/bench.ts may import `benchTests`.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const BUILD_INFO = path.join(ROOT, '.cache', 'tsc-test.tsbuildinfo');

/** One line of the benchmark's targets. */
export interface TargetLine {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
  readonly reason: string;
}

/** A test file's cost in one run. */
export interface FileCost {
  readonly file: string;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly tests: number;
}

/** One timed `npm test`. */
export interface TestRun {
  readonly mode: 'readme' | 'ci';
  readonly status: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly phases: { phase: string; status: number; wallSeconds: number; cpuSeconds: number }[];
  readonly tests: { total: number; passed: number; failed: number; skipped: number };
  readonly files: FileCost[];
  readonly folders: { folder: string; cpuSeconds: number; share: number }[];
  readonly skipReasons: string[];
  /** How many jest worker processes ran the files (a worker over workerIdleMemoryLimit is replaced by a new one). */
  readonly workers: number;
  /** The test files with a failed test (another session's work in progress shows here first). */
  readonly failedFiles: string[];
}

/** Records each test file's CPU (its worker and the children it waited for) as it ends: a jest test environment. */
function cpuEnvironment(dir: string): string {
  const file = path.join(dir, 'cpu-environment.js');
  const nodeEnvironment = require.resolve('jest-environment-node', { paths: [ROOT] });
  fs.writeFileSync(file, `'use strict';
const fs = require('fs');
const { TestEnvironment } = require(${JSON.stringify(nodeEnvironment)});
// utime + stime + cutime + cstime of this process (Linux), in seconds; process.cpuUsage elsewhere.
function cpu() {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').replace(/^.*\\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6;
  }
}
class CpuEnvironment extends TestEnvironment {
  constructor(config, context) { super(config, context); this.testPath = context.testPath; this.cpu0 = cpu(); this.wall0 = Date.now(); }
  async teardown() {
    await super.teardown();
    fs.appendFileSync(process.env.BENCH_TESTS_CPU_LOG, JSON.stringify({ file: this.testPath, pid: process.pid, cpuSeconds: cpu() - this.cpu0, wallSeconds: (Date.now() - this.wall0) / 1000 }) + '\\n');
  }
}
module.exports = CpuEnvironment;
`);
  return file;
}

/** `npm test` from empty caches, timed. */
export function runTests(mode: 'readme' | 'ci'): TestRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-tests-'));
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const report = path.join(dir, 'jest.json');
  const timings = path.join(dir, 'phases.json');
  const cpuLog = path.join(dir, 'cpu.jsonl');
  const savedBuildInfo = fs.existsSync(BUILD_INFO) ? fs.readFileSync(BUILD_INFO) : undefined;
  fs.rmSync(BUILD_INFO, { force: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: tmp, // jest's cache directory, prop-coverage's cache and every test's temporary files: empty
    TS_RUN_CACHE_DIR: path.join(dir, 'ts-run'),
    TEST_TIMINGS_FILE: timings,
    BENCH_TESTS_CPU_LOG: cpuLog,
  };
  delete env.CI;
  delete env.FC_RUNS;
  if (mode === 'ci') env.CI = 'true';
  try {
    process.stderr.write(`npm test${mode === 'ci' ? ' (CI=true)' : ''} from empty caches\n`);
    const t0 = process.hrtime.bigint();
    const args = ['test', '--', '--json', `--outputFile=${report}`, `--testEnvironment=${cpuEnvironment(dir)}`];
    const time = fs.existsSync('/usr/bin/time');
    const r = spawnSync(time ? '/usr/bin/time' : 'npm', time ? ['-f', '@@bench %U %S', 'npm', ...args] : args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const line = (r.stderr ?? '').split('\n').find(l => l.startsWith('@@bench'));
    const cpuSeconds = line ? line.split(' ').slice(1).map(Number).reduce((a, b) => a + b, 0) : NaN;
    const jest = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : undefined;
    const costs = fs.existsSync(cpuLog) ? fs.readFileSync(cpuLog, 'utf8').trim().split('\n').filter(Boolean).map(l => JSON.parse(l)) : [];
    const files: FileCost[] = costs.map((c: any) => ({
      file: path.relative(ROOT, c.file),
      cpuSeconds: c.cpuSeconds,
      wallSeconds: c.wallSeconds,
      tests: jest?.testResults.find((t: any) => t.name === c.file)?.assertionResults.length ?? 0,
    })).sort((a, b) => b.cpuSeconds - a.cpuSeconds);
    const total = files.reduce((a, f) => a + f.cpuSeconds, 0);
    const byFolder = new Map<string, number>();
    for (const f of files) byFolder.set(path.dirname(f.file), (byFolder.get(path.dirname(f.file)) ?? 0) + f.cpuSeconds);
    // What each skipped test file said about why (the warnings the prerequisite checks print).
    const skipReasons = [...new Set(((r.stdout ?? '') + (r.stderr ?? '')).split('\n').map(l => l.trim()).filter(l => /\bskip(ping|ped)\b/i.test(l) && !/^(Tests|Test Suites):/.test(l)))];
    return {
      mode,
      status: r.status ?? 1,
      wallSeconds,
      cpuSeconds,
      phases: fs.existsSync(timings) ? JSON.parse(fs.readFileSync(timings, 'utf8')).phases : [],
      tests: {
        total: jest?.numTotalTests ?? 0,
        passed: jest?.numPassedTests ?? 0,
        failed: jest?.numFailedTests ?? 0,
        skipped: (jest?.numPendingTests ?? 0) + (jest?.numTodoTests ?? 0),
      },
      files,
      folders: [...byFolder].sort((a, b) => b[1] - a[1]).map(([folder, s]) => ({ folder, cpuSeconds: s, share: s / total })),
      skipReasons,
      workers: new Set(costs.map((c: any) => c.pid)).size,
      failedFiles: (jest?.testResults ?? []).filter((t: any) => t.status === 'failed').map((t: any) => path.relative(ROOT, t.name)),
    };
  } finally {
    if (savedBuildInfo) fs.writeFileSync(BUILD_INFO, savedBuildInfo);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 0) => (Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

/** Prints a run's phases, its folders' shares and its costliest files. */
export function printRun(run: TestRun): void {
  console.log(`\nnpm test${run.mode === 'ci' ? ' at CI strength (CI=true)' : ' (the README\'s command)'}, empty caches: ${run.status === 0 ? 'passed' : 'FAILED'}, `
    + `${round(run.wallSeconds, 1)} s wall, ${round(run.cpuSeconds, 1)} CPU s; ${run.tests.total} tests: ${run.tests.passed} passed, ${run.tests.failed} failed, ${run.tests.skipped} skipped`);
  console.table(run.phases.map(p => ({ 'phase': p.phase, 'wall s': round(p.wallSeconds, 1), 'cpu s': round(p.cpuSeconds, 1), 'ok': p.status === 0 })));
  const jestCpu = run.files.reduce((a, f) => a + f.cpuSeconds, 0);
  console.log(`each folder's share of the test files' CPU (${round(jestCpu)} CPU s in ${run.files.length} files, children included; ${run.workers} worker processes):`);
  console.table(run.folders.map(f => ({ 'folder': f.folder, 'cpu s': round(f.cpuSeconds, 1), 'share': `${round(100 * f.share)}%` })));
  console.log('the ten costliest files:');
  console.table(run.files.slice(0, 10).map(f => ({ 'file': f.file, 'cpu s': round(f.cpuSeconds, 1), 'wall s': round(f.wallSeconds, 1), 'tests': f.tests })));
  for (const reason of run.skipReasons) console.log(`skipped: ${reason}`);
  for (const file of run.failedFiles) console.log(`failed: ${file}`);
}

/** The targets of issue 26 for `npm test`, from the runs made. */
export function testTargets(runs: TestRun[], cores = os.cpus().length): TargetLine[] {
  const line = (run: TestRun | undefined, name: string, target: string, limit: number): TargetLine => {
    if (!run) return { name, target, measured: 'not run', met: undefined, reason: '' };
    const floor = run.cpuSeconds / cores;
    const search = run.folders.find(f => f.folder === path.join('test', 'compliance', 'property'));
    const phase = (p: string) => run.phases.find(x => x.phase === p);
    const failed = run.status !== 0 ? `npm test failed (exit ${run.status}, ${run.tests.failed} tests failed)` : '';
    const slow = run.wallSeconds <= limit ? ''
      : `${round(run.cpuSeconds)} CPU s on ${cores} cores cannot take less than ${round(floor)} s wall even with every core busy throughout `
        + `(type-check ${round(phase('type-check')?.cpuSeconds ?? NaN)} + eslint ${round(phase('eslint')?.cpuSeconds ?? NaN)} + jest ${round(phase('jest')?.cpuSeconds ?? NaN)} CPU s); `
        + (search ? `the bad-input search is ${round(100 * search.share)}% of the test files' CPU (${round(search.cpuSeconds)} s); ` : '')
        + `${limit} s would take at most ${round(limit * cores)} CPU s (bench/TESTS.md: where the rest goes)`;
    return {
      name,
      target,
      measured: `${round(run.wallSeconds, 1)} s wall, ${round(run.cpuSeconds)} CPU s (${run.tests.total} tests)`,
      met: !failed && !slow,
      reason: [failed, slow].filter(Boolean).join('; '),
    };
  };
  const readme = runs.find(r => r.mode === 'readme');
  const ci = runs.find(r => r.mode === 'ci');
  const all = runs[runs.length - 1];
  return [
    line(readme, 'npm test', 'the README\'s npm test: at most 60 s wall', 60),
    line(ci, 'npm test (CI)', 'npm test at CI strength (CI=true): at most 90 s wall', 90),
    {
      name: 'tests skip only for a missing prerequisite',
      target: 'every test runs; one skips only, with the reason, when a prerequisite it needs is missing',
      measured: all ? `${all.tests.passed} passed, ${all.tests.failed} failed, ${all.tests.skipped} skipped${all.skipReasons.length ? ` (${all.skipReasons.join('; ')})` : ''}` : 'not run',
      met: all ? all.tests.failed === 0 && (all.tests.skipped === 0 || all.skipReasons.length > 0) : undefined,
      reason: all && all.tests.failed ? 'tests failed' : all && all.tests.skipped && !all.skipReasons.length ? 'tests skipped without a reason printed' : '',
    },
  ];
}

/** Runs `npm test` in the given modes and returns the runs and the target lines. */
export function benchTests(modes: ('readme' | 'ci')[] = ['readme', 'ci']): { runs: TestRun[]; targets: TargetLine[] } {
  const runs = modes.map(runTests);
  return { runs, targets: testTargets(runs) };
}

if (require.main === module) {
  const modes: ('readme' | 'ci')[] = process.argv.includes('--ci-only') ? ['ci'] : process.argv.includes('--readme-only') ? ['readme'] : ['readme', 'ci'];
  const { runs, targets } = benchTests(modes);
  runs.forEach(printRun);
  console.log('\ntargets (issue 26, npm test):');
  console.table(targets.map(t => ({ target: t.target, measured: t.measured, met: t.met === undefined ? 'n/a' : t.met ? 'yes' : 'no' })));
  for (const t of targets.filter(x => x.met === false)) console.log(`not met: ${t.target}\n  because ${t.reason}`);
  console.log(`load average at the end: ${os.loadavg().map(x => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs (other work on the machine inflates wall seconds; CPU seconds move less)`);
  const out = process.env.BENCH_TESTS_JSON;
  if (out) fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), loadAverage: os.loadavg(), runs, targets }, null, 2) + '\n');
}
