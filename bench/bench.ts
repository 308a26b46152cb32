/* eslint-disable no-console */
// `npm run bench`: synth time, memory and template sizes of the reference app and of apps with
// 1, 10 and 50 training workflows + endpoints, against the floor (aws-cdk-lib alone). Each
// scenario runs in a fresh process, RUNS times; the median is reported. Writes bench/results.json.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RESOURCE_LIMIT = 500;
const TEMPLATE_LIMIT_BYTES = 1024 * 1024;

interface Result {
  scenario: string; count: number; loadMs: number; defineMs: number; synthMs: number; totalMs: number; peakRssMB: number;
  stacks: { name: string; resources: number; bytes: number }[];
}

function run(scenario: string, count = 0): Result & { wallMs: number } {
  const samples = [...Array(RUNS)].map(() => {
    const t0 = process.hrtime.bigint();
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'scenario.ts'), scenario, String(count)], {
      encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
    return { ...(JSON.parse(out) as Result), wallMs: Number(process.hrtime.bigint() - t0) / 1e6 };
  }).sort((a, b) => a.totalMs - b.totalMs);
  return samples[Math.floor(samples.length / 2)];
}

const floor = run('floor');
const scenarios = [run('reference'), ...[1, 10, 50].map(n => run('workflows', n))];
const rows = [floor, ...scenarios].map(r => {
  const largest = r.stacks.reduce((a, b) => (b.resources > a.resources ? b : a));
  const label = r.scenario === 'workflows' ? `${r.count} workflow${r.count === 1 ? '' : 's'} + endpoints` : r.scenario;
  return {
    scenario: label,
    totalMs: Math.round(r.totalMs),
    wallMs: Math.round(r.wallMs),
    overFloorMs: Math.round(r.totalMs - floor.totalMs),
    perWorkflowMs: r.scenario === 'workflows' ? Math.round((r.totalMs - floor.totalMs) / r.count) : undefined,
    peakRssMB: r.peakRssMB,
    stacks: r.stacks.length,
    largestStack: largest.name,
    resources: largest.resources,
    resourcesOfLimit: `${Math.round((100 * largest.resources) / RESOURCE_LIMIT)}%`,
    templateKB: Math.round(largest.bytes / 1024),
    templateOfLimit: `${Math.round((100 * largest.bytes) / TEMPLATE_LIMIT_BYTES)}%`,
    withinLimits: r.stacks.every(s => s.resources <= RESOURCE_LIMIT && s.bytes <= TEMPLATE_LIMIT_BYTES),
  };
});
// Marginal cost per workflow from the 10 -> 50 slope (startup and the shared data store cancel out).
const ten = scenarios.find(r => r.scenario === 'workflows' && r.count === 10)!;
const fifty = scenarios.find(r => r.scenario === 'workflows' && r.count === 50)!;
const marginalMs = Math.round((fifty.totalMs - ten.totalMs) / 40);

console.table(rows);
console.log(`marginal synth time per workflow + endpoint (10 -> 50): ${marginalMs} ms`);
const results = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, runs: RUNS, marginalMsPerWorkflow: marginalMs, rows };
fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results));
