import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SageMakerLifecycleStack } from '../../bin/stacks';
import { LocalFaults } from '../../local/src/faults';
import { LocalRunResult, LocalRuntime } from '../../local/src/runtime';
import { parseS3Uri } from '../../local/src/s3';
import { ENV, testApp } from '../util';
import { failureNotification, findGlmPython } from './workflows';

/**
 * The reference lifecycle workflow (SageMakerMlLifecycle: tune, read the best training job,
 * register it), run locally with the data and configuration the stack ships and the example
 * image's real `train` entry point. The local runtime runs a tuning job as one training job
 * (local/src/sagemaker.ts), which is then the best one.
 */
const python = findGlmPython();
if (!python && process.env.CI) {
  throw new Error('the local runs of the lifecycle workflow need Python with numpy, pandas and statsmodels: .ci/run installs them');
}
// Skipped where no Python imports numpy, pandas and statsmodels (Debian: python3-numpy,
// python3-pandas, python3-statsmodels): the jobs run the example image's real entry points.
const describeRuns = python ? describe : describe.skip;
jest.setTimeout(120_000);

const STATES = {
  happy: ['tune', 'tune: read the best training job', 'register', 'Output'],
  tuneFailed: ['tune', 'tune failed'],
  /** Registration, then (after any check of the error) the stage's Fail state. */
  registerFailed: { first: ['tune', 'tune: read the best training job', 'register'], last: 'register failed' },
};

describeRuns('local run of the reference lifecycle workflow (tune -> register the best model)', () => {
  const runtimes: LocalRuntime[] = [];
  const folders: string[] = [];
  const synth = (configFile?: string) => {
    const app = testApp();
    new SageMakerLifecycleStack(app, 'SageMakerMlLifecycle', { env: ENV, configFile });
    return app.synth().directory;
  };
  const runtime = (assembly: string, faults?: LocalFaults) => {
    const rt = LocalRuntime.fromAssembly(assembly, 'SageMakerMlLifecycle', { faults, python });
    runtimes.push(rt);
    return rt;
  };
  let assembly: string;
  let happy: { rt: LocalRuntime; result: LocalRunResult };
  beforeAll(async () => {
    assembly = synth();
    const rt = runtime(assembly);
    happy = { rt, result: await rt.run({}) };
  });
  afterAll(() => {
    runtimes.forEach(r => r.dispose());
    folders.forEach(f => fs.rmSync(f, { recursive: true, force: true }));
  });

  test('the tuning job trains on the shipped sample data and configuration; the best model is registered, pending approval', () => {
    const { rt, result } = happy;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual(STATES.happy);
    expect(result.notifications).toEqual([]);

    const tuning = [...rt.sagemaker.jobs.values()].filter(j => j.HyperParameterTuningJobName);
    expect(tuning).toHaveLength(1);
    const best = tuning[0].BestTrainingJob;
    // The objective the tuning job minimizes is the metric the real `train` printed.
    expect(best.FinalHyperParameterTuningJobObjectiveMetric).toEqual({ Type: 'Minimize', MetricName: 'train:deviance', Value: expect.any(Number) });
    expect(best.FinalHyperParameterTuningJobObjectiveMetric.Value).toBeGreaterThan(0);
    expect(result.output.trainingJobName).toBe(best.TrainingJobName);

    // The best training job read both channels: the sample data and the configuration file.
    const job = rt.sagemaker.jobs.get(`training-job/${best.TrainingJobName}`);
    expect(job).toMatchObject({ TrainingJobStatus: 'Completed', TuningJobArn: tuning[0].HyperParameterTuningJobArn });
    expect(job.InputDataConfig.map((c: any) => c.ChannelName)).toEqual(['train', 'config']);
    const channel = (name: string) => fs.readdirSync(path.join(rt.workDirectory, 'jobs', best.TrainingJobName, 'opt/ml/input/data', name));
    expect(channel('train')).toEqual([expect.stringMatching(/\.csv$/)]);
    expect(channel('config')).toEqual([expect.stringMatching(/\.json$/)]);
    // The tuned hyperparameters reached hyperparameters.json.
    const hyperparameters = JSON.parse(fs.readFileSync(path.join(rt.workDirectory, 'jobs', best.TrainingJobName, 'opt/ml/input/config/hyperparameters.json'), 'utf8'));
    expect(hyperparameters).toEqual(best.TunedHyperParameters);
    expect(Object.keys(hyperparameters).sort()).toEqual(['max_iter', 'tol']);

    // Version 1 of the stack's group, on the best job's model.tar.gz, which exists.
    const packages = [...rt.sagemaker.modelPackages.values()];
    expect(packages).toHaveLength(1);
    expect(packages[0]).toMatchObject({ ModelPackageArn: result.output.modelPackageArn, ModelApprovalStatus: 'PendingManualApproval', ModelPackageVersion: 1 });
    const modelData = packages[0].InferenceSpecification.Containers[0].ModelDataUrl;
    expect(modelData).toBe(job.ModelArtifacts.S3ModelArtifacts);
    const { bucket, key } = parseS3Uri(modelData);
    expect(key).toBe(`tuned-models/${result.executionName}/${best.TrainingJobName}/output/model.tar.gz`);
    expect(rt.s3.exists(bucket, key)).toBe(true);
  });

  test('a training job of the tuning job fails: the workflow fails and notifies, with the job\'s failure reason', async () => {
    // A configuration the real `train` refuses (a link the Poisson family does not support).
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-config-'));
    folders.push(folder);
    const config = path.join(folder, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ target: 'claim_count', predictors: ['age'], family: 'poisson', link: 'logit' }));
    const result = await runtime(synth(config)).run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual(STATES.tuneFailed);
    expect(result.error).toBe('States.TaskFailed');
    const message = failureNotification(result);
    expect(message).toMatchObject({ workflow: 'Tune and register the GLM claims model', execution: result.executionArn, status: 'FAILED', error: 'States.TaskFailed' });
    expect(JSON.parse(message.cause)).toMatchObject({
      HyperParameterTuningJobStatus: 'Failed',
      FailureReason: expect.stringMatching(/AlgorithmError: train failed: config 'link' 'logit' is not supported with family 'poisson'/),
    });
    expect(result.notifications).toHaveLength(1);
  });

  test('registration fails: the workflow fails and notifies, and no version is registered', async () => {
    const faults = new LocalFaults().apiError('CreateModelPackage', 'ValidationException', Infinity, 'Model Package Group does not exist.');
    const rt = runtime(assembly, faults);
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.states.slice(0, 3)).toEqual(STATES.registerFailed.first);
    expect(result.states[result.states.length - 1]).toBe(STATES.registerFailed.last);
    expect(result.states.filter(s => s === 'tune')).toHaveLength(1);
    expect([...rt.sagemaker.modelPackages.values()]).toEqual([]);
    expect(failureNotification(result)).toMatchObject({
      execution: result.executionArn,
      status: 'FAILED',
      error: expect.stringMatching(/^SageMaker\./),
      cause: expect.stringMatching(/Model Package Group does not exist/),
    });
    expect(result.notifications).toHaveLength(1);
  });
});
