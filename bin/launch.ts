#!/usr/bin/env node
/* eslint-disable no-console, import/no-extraneous-dependencies */
// The launcher: starts a workflow of any stack of your app and follows it state by state until it
// ends; for a failed SageMaker job it prints the job's own failure reason (read with
// Describe*Job), and it exits 1 when the run fails. `approve` approves a model package version in
// the model registry.
//
//   npm run launch -- run --stack MyMlStack [--output StateMachineArn] [--input '{"epochs":"20"}'] [--set max_iter=50]
//   npm run launch -- run --state-machine-arn <arn> | --state-machine <part of its name> ...
//   npm run launch -- train ...                       (the same as run)
//   npm run launch -- approve <model package group> [--version N] [--description "why"]
import {
  DescribeHyperParameterTuningJobCommand, DescribeProcessingJobCommand, DescribeTrainingJobCommand, DescribeTransformJobCommand,
  ListModelPackagesCommand, SageMakerClient, UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import {
  DescribeExecutionCommand, GetExecutionHistoryCommand, HistoryEvent, ListStateMachinesCommand, SFNClient, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { doneLine, failedLine, startedLine } from '../local/src/display';

/** What the launcher needs of a Step Functions client (an SFNClient, or a mock in tests). */
export interface StepFunctionsClient {
  send(command: StartExecutionCommand | DescribeExecutionCommand | GetExecutionHistoryCommand | ListStateMachinesCommand): Promise<any>;
}

/** What the launcher needs of a SageMaker client (a SageMakerClient, or a mock in tests). */
export interface SageMakerApi {
  send(command: DescribeTrainingJobCommand | DescribeProcessingJobCommand | DescribeTransformJobCommand
  | DescribeHyperParameterTuningJobCommand | ListModelPackagesCommand | UpdateModelPackageCommand): Promise<any>;
}

/** Reads a deployed stack's outputs (CloudFormation DescribeStacks). */
export interface StackOutputsReader {
  outputsOf(stackName: string): Promise<Array<{ OutputKey?: string; OutputValue?: string }>>;
}

/** Which state machine to start. */
export interface WorkflowTarget {
  readonly stateMachineArn?: string;
  readonly stateMachineName?: string;
  readonly stackName?: string;
  readonly outputKey?: string;
}

export type LaunchCommand =
  | { readonly command: 'run'; readonly target: WorkflowTarget; readonly input: Record<string, unknown> }
  | { readonly command: 'approve'; readonly group: string; readonly version?: number; readonly description?: string };

export interface LaunchOptions {
  readonly stateMachineArn: string;
  /** The execution input (hyperparameters and other overrides). */
  readonly hyperparameters: Record<string, unknown>;
  readonly executionName?: string;
  readonly pollMs?: number;
  readonly print?: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Reads a failed job's own failure reason. */
  readonly sagemaker?: SageMakerApi;
}

export interface LaunchResult {
  readonly status: string;
  readonly executionArn: string;
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** The failure reason SageMaker gives for the failed job, if a job failed. */
  readonly jobFailureReason?: string;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/;
export const USAGE = [
  'usage: launch run (--state-machine-arn <arn> | --state-machine <name part> | --stack <stack> [--output <key>]) [--input <json>] [--set key=value ...]',
  '       launch approve <model package group> [--version <n>] [--description <text>]',
].join('\n');

export function parseArgs(argv: string[]): LaunchCommand {
  const [command, ...rest] = argv;
  const value = (i: number, flag: string): string => {
    const v = rest[i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  if (command === 'approve') {
    const [group, ...flags] = rest;
    if (!group || group.startsWith('--')) throw new Error(`approve needs the model package group\n${USAGE}`);
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(group)) throw new Error(`the model package group must be a SageMaker name (letters, digits, hyphens, at most 63), got '${group}'`);
    let version: number | undefined;
    let description: string | undefined;
    for (let i = 0; i < flags.length; i++) {
      if (flags[i] === '--version') {
        const v = flags[++i] ?? '';
        if (!/^[1-9]\d*$/.test(v)) throw new Error(`--version must be a model package version number (1, 2, ...), got '${v}'`);
        version = Number(v);
      } else if (flags[i] === '--description') {
        description = flags[++i] ?? '';
      } else {
        throw new Error(`unknown argument '${flags[i]}'\n${USAGE}`);
      }
    }
    return { command: 'approve', group, version, description };
  }
  if (command !== 'run' && command !== 'train') throw new Error(`unknown command '${command ?? ''}'\n${USAGE}`);
  const target: { -readonly [K in keyof WorkflowTarget]: WorkflowTarget[K] } = {};
  let input: Record<string, unknown> = {};
  const sets: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--state-machine-arn') {
      target.stateMachineArn = value(++i, flag);
    } else if (flag === '--state-machine') {
      target.stateMachineName = value(++i, flag);
    } else if (flag === '--stack') {
      target.stackName = value(++i, flag);
    } else if (flag === '--output') {
      target.outputKey = value(++i, flag);
    } else if (flag === '--input') {
      const text = value(++i, flag);
      try {
        input = JSON.parse(text);
      } catch {
        throw new Error(`--input must be a JSON object, got '${text}'`);
      }
      if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error(`--input must be a JSON object, got '${text}'`);
    } else if (flag === '--set') {
      const pair = rest[++i] ?? '';
      const eq = pair.indexOf('=');
      if (eq < 1) throw new Error(`--set takes key=value, got '${pair}'`);
      sets[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else {
      throw new Error(`unknown argument '${flag}'\n${USAGE}`);
    }
  }
  const given = [target.stateMachineArn, target.stateMachineName, target.stackName].filter(v => v !== undefined).length;
  if (given !== 1) throw new Error(`name the workflow with exactly one of --state-machine-arn, --state-machine, --stack\n${USAGE}`);
  if (target.outputKey !== undefined && target.stackName === undefined) throw new Error('--output goes with --stack');
  if (target.stateMachineArn !== undefined && !STATE_MACHINE_ARN.test(target.stateMachineArn)) {
    throw new Error(`--state-machine-arn must be a state machine ARN, got '${target.stateMachineArn}'`);
  }
  return { command: 'run', target, input: { ...input, ...sets } };
}

/** The state machine ARN a target names: as given, by stack output, or by (part of) its name. */
export async function resolveStateMachine(target: WorkflowTarget, sfn: StepFunctionsClient, stacks?: StackOutputsReader): Promise<string> {
  if (target.stateMachineArn) return target.stateMachineArn;
  if (target.stackName) {
    if (!stacks) throw new Error('reading stack outputs needs @aws-sdk/client-cloudformation (npm install it), or pass --state-machine-arn');
    const outputs = await stacks.outputsOf(target.stackName);
    const machines = outputs.filter(o => (target.outputKey ? o.OutputKey === target.outputKey : STATE_MACHINE_ARN.test(o.OutputValue ?? '')));
    const shown = outputs.map(o => `${o.OutputKey}=${o.OutputValue}`).join(', ') || 'none';
    if (machines.length !== 1 || !STATE_MACHINE_ARN.test(machines[0].OutputValue ?? '')) {
      throw new Error(target.outputKey
        ? `stack ${target.stackName} has no output ${target.outputKey} holding a state machine ARN (outputs: ${shown})`
        : `stack ${target.stackName} has ${machines.length} outputs holding a state machine ARN; name one with --output (outputs: ${shown})`);
    }
    return machines[0].OutputValue!;
  }
  const found: Array<{ name: string; stateMachineArn: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken, maxResults: 1000 }));
    found.push(...(page.stateMachines ?? []).filter((m: any) => m.name.includes(target.stateMachineName!)));
    nextToken = page.nextToken;
  } while (nextToken);
  if (found.length !== 1) {
    throw new Error(`${found.length} state machines have '${target.stateMachineName}' in their name${found.length ? `: ${found.map(m => m.name).join(', ')}` : ''}; name exactly one`);
  }
  return found[0].stateMachineArn;
}

type Step = { started: Date; ended?: Date; failed?: boolean; resource?: string; parameters?: string };

/** Every task-like state the execution entered, in order: job, model, endpoint and notification steps. */
function stepStates(events: HistoryEvent[]): Map<string, Step> {
  const steps = new Map<string, Step>();
  let current: string | undefined;
  for (const e of events) {
    const entered = e.stateEnteredEventDetails?.name;
    if (entered && /^(Task|Map|Parallel)StateEntered$/.test(e.type ?? '')) {
      steps.set(entered, { started: e.timestamp! });
      current = entered;
    }
    if (e.type === 'TaskScheduled' && current) {
      // A retry schedules the task again: the step is running again.
      Object.assign(steps.get(current)!, { failed: false, ended: undefined, resource: `${e.taskScheduledEventDetails?.resourceType}:${e.taskScheduledEventDetails?.resource}`, parameters: e.taskScheduledEventDetails?.parameters });
    }
    const exited = e.stateExitedEventDetails?.name;
    if (exited && steps.has(exited)) steps.get(exited)!.ended = e.timestamp!;
    if (e.type === 'TaskFailed' || e.type === 'ExecutionFailed') {
      const running = [...steps.entries()].reverse().find(([, s]) => !s.ended);
      if (running) Object.assign(running[1], { failed: true, ended: e.timestamp });
    }
  }
  return steps;
}

/** The time between two events, in milliseconds. */
function elapsed(from: Date, to: Date): number {
  return to.getTime() - from.getTime();
}

/** The SageMaker job a task state ran, from its resource and request parameters. */
export function jobOf(resource: string | undefined, parameters: string | undefined): { kind: string; name: string } | undefined {
  const kinds: Record<string, string> = {
    createTrainingJob: 'TrainingJobName',
    createProcessingJob: 'ProcessingJobName',
    createTransformJob: 'TransformJobName',
    createHyperParameterTuningJob: 'HyperParameterTuningJobName',
  };
  // The optimized integration (`sagemaker:createTrainingJob.sync`) or the AWS SDK one a checkpointed training job starts with.
  const api = /^(?:aws-sdk:)?sagemaker:(create\w+Job)(\.sync)?$/.exec(resource ?? '')?.[1];
  if (!api || !kinds[api] || !parameters) return undefined;
  try {
    const name = JSON.parse(parameters)[kinds[api]];
    return typeof name === 'string' ? { kind: api.replace(/^create/, ''), name } : undefined;
  } catch {
    return undefined;
  }
}

/** SageMaker's failure reason for a job (Describe*Job). */
export async function jobFailureReason(sagemaker: SageMakerApi, job: { kind: string; name: string }): Promise<string | undefined> {
  switch (job.kind) {
    case 'TrainingJob': return (await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: job.name }))).FailureReason;
    case 'ProcessingJob': return (await sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: job.name }))).FailureReason;
    case 'TransformJob': return (await sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: job.name }))).FailureReason;
    case 'HyperParameterTuningJob': return (await sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: job.name }))).FailureReason;
    default: return undefined;
  }
}

/** Starts an execution and follows it to its end. */
export async function launch(client: StepFunctionsClient, options: LaunchOptions): Promise<LaunchResult> {
  const print = options.print ?? console.log;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>(r => setTimeout(r, ms)));
  const started = await client.send(new StartExecutionCommand({
    stateMachineArn: options.stateMachineArn,
    name: options.executionName,
    input: JSON.stringify(options.hyperparameters),
  }));
  const executionArn: string = started.executionArn;
  print(`started ${executionArn}`);
  const shown = new Map<string, string>();
  for (;;) {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const steps = stepStates(events);
    for (const [step, s] of steps) {
      const state = s.failed ? 'failed' : s.ended ? 'done' : 'running';
      if (shown.get(step) === state) continue;
      shown.set(step, state);
      print(state === 'failed' ? failedLine(step, elapsed(s.started, s.ended!))
        : state === 'done' ? doneLine(step, elapsed(s.started, s.ended!)) : startedLine(step));
    }
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') {
      if (execution.status === 'SUCCEEDED') {
        const output = JSON.parse(execution.output ?? '{}');
        if (output.modelName || output.modelDataUrl) print(`model ${output.modelName}: ${output.modelDataUrl}`);
        if (output.evaluation) print(`metrics ${JSON.stringify(output.evaluation.metrics ?? output.evaluation)}`);
        return { status: execution.status, executionArn, output };
      }
      print(`${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`.trim());
      let reason: string | undefined;
      const failedJob = [...steps.entries()].filter(([, s]) => s.failed)
        .map(([name, s]) => ({ name, job: jobOf(s.resource, s.parameters) }))
        .find(f => f.job);
      if (failedJob && options.sagemaker) {
        try {
          reason = await jobFailureReason(options.sagemaker, failedJob.job!);
          if (reason) print(`${failedJob.name}: ${failedJob.job!.kind} ${failedJob.job!.name} failed: ${reason}`);
        } catch (e) {
          print(`${failedJob.name}: could not read the failure reason of ${failedJob.job!.kind} ${failedJob.job!.name}: ${(e as Error).message}`);
        }
      }
      return { status: execution.status, executionArn, error: execution.error, cause: execution.cause, jobFailureReason: reason };
    }
    await sleep(options.pollMs ?? 15_000);
  }
}

/** Approves a model package version (the latest if none is given) in the model registry. */
export async function approve(
  sagemaker: SageMakerApi,
  options: { group: string; version?: number; description?: string; print?: (line: string) => void },
): Promise<string> {
  const print = options.print ?? console.log;
  let found: any;
  let nextToken: string | undefined;
  do {
    const page = await sagemaker.send(new ListModelPackagesCommand({
      ModelPackageGroupName: options.group, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100, NextToken: nextToken,
    }));
    const packages = page.ModelPackageSummaryList ?? [];
    found = options.version === undefined ? packages[0] : packages.find((p: any) => p.ModelPackageVersion === options.version);
    nextToken = found || options.version === undefined ? undefined : page.NextToken;
  } while (nextToken);
  if (!found) {
    throw new Error(options.version === undefined
      ? `model package group '${options.group}' has no model package versions`
      : `model package group '${options.group}' has no version ${options.version}`);
  }
  await sagemaker.send(new UpdateModelPackageCommand({
    ModelPackageArn: found.ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: options.description,
  }));
  print(`approved ${found.ModelPackageArn} (version ${found.ModelPackageVersion}, was ${found.ModelApprovalStatus})`);
  return found.ModelPackageArn;
}

/** Stack outputs through @aws-sdk/client-cloudformation when it is installed. */
function cloudFormationOutputs(): StackOutputsReader | undefined {
  let cfn: any;
  try {
    // Only `--stack` needs it (a dev dependency here; a copy of the launcher elsewhere may lack it).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cfn = require('@aws-sdk/client-cloudformation');
  } catch {
    return undefined;
  }
  const client = new cfn.CloudFormationClient({});
  return {
    async outputsOf(stackName: string) {
      const answer = await client.send(new cfn.DescribeStacksCommand({ StackName: stackName }));
      return answer.Stacks?.[0]?.Outputs ?? [];
    },
  };
}

if (require.main === module) {
  (async () => {
    const command = parseArgs(process.argv.slice(2));
    const sagemaker = new SageMakerClient({});
    if (command.command === 'approve') {
      await approve(sagemaker, command);
      return;
    }
    const sfn = new SFNClient({});
    const stateMachineArn = await resolveStateMachine(command.target, sfn, cloudFormationOutputs());
    const result = await launch(sfn, { stateMachineArn, hyperparameters: command.input, sagemaker });
    process.exitCode = result.status === 'SUCCEEDED' ? 0 : 1;
  })().catch(e => {
    console.error((e as Error).message);
    process.exitCode = 2;
  });
}
