#!/usr/bin/env node
// `npm test` (projen's test task runs this; its arguments go to jest): the type-check and eslint,
// side by side, then jest. The type-check and eslint each use one core for 15 to 25 s; run one
// after the other around jest they left the other core idle (test/compliance/property/PERFORMANCE.md,
// "npm test"). jest keeps both cores busy on its own, so it runs after them rather than beside them
// (and eslint's --fix never rewrites a file while jest reads it). jest does not run when the
// type-check fails; every phase's failure fails the task. Each phase's wall and CPU seconds are
// printed at the end (and written as JSON to $TEST_TIMINGS_FILE when set: bench/tests.ts reads it).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs a command; resolves with its status, wall and CPU seconds (user + system, children included) and its output. */
function run(name, command, args, { buffer }) {
  const started = process.hrtime.bigint();
  const times = TIME && path.join(os.tmpdir(), `npm-test-${process.pid}-${name.replace(/\W/g, '')}.time`);
  const [file, argv] = times ? [TIME, ['-q', '-o', times, '-f', '%U %S', command, ...args]] : [command, args];
  return new Promise(resolve => {
    const child = spawn(file, argv, { cwd: ROOT, stdio: buffer ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH}` } });
    let output = '';
    if (buffer) {
      child.stdout.on('data', d => output += d);
      child.stderr.on('data', d => output += d);
    }
    child.on('close', (code, signal) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      let cpuSeconds = NaN;
      if (times && fs.existsSync(times)) {
        const [user, system] = fs.readFileSync(times, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        cpuSeconds = user + system;
        fs.rmSync(times, { force: true });
      }
      resolve({ phase: name, status: code ?? 1, signal, wallSeconds, cpuSeconds, output });
    });
  });
}

async function main() {
  const started = process.hrtime.bigint();
  const checks = await Promise.all([
    // Incremental: a run after no change or a small one reuses the last run's results (.cache/ is
    // ignored by git and npm); 24 -> 17 CPU s when nothing changed.
    run('type-check', 'tsc', ['-p', 'test/tsconfig.json', '--noEmit', '--incremental', '--tsBuildInfoFile', '.cache/tsc-test.tsbuildinfo'], { buffer: true }),
    // projen's eslint task (its patterns, --fix and environment).
    run('eslint', 'projen', ['eslint'], { buffer: true }),
  ]);
  for (const c of checks) if (c.output.trim()) process.stdout.write(`--- ${c.phase}\n${c.output}`);
  const phases = [...checks];
  if (checks[0].status === 0) {
    // --single-threaded-gc (jest's workers inherit node's flags): V8 collects on the thread that made
    // the garbage, without helper threads, which on two cores took CPU from the other worker. Most
    // under aws-cdk-lib's validation engine, whose WebAssembly memory growth starts one concurrent
    // old-space collection after another (cdk.json's app has the flag for the same reason). The
    // whole suite, README strength, quiet machine: 179 s wall and 347 CPU s without, 152 s and 297
    // CPU s with (bench/TESTS.md). The type-check and eslint gain nothing from it (tsc measured).
    phases.push(await run('jest', process.execPath, ['--single-threaded-gc', path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--passWithNoTests', '--ci', ...process.argv.slice(2)], { buffer: false }));
  } else {
    process.stdout.write('the type-check failed: jest did not run\n');
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const fmt = p => `${p.phase} ${p.wallSeconds.toFixed(1)} s wall, ${Number.isNaN(p.cpuSeconds) ? '?' : p.cpuSeconds.toFixed(1)} CPU s${p.status ? ` (FAILED, exit ${p.status})` : ''}`;
  process.stdout.write(`\nnpm test: ${wallSeconds.toFixed(1)} s wall; ${phases.map(fmt).join('; ')} (type-check and eslint side by side, then jest)\n`);
  if (process.env.TEST_TIMINGS_FILE) {
    fs.writeFileSync(process.env.TEST_TIMINGS_FILE, JSON.stringify({ wallSeconds, phases: phases.map(({ output, ...p }) => p) }, null, 2) + '\n');
  }
  const failed = phases.filter(p => p.status !== 0);
  process.exitCode = failed.length || phases.length < 3 ? 1 : 0;
}

void main();
