#!/usr/bin/env node
/* eslint-disable no-console */
// cdk-sagemaker-ml-local: runs a synthesized state machine on this machine, and estimates what a
// synthesized app's SageMaker capacity costs.
//
//   npx cdk-sagemaker-ml-local run --app cdk.out --state-machine <stack>/<construct path> \
//     [--input '{...}' | --input @input.json] [--runner process|docker] [--bucket name=dir ...] \
//     [--python /usr/bin/python3] [--timeout-seconds N] [--verbose]
//   npx cdk-sagemaker-ml-local cost --app cdk.out [--region us-east-1]
//
// In the construct package's repository, `npm run local -- SageMakerMlTraining` synthesizes the
// reference app into a temporary folder (--synth) and runs its training workflow.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { CostEstimate } from './cost/cost-estimate';
import { LocalRuntime, RunnerKind } from './runtime';

/** The parsed command line. */
export interface CliArgs {
  readonly app?: string;
  readonly synth: boolean;
  readonly stateMachine: string;
  readonly input: any;
  readonly runner: RunnerKind;
  readonly buckets: Record<string, string>;
  readonly python?: string;
  readonly timeoutSeconds?: number;
  readonly verbose: boolean;
}

export const USAGE = 'usage: cdk-sagemaker-ml-local run --app <cdk.out> --state-machine <stack>/<construct path> '
  + "[--input '{...}'|@file.json] [--runner process|docker] [--bucket name=dir ...] [--python <path>] [--timeout-seconds N] [--verbose]";

export const COST_USAGE = 'usage: cdk-sagemaker-ml-local cost --app <cdk.out> [--region <region>]';

/** What `--help` prints. */
export const HELP = [
  'cdk-sagemaker-ml-local run: runs a state machine of a synthesized CDK app on this machine, with',
  'SageMaker jobs, models and endpoints, S3, SNS and EventBridge rules emulated (no AWS account).',
  '',
  USAGE,
  COST_USAGE,
  '',
  '  --app <dir>               the cloud assembly (cdk.out) of the app',
  '  --state-machine <path>    <stack>/<construct path> of the state machine (or the stack, if it has one)',
  "  --input '{...}'|@file     the execution input (JSON)",
  '  --runner process|docker   run the images\' entry points as processes (default) or in Docker',
  '  --bucket name=dir         a bucket is this folder (repeatable); other buckets are temporary',
  '  --python <path>           the Python the process runner uses',
  '  --timeout-seconds N       end the execution as TIMED_OUT after N seconds',
  '  --verbose                 print the jobs\' output',
  '',
  'cdk-sagemaker-ml-local cost: the SageMaker capacity each stack of the app provisions, and what it costs',
  'idle and per run at the bundled on-demand prices (a table, and <stack>.cost.json beside the templates).',
  '  --region <region>         the Region to price stacks without one in (default: listed unpriced)',
  '',
  'Exit code: 0 the execution succeeded, 1 it did not, 2 bad input.',
].join('\n');

/** Whether `argv` asks for help (`--help`, `-h`, `help`, or `<command> --help`). */
export function wantsHelp(argv: string[]): boolean {
  const [command, ...rest] = argv;
  return command === '--help' || command === '-h' || command === 'help'
    || ((command === 'run' || command === 'cost') && rest.some(a => a === '--help' || a === '-h'));
}

/** The parsed `cost` command line. */
export interface CostArgs {
  readonly app: string;
  readonly region?: string;
}

/** Parses `cost ...`; throws a one-line error on bad input. */
export function parseCostArgs(argv: string[]): CostArgs {
  let app: string | undefined;
  let region: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    const v = argv[i + 1];
    if (flag !== '--app' && flag !== '--region') throw new Error(`unknown argument '${flag}'; ${COST_USAGE}`);
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value; ${COST_USAGE}`);
    if (flag === '--app') app = v;
    else region = v;
    i++;
  }
  if (!app) throw new Error(`--app is required (a cloud assembly directory such as cdk.out); ${COST_USAGE}`);
  if (!fs.existsSync(path.join(app, 'manifest.json'))) throw new Error(`--app '${app}' is not a cloud assembly: synthesize the app first (npx cdk synth -o ${app})`);
  return { app, region };
}

/** Parses `run ...`; throws a one-line error on bad input. */
export function parseCliArgs(argv: string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command !== 'run') throw new Error(`unknown command '${command ?? ''}'; ${USAGE}; ${COST_USAGE}`);
  let app: string | undefined;
  let synth = false;
  let stateMachine: string | undefined;
  let inputText = '{}';
  let runner = RunnerKind.PROCESS;
  const buckets: Record<string, string> = {};
  let python: string | undefined;
  let timeoutSeconds: number | undefined;
  let verbose = false;
  const value = (i: number, flag: string): string => {
    const v = rest[i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value; ${USAGE}`);
    return v;
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    switch (arg) {
      case '--app': app = value(++i, arg); break;
      case '--synth': synth = true; break;
      case '--state-machine': stateMachine = value(++i, arg); break;
      case '--input': inputText = value(++i, arg); break;
      case '--runner': {
        const r = value(++i, arg);
        if (r !== RunnerKind.PROCESS && r !== RunnerKind.DOCKER) throw new Error(`--runner must be process or docker, got '${r}'`);
        runner = r as RunnerKind;
        break;
      }
      case '--bucket': {
        const pair = value(++i, arg);
        const eq = pair.indexOf('=');
        if (eq < 1 || eq === pair.length - 1) throw new Error(`--bucket takes name=folder, got '${pair}'`);
        buckets[pair.slice(0, eq)] = pair.slice(eq + 1);
        break;
      }
      case '--python': python = value(++i, arg); break;
      case '--timeout-seconds': {
        const t = Number(value(++i, arg));
        if (!Number.isFinite(t) || t <= 0) throw new Error(`--timeout-seconds must be a positive number, got '${rest[i]}'`);
        timeoutSeconds = t;
        break;
      }
      case '--verbose': verbose = true; break;
      default:
        if (arg.startsWith('--') || stateMachine !== undefined) throw new Error(`unknown argument '${arg}'; ${USAGE}`);
        stateMachine = arg;
    }
  }
  if (!stateMachine) throw new Error(`--state-machine is required; ${USAGE}`);
  if (!app && !synth) throw new Error(`--app is required (a cloud assembly directory such as cdk.out); ${USAGE}`);
  if (app && !fs.existsSync(app)) throw new Error(`--app '${app}' does not exist: synthesize the app first (npx cdk synth -o ${app})`);
  let input: any;
  const text = inputText.startsWith('@') ? readInputFile(inputText.slice(1)) : inputText;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new Error(`--input must be JSON (or @file with JSON), got '${text.slice(0, 60)}': ${(e as Error).message}`);
  }
  return { app, synth, stateMachine, input, runner, buckets, python, timeoutSeconds, verbose };
}

function readInputFile(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`--input file '${file}' does not exist`);
  return fs.readFileSync(file, 'utf8');
}

/** Runs the command; resolves with the exit code (0 SUCCEEDED, 1 the run failed, 2 bad input). */
export async function main(
  argv: string[], print: (line: string) => void = console.log, printError: (line: string) => void = console.error,
): Promise<number> {
  if (wantsHelp(argv)) {
    print(HELP);
    return 0;
  }
  if (argv[0] === 'cost') return cost(argv, print, printError);
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    printError((e as Error).message);
    return 2;
  }
  let synthDir: string | undefined;
  let runtime: LocalRuntime | undefined;
  try {
    let app = args.app;
    if (!app) {
      synthDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-sagemaker-ml-synth-'));
      app = path.join(synthDir, 'cdk.out');
      print(`synthesizing the app into ${app}`);
      const synth = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', app], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (synth.status !== 0) throw new Error(`cdk synth failed: ${synth.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    runtime = LocalRuntime.fromAssembly(app, args.stateMachine, {
      runner: args.runner, buckets: args.buckets, python: args.python, verbose: args.verbose, print,
    });
    print(`running ${runtime.stateMachine.path} locally (${args.runner} runner)`);
    const result = await runtime.run(args.input, { timeoutMs: args.timeoutSeconds !== undefined ? args.timeoutSeconds * 1000 : undefined });
    for (const n of result.notifications) print(`notified ${n.topicArn.split(':').pop()} (${n.publisher}): ${n.message.slice(0, 500)}`);
    const temporary = runtime.s3.buckets().filter(b => !(b in args.buckets));
    if (temporary.length) print(`the objects of ${temporary.join(', ')} are removed at exit: keep a bucket's with --bucket <name>=<folder>`);
    return result.status === 'SUCCEEDED' ? 0 : 1;
  } catch (e) {
    printError((e as Error).message);
    return 2;
  } finally {
    runtime?.dispose();
    if (synthDir) fs.rmSync(synthDir, { recursive: true, force: true });
  }
}

/** `cost`: the estimate of a cloud assembly, as a table, and <stack>.cost.json beside its templates. */
function cost(argv: string[], print: (line: string) => void, printError: (line: string) => void): number {
  try {
    const args = parseCostArgs(argv);
    const estimate = CostEstimate.fromAssembly(new cxapi.CloudAssembly(args.app), { region: args.region });
    estimate.writeTo(args.app);
    print(estimate.toTable());
    return 0;
  } catch (e) {
    printError((e as Error).message);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(code => process.exit(code), e => {
    console.error((e as Error).message);
    process.exit(2);
  });
}
