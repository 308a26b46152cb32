import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { launch, parseArgs, StepFunctionsClient } from '../../bin/launch';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Training';
const t = (s: number) => new Date(Date.UTC(2026, 10, 22, 8, 0, s));
const entered = (name: string, s: number) => ({ type: 'TaskStateEntered', timestamp: t(s), stateEnteredEventDetails: { name } });
const exited = (name: string, s: number) => ({ type: 'TaskStateExited', timestamp: t(s), stateExitedEventDetails: { name } });

/** A Step Functions client that replays a scripted execution, one poll at a time. */
type Poll = { events: any[]; status: string; output?: any; error?: string; cause?: string };
function mockClient(polls: Poll[]): StepFunctionsClient & { started?: any } {
  let poll = 0;
  const client: StepFunctionsClient & { started?: any } = {
    async send(command: any) {
      if (command instanceof StartExecutionCommand) {
        client.started = command.input;
        return { executionArn: `${ARN.replace('stateMachine', 'execution')}:run-1` };
      }
      if (command instanceof GetExecutionHistoryCommand) return { events: polls[poll].events };
      if (command instanceof DescribeExecutionCommand) {
        const p = polls[poll++];
        return { status: p.status, output: p.output && JSON.stringify(p.output), error: p.error, cause: p.cause };
      }
      throw new Error(`unexpected command ${command.constructor.name}`);
    },
  };
  return client;
}

describe('the training launcher', () => {
  test('starts with the hyperparameter overrides and follows the steps to the model and metrics', async () => {
    const lines: string[] = [];
    const steps = [entered('Preprocess', 0), exited('Preprocess', 75), entered('Train', 76)];
    const client = mockClient([
      { events: steps, status: 'RUNNING' },
      {
        events: [...steps, exited('Train', 500), entered('Evaluate', 501), exited('Evaluate', 560), entered('CreateModel', 562), exited('CreateModel', 563)],
        status: 'SUCCEEDED',
        output: { modelName: 'model-1', modelDataUrl: 's3://artifacts/models/train-1/output/model.tar.gz', evaluation: { metrics: { deviance_explained: 0.53 } } },
      },
    ]);
    const result = await launch(client, { stateMachineArn: ARN, hyperparameters: { max_iter: '50' }, print: l => lines.push(l), sleep: async () => undefined });
    expect(client.started).toEqual({ stateMachineArn: ARN, name: undefined, input: '{"max_iter":"50"}' });
    expect(result.status).toBe('SUCCEEDED');
    expect(lines).toEqual([
      `started ${ARN.replace('stateMachine', 'execution')}:run-1`,
      '✓ Preprocess (1m15s)',
      '… Train running',
      '✓ Train (7m04s)',
      '✓ Evaluate (59s)',
      '✓ CreateModel (1s)',
      'model model-1: s3://artifacts/models/train-1/output/model.tar.gz',
      'metrics {"deviance_explained":0.53}',
    ]);
  });

  test('reports the failed step and the error, and returns the failure', async () => {
    const lines: string[] = [];
    const client = mockClient([{
      events: [entered('Preprocess', 0), exited('Preprocess', 10), entered('Train', 11), { type: 'TaskFailed', timestamp: t(40) }],
      status: 'FAILED',
      error: 'QualityGateFailed',
      cause: 'the model does not meet metrics.deviance_explained greater than or equal 0.2',
    }]);
    const result = await launch(client, { stateMachineArn: ARN, hyperparameters: {}, print: l => lines.push(l), sleep: async () => undefined });
    expect(result).toEqual(expect.objectContaining({ status: 'FAILED', error: 'QualityGateFailed' }));
    expect(lines).toContain('✗ Train failed after 29s');
    expect(lines[lines.length - 1]).toBe('FAILED: QualityGateFailed the model does not meet metrics.deviance_explained greater than or equal 0.2');
  });

  test('parses its arguments and refuses bad ones with the argument named', () => {
    expect(parseArgs(['train', '--state-machine-arn', ARN, '--set', 'max_iter=50', '--set', 'tol=1e-6']))
      .toEqual({ stateMachineArn: ARN, hyperparameters: { max_iter: '50', tol: '1e-6' } });
    expect(() => parseArgs(['deploy'])).toThrow(/usage: launch train --state-machine-arn <arn>/);
    expect(() => parseArgs(['train', '--state-machine-arn', 'Training'])).toThrow(/--state-machine-arn must be a state machine ARN, got 'Training'/);
    expect(() => parseArgs(['train', '--state-machine-arn', ARN, '--set', 'max_iter'])).toThrow(/--set takes key=value, got 'max_iter'/);
  });
});
