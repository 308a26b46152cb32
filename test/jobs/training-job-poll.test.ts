import * as fs from 'fs';
import * as path from 'path';
import { CfnElement, Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { JobS3Location, MlDataStore, SageMakerImage, SageMakerWorkflow, TrainingStage } from '../../lib';
import { LOCAL_ACCOUNT } from '../../local/src/assembly';
import { LocalFaults } from '../../local/src/faults';
import { optimizedFieldProblems } from '../../local/src/optimized-fields';
import { LocalRuntime } from '../../local/src/runtime';
import { failureNotification, TINY_IMAGE } from '../local/workflows';
import { ENV, testApp } from '../util';

jest.setTimeout(60_000);

/**
 * Issue 23, deploy-safe integrations: a training stage with managed spot training and
 * checkpoints. Step Functions' optimized createTrainingJob.sync does not take CheckpointConfig
 * (the local runtime refuses such a definition at load, as Step Functions refuses it at deploy),
 * so the job starts through the AWS SDK integration and the step polls DescribeTrainingJob.
 * The job runs the stdlib-only image's `train` (a `fail` hyperparameter makes it fail).
 */
function checkpointApp() {
  const app = testApp();
  const stack = new Stack(app, 'Checkpointed', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const train = new TrainingStage(stack, 'Train', {
    image: SageMakerImage.fromAsset(TINY_IMAGE),
    outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    hyperparameters: { score: '0.9', fail: sfn.JsonPath.stringAt('$.fail') },
    maxRuntime: Duration.hours(1),
    spot: { maxWait: Duration.hours(2) },
    checkpointLocation: JobS3Location.perExecution(store.artifactsBucket, 'checkpoints'),
  });
  const after = new sfn.Pass(stack, 'After', { parameters: { 'model.$': '$.results.Train.ModelArtifacts.S3ModelArtifacts' }, resultPath: '$.after' });
  new SageMakerWorkflow(stack, 'Workflow', { definition: train.next(after), description: 'checkpointed training' });
  const directory: string = app.synth().directory;
  return { stack, directory, store };
}

describe('a checkpointed training stage in the local runtime', () => {
  const { directory, stack, store } = checkpointApp();
  const artifactsBucketId = stack.getLogicalId(store.artifactsBucket.node.defaultChild as CfnElement);
  const runtimes: LocalRuntime[] = [];
  const runtime = (faults: LocalFaults = new LocalFaults()) => {
    const r = LocalRuntime.fromAssembly(directory, 'Checkpointed/Workflow/StateMachine', { faults });
    runtimes.push(r);
    return r;
  };
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('loads: nothing goes through an optimized integration Step Functions would refuse', () => {
    const definition = runtime().stateMachine.definition;
    expect(definition.States.Train.Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:createTrainingJob');
  });

  test('succeeds: the job starts, is InProgress at the first check, Completed at the second; the stage\'s results are .sync\'s', async () => {
    const rt = runtime();
    // A checkpoint of an earlier, interrupted run of this execution: SageMaker copies it into the job.
    const bucket = rt.assembly.resolver('Checkpointed').physicalName(artifactsBucketId);
    rt.s3.put(bucket, 'checkpoints/resumed/epoch-3.ckpt', 'state');
    const result = await rt.run({ fail: '' }, { executionName: 'resumed' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual([
      'Train',
      'Train: wait', 'Train: describe job', 'Train: job ended?', 'Train: count checks', 'Train: checks left?',
      'Train: wait', 'Train: describe job', 'Train: job ended?', 'Train: completed',
      'After',
    ]);
    // One job, started once (the create call is not repeated by the loop).
    const jobs = [...rt.sagemaker.jobs.keys()];
    expect(jobs).toEqual([expect.stringMatching(/^training-job\/train-[0-9a-f]{8}-[0-9a-f-]{36}$/)]);
    const name = jobs[0].slice('training-job/'.length);
    const job = rt.sagemaker.jobs.get(jobs[0]);
    expect(job).toMatchObject({
      TrainingJobStatus: 'Completed',
      EnableManagedSpotTraining: true,
      CheckpointConfig: { S3Uri: `s3://${bucket}/checkpoints/resumed/` },
      StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
    });
    expect(fs.readFileSync(path.join(rt.workDirectory, 'jobs', name, 'opt', 'ml', 'checkpoints', 'epoch-3.ckpt'), 'utf8')).toBe('state');
    // The stage's results are what they are with .sync (nothing of the loop is left).
    const model = `s3://${bucket}/models/${name}/output/model.tar.gz`;
    expect(result.output).toEqual({
      fail: '',
      results: { Train: { TrainingJobName: name, TrainingJobArn: `arn:aws:sagemaker:us-east-1:${LOCAL_ACCOUNT}:training-job/${name}`, ModelArtifacts: { S3ModelArtifacts: model } } },
      after: { model },
    });
    expect(rt.s3.exists(bucket, `models/${name}/output/model.tar.gz`)).toBe(true);
  });

  test('a failing job fails the execution with TrainingJobFailed; the notification carries the job\'s FailureReason', async () => {
    const result = await runtime().run({ fail: 'loss is NaN' });
    expect(result.status).toBe('FAILED');
    expect(result.states.slice(-5)).toEqual(['Train: describe job', 'Train: job ended?', 'Train: failed with reason', 'Train: job failed', 'Train failed']);
    expect(result.error).toBe('TrainingJobFailed');
    const message = failureNotification(result);
    expect(message).toMatchObject({ status: 'FAILED', error: 'TrainingJobFailed' });
    expect(JSON.parse(message.cause)).toEqual({
      TrainingJobName: expect.stringMatching(/^train-/),
      TrainingJobArn: expect.stringMatching(/^arn:aws:sagemaker:us-east-1:\d{12}:training-job\/train-/),
      TrainingJobStatus: 'Failed',
      SecondaryStatus: 'Failed',
      FailureReason: 'AlgorithmError: train failed: loss is NaN',
    });
  });

  test('a ValidationException at create fails at once (one request, no poll), the notification carries the Cause', async () => {
    const faults = new LocalFaults().apiError('CreateTrainingJob', 'ValidationException', 1, 'Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true');
    const result = await runtime(faults).run({ fail: '' });
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual(['Train', 'Train: transient?', 'Train failed']);
    expect(result.error).toBe('SageMaker.SageMakerException');
    expect(failureNotification(result).cause).toMatch(/^Invalid MaxWaitTimeInSeconds\. .* \(Service: SageMaker, Status Code: 400, Request ID: [-0-9a-f]+\)$/);
  });

  test('throttling of DescribeTrainingJob is retried by its service-error loop; a refused describe fails the stage', async () => {
    const once = await runtime(new LocalFaults().apiError('DescribeTrainingJob', 'ThrottlingException', 1)).run({ fail: '' });
    expect(once.status).toBe('SUCCEEDED');
    expect(once.states.slice(1, 6)).toEqual(['Train: wait', 'Train: describe job', 'Train: describe job: transient?', 'Train: describe job: retry 1', 'Train: describe job: backoff']);
    const refused = await runtime(new LocalFaults().apiError('DescribeTrainingJob', 'AccessDeniedException', 1, 'not authorized to perform: sagemaker:DescribeTrainingJob')).run({ fail: '' });
    expect(refused.status).toBe('FAILED');
    expect(refused.states.slice(-3)).toEqual(['Train: describe job', 'Train: describe job: transient?', 'Train failed']);
    expect(refused.error).toBe('SageMaker.SageMakerException');
  });
});

test('the same stage through createTrainingJob.sync would be refused at load, as Step Functions refuses it at deploy', () => {
  const { stack } = checkpointApp();
  const rt = LocalRuntime.fromStack(stack, 'Workflow/StateMachine');
  const definition = JSON.parse(JSON.stringify(rt.stateMachine.definition));
  rt.dispose();
  // What the step rendered before: the optimized integration with CheckpointConfig.
  definition.States.Train.Resource = 'arn:aws:states:::sagemaker:createTrainingJob.sync';
  expect(optimizedFieldProblems(definition.States)).toEqual([
    'SCHEMA_VALIDATION_FAILED: The field "CheckpointConfig" is not supported by Step Functions at /States/Train/Parameters',
  ]);
});
