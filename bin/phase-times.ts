import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';

/** Milliseconds since the process started (performance.now()) at the end of each phase. */
export interface PhaseMarks {
  readonly loaded: number;
  readonly defined: number;
  readonly synthesized: number;
  /** How long synthesis waited for the validation worker's report. */
  readonly validationWaitMs?: number;
}

/**
 * With BENCH_PHASE_TIMES=1 (the benchmark sets it), writes bench-timing.json beside the templates:
 * each phase's wall milliseconds (module loading, defining the stacks, synthesis with the
 * validation plugins, the rest) and the process's CPU, every thread. Otherwise does nothing.
 */
export function writePhaseTimes(outdir: string, marks: PhaseMarks): void {
  if (process.env.BENCH_PHASE_TIMES !== '1') return;
  const end = performance.now();
  const cpu = process.cpuUsage();
  fs.writeFileSync(path.join(outdir, 'bench-timing.json'), JSON.stringify({
    loadMs: Math.round(marks.loaded),
    defineMs: Math.round(marks.defined - marks.loaded),
    synthMs: Math.round(marks.synthesized - marks.defined),
    validationWaitMs: marks.validationWaitMs === undefined ? undefined : Math.round(marks.validationWaitMs),
    afterMs: Math.round(end - marks.synthesized),
    appCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  }));
}
