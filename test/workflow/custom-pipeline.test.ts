import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import {
  ChannelDataSource, CreateModelStage, DeployStage, EvaluationStage, JobConfigFile, JobS3Location, MetricComparison, MlDataStore,
  ModelApprovalStatus, ModelPackageGroup, ParameterRange, RealtimeEndpoint, RegisterModelStage, SageMakerImage, SageMakerInstanceType,
  SageMakerWorkflow, ScalingType, TuningObjectiveType, TuningStage,
} from '../../lib';
import { Integration } from '../../local/src/api';
import { LocalRunResult, LocalRuntime } from '../../local/src/runtime';
import { parseS3Uri } from '../../local/src/s3';
import { failureNotification, findGlmPython } from '../local/workflows';
import { ENV, definitionOf, nagFindings, testApp } from '../util';

/**
 * The README's custom pipeline ("A custom pipeline of stages"), built from the public API
 * only: tune the example GLM, evaluate the best model twice (a gated evaluation on the
 * validation data, a second gate on a recent slice of the data), register it with the first
 * evaluation's report, define a model and deploy it to an endpoint the app imports. It is
 * synthesized, checked under the four cdk-nag packs, and run in the local runtime with the
 * example image's real `train` and `evaluate` entry points.
 */
const GLM = path.join(__dirname, '..', '..', 'containers', 'glm');
const ENDPOINT = 'claims';
const CURRENT_CONFIG = 'claims-v1';

/** The recent slice of the sample data the second evaluation reads: the header and the last 200 rows. */
function recentClaims(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'custom-pipeline-'));
  const lines = fs.readFileSync(path.join(GLM, 'sample', 'claims.csv'), 'utf8').trim().split('\n');
  const file = path.join(folder, 'recent.csv');
  fs.writeFileSync(file, [lines[0], ...lines.slice(-200)].join('\n') + '\n');
  return file;
}

interface PipelineOptions {
  /** The share of deviance the model must explain on the validation data. */
  readonly minimumDevianceExplained: number;
  /** The recent slice's file. */
  readonly recentData: string;
}

function customPipeline(options: PipelineOptions) {
  const app = testApp();
  const stack = new Stack(app, 'CustomPipeline', { env: ENV });
  const store = new MlDataStore(stack, 'DataStore');
  const image = SageMakerImage.fromAsset(GLM);
  const config = new JobConfigFile(stack, 'TrainingConfig', { path: path.join(GLM, 'sample', 'config.json') });
  const claims = JobS3Location.fromAsset(new s3assets.Asset(stack, 'Claims', { path: path.join(GLM, 'sample', 'claims.csv') }));
  const recentData = JobS3Location.fromAsset(new s3assets.Asset(stack, 'RecentClaims', { path: options.recentData }));
  const group = new ModelPackageGroup(stack, 'Models', { description: 'GLM claims models that passed both gates' });
  const endpoint = RealtimeEndpoint.fromEndpointAttributes(stack, 'Endpoint', {
    endpointName: ENDPOINT,
    variants: [{ variantName: 'Main', instanceType: SageMakerInstanceType.ML_M5_LARGE }],
    endpointConfigName: CURRENT_CONFIG,
  });

  const tune = new TuningStage(stack, 'tune', {
    training: {
      image,
      volumeSize: Size.gibibytes(10),
      channels: [
        { channelName: 'train', source: ChannelDataSource.s3(claims), contentType: 'text/csv' },
        { channelName: 'config', source: ChannelDataSource.s3(config.location), contentType: 'application/json' },
      ],
      metricDefinitions: [{ name: 'train:deviance', regex: 'train_deviance=([-+0-9.eE]+)' }],
      outputLocation: JobS3Location.perExecution(store.artifactsBucket, 'tuned-models'),
      maxRuntime: Duration.hours(1),
    },
    objectiveMetricName: 'train:deviance',
    objectiveType: TuningObjectiveType.MINIMIZE,
    parameterRanges: [
      ParameterRange.integer('max_iter', 50, 500),
      ParameterRange.continuous('tol', 1e-10, 1e-4, ScalingType.LOGARITHMIC),
    ],
    maxTrainingJobs: 4,
    maxParallelTrainingJobs: 2,
  });
  // The example image's `evaluate` reads the model at /opt/ml/processing/model and the data at
  // /opt/ml/processing/validation, and writes output/evaluation/evaluation.json.
  const evaluation = (id: string, data: JobS3Location, gate: { metricPath: string; comparison: MetricComparison; threshold: number }) =>
    new EvaluationStage(stack, id, {
      image,
      containerEntrypoint: ['evaluate'],
      model: tune.trainedModel.modelArtifacts,
      processingInputs: [{ inputName: 'validation', source: data, localPath: '/opt/ml/processing/validation' }],
      processingOutputs: [{ outputName: 'evaluation', destination: JobS3Location.perExecution(store.artifactsBucket, id) }],
      reportOutputName: 'evaluation',
      maxRuntime: Duration.hours(1),
      gate,
    });
  const evaluate = evaluation('evaluate', claims,
    { metricPath: 'metrics.deviance_explained', comparison: MetricComparison.GREATER_THAN_OR_EQUAL, threshold: options.minimumDevianceExplained });
  const recent = evaluation('recent', recentData,
    { metricPath: 'metrics.rmse', comparison: MetricComparison.LESS_THAN, threshold: 2 });
  const register = new RegisterModelStage(stack, 'register', {
    modelPackageGroup: group,
    image,
    modelData: tune.trainedModel.modelArtifacts,
    evaluationReport: evaluate.report,
    approvalStatus: ModelApprovalStatus.APPROVED,
    contentTypes: ['text/csv'],
    description: 'Tuned GLM claims model that passed both gates',
  });
  const model = new CreateModelStage(stack, 'model', { image, modelData: tune.trainedModel.modelArtifacts });
  const deploy = new DeployStage(stack, 'deploy', {
    endpoint,
    modelName: model.modelName,
    modelRole: model.model.role,
    version: register.modelPackageArn,
    pollInterval: Duration.seconds(30),
    maxPolls: 20,
  });

  const workflow = new SageMakerWorkflow(stack, 'Workflow', {
    definition: tune.next(evaluate).next(recent).next(register).next(model).next(deploy),
    description: 'Tune, evaluate twice, register and deploy the GLM claims model',
    outputs: {
      modelPackageArn: register.modelPackageArn,
      trainingJobName: tune.trainedModel.trainingJobName,
      devianceExplained: evaluate.metric('metrics.deviance_explained'),
      recentRmse: recent.metric('metrics.rmse'),
      modelName: model.modelName,
      endpointConfigName: deploy.endpointConfigName,
      outcome: deploy.outcome,
    },
  });
  return { app, stack, workflow, stages: [tune, evaluate, recent, register, model, deploy] };
}

const RECENT = recentClaims();
afterAll(() => fs.rmSync(path.dirname(RECENT), { recursive: true, force: true }));

describe('the custom pipeline, synthesized', () => {
  const { stack, workflow, stages } = customPipeline({ minimumDevianceExplained: 0.2, recentData: RECENT });

  test('is clean under the four cdk-nag packs', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('chains the stages in order and hands each its producer\'s outputs', () => {
    const definition = definitionOf(stack);
    const states = definition.States;
    expect(definition.StartAt).toBe('tune');
    expect(states['tune: read the best training job'].Next).toBe('evaluate');
    expect(states['evaluate gate passed'].Next).toBe('recent');
    expect(states['recent gate passed'].Next).toBe('register');
    expect(states.register.Next).toBe('model');
    expect(states.model.Next).toBe('deploy start');
    // Both evaluations mount the tuned model; registration and the model read the same artifacts.
    const best = '$.results.tune.Best.ModelArtifacts.S3ModelArtifacts';
    for (const id of ['evaluate', 'recent']) {
      expect(states[id].Parameters.ProcessingInputs[0]).toMatchObject({ InputName: 'model', S3Input: { 'S3Uri.$': best, 'LocalPath': '/opt/ml/processing/model' } });
    }
    expect(states.register.Parameters.InferenceSpecification.Containers[0]['ModelDataUrl.$']).toBe(best);
    expect(states.register.Parameters.ModelMetrics.ModelQuality.Statistics['S3Uri.$'])
      .toBe("States.Format('s3://${DataStoreArtifactsBucket1D5896E7}/{}', States.Format('evaluate/{}/evaluation.json', $$.Execution.Name))");
    expect(states.model.Parameters.PrimaryContainer['ModelDataUrl.$']).toBe(best);
    // The workflow's timeout covers every stage's bound.
    const bound = stages.reduce((total, stage) => total + stage.maxDuration.toSeconds(), 0);
    expect(workflow.maxDuration.toSeconds()).toBe(bound);
    expect(definition.TimeoutSeconds).toBeGreaterThanOrEqual(bound);
  });
});

const python = findGlmPython();
if (!python && process.env.CI) {
  throw new Error('the local runs of the custom pipeline need Python with numpy, pandas and statsmodels: .ci/run installs them');
}
// Skipped where no Python imports numpy, pandas and statsmodels (Debian: python3-numpy,
// python3-pandas, python3-statsmodels): the jobs run the example image's real entry points.
const describeRuns = python ? describe : describe.skip;
jest.setTimeout(180_000);

const STATES = {
  tune: ['tune', 'tune: read the best training job'],
  gate: (id: string) => [id, `${id} read report`, `${id} gate`],
  passed: (id: string) => [`${id} gate passed`],
  rejected: (id: string) => [`${id} gate rejected`, `${id} failed`],
  /** The imported endpoint is in service with its own configuration (not a run-time one): updated. */
  deploy: [
    'deploy start', 'deploy find endpoint', 'deploy endpoint status?', 'deploy previous configuration is a run-time one?',
    'deploy define endpoint configuration', 'deploy endpoint exists?', 'deploy update endpoint', 'deploy start polling',
    'deploy wait', 'deploy describe endpoint', 'deploy deployed?', 'deploy count polls', 'deploy checks left?',
    'deploy wait', 'deploy describe endpoint', 'deploy deployed?',
    'deploy older configuration?', 'deploy deployed',
  ],
};

describeRuns('the custom pipeline, run locally on the example image', () => {
  const runtimes: LocalRuntime[] = [];
  afterAll(() => runtimes.forEach(r => r.dispose()));

  /** A runtime where the team's endpoint is in service with its own configuration, as an imported one is. */
  async function runtimeWithEndpoint(stack: Stack): Promise<LocalRuntime> {
    const rt = LocalRuntime.fromStack(stack, undefined, { python });
    runtimes.push(rt);
    const resolver = rt.assembly.resolver(stack.stackName);
    const artifacts = Object.keys(resolver.resources).find(id => id.startsWith('DataStoreArtifactsBucket'))!;
    const current = `s3://${resolver.resolve({ Ref: artifacts })}/team/model.tar.gz`;
    const { bucket, key } = parseS3Uri(current);
    rt.s3.putFile(bucket, key, path.join(GLM, 'sample', 'model.tar.gz'));
    const call = (api: string, request: any) => rt.sagemaker.call(api, request, Integration.AWS_SDK, false);
    await call('CreateModel', { ModelName: 'claims-team', ExecutionRoleArn: 'arn:aws:iam::123456789012:role/team', PrimaryContainer: { Image: 'team', ModelDataUrl: current } });
    await call('CreateEndpointConfig', { EndpointConfigName: CURRENT_CONFIG, ProductionVariants: [{ VariantName: 'Main', ModelName: 'claims-team', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] });
    await call('CreateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: CURRENT_CONFIG });
    while ((await call('DescribeEndpoint', { EndpointName: ENDPOINT })).EndpointStatus !== 'InService');
    return rt;
  }

  let happy: { rt: LocalRuntime; result: LocalRunResult };
  beforeAll(async () => {
    const { stack } = customPipeline({ minimumDevianceExplained: 0.2, recentData: RECENT });
    const rt = await runtimeWithEndpoint(stack);
    happy = { rt, result: await rt.run({}) };
  });

  test('tunes, passes both gates, registers the best model with its report, and deploys it to the imported endpoint', () => {
    const { rt, result } = happy;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual([
      ...STATES.tune,
      ...STATES.gate('evaluate'), ...STATES.passed('evaluate'),
      ...STATES.gate('recent'), ...STATES.passed('recent'),
      'register', 'model', ...STATES.deploy, 'Output',
    ]);
    expect(result.notifications).toEqual([]);

    // The best training job of the tuning job wrote the artifacts every later stage used.
    const tuning = [...rt.sagemaker.jobs.values()].filter(j => j.HyperParameterTuningJobName);
    expect(tuning).toHaveLength(1);
    const best = rt.sagemaker.jobs.get(`training-job/${tuning[0].BestTrainingJob.TrainingJobName}`);
    expect(result.output.trainingJobName).toBe(best.TrainingJobName);
    const artifacts = best.ModelArtifacts.S3ModelArtifacts;

    // Two evaluation jobs of that model, each with its report under the execution's name.
    const evaluations = [...rt.sagemaker.jobs.values()].filter(j => j.ProcessingJobName);
    expect(evaluations.map(j => j.ProcessingInputs[0].S3Input.S3Uri)).toEqual([artifacts, artifacts]);
    expect(result.output.devianceExplained).toBeGreaterThanOrEqual(0.2);
    expect(result.output.recentRmse).toBeLessThan(2);

    // Version 1 of the group, approved, on the best model, with the first evaluation's report.
    const packages = [...rt.sagemaker.modelPackages.values()];
    expect(packages).toHaveLength(1);
    expect(packages[0]).toMatchObject({ ModelPackageArn: result.output.modelPackageArn, ModelPackageVersion: 1, ModelApprovalStatus: 'Approved' });
    expect(packages[0].InferenceSpecification.Containers[0].ModelDataUrl).toBe(artifacts);
    const report = parseS3Uri(packages[0].ModelMetrics.ModelQuality.Statistics.S3Uri);
    expect(report.key).toBe(`evaluate/${result.executionName}/evaluation.json`);
    expect(JSON.parse(rt.s3.get(report.bucket, report.key)!.toString()).metrics.deviance_explained).toBe(result.output.devianceExplained);

    // The imported endpoint now serves a run-time configuration of the new model, tagged with the version.
    expect(result.output.outcome).toBe('Deployed');
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName: result.output.endpointConfigName });
    expect(result.output.endpointConfigName).toMatch(/^claims-[0-9a-f]{8}-[0-9a-f-]{36}$/);
    const config = rt.sagemaker.endpointConfigs.get(result.output.endpointConfigName)!;
    expect(config.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'Main', ModelName: result.output.modelName, InstanceType: 'ml.m5.large' })]);
    expect(config.Tags).toEqual(expect.arrayContaining([{ Key: DeployStage.VERSION_TAG, Value: result.output.modelPackageArn }]));
    expect(rt.sagemaker.models.get(result.output.modelName).PrimaryContainer.ModelDataUrl).toBe(artifacts);
    // The team's own configuration is kept, for a rollback.
    expect(rt.sagemaker.endpointConfigs.has(CURRENT_CONFIG)).toBe(true);
  });

  test('a model the first gate rejects fails the execution and notifies: nothing is registered or deployed', async () => {
    const { stack } = customPipeline({ minimumDevianceExplained: 0.99, recentData: RECENT });
    const rt = await runtimeWithEndpoint(stack);
    const result = await rt.run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual([...STATES.tune, ...STATES.gate('evaluate'), ...STATES.rejected('evaluate')]);
    expect(result.error).toBe('QualityGateFailed');
    const message = failureNotification(result);
    expect(message).toMatchObject({
      workflow: 'Tune, evaluate twice, register and deploy the GLM claims model',
      execution: result.executionArn,
      status: 'FAILED',
      error: 'QualityGateFailed',
      cause: expect.stringMatching(/^the model does not meet metrics\.deviance_explained greater than or equal 0\.99; report: \{"metrics":/),
    });
    expect(result.notifications).toHaveLength(1);
    expect([...rt.sagemaker.modelPackages.values()]).toEqual([]);
    expect(rt.sagemaker.endpoints.get(ENDPOINT)).toMatchObject({ status: 'InService', configName: CURRENT_CONFIG });
  });
});
