import { DescribeTrainingJobCommand, ListModelPackagesCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListStateMachinesCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { approve, jobOf, launch, parseArgs, resolveStateMachine, SageMakerApi, StepFunctionsClient } from '../../bin/launch';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Training';
const t = (s: number) => new Date(Date.UTC(2026, 10, 22, 8, 0, s));
const entered = (name: string, s: number) => ({ type: 'TaskStateEntered', timestamp: t(s), stateEnteredEventDetails: { name } });
const exited = (name: string, s: number) => ({ type: 'TaskStateExited', timestamp: t(s), stateExitedEventDetails: { name } });
const scheduled = (resource: string, parameters: object, s: number) => ({
  type: 'TaskScheduled', timestamp: t(s), taskScheduledEventDetails: { resourceType: 'sagemaker', resource, parameters: JSON.stringify(parameters) },
});

/** A Step Functions client that replays a scripted execution, one poll at a time. */
type Poll = { events: any[]; status: string; output?: any; error?: string; cause?: string };
function mockClient(polls: Poll[], stateMachines: Array<{ name: string; stateMachineArn: string }> = []): StepFunctionsClient & { started?: any } {
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
      if (command instanceof ListStateMachinesCommand) {
        // two pages, to check the launcher follows nextToken
        return command.input.nextToken ? { stateMachines: stateMachines.slice(1) } : { stateMachines: stateMachines.slice(0, 1), nextToken: 'page-2' };
      }
      throw new Error(`unexpected command ${command.constructor.name}`);
    },
  };
  return client;
}

/** A SageMaker client that answers from a table and records what it was sent. */
function mockSageMaker(answers: Array<[new (...a: any[]) => any, (input: any) => any]>): SageMakerApi & { sent: any[] } {
  const sagemaker = {
    sent: [] as any[],
    async send(command: any) {
      sagemaker.sent.push({ command: command.constructor.name, input: command.input });
      const answer = answers.find(([type]) => command instanceof type);
      if (!answer) throw new Error(`unexpected command ${command.constructor.name}`);
      return answer[1](command.input);
    },
  };
  return sagemaker;
}

describe('the launcher', () => {
  test('starts with the input and follows every task state to the model and metrics', async () => {
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

  test('shows the states of any workflow, stage-based ones included, not a fixed list', async () => {
    const lines: string[] = [];
    const client = mockClient([{
      events: [entered('Prepare: Features', 0), exited('Prepare: Features', 20), entered('Train: Fit', 21), exited('Train: Fit', 80),
        { type: 'MapStateEntered', timestamp: t(81), stateEnteredEventDetails: { name: 'Evaluate each split' } },
        { type: 'MapStateExited', timestamp: t(90), stateExitedEventDetails: { name: 'Evaluate each split' } },
        { type: 'ChoiceStateEntered', timestamp: t(91), stateEnteredEventDetails: { name: 'Gate' } }],
      status: 'SUCCEEDED',
      output: {},
    }]);
    await launch(client, { stateMachineArn: ARN, hyperparameters: {}, print: l => lines.push(l), sleep: async () => undefined });
    expect(lines.slice(1)).toEqual(['✓ Prepare: Features (20s)', '✓ Train: Fit (59s)', '✓ Evaluate each split (9s)']);
  });

  test('prints the failure reason SageMaker gives for the failed job, and returns the failure', async () => {
    const lines: string[] = [];
    const client = mockClient([{
      events: [
        entered('Preprocess', 0), scheduled('createProcessingJob.sync', { ProcessingJobName: 'processing-1' }, 1), exited('Preprocess', 10),
        entered('Train', 11), scheduled('createTrainingJob.sync', { TrainingJobName: 'training-abc' }, 12), { type: 'TaskFailed', timestamp: t(40) },
      ],
      status: 'FAILED',
      error: 'States.TaskFailed',
      cause: '{"TrainingJobStatus":"Failed"}',
    }]);
    const sagemaker = mockSageMaker([[DescribeTrainingJobCommand, () => ({ FailureReason: "AlgorithmError: unknown column 'age2' in predictors" })]]);
    const options = { stateMachineArn: ARN, hyperparameters: {}, print: (l: string) => lines.push(l), sleep: async () => undefined };
    const result = await launch(client, { ...options, sagemaker });
    expect(result).toEqual(expect.objectContaining({ status: 'FAILED', error: 'States.TaskFailed', jobFailureReason: "AlgorithmError: unknown column 'age2' in predictors" }));
    expect(sagemaker.sent).toEqual([{ command: 'DescribeTrainingJobCommand', input: { TrainingJobName: 'training-abc' } }]);
    expect(lines).toContain('✗ Train failed after 29s');
    expect(lines.slice(-2)).toEqual([
      'FAILED: States.TaskFailed {"TrainingJobStatus":"Failed"}',
      "Train: TrainingJob training-abc failed: AlgorithmError: unknown column 'age2' in predictors",
    ]);
  });

  test('a job that failed and succeeded on a retry is not shown failed; a gate failure needs no SageMaker call', async () => {
    const lines: string[] = [];
    const client = mockClient([{
      events: [
        entered('Evaluate', 0), scheduled('createProcessingJob.sync', { ProcessingJobName: 'processing-1' }, 1), { type: 'TaskFailed', timestamp: t(61) },
        scheduled('createProcessingJob.sync', { ProcessingJobName: 'processing-2' }, 121), exited('Evaluate', 180),
      ],
      status: 'FAILED',
      error: 'QualityGateFailed',
      cause: 'the model does not meet metrics.deviance_explained greater than or equal 0.2',
    }]);
    const sagemaker = mockSageMaker([]);
    const options = { stateMachineArn: ARN, hyperparameters: {}, print: (l: string) => lines.push(l), sleep: async () => undefined };
    const result = await launch(client, { ...options, sagemaker });
    expect(lines).toContain('✓ Evaluate (3m00s)');
    expect(sagemaker.sent).toEqual([]);
    expect(result.jobFailureReason).toBeUndefined();
    expect(lines[lines.length - 1]).toBe('FAILED: QualityGateFailed the model does not meet metrics.deviance_explained greater than or equal 0.2');
  });

  test('reads the job of a task state from its resource and request', () => {
    expect(jobOf('sagemaker:createProcessingJob.sync', '{"ProcessingJobName":"p-1"}')).toEqual({ kind: 'ProcessingJob', name: 'p-1' });
    expect(jobOf('sagemaker:createTransformJob.sync', '{"TransformJobName":"t-1"}')).toEqual({ kind: 'TransformJob', name: 't-1' });
    expect(jobOf('sagemaker:createHyperParameterTuningJob.sync', '{"HyperParameterTuningJobName":"h-1"}')).toEqual({ kind: 'HyperParameterTuningJob', name: 'h-1' });
    // A checkpointed training job starts through the AWS SDK integration (history: resourceType aws-sdk:sagemaker).
    expect(jobOf('aws-sdk:sagemaker:createTrainingJob', '{"TrainingJobName":"c-1"}')).toEqual({ kind: 'TrainingJob', name: 'c-1' });
    expect(jobOf('sagemaker:createModel', '{"ModelName":"m"}')).toBeUndefined();
    expect(jobOf('sns:publish', '{}')).toBeUndefined();
    expect(jobOf('sagemaker:createTrainingJob.sync', 'not json')).toBeUndefined();
  });

  test('finds the state machine by ARN, by stack output, or by part of its name', async () => {
    const sfn = mockClient([], [
      { name: 'TrainingWorkflowStateMachine1A2B3C-abc', stateMachineArn: `${ARN}Workflow` },
      { name: 'BatchStateMachine9F8E-def', stateMachineArn: `${ARN}Batch` },
    ]);
    const stacks = {
      outputsOf: async (stack: string) => (stack === 'MyMl'
        ? [{ OutputKey: 'DataBucket', OutputValue: 'my-bucket' }, { OutputKey: 'StateMachineArn', OutputValue: ARN }]
        : [{ OutputKey: 'A', OutputValue: `${ARN}A` }, { OutputKey: 'B', OutputValue: `${ARN}B` }]),
    };
    expect(await resolveStateMachine({ stateMachineArn: ARN }, sfn)).toBe(ARN);
    expect(await resolveStateMachine({ stackName: 'MyMl' }, sfn, stacks)).toBe(ARN);
    expect(await resolveStateMachine({ stackName: 'Two', outputKey: 'B' }, sfn, stacks)).toBe(`${ARN}B`);
    await expect(resolveStateMachine({ stackName: 'Two' }, sfn, stacks)).rejects.toThrow(/stack Two has 2 outputs holding a state machine ARN; name one with --output \(outputs: A=.*, B=/);
    await expect(resolveStateMachine({ stackName: 'MyMl', outputKey: 'DataBucket' }, sfn, stacks)).rejects.toThrow(/stack MyMl has no output DataBucket holding a state machine ARN/);
    await expect(resolveStateMachine({ stackName: 'MyMl' }, sfn)).rejects.toThrow(/needs @aws-sdk\/client-cloudformation/);
    expect(await resolveStateMachine({ stateMachineName: 'Batch' }, sfn)).toBe(`${ARN}Batch`); // found on the second page
    await expect(resolveStateMachine({ stateMachineName: 'StateMachine' }, sfn)).rejects.toThrow(/2 state machines have 'StateMachine' in their name: TrainingWorkflow.*, Batch.*; name exactly one/);
    await expect(resolveStateMachine({ stateMachineName: 'Nope' }, sfn)).rejects.toThrow(/0 state machines have 'Nope' in their name; name exactly one/);
  });

  test('approves the latest model package version, or the one named', async () => {
    const pkg = (v: number) => ({ ModelPackageArn: `arn:aws:sagemaker:us-east-1:123456789012:model-package/pricing/${v}`, ModelPackageVersion: v, ModelApprovalStatus: 'PendingManualApproval' });
    const sagemaker = mockSageMaker([
      [ListModelPackagesCommand, input => (input.NextToken ? { ModelPackageSummaryList: [pkg(1)] } : { ModelPackageSummaryList: [pkg(3), pkg(2)], NextToken: 'more' })],
      [UpdateModelPackageCommand, () => ({})],
    ]);
    const lines: string[] = [];
    expect(await approve(sagemaker, { group: 'pricing', print: l => lines.push(l) })).toBe(pkg(3).ModelPackageArn);
    expect(await approve(sagemaker, { group: 'pricing', version: 1, description: 'reviewed', print: l => lines.push(l) })).toBe(pkg(1).ModelPackageArn);
    expect(sagemaker.sent.filter(s => s.command === 'UpdateModelPackageCommand').map(s => s.input)).toEqual([
      { ModelPackageArn: pkg(3).ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: undefined },
      { ModelPackageArn: pkg(1).ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: 'reviewed' },
    ]);
    expect(sagemaker.sent[0].input).toEqual(expect.objectContaining({ ModelPackageGroupName: 'pricing', SortBy: 'CreationTime', SortOrder: 'Descending' }));
    expect(lines[0]).toBe(`approved ${pkg(3).ModelPackageArn} (version 3, was PendingManualApproval)`);
    await expect(approve(sagemaker, { group: 'pricing', version: 7, print: () => undefined })).rejects.toThrow(/model package group 'pricing' has no version 7/);
    const empty = mockSageMaker([[ListModelPackagesCommand, () => ({ ModelPackageSummaryList: [] })]]);
    await expect(approve(empty, { group: 'pricing', print: () => undefined })).rejects.toThrow(/model package group 'pricing' has no model package versions/);
  });

  test('parses its arguments and refuses bad ones with the argument named', () => {
    expect(parseArgs(['train', '--state-machine-arn', ARN, '--set', 'max_iter=50', '--set', 'tol=1e-6']))
      .toEqual({ command: 'run', target: { stateMachineArn: ARN }, input: { max_iter: '50', tol: '1e-6' } });
    expect(parseArgs(['run', '--stack', 'MyMl', '--output', 'StateMachineArn', '--input', '{"epochs":20,"tol":"1"}', '--set', 'tol=2']))
      .toEqual({ command: 'run', target: { stackName: 'MyMl', outputKey: 'StateMachineArn' }, input: { epochs: 20, tol: '2' } });
    expect(parseArgs(['run', '--state-machine', 'Training'])).toEqual({ command: 'run', target: { stateMachineName: 'Training' }, input: {} });
    expect(parseArgs(['approve', 'pricing', '--version', '3', '--description', 'ok'])).toEqual({ command: 'approve', group: 'pricing', version: 3, description: 'ok' });
    expect(parseArgs(['approve', 'pricing'])).toEqual({ command: 'approve', group: 'pricing', version: undefined, description: undefined });

    expect(() => parseArgs(['deploy'])).toThrow(/unknown command 'deploy'\nusage: launch run/);
    expect(() => parseArgs(['run'])).toThrow(/exactly one of --state-machine-arn, --state-machine, --stack/);
    expect(() => parseArgs(['run', '--stack', 'A', '--state-machine', 'B'])).toThrow(/exactly one of/);
    expect(() => parseArgs(['run', '--state-machine-arn', 'Training'])).toThrow(/--state-machine-arn must be a state machine ARN, got 'Training'/);
    expect(() => parseArgs(['run', '--state-machine-arn', ARN, '--output', 'X'])).toThrow(/--output goes with --stack/);
    expect(() => parseArgs(['run', '--stack'])).toThrow(/--stack needs a value/);
    expect(() => parseArgs(['run', '--stack', 'A', '--input', '[1]'])).toThrow(/--input must be a JSON object, got '\[1\]'/);
    expect(() => parseArgs(['run', '--stack', 'A', '--input', '{epochs'])).toThrow(/--input must be a JSON object, got '\{epochs'/);
    expect(() => parseArgs(['run', '--state-machine-arn', ARN, '--set', 'max_iter'])).toThrow(/--set takes key=value, got 'max_iter'/);
    expect(() => parseArgs(['run', '--state-machine-arn', ARN, '--verbose'])).toThrow(/unknown argument '--verbose'/);
    expect(() => parseArgs(['approve'])).toThrow(/approve needs the model package group/);
    expect(() => parseArgs(['approve', 'bad_name'])).toThrow(/the model package group must be a SageMaker name .* got 'bad_name'/);
    expect(() => parseArgs(['approve', 'pricing', '--version', '0'])).toThrow(/--version must be a model package version number \(1, 2, \.\.\.\), got '0'/);
    expect(() => parseArgs(['approve', 'pricing', '--force'])).toThrow(/unknown argument '--force'/);
  });
});
