// The benchmark's measuring helpers: `npx cdk synth` of an app under /usr/bin/time (wall and CPU of
// the CLI and the app together), medians. Shared by bench.ts and its parts.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
/** cdk.json's app: the reference app as `cdk synth` runs it. */
export const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).app as string;
export const RUNNER = APP.replace(/ bin\/app\.ts$/, '');
if (RUNNER === APP) throw new Error(`cdk.json's app does not end in bin/app.ts: ${APP}`);
/** A bench/scenario.ts app, run by the same runner (node, its flags and bin/ts-run.js) as the reference app. */
export const scenario = (...args: (string | number)[]) => `${RUNNER} bench/scenario.ts ${args.join(' ')}`;

export interface Measure {
  readonly wallMs: number;
  readonly cpuMs: number;
}
/** A stack's template: its resources and bytes, and those of the resources of its benchmark units (logical IDs `Unit*`). */
export interface StackSize {
  readonly name: string;
  readonly resources: number;
  readonly bytes: number;
  readonly unitResources: number;
  readonly unitBytes: number;
}

export interface Synth extends Measure {
  readonly stacks: StackSize[];
  /** The app's own CPU (every thread; bench/scenario.ts apps only, NaN for others). */
  readonly appCpuMs: number;
}

/** A command's times, output and exit status. */
export interface Run extends Measure {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** Runs a command under /usr/bin/time: wall and CPU (user + system of it and every child it waited for). */
export function timed(command: string, args: string[], env: NodeJS.ProcessEnv = {}, allowFailure = false): Run {
  const t0 = process.hrtime.bigint();
  const marker = '@@bench-time';
  const [file, argv] = TIME ? [TIME, ['-f', `${marker} %e %U %S`, command, ...args]] : [command, args];
  const r = spawnSync(file, argv, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const line = r.stderr.split('\n').find(l => l.startsWith(marker));
  const [, , user, system] = line ? line.split(' ').map(Number) : [];
  if (r.status !== 0 && !allowFailure) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { wallMs, cpuMs: line ? (user + system) * 1000 : NaN, stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** `npx cdk synth` of an app into a fresh directory, which `read` inspects before it is removed. */
export function cdkSynth<T>(app: string, extra: string[], env: NodeJS.ProcessEnv, allowFailure: boolean, read: (outdir: string, run: Run) => T): T {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    // --no-notices: the CLI would otherwise fetch its notices over the network on every run.
    return read(outdir, timed('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--app', app, '--output', outdir, ...extra], env, allowFailure));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** `npx cdk synth` of an app (cdk.json's by default): its times and its stacks' sizes. */
export function synth(app: string = APP, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Synth {
  return cdkSynth(app, extra, env, false, (outdir, m) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    const stacks = Object.entries<any>(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack').map(([name, a]) => {
      const file = path.join(outdir, a.properties.templateFile);
      const resources = Object.entries<any>(JSON.parse(fs.readFileSync(file, 'utf8')).Resources ?? {});
      const units = resources.filter(([id]) => id.startsWith('Unit'));
      // As the CDK writes a template (one space per level): within a few bytes of the file's share.
      const unitBytes = units.reduce((n, [id, r]) => n + id.length + JSON.stringify(r, undefined, 1).length + 6, 0);
      return { name, resources: resources.length, bytes: fs.statSync(file).size, unitResources: units.length, unitBytes };
    });
    const timing = path.join(outdir, 'bench-timing.json');
    const appCpuMs = fs.existsSync(timing) ? JSON.parse(fs.readFileSync(timing, 'utf8')).appCpuMs ?? NaN : NaN;
    return { wallMs: m.wallMs, cpuMs: m.cpuMs, appCpuMs, stacks };
  });
}

export const median = (xs: number[]) => {
  const s = xs.filter(x => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const round = (x: number, digits = 0) => Number.isNaN(x) ? 'n/a' : x.toFixed(digits);

