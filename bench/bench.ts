/* eslint-disable no-console */
// `npm run bench` (16 minutes on a quiet 2-core machine, up to 45 on a busy one; `npm run bench -- --quick`: no tests, one
// round, about 5; `--no-tests` and `--no-install` leave those parts out). Every target of issues 15
// and 26: what it measured, met or not, and for one not met the measured reason and the experiment
// that shows it (bench/NOTES.md has the experiments).
//
// - `cdk synth` of the reference app as a user runs it (`npx cdk synth`, cdk.json's runner and
//   context, schema validation on), paired round by round with the floor (an app with one empty
//   stack, same CLI, runner and context); the median ratio over the rounds, wall and CPU; where the
//   reference app's time went (bin/phase-times.ts); a bad template still fails synth with a schema
//   and a cdk-nag finding.
// - The marginal synth cost of a training workflow + real-time endpoint against the same unit from
//   aws-cdk-lib's stock constructs (bench/peer.ts), in three modes (bench/unit-cost.ts), and how
//   many units a stack holds (CloudFormation's 500 resources, 1 MB template).
// - `npm test` (bench/tests.ts: the README's command and CI strength, from empty caches), `npm
//   install` paired with aws-sagemaker-alpha, the phases `.ci/run` last recorded.
// Writes bench/results.json.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ALPHA, installPaired } from './install';
import { APP, ROOT, Synth, cdkSynth, median, round, scenario, synth } from './measure';
import { Target, printTargets, referenceTarget, unitTargets } from './targets';
import { benchTests, printRun } from './tests';
import { measureUnitCost, unitCostTable } from './unit-cost';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 3));
const WITH_TESTS = !QUICK && !process.argv.includes('--no-tests');
const WITH_INSTALL = !process.argv.includes('--no-install');

// --- cdk synth of the reference app -----------------------------------------------------------
type Key = string;
const samples = new Map<Key, Synth[]>();
const phases: any[] = [];
const record = (key: Key, s: Synth) => samples.set(key, [...(samples.get(key) ?? []), s]);
const PHASES = { BENCH_PHASE_TIMES: '1' };

// A first synth with an empty transpile cache: what the first `cdk synth` of a fresh clone costs.
const coldCache = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ts-cache-'));
const cold = synth(APP, [], { TS_RUN_CACHE_DIR: coldCache });
fs.rmSync(coldCache, { recursive: true, force: true });
synth(scenario('floor')); // warms the cache for the scenarios

/** The reference app, and where its time went (bench-timing.json, written with BENCH_PHASE_TIMES=1). */
const reference = () => cdkSynth(APP, [], PHASES, false, (outdir, run) => {
  const timing = path.join(outdir, 'bench-timing.json');
  if (fs.existsSync(timing)) phases.push(JSON.parse(fs.readFileSync(timing, 'utf8')));
  return { wallMs: run.wallMs, cpuMs: run.cpuMs, appCpuMs: NaN, stacks: [] };
});
const plan: [Key, () => Synth][] = [
  ['floor', () => synth(scenario('floor'))],
  ['reference', reference],
  ['reference, no schema validation', () => synth(APP, ['--no-validation'])],
  ['reference, neither schema validation nor the packs', () => synth(scenario('reference-nopacks'), ['--no-validation'])],
  ['reference, schema validation on the main thread (aws-cdk-lib\'s built-in plugin)', () => synth(scenario('reference-builtin'))],
  ...(QUICK ? [] : [['reference, run by ts-node (the former runner)', () => synth('npx ts-node --transpile-only --prefer-ts-exts bin/app.ts')] as [Key, () => Synth]]),
];
for (let r = 0; r < ROUNDS; r++) {
  for (const [key, run] of plan) {
    process.stderr.write(`round ${r + 1}/${ROUNDS}: ${key}\n`);
    record(key, run());
  }
}
/** The median over rounds of the ratio of key's figure to the floor's of the same round. */
const ratio = (key: Key, metric: 'wallMs' | 'cpuMs') => median(samples.get(key)!.map((s, r) => s[metric] / samples.get('floor')![r][metric]));
console.log(`\ncdk synth (npx cdk synth, median of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}; every ratio against the floor of the same round)`);
console.table([...samples.keys()].map(key => ({
  'scenario': key,
  'wall ms': round(median(samples.get(key)!.map(s => s.wallMs))),
  'cpu ms': round(median(samples.get(key)!.map(s => s.cpuMs))),
  'x floor (wall)': round(ratio(key, 'wallMs'), 2),
  'x floor (cpu)': round(ratio(key, 'cpuMs'), 2),
})));
const phase = (name: string) => median(phases.map(p => p[name]));
const referencePhases = {
  loadMs: phase('loadMs'), defineMs: phase('defineMs'), synthMs: phase('synthMs'), validationWaitMs: phase('validationWaitMs'), afterMs: phase('afterMs'), appCpuMs: phase('appCpuMs'),
};
console.log(`reference app's own phases (median wall ms): loading modules ${round(referencePhases.loadMs)}, defining 7 stacks ${round(referencePhases.defineMs)}, `
  + `synthesis with the packs ${round(referencePhases.synthMs)} (of which waiting for the validation worker ${round(referencePhases.validationWaitMs)}), `
  + `cost estimate ${round(referencePhases.afterMs)}; the app's CPU ${round(referencePhases.appCpuMs)} ms; the rest of the wall time is the CLI`);
console.log(`first synth of a fresh clone (empty transpile cache): ${round(cold.wallMs)} ms wall, ${round(cold.cpuMs)} ms CPU`);

// The same checks still fail synth: a template the resource schema refuses and a bucket the packs flag.
const broken = cdkSynth(scenario('workflows', 1, 'packs', 'broken'), [], {}, true, (_outdir, run) => run);
const brokenOutput = broken.stdout + broken.stderr;
const brokenFindings = {
  schema: /VisibilityTimeout: 'soon' is not of type 'integer' \(CloudFormation Validate\)/.test(brokenOutput),
  packs: /AwsSolutions-S1/.test(brokenOutput),
};
console.log(`a bad template fails synth: exit ${broken.status}; schema finding reported: ${brokenFindings.schema}; cdk-nag finding reported: ${brokenFindings.packs}`);
if (broken.status === 0 || !brokenFindings.schema || !brokenFindings.packs) {
  console.error(brokenOutput);
  throw new Error('a broken template passed synth, or a finding went unreported');
}

// --- a training workflow + real-time endpoint against the stock-construct peer ------------------
const unitCost = measureUnitCost(QUICK ? [10, 50] : [10, 50, 100], ROUNDS);
console.log('\nmarginal synth cost per training workflow + real-time endpoint, library against the same unit from stock aws-cdk-lib constructs (bench/peer.ts)');
console.table(unitCostTable(unitCost));

// --- npm test ---------------------------------------------------------------------------------
// The test infrastructure's measurement (bench/tests.ts): the README's `npm test` and the CI-strength
// run from empty caches, each folder's share, and its targets.
let tests: ReturnType<typeof benchTests> | undefined;
if (WITH_TESTS) {
  tests = benchTests();
  tests.runs.forEach(printRun);
}
const testTargetRows: Target[] = tests?.targets
  ?? [{ target: 'npm test: the README\'s command at most 60 s wall, at CI strength at most 90 s', measured: 'not run (--quick / --no-tests)', met: undefined, reason: '' }];

// --- npm install --------------------------------------------------------------------------------
let install: ReturnType<typeof installPaired> | undefined;
if (WITH_INSTALL) {
  process.stderr.write('npm install, paired with aws-sagemaker-alpha\n');
  install = installPaired(ROUNDS);
}
const installRatio = install ? median(install.lib.map((ms, r) => ms / install!.alpha[r])) : NaN;
if (install) {
  console.log(`\nnpm install into an app with aws-cdk-lib (median of ${install.lib.length} paired rounds): cdk-sagemaker-ml ${round(median(install.lib))} ms `
    + `(${round(install.tarballKb)} KB packed, ${round(install.unpackedKb)} KB unpacked), ${ALPHA} ${round(median(install.alpha))} ms: ${round(installRatio, 2)}x`);
}

// --- .ci/run ----------------------------------------------------------------------------------
const ciFile = path.join(ROOT, '.ci', 'timings.json');
const ci = fs.existsSync(ciFile) ? JSON.parse(fs.readFileSync(ciFile, 'utf8')) : undefined;
if (ci) {
  console.log(`\n.ci/run phases (recorded ${ci.date}${ci.complete ? '' : ', run incomplete'}):`);
  console.table(ci.phases.map((p: any) => ({ 'phase': p.phase, 'wall s': round(p.wallSeconds, 1), 'cpu s': round(p.cpuSeconds, 1), 'ok': p.status === 0 })));
} else {
  console.log('\n.ci/run phases: none recorded yet (.ci/run writes .ci/timings.json)');
}

// --- targets ------------------------------------------------------------------------------------
const targets: Target[] = [
  {
    target: 'npm install of the construct package: at most 2x aws-sagemaker-alpha (paired)',
    measured: install ? `${round(median(install.lib))} ms against ${round(median(install.alpha))} ms: ${round(installRatio, 2)}x` : 'not run (--no-install)',
    met: install ? installRatio <= 2 : undefined,
    reason: 'the construct package has no dependency of its own (peers only): what remains is npm unpacking its tarball',
  },
  ...testTargetRows,
  referenceTarget({
    wall: ratio('reference', 'wallMs'),
    cpu: ratio('reference', 'cpuMs'),
    noValidationWall: ratio('reference, no schema validation', 'wallMs'),
    noValidationCpu: ratio('reference, no schema validation', 'cpuMs'),
    bareWall: ratio('reference, neither schema validation nor the packs', 'wallMs'),
    loadAverage: os.loadavg()[0],
    phases: referencePhases,
    brokenFails: broken.status !== 0 && brokenFindings.schema && brokenFindings.packs,
  }),
  ...unitTargets(unitCost),
  {
    target: '.ci/run in a fresh clone: its phases\' times reported',
    measured: ci ? `${ci.phases.length} phases recorded ${ci.date}${ci.complete ? '' : ' (incomplete)'}` : 'none recorded (run .ci/run first)',
    met: ci ? Boolean(ci.complete) : undefined,
    reason: '',
  },
];
printTargets(targets);

fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify({
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  loadAverage: os.loadavg(),
  rounds: ROUNDS,
  quick: QUICK,
  synth: Object.fromEntries([...samples].map(([k, v]) => [k, {
    wallMs: median(v.map(s => s.wallMs)), cpuMs: median(v.map(s => s.cpuMs)), xFloorWall: ratio(k, 'wallMs'), xFloorCpu: ratio(k, 'cpuMs'), samples: v.map(s => ({ wallMs: s.wallMs, cpuMs: s.cpuMs })),
  }])),
  referencePhases: phases,
  coldCacheReference: { wallMs: cold.wallMs, cpuMs: cold.cpuMs },
  badTemplateFailsSynth: { exitStatus: broken.status, ...brokenFindings },
  unitCost,
  tests,
  ci,
  install: install && { ...install, ratio: installRatio },
  targets,
}, null, 2) + '\n');
console.log(`\nload average during the run: ${os.loadavg().map(x => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs (busy: trust the ratios and CPU seconds more than wall seconds)`);
