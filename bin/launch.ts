#!/usr/bin/env node
/* eslint-disable no-console, import/no-extraneous-dependencies */
// The training launcher: starts the training workflow with hyperparameter overrides and
// follows it step by step (preprocess, train, evaluate, gate, model) until it ends, then
// prints the model location and the evaluation metrics.
//
//   npm run launch -- train --state-machine-arn <StateMachineArn output> --set max_iter=50 [--set tol=1e-6]
import {
  DescribeExecutionCommand, GetExecutionHistoryCommand, HistoryEvent, SFNClient, StartExecutionCommand,
} from '@aws-sdk/client-sfn';

/** What the launcher needs of a Step Functions client (an SFNClient, or a mock in tests). */
export interface StepFunctionsClient {
  send(command: StartExecutionCommand | DescribeExecutionCommand | GetExecutionHistoryCommand): Promise<any>;
}

export interface LaunchOptions {
  readonly stateMachineArn: string;
  readonly hyperparameters: Record<string, string>;
  readonly executionName?: string;
  readonly pollMs?: number;
  readonly print?: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface LaunchResult {
  readonly status: string;
  readonly executionArn: string;
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
}

/** The steps of the training workflow, in order, as the progress display shows them. */
export const STEPS = ['Preprocess', 'Train', 'Evaluate', 'QualityGate', 'CreateModel'];

export function parseArgs(argv: string[]): { stateMachineArn: string; hyperparameters: Record<string, string> } {
  const [command, ...rest] = argv;
  if (command !== 'train') throw new Error(`usage: launch train --state-machine-arn <arn> [--set key=value ...]; got '${command ?? ''}'`);
  let stateMachineArn = '';
  const hyperparameters: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--state-machine-arn') stateMachineArn = rest[++i] ?? '';
    else if (rest[i] === '--set') {
      const pair = rest[++i] ?? '';
      const eq = pair.indexOf('=');
      if (eq < 1) throw new Error(`--set takes key=value, got '${pair}'`);
      hyperparameters[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else throw new Error(`unknown argument '${rest[i]}'`);
  }
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:.+$/.test(stateMachineArn)) {
    throw new Error(`--state-machine-arn must be a state machine ARN, got '${stateMachineArn}'`);
  }
  return { stateMachineArn, hyperparameters };
}

function stepStates(events: HistoryEvent[]): Map<string, { started: Date; ended?: Date; failed?: boolean }> {
  const steps = new Map<string, { started: Date; ended?: Date; failed?: boolean }>();
  for (const e of events) {
    const entered = e.stateEnteredEventDetails?.name;
    const exited = e.stateExitedEventDetails?.name;
    if (entered && STEPS.includes(entered)) steps.set(entered, { started: e.timestamp! });
    if (exited && steps.has(exited)) steps.get(exited)!.ended = e.timestamp!;
    if (e.type === 'TaskFailed' || e.type === 'ExecutionFailed') {
      const running = [...steps.entries()].find(([, s]) => !s.ended);
      if (running) Object.assign(running[1], { failed: true, ended: e.timestamp });
    }
  }
  return steps;
}

function duration(from: Date, to: Date): string {
  const s = Math.round((to.getTime() - from.getTime()) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
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
    for (const [step, s] of stepStates(events)) {
      const state = s.failed ? 'failed' : s.ended ? 'done' : 'running';
      if (shown.get(step) === state) continue;
      shown.set(step, state);
      print(state === 'failed' ? `✗ ${step} failed after ${duration(s.started, s.ended!)}`
        : state === 'done' ? `✓ ${step} (${duration(s.started, s.ended!)})` : `… ${step} running`);
    }
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') {
      if (execution.status === 'SUCCEEDED') {
        const output = JSON.parse(execution.output ?? '{}');
        print(`model ${output.modelName}: ${output.modelDataUrl}`);
        if (output.evaluation) print(`metrics ${JSON.stringify(output.evaluation.metrics ?? output.evaluation)}`);
        return { status: execution.status, executionArn, output };
      }
      print(`${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`.trim());
      return { status: execution.status, executionArn, error: execution.error, cause: execution.cause };
    }
    await sleep(options.pollMs ?? 15_000);
  }
}

if (require.main === module) {
  (async () => {
    const args = parseArgs(process.argv.slice(2));
    const result = await launch(new SFNClient({}), args);
    process.exitCode = result.status === 'SUCCEEDED' ? 0 : 1;
  })().catch(e => {
    console.error((e as Error).message);
    process.exitCode = 2;
  });
}
