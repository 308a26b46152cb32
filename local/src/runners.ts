import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';

/** One run of a container, as SageMaker would start it. */
export interface ContainerRun {
  /** The image URI the request names. */
  readonly image: string;
  /**
   * The command: `['train']` for training, `['serve']` for hosting, or a processing job's
   * ContainerEntrypoint followed by its ContainerArguments.
   */
  readonly command: string[];
  /** Whether `command[0]` replaces the image's entry point (processing jobs) rather than being its argument. */
  readonly replaceEntrypoint: boolean;
  /** The host folder that is the container's `/opt/ml`. */
  readonly smRoot: string;
  /** The container's environment. */
  readonly environment: Record<string, string>;
  /** The longest the run may take, in milliseconds. */
  readonly timeoutMs?: number;
}

/** How a run ended. */
export interface ContainerResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A serving container, answering on `http://127.0.0.1:<port>`. */
export interface RunningServer {
  readonly port: number;
  stop(): void;
}

/** Runs SageMaker containers for the local runtime. */
export interface IJobRunner {
  /** `process` or `docker`. */
  readonly kind: string;
  /** Runs a job container to its end. */
  run(run: ContainerRun): Promise<ContainerResult>;
  /** Starts a serving container and resolves when it answers `GET /ping`. */
  serve(run: ContainerRun): Promise<RunningServer>;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ping', method: 'GET', timeout: 1000 }, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

async function waitForPing(port: number, child: ChildProcess, what: string, output: () => string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before answering /ping: ${output().slice(-500)}`);
    if (await ping(port)) return;
    await new Promise(r => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${what} did not answer GET /ping on port ${port} within ${timeoutMs / 1000} seconds`);
}

function runChild(file: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ContainerResult> {
  return new Promise(resolve => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => stdout += d);
    child.stderr.on('data', d => stderr += d);
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', error => {
      clearTimeout(timer);
      resolve({ exitCode: 127, stdout, stderr: stderr + String(error.message) });
    });
    child.on('close', code => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 137, stdout, stderr });
    });
  });
}

/** What the process runner reads of a Dockerfile: the files it copies, PATH and WORKDIR. */
interface ImageLayout {
  readonly copies: Array<{ source: string; destination: string }>;
  readonly pathDirs: string[];
  readonly workdir: string;
}

function readDockerfile(directory: string): ImageLayout {
  const file = path.join(directory, 'Dockerfile');
  const text = fs.readFileSync(file, 'utf8').replace(/\\\r?\n/g, ' ');
  const copies: Array<{ source: string; destination: string }> = [];
  let pathDirs: string[] = [];
  let workdir = '/';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const instruction = /^(\w+)\s+(.*)$/.exec(line);
    if (!instruction) continue;
    const [, op, rest] = instruction;
    if (/^(COPY|ADD)$/i.test(op)) {
      const parts = rest.split(/\s+/).filter(p => !p.startsWith('--'));
      const destination = parts.pop()!;
      for (const source of parts) copies.push({ source, destination: path.posix.resolve(workdir, destination) + (destination.endsWith('/') ? '/' : '') });
    } else if (/^ENV$/i.test(op)) {
      const m = /PATH="?([^"\s]+)"?/.exec(rest);
      if (m) pathDirs = m[1].split(':').filter(d => d && !d.includes('$'));
    } else if (/^WORKDIR$/i.test(op)) {
      workdir = path.posix.resolve(workdir, rest.trim());
    }
  }
  return { copies, pathDirs, workdir };
}

/** Properties of a ProcessRunner. */
export interface ProcessRunnerProps {
  /** Image URI -> the image's build directory (the runtime fills this from the assembly's image assets). */
  readonly images?: Record<string, string>;
  /**
   * The Python that runs entry points whose `#!` line names python.
   *
   * @default - the first of `python3` on PATH and `/usr/bin/python3` that imports the image's requirements
   */
  readonly python?: string;
  /** A folder the runner may write in (the image's files are staged there). */
  readonly workDirectory: string;
}

/**
 * Runs an image's entry points as local processes, without Docker: the files the image's
 * Dockerfile copies are staged in a temporary folder, the entry point is found on the
 * image's PATH, and `/opt/ml` is the job's temporary folder, passed as `SM_ROOT` (the
 * example image honours it). It needs the image's dependencies installed on this machine.
 */
export class ProcessRunner implements IJobRunner {
  public readonly kind = 'process';
  private readonly images: Map<string, string>;
  private readonly staged = new Map<string, { root: string; layout: ImageLayout; python: string }>();
  private readonly props: ProcessRunnerProps;

  constructor(props: ProcessRunnerProps) {
    this.props = props;
    this.images = new Map(Object.entries(props.images ?? {}));
  }

  /** Adds an image URI -> build directory mapping. */
  public addImage(imageUri: string, directory: string): void {
    this.images.set(imageUri, directory);
  }

  private stage(image: string): { root: string; layout: ImageLayout; python: string } {
    const cached = this.staged.get(image);
    if (cached) return cached;
    const directory = this.images.get(image);
    if (!directory) {
      throw new Error(`the process runner cannot run image '${image}': it runs only images built from a directory (CDK image assets) and this is not one; images it knows: ${[...this.images.keys()].join(', ') || 'none'} (use --runner docker for other images)`);
    }
    if (!fs.existsSync(path.join(directory, 'Dockerfile'))) {
      throw new Error(`the process runner cannot run image '${image}': its directory '${directory}' has no Dockerfile`);
    }
    const layout = readDockerfile(directory);
    const root = fs.mkdtempSync(path.join(this.props.workDirectory, 'image-'));
    for (const { source, destination } of layout.copies) {
      const from = path.resolve(directory, source);
      if (!from.startsWith(path.resolve(directory)) || !fs.existsSync(from)) continue;
      const to = path.join(root, destination);
      if (fs.statSync(from).isDirectory()) {fs.cpSync(from, to, { recursive: true });} else {
        const target = destination.endsWith('/') ? path.join(to, path.basename(from)) : to;
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(from, target);
      }
    }
    const staged = { root, layout, python: this.props.python ?? choosePython(directory) };
    this.staged.set(image, staged);
    return staged;
  }

  /** The host file of an image's entry point, or an error naming what the image has. */
  public entryPoint(image: string, command: string): { file: string; root: string; layout: ImageLayout; python: string } {
    const staged = this.stage(image);
    const { root, layout } = staged;
    const dirs = [...layout.pathDirs, layout.workdir];
    const candidates = command.startsWith('/') ? [command] : dirs.map(d => path.posix.join(d, command));
    for (const candidate of candidates) {
      const file = path.join(root, candidate);
      if (fs.existsSync(file) && fs.statSync(file).isFile()) return { file, ...staged };
    }
    const available = [...new Set(dirs.flatMap(d => {
      const dir = path.join(root, d);
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => fs.statSync(path.join(dir, f)).isFile() && !f.includes('.')) : [];
    }))];
    throw new Error(`image '${image}' has no entry point '${command}' the process runner can run (searched ${dirs.join(', ')}); it has: ${available.join(', ') || 'nothing runnable'}`);
  }

  private command(run: ContainerRun): { file: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
    const [first, ...rest] = run.command;
    const entry = this.entryPoint(run.image, first);
    const head = fs.readFileSync(entry.file, 'utf8').split('\n')[0];
    const pythonic = head.startsWith('#!') && head.includes('python');
    const pathDirs = entry.layout.pathDirs.map(d => path.join(entry.root, d));
    return {
      file: pythonic ? entry.python : entry.file,
      args: pythonic ? [entry.file, ...rest] : rest,
      cwd: path.join(entry.root, entry.layout.workdir),
      env: {
        ...process.env,
        ...run.environment,
        SM_ROOT: run.smRoot,
        PYTHONDONTWRITEBYTECODE: '1',
        PATH: [...pathDirs, process.env.PATH ?? ''].join(path.delimiter),
      },
    };
  }

  public async run(run: ContainerRun): Promise<ContainerResult> {
    const { file, args, cwd, env } = this.command(run);
    return runChild(file, args, { cwd, env, timeoutMs: run.timeoutMs });
  }

  public async serve(run: ContainerRun): Promise<RunningServer> {
    const port = await freePort();
    const { file, args, cwd, env } = this.command(run);
    const child = spawn(file, args, { cwd, env: { ...env, SAGEMAKER_BIND_TO_PORT: String(port), MODEL_SERVER_WORKERS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', d => stderr += d);
    await waitForPing(port, child, `serving image ${run.image}`, () => stderr);
    return { port, stop: () => child.kill() };
  }
}

/** The Python modules an image's requirements.txt names (best effort: import name = package name). */
function requiredModules(directory: string): string[] {
  const file = path.join(directory, 'requirements.txt');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').map(l => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map(l => l.split(/[<>=!~\[; ]/)[0].toLowerCase().replace(/-/g, '_'))
    .filter(m => /^[a-z_][a-z0-9_]*$/.test(m));
}

const pythonChoices = new Map<string, string>();
function choosePython(directory: string): string {
  const modules = requiredModules(directory);
  const key = modules.join(',');
  if (!pythonChoices.has(key)) {
    const candidates = [process.env.CDK_SAGEMAKER_ML_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
    // The one that imports the most of the image's requirements (optional ones may be missing everywhere).
    const script = `import importlib.util as u; print(sum(u.find_spec(m) is not None for m in ${JSON.stringify(modules)}))`;
    const scores = candidates.map(c => {
      const probe = spawnSync(c, ['-c', script], { encoding: 'utf8' });
      return probe.status === 0 ? Number(probe.stdout.trim()) : -1;
    });
    const best = scores.indexOf(Math.max(...scores));
    pythonChoices.set(key, candidates[Math.max(best, 0)]);
  }
  return pythonChoices.get(key)!;
}

/** Properties of a DockerRunner. */
export interface DockerRunnerProps {
  /** Image URI -> build directory, for images the runner builds first (CDK image assets). */
  readonly images?: Record<string, string>;
  /**
   * The docker command.
   *
   * @default 'docker'
   */
  readonly docker?: string;
}

/**
 * Runs SageMaker containers with Docker, the way SageMaker's local mode does: the image is
 * built from its asset directory (or pulled by URI), the job's `/opt/ml` folder is mounted,
 * training runs `<image> train`, hosting `<image> serve` on port 8080, and processing
 * replaces the entry point with the job's ContainerEntrypoint.
 */
export class DockerRunner implements IJobRunner {
  public readonly kind = 'docker';
  private readonly images: Map<string, string>;
  private readonly built = new Set<string>();
  private readonly docker: string;

  constructor(props: DockerRunnerProps = {}) {
    this.images = new Map(Object.entries(props.images ?? {}));
    this.docker = props.docker ?? 'docker';
  }

  /** Adds an image URI -> build directory mapping. */
  public addImage(imageUri: string, directory: string): void {
    this.images.set(imageUri, directory);
  }

  /** The local tag of an image: asset images are built under a tag of their own. */
  public tagOf(image: string): string {
    const directory = this.images.get(image);
    return directory ? `cdk-sagemaker-ml-local/${path.basename(directory).replace(/^asset\./, '').slice(0, 32)}:latest` : image;
  }

  /** The `docker build` command line an asset image needs first, if any. */
  public buildCommand(image: string): string[] | undefined {
    const directory = this.images.get(image);
    return directory ? [this.docker, 'build', '--platform', 'linux/amd64', '--tag', this.tagOf(image), directory] : undefined;
  }

  /** The `docker run` command line of a run. */
  public runCommand(run: ContainerRun, publishPort?: number): string[] {
    const args = [this.docker, 'run', '--rm', '--platform', 'linux/amd64', '--volume', `${path.resolve(run.smRoot)}:/opt/ml`];
    for (const [k, v] of Object.entries(run.environment)) args.push('--env', `${k}=${v}`);
    if (publishPort !== undefined) args.push('--publish', `127.0.0.1:${publishPort}:8080`);
    const [first, ...rest] = run.command;
    if (run.replaceEntrypoint) args.push('--entrypoint', first, this.tagOf(run.image), ...rest);
    else args.push(this.tagOf(run.image), first, ...rest);
    return args;
  }

  private async build(image: string): Promise<void> {
    const build = this.buildCommand(image);
    if (!build || this.built.has(image)) return;
    const result = await runChild(build[0], build.slice(1), { env: process.env });
    if (result.exitCode !== 0) throw new Error(`'${build.join(' ')}' failed (exit ${result.exitCode}): ${result.stderr.slice(-500)}`);
    this.built.add(image);
  }

  public async run(run: ContainerRun): Promise<ContainerResult> {
    await this.build(run.image);
    const [file, ...args] = this.runCommand(run);
    return runChild(file, args, { env: process.env, timeoutMs: run.timeoutMs });
  }

  public async serve(run: ContainerRun): Promise<RunningServer> {
    await this.build(run.image);
    const port = await freePort();
    const [file, ...args] = this.runCommand(run, port);
    const child = spawn(file, args, { env: process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', d => stderr += d);
    await waitForPing(port, child, `docker container of ${run.image}`, () => stderr, 120_000);
    return { port, stop: () => child.kill() };
  }
}
