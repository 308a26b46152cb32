import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SageMakerBatchTransformStack, SageMakerTrainingStack } from '../../bin/stacks';
import { LocalFaults } from '../../local/src/faults';
import { LocalRuntime } from '../../local/src/runtime';
import { parseS3Uri } from '../../local/src/s3';
import { ENV, testApp } from '../util';
import { BATCH_STATES as S, failureNotification, findGlmPython } from './workflows';

/**
 * The reference batch transform workflow (SageMakerMlBatch), run locally: the sample model
 * (the stack's ModelDataKey default) served by the example image's real `serve` entry point.
 */
const python = findGlmPython();
if (!python && process.env.CI) {
  throw new Error('the local runs of the batch workflow need Python with numpy, pandas and statsmodels: .ci/run installs them');
}
const describeRuns = python ? describe : describe.skip;
jest.setTimeout(60_000);

describeRuns('local run of the reference batch transform workflow', () => {
  let assemblyDir: string;
  let dataFolder: string;
  let dataBucket: string;
  const runtimes: LocalRuntime[] = [];
  const runtime = (faults?: LocalFaults) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, 'SageMakerMlBatch', { faults, python, buckets: { [dataBucket]: dataFolder } });
    runtimes.push(r);
    return r;
  };

  beforeAll(() => {
    const app = testApp();
    const training = new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
    new SageMakerBatchTransformStack(app, 'SageMakerMlBatch', { env: ENV, dataStore: training.dataStore });
    assemblyDir = app.synth().directory;
    // The data bucket is a folder the test names: the transform reads batch/input/ from it.
    dataFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'local-batch-data-'));
    const probe = LocalRuntime.fromAssembly(assemblyDir, 'SageMakerMlBatch');
    const transform = probe.stateMachine.definition.States.Transform.Parameters;
    dataBucket = parseS3Uri(transform.TransformInput.DataSource.S3DataSource.S3Uri).bucket;
    probe.dispose();
  });
  afterAll(() => {
    runtimes.forEach(r => r.dispose());
    fs.rmSync(dataFolder, { recursive: true, force: true });
  });

  const writeInput = (name: string, rows: string[]) => {
    fs.mkdirSync(path.join(dataFolder, 'batch', 'input'), { recursive: true });
    fs.writeFileSync(path.join(dataFolder, 'batch', 'input', name), rows.join('\n') + '\n');
  };

  test('the happy path transforms every input object to <object>.out, one prediction per line', async () => {
    writeInput('claims.csv', ['40,20.5,north', '25,55,south', '70,3,west']);
    const faults = new LocalFaults().apiError('CreateTransformJob', 'ThrottlingException', 2);
    const rt = runtime(faults);
    const result = await rt.run({});
    expect(result.status).toBe('SUCCEEDED');
    // Throttling reaches the task as SageMaker.AmazonSageMakerException: retried because its
    // Cause says so (a refused request under the same name is not).
    expect(result.states).toEqual(S.throttledTwice);
    expect(result.failures).toEqual([
      { state: 'Transform', error: 'SageMaker.AmazonSageMakerException', cause: expect.stringMatching(/^Rate exceeded \(Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException;/) },
      { state: 'Transform', error: 'SageMaker.AmazonSageMakerException', cause: expect.stringMatching(/^Rate exceeded /) },
    ]);
    const { bucket, key } = parseS3Uri(result.output.transform.TransformOutput.S3OutputPath);
    expect(key).toBe(`batch/output/${result.executionName}/`);
    const lines = rt.s3.get(bucket, `${key}claims.csv.out`)!.toString().trim().split('\n').map(Number);
    expect(lines).toHaveLength(3);
    lines.forEach(p => expect(p).toBeGreaterThan(0));
    // Young drivers in the south claim more than old drivers in the west (the sample's coefficients).
    expect(lines[1]).toBeGreaterThan(lines[2]);
  });

  test('a record the model rejects fails the job, and the notification carries the reason', async () => {
    writeInput('claims.csv', ['40,20.5,east']);
    const result = await runtime().run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual(S.failure);
    expect(result.error).toBe('States.TaskFailed');
    // The execution-status rule's message carries the job's failure reason.
    const message = failureNotification(result);
    expect(message).toMatchObject({ execution: result.executionArn, status: 'FAILED', error: 'States.TaskFailed' });
    expect(JSON.parse(message.cause)).toMatchObject({
      TransformJobStatus: 'Failed',
      FailureReason: expect.stringMatching(/^ClientError: the model container answered 400 .*levels not seen in training: east/),
    });
  });
});
