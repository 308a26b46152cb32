/* eslint-disable no-console */
// The marginal synth cost of a training workflow + real-time endpoint against the same unit built
// from aws-cdk-lib's stock constructs (bench/peer.ts), in the three modes: no validation,
// schema validation, and schema validation with the four cdk-nag packs. Each round synthesizes both
// apps at each N, alternating, with `npx cdk synth` as bench.ts does; a slope is (cost at N2 - cost at
// N1) / (N2 - N1) within a round, then the median over rounds. CPU seconds (the CLI, the app and its
// validation worker) are the figure compared: other jobs on the machine move wall time more.
// Run alone: `node bin/ts-run.js bench/unit-cost.ts [rounds] [N1,N2,...]`.
import { median, round, scenario, synth, Synth } from './measure';

export interface UnitMode {
  readonly name: string;
  readonly packs: boolean;
  readonly validation: boolean;
}

export const MODES: UnitMode[] = [
  { name: 'no validation', packs: false, validation: false },
  { name: 'schema validation', packs: false, validation: true },
  { name: 'schema validation + 4 packs', packs: true, validation: true },
];

export interface Slopes {
  readonly app: number[];
  readonly cpu: number[];
  readonly wall: number[];
}

export interface UnitCostResult {
  readonly points: number[];
  readonly rounds: number;
  /**
   * Per mode: per app, per segment of `points`, the median ms per unit: `app` the app's own CPU
   * (every thread, bench/scenario.ts's figure), `cpu` the CLI's and the app's, `wall` wall time.
   */
  readonly modes: Array<{
    mode: string;
    lib: Slopes;
    peer: Slopes;
    /** The slope of the segment that reaches 50 (the N=50), library / peer, app CPU. */
    ratioAt50: number;
  }>;
  /** Resources and template bytes per unit (the resources with logical IDs `Unit*`, at the smallest N). */
  readonly perUnit: { lib: { resources: number; bytes: number }; peer: { resources: number; bytes: number } };
  /** A stack's resources and bytes besides its units (the data store, the repository import, CDK metadata). */
  readonly perStackConstant: { resources: number; bytes: number };
}

function run(app: 'workflows' | 'peer', n: number, mode: UnitMode): Synth {
  return synth(scenario(app, n, mode.packs ? 'packs' : 'nopacks'), mode.validation ? [] : ['--no-validation']);
}

/** Measures the slopes; `points` ascending (the segment that contains 50 is the N=50 figure). */
export function measureUnitCost(points: number[], rounds: number, log: (s: string) => void = s => process.stderr.write(s)): UnitCostResult {
  const samples = new Map<string, Synth[]>();
  const key = (app: string, n: number, mode: UnitMode) => `${app} ${n} ${mode.name}`;
  for (let r = 0; r < rounds; r++) {
    for (const mode of MODES) {
      for (const n of points) {
        // Alternate which app goes first, so that neither always runs right after the other's heavier point.
        const apps: Array<'workflows' | 'peer'> = (r + n) % 2 === 0 ? ['workflows', 'peer'] : ['peer', 'workflows'];
        for (const app of apps) {
          log(`unit cost, round ${r + 1}/${rounds}: ${app} N=${n}, ${mode.name}\n`);
          const k = key(app, n, mode);
          samples.set(k, [...(samples.get(k) ?? []), run(app, n, mode)]);
        }
      }
    }
  }
  const slope = (app: string, mode: UnitMode, a: number, b: number, metric: 'appCpuMs' | 'cpuMs' | 'wallMs') =>
    median(samples.get(key(app, b, mode))!.map((s, r) => (s[metric] - samples.get(key(app, a, mode))![r][metric]) / (b - a)));
  const segments = points.slice(1).map((b, i) => [points[i], b]);
  const at50 = segments.find(([a, b]) => a < 50 && b >= 50) ?? segments[segments.length - 1];
  const smallest = (app: string) => samples.get(key(app, points[0], MODES[0]))![0];
  const perUnitOf = (app: string) => {
    const sum = (f: 'unitResources' | 'unitBytes') => smallest(app).stacks.reduce((x, st) => x + st[f], 0);
    return { resources: sum('unitResources') / points[0], bytes: sum('unitBytes') / points[0] };
  };
  const first = smallest('workflows').stacks[0];
  return {
    points,
    rounds,
    modes: MODES.map(mode => {
      const of = (app: string): Slopes => ({
        app: segments.map(([a, b]) => slope(app, mode, a, b, 'appCpuMs')),
        cpu: segments.map(([a, b]) => slope(app, mode, a, b, 'cpuMs')),
        wall: segments.map(([a, b]) => slope(app, mode, a, b, 'wallMs')),
      });
      return { mode: mode.name, lib: of('workflows'), peer: of('peer'), ratioAt50: slope('workflows', mode, at50[0], at50[1], 'appCpuMs') / slope('peer', mode, at50[0], at50[1], 'appCpuMs') };
    }),
    perUnit: { lib: perUnitOf('workflows'), peer: perUnitOf('peer') },
    perStackConstant: { resources: first.resources - first.unitResources, bytes: first.bytes - first.unitBytes },
  };
}

/** The table bench.ts prints. */
export function unitCostTable(result: UnitCostResult): Record<string, string>[] {
  const segments = result.points.slice(1).map((b, i) => `${result.points[i]} -> ${b}`);
  return result.modes.flatMap(m => segments.map((seg, i) => ({
    'mode': m.mode,
    'N': seg,
    'library ms app CPU / unit': round(m.lib.app[i]),
    'peer ms app CPU / unit': round(m.peer.app[i]),
    'library / peer (app CPU)': round(m.lib.app[i] / m.peer.app[i], 2),
    'library / peer (CLI + app CPU)': round(m.lib.cpu[i] / m.peer.cpu[i], 2),
    'library / peer (wall)': round(m.lib.wall[i] / m.peer.wall[i], 2),
  })));
}

if (process.argv[1] === __filename) {
  const rounds = Number(process.argv[2] ?? 1);
  const points = (process.argv[3] ?? '10,50').split(',').map(Number);
  const result = measureUnitCost(points, rounds);
  console.table(unitCostTable(result));
  console.log(JSON.stringify(result));
}
