import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { SageMakerAsyncStack, SageMakerBatchTransformStack, SageMakerRealtimeStack, SageMakerServerlessStack, SageMakerTrainingStack } from '../../bin/stacks';
import { SageMakerLifecycleStack } from '../../bin/stacks/lifecycle-stacks';
import {
  ChannelDataSource, JobS3Location, MlDataStore, ModelData, ParameterRange, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel,
  SageMakerWorkflow, TrainingJobStep, TrainingJobStepProps, TrainingWorkflow, TuningObjectiveType, TuningStage, TuningStrategy,
} from '../../lib';
import { DataQualityBaseline, DataQualityMonitor, MonitoringFrequency } from '../../lib/monitoring/data-quality-monitor';
import { MonitoringEngine } from '../../lib/monitoring/monitoring-engine';
import { CostBasis, CostEstimate, InstancePrice, PriceComponent, PriceList } from '../../local/src';
import { ENV, testApp } from '../util';

const app = testApp();
const training = new SageMakerTrainingStack(app, 'Training', { env: ENV });
const hosting = { env: ENV, dataStore: training.dataStore };
// Model Monitor's schedule (an account that has it) is priced here; the processing engine's schedule
// in test/monitoring/processing-engine.test.ts.
new SageMakerRealtimeStack(app, 'Realtime', { ...hosting, monitoringEngine: MonitoringEngine.modelMonitor() });
new SageMakerServerlessStack(app, 'Serverless', hosting);
new SageMakerAsyncStack(app, 'Async', hosting);
new SageMakerBatchTransformStack(app, 'Batch', hosting);
const assembly = app.synth();

// Test data, not prices: distinct per component so a line priced as the wrong use shows.
const price = (component: PriceComponent, instanceType: string, pricePerHour: number): InstancePrice =>
  ({ region: 'us-east-1', component, instanceType, pricePerHour, asOf: '2026-01-01', source: 'test data' });
const prices = PriceList.of('USD', [
  price(PriceComponent.HOSTING, 'ml.m5.large', 0.5),
  price(PriceComponent.TRAINING, 'ml.m5.large', 1),
  price(PriceComponent.PROCESSING, 'ml.m5.large', 2),
  price(PriceComponent.MLFLOW_TRACKING_SERVER, 'Small', 0.25),
]);

describe('CostEstimate', () => {
  const estimate = CostEstimate.fromAssembly(assembly, { prices });

  test('lists what each stack provisions, with autoscaling bounds, per-run jobs and usage-based modes', () => {
    const byKind = (stack: string) => estimate.lines.filter(l => l.stackName === stack)
      .map(l => [l.kind, l.basis, l.component, l.instanceType, l.minInstances, l.maxInstances, l.maxHoursPerRun]);
    // The endpoint, and the baseline workflow's processing job. The deploy workflow's run-time
    // configuration replaces the endpoint's own: not a second always-on line.
    expect(byKind('Realtime')).toEqual([
      ['real-time variant AllTraffic', CostBasis.ALWAYS_ON, PriceComponent.HOSTING, 'ml.m5.large', 1, 4, undefined],
      ['processing job', CostBasis.PER_RUN, PriceComponent.PROCESSING, 'ml.m5.large', 1, 1, 1],
    ]);
    expect(byKind('Async')).toEqual([['async variant AllTraffic', CostBasis.SCALE_TO_ZERO, PriceComponent.HOSTING, 'ml.m5.large', 0, 2, undefined]]);
    expect(byKind('Serverless')).toEqual([['serverless variant AllTraffic', CostBasis.USAGE_BASED, undefined, undefined, 0, 0, undefined]]);
    expect(byKind('Batch')).toEqual([['transform job', CostBasis.PER_RUN, PriceComponent.BATCH_TRANSFORM, 'ml.m5.large', 1, 1, undefined]]);
    expect(byKind('Training')).toEqual(expect.arrayContaining([
      ['training job', CostBasis.PER_RUN, PriceComponent.TRAINING, 'ml.m5.large', 1, 1, 2],
      ['processing job', CostBasis.PER_RUN, PriceComponent.PROCESSING, 'ml.m5.large', 1, 1, 1],
      ['MLflow tracking server (Small)', CostBasis.ALWAYS_ON, PriceComponent.MLFLOW_TRACKING_SERVER, undefined, 1, 1, undefined],
    ]));
    expect(estimate.lines.every(l => l.region === 'us-east-1')).toBe(true);
  });

  test('prices each line as its use: hosting, training, processing, tracking server', () => {
    const priceOf = (stack: string, kind: string) => estimate.lines.find(l => l.stackName === stack && l.kind === kind)?.price?.pricePerHour;
    expect(priceOf('Realtime', 'real-time variant AllTraffic')).toBe(0.5);
    expect(priceOf('Training', 'training job')).toBe(1);
    expect(priceOf('Training', 'processing job')).toBe(2);
    expect(priceOf('Training', 'MLflow tracking server (Small)')).toBe(0.25);
    expect(priceOf('Batch', 'transform job')).toBeUndefined();
  });

  test('sums idle cost at the minimum and the most a run can cost at the maximum runtimes', () => {
    // The endpoint's one instance idle; a baseline run: one processing instance for at most 1 h (6 attempts with retries).
    expect(estimate.summaryOf('Realtime')).toEqual({
      stackName: 'Realtime', idleCostPerHour: 0.5, unpricedIdle: [], maxCostPerRun: 2, maxCostPerRunWithRetries: 12, unboundedPerRun: [],
    });
    expect(estimate.summaryOf('Async').idleCostPerHour).toBe(0);
    expect(estimate.summaryOf('Serverless').idleCostPerHour).toBe(0);
    // preprocess 1 h x 2 + train 2 h x 1 + evaluate 1 h x 2; the tracking server is idle cost.
    expect(estimate.summaryOf('Training')).toEqual(expect.objectContaining({ idleCostPerHour: 0.25, maxCostPerRun: 6, unboundedPerRun: [] }));
    // Each job state retries up to 5 times: 6 attempts if every retry started the job again.
    expect(estimate.lines.filter(l => l.stackName === 'Training' && l.basis === CostBasis.PER_RUN).map(l => l.maxAttempts)).toEqual([6, 6, 6]);
    expect(estimate.summaryOf('Training').maxCostPerRunWithRetries).toBe(36);
    expect(estimate.summaryOf('Batch')).toEqual(expect.objectContaining({
      idleCostPerHour: 0,
      maxCostPerRun: undefined,
      unboundedPerRun: [expect.stringMatching(/^transform job \(.*\): unpriced, no maximum runtime$/)],
    }));
    // Assembly order: dependencies first.
    expect(estimate.stackNames).toEqual(['Training', 'Async', 'Batch', 'Realtime', 'Serverless']);
  });

  test('never guesses: what the list lacks is unpriced and makes the idle cost unknown', () => {
    const partial = CostEstimate.fromAssembly(assembly, { prices: PriceList.of('USD', [price(PriceComponent.TRAINING, 'ml.m5.large', 1)]) });
    expect(partial.summaryOf('Realtime')).toEqual(expect.objectContaining({
      idleCostPerHour: undefined,
      unpricedIdle: [expect.stringMatching(/^real-time variant AllTraffic \(.*\): unpriced$/)],
      unboundedPerRun: [expect.stringMatching(/^processing job \(BaselineWorkflowStateMachine\w+\/Baseline\): unpriced$/)],
    }));
    expect(partial.summaryOf('Training').unpricedIdle).toEqual([expect.stringMatching(/^MLflow tracking server \(Small\)/)]);
    expect(partial.toTable()).toMatch(/unpriced/);
  });

  test('environment-agnostic stacks are priced only in the Region it is told', () => {
    const agnostic = testApp();
    const t = new SageMakerTrainingStack(agnostic, 'Training');
    new SageMakerRealtimeStack(agnostic, 'Realtime', { dataStore: t.dataStore });
    const synthesized = agnostic.synth();
    const unpriced = CostEstimate.fromAssembly(synthesized, { prices });
    expect(unpriced.lines.every(l => l.region === undefined && l.price === undefined)).toBe(true);
    const priced = CostEstimate.fromAssembly(synthesized, { prices, region: 'us-east-1' });
    expect(priced.summaryOf('Realtime').idleCostPerHour).toBe(0.5);
    expect(priced.toTable()).toContain('environment-agnostic stacks priced in us-east-1');
    expect(() => CostEstimate.fromAssembly(synthesized, { region: 'Virginia' })).toThrow(/region must be a Region code such as 'us-east-1', got 'Virginia'/);
  });

  test('prices from the bundled list by default', () => {
    const bundled = CostEstimate.fromAssembly(assembly);
    expect(bundled.summaryOf('Realtime').idleCostPerHour).toBe(0.115);
    expect(bundled.summaryOf('Training').maxCostPerRun).toBe(0.46);
    expect(bundled.summaryOf('Training').maxCostPerRunWithRetries).toBe(2.76);
    expect(bundled.lines.find(l => l.stackName === 'Realtime')!.price!.source).toContain('USE1-Host:ml.m5.large');
  });

  test('the table shows each line with its price date, and each stack idle and per run', () => {
    const table = estimate.toTable();
    expect(table).toMatch(/Realtime\s+\S+\s+real-time variant AllTraffic\s+always-on\s+ml\.m5\.large\s+1-4\s+-\s+0\.5\s+2026-01-01/);
    expect(table).toContain('Realtime: idle 0.5 USD/h, at most 2 USD per run (12 if every retry started its job again)');
    // The deploy workflow runs no job; the hourly data-quality monitor: 720 runs of one ml.m5.large processing hour.
    expect(table).toMatch(/^Realtime trigger DeployOnApproval\w+: event rule \(aws\.sagemaker\) starts DeployApprovedWorkflowStateMachine\w+, one run per event, at most 0 USD per run$/m);
    expect(table).toMatch(/^Realtime trigger DataQualityMonitor\w+: monitoring schedule \(DataQuality\) cron\(0 \* \? \* \* \*\), 720 runs\/month, at most 2 USD per run, at most 1440 USD\/month$/m);
    expect(table).toContain('Training: idle 0.25 USD/h, at most 6 USD per run (36 if every retry started its job again)');
    expect(table).toMatch(/Batch: idle 0 USD\/h, per run unknown \(transform job .*: unpriced, no maximum runtime\)/);
    expect(table).toContain('on-demand prices: 4 in the price list, read 2026-01-01; unpriced means not in the list, never guessed');
  });

  test('writes <stack>.cost.json beside the templates', () => {
    estimate.writeTo(assembly.directory);
    const realtime = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Realtime.cost.json'), 'utf8'));
    expect(realtime).toEqual(expect.objectContaining({ stackName: 'Realtime', currency: 'USD', idleCostPerHour: 0.5, unpricedIdle: [] }));
    expect(realtime.lines[0].price).toEqual(expect.objectContaining({ pricePerHour: 0.5, asOf: '2026-01-01', source: 'test data' }));
  });

  test('counts an endpoint a workflow deploys as always-on unless it is an endpoint of the assembly, and jobs in a Map as once per item', () => {
    const custom = testApp();
    const stack = new Stack(custom, 'Custom', { env: ENV });
    const store = new MlDataStore(stack, 'Store');
    const train: TrainingJobStepProps = {
      image: SageMakerImage.fromAsset(path.join(__dirname, '..', '..', 'containers', 'glm')),
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
      channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
    };
    const model = new SageMakerModel(stack, 'Model', { image: train.image, modelData: ModelData.fromBucket(store.artifactsBucket, 'models/model.tar.gz') });
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { endpointName: 'pricing', variants: [{ model, instanceType: SageMakerInstanceType.ML_C5_LARGE, initialInstanceCount: 2 }] });
    new TrainingWorkflow(stack, 'Workflow', { train, promote: { endpoint } });
    const sweep = new sfn.Map(stack, 'Sweep', { itemsPath: '$.candidates' });
    sweep.itemProcessor(new TrainingJobStep(stack, 'Candidate', { ...train, instanceType: SageMakerInstanceType.ML_G5_2XLARGE }));
    const both = new sfn.Parallel(stack, 'Both').branch(new TrainingJobStep(stack, 'Branch', train));
    new sfn.StateMachine(stack, 'Sweeps', { definitionBody: sfn.DefinitionBody.fromChainable(sweep.next(both)) });
    // Hand-written states: a configuration for an endpoint no stack of the assembly has, then one
    // for the stack's own endpoint ('pricing'), reached through a Choice.
    const deployTo = (id: string, endpointName: string, instanceType: string) => new sfn.CustomState(stack, `${id}Config`, {
      stateJson: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sagemaker:createEndpointConfig',
        ResultPath: '$.config',
        Parameters: { 'EndpointConfigName.$': '$$.Execution.Name', 'ProductionVariants': [{ VariantName: 'AllTraffic', ModelName: 'm', InstanceType: instanceType, InitialInstanceCount: 3 }] },
      },
    }).next(new sfn.Choice(stack, `${id}Exists`)
      .when(sfn.Condition.isPresent('$.current'), new sfn.CustomState(stack, `${id}Update`, {
        stateJson: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:updateEndpoint', Parameters: { 'EndpointName': endpointName, 'EndpointConfigName.$': '$.config.EndpointConfigName' } },
      }))
      .otherwise(new sfn.CustomState(stack, `${id}Create`, {
        stateJson: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:createEndpoint', Parameters: { 'EndpointName': endpointName, 'EndpointConfigName.$': '$.config.EndpointConfigName' } },
      })));
    new sfn.StateMachine(stack, 'HandWritten', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Parallel(stack, 'Deploys').branch(deployTo('Elsewhere', 'elsewhere', 'ml.c5.large')).branch(deployTo('Own', 'pricing', 'ml.c5.xlarge'))) });
    const deployed = CostEstimate.fromAssembly(custom.synth(), {
      prices: prices.withPrices([price(PriceComponent.HOSTING, 'ml.c5.large', 3), price(PriceComponent.TRAINING, 'ml.m5.xlarge', 4), price(PriceComponent.TRAINING, 'ml.g5.2xlarge', 5)]),
    });
    const of = (kind: string) => deployed.lines.filter(l => l.kind === kind).map(l => [l.source.replace(/[0-9A-F]{8}\//, '/'), l.basis, l.component, l.instanceType, l.minInstances, l.repeatedBy]);
    // The promote stage's run-time configuration replaces the endpoint's (counted once, as its
    // configuration); so does the hand-written one for 'pricing'. Only 'elsewhere' is more capacity.
    expect(of('real-time variant AllTraffic')).toEqual([[expect.stringMatching(/^EndpointConfig/), CostBasis.ALWAYS_ON, PriceComponent.HOSTING, 'ml.c5.large', 2, undefined]]);
    expect(of('endpoint variant AllTraffic the workflow deploys')).toEqual([
      ['HandWritten/ElsewhereConfig', CostBasis.ALWAYS_ON, PriceComponent.HOSTING, 'ml.c5.large', 3, undefined],
    ]);
    expect(of('training job')).toEqual([
      ['WorkflowStateMachine/Train', CostBasis.PER_RUN, PriceComponent.TRAINING, 'ml.m5.xlarge', 1, undefined],
      ['Sweeps/Candidate', CostBasis.PER_RUN, PriceComponent.TRAINING, 'ml.g5.2xlarge', 1, 'Sweep'],
      ['Sweeps/Branch', CostBasis.PER_RUN, PriceComponent.TRAINING, 'ml.m5.xlarge', 1, undefined],
    ]);
    const summary = deployed.summaryOf('Custom');
    // 2 x 3 for the endpoint and 3 x 3 for 'elsewhere'.
    expect(summary.idleCostPerHour).toBe(15);
    expect(summary.maxCostPerRun).toBeUndefined();
    expect(summary.unboundedPerRun).toEqual([expect.stringMatching(/^training job \(Sweeps[0-9A-F]{8}\/Candidate\): once per item of Map Sweep$/)]);
  });
});

describe('CostEstimate triggers', () => {
  // The reference training stack with its schedule enabled, the lifecycle stack (tuning, its
  // schedule disabled) and a monitored endpoint, priced from test data.
  const triggerApp = testApp();
  const trainingStack = new SageMakerTrainingStack(triggerApp, 'Training', { env: ENV, weeklyRetraining: true });
  new SageMakerLifecycleStack(triggerApp, 'Lifecycle', { env: ENV });
  const monitored = new Stack(triggerApp, 'Monitored', { env: ENV });
  const store = new MlDataStore(monitored, 'Store');
  const image = SageMakerImage.fromAsset(path.join(__dirname, '..', '..', 'containers', 'glm'));
  const model = new SageMakerModel(monitored, 'Model', { image, modelData: ModelData.fromAsset(path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz')) });
  const capture = JobS3Location.inBucket(store.artifactsBucket, 'capture');
  const endpoint = new RealtimeEndpoint(monitored, 'Endpoint', { variants: [{ model }], endpointName: 'churn', dataCapture: { destination: capture } });
  const monitor = {
    endpoint,
    captureDestination: capture,
    baseline: DataQualityBaseline.fromBucket(store.artifactsBucket, 'baselines/churn'),
    output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/churn'),
  };
  new DataQualityMonitor(monitored, 'Hourly', { ...monitor, instanceType: SageMakerInstanceType.ML_M5_LARGE, instanceCount: 2, maxRuntime: Duration.minutes(30) });
  new DataQualityMonitor(monitored, 'Daily', { ...monitor, frequency: MonitoringFrequency.DAILY, monitoringScheduleName: 'daily' });
  const estimate = CostEstimate.fromAssembly(triggerApp.synth(), { prices: prices.withPrices([price(PriceComponent.PROCESSING, 'ml.m5.xlarge', 3)]) });
  const triggerOf = (stack: string, kind: RegExp) => estimate.triggers.find(t => t.stackName === stack && kind.test(t.kind));

  test('a schedule: its runs per month x the most a run of its state machine costs', () => {
    // preprocess 1 h x 2 + train 2 h x 1 + evaluate 1 h x 2 = 6 per run; cron(0 3 ? * MON *): at most 5 Mondays.
    expect(trainingStack.retrainingSchedule.runsPerMonth).toBe(5);
    expect(triggerOf('Training', /^schedule/)).toEqual({
      stackName: 'Training',
      source: expect.stringMatching(/^WeeklyRetraining/),
      kind: 'schedule cron(0 3 ? * MON *)',
      enabled: true,
      stateMachine: expect.stringMatching(/^TrainingWorkflowStateMachine/),
      runsPerMonth: 5,
      runsPerMonthWhenEnabled: 5,
      maxCostPerRun: 6,
      maxCostPerMonth: 30,
    });
    expect(estimate.toTable()).toMatch(/Training trigger WeeklyRetraining\w+: schedule cron\(0 3 \? \* MON \*\) starts TrainingWorkflowStateMachine\w+, 5 runs\/month, at most 6 USD per run, at most 30 USD\/month/);
  });

  test('a disabled schedule is listed with 0 runs, and what it would start when enabled', () => {
    expect(triggerOf('Lifecycle', /^schedule/)).toEqual(expect.objectContaining({ enabled: false, runsPerMonth: 0, runsPerMonthWhenEnabled: 5, maxCostPerRun: 8, maxCostPerMonth: 0 }));
    expect(estimate.toTable()).toMatch(/Lifecycle trigger WeeklyRetraining\w+: .*, 0 runs\/month \(disabled; 5 when enabled\), at most 8 USD per run$/m);
  });

  test('data arrival is unbounded: one run per event, priced per run only', () => {
    const arrival = triggerOf('Training', /^data-arrival rule$/)!;
    expect(arrival).toEqual(expect.objectContaining({ enabled: true, runsPerMonth: undefined, maxCostPerRun: 6, maxCostPerMonth: undefined }));
    expect(arrival.stateMachine).toMatch(/^TrainingWorkflowStateMachine/);
    expect(estimate.toTable()).toMatch(/Training trigger RetrainOnNewData\w+: data-arrival rule starts \w+, one run per event, at most 6 USD per run$/m);
    // The failure notification rule starts no workflow: not a trigger.
    expect(estimate.triggers.filter(t => t.stackName === 'Training')).toHaveLength(2);
  });

  test('tuning: the most training jobs x one training job at its maximum runtime', () => {
    const tuning = estimate.lines.find(l => l.stackName === 'Lifecycle' && l.kind.startsWith('tuning job'))!;
    expect(tuning).toEqual(expect.objectContaining({
      kind: 'tuning job (up to 8 training jobs)',
      basis: CostBasis.PER_RUN,
      component: PriceComponent.TRAINING,
      instanceType: 'ml.m5.large',
      maxInstances: 1,
      maxHoursPerRun: 1,
      jobsPerRun: 8,
    }));
    // 8 jobs x 1 h x 1 USD/h; the tuning state retries transient errors 5 times.
    expect(estimate.summaryOf('Lifecycle')).toEqual(expect.objectContaining({ maxCostPerRun: 8, maxCostPerRunWithRetries: 48, unboundedPerRun: [] }));
  });

  test('tuning with Grid and no job limit: every combination of its categorical values', () => {
    const gridApp = testApp();
    const stack = new Stack(gridApp, 'Grid', { env: ENV });
    const gridStore = new MlDataStore(stack, 'Store');
    const tune = new TuningStage(stack, 'Tune', {
      training: {
        image: SageMakerImage.fromAsset(path.join(__dirname, '..', '..', 'containers', 'glm')),
        outputLocation: JobS3Location.perExecution(gridStore.artifactsBucket, 'models'),
        metricDefinitions: [{ name: 'validation:rmse', regex: 'rmse=([0-9.]+)' }],
        instanceType: SageMakerInstanceType.ML_M5_LARGE,
        maxRuntime: Duration.hours(1),
      },
      objectiveMetricName: 'validation:rmse',
      objectiveType: TuningObjectiveType.MINIMIZE,
      strategy: TuningStrategy.GRID,
      parameterRanges: [ParameterRange.categorical('optimizer', ['sgd', 'adam', 'lbfgs']), ParameterRange.categorical('alpha', ['0.1', '1'])],
    });
    new SageMakerWorkflow(stack, 'Workflow', { definition: tune });
    const grid = CostEstimate.fromAssembly(gridApp.synth(), { prices });
    expect(grid.lines.find(l => l.kind.startsWith('tuning job'))).toEqual(expect.objectContaining({ kind: 'tuning job (up to 6 training jobs)', jobsPerRun: 6 }));
    expect(grid.summaryOf('Grid')).toEqual(expect.objectContaining({ unboundedPerRun: [] }));
  });

  test('monitoring: 720 hourly or 30 daily runs x instances x the processing price x the maximum runtime', () => {
    // Hourly: 2 x ml.m5.large at 2 USD/h x 0.5 h = 2 per run; daily: 1 x ml.m5.xlarge at 3 USD/h x 1 h (the default).
    expect(estimate.triggers.filter(t => t.stackName === 'Monitored').map(t => [t.kind, t.runsPerMonth, t.maxCostPerRun, t.maxCostPerMonth])).toEqual([
      ['monitoring schedule (DataQuality) cron(0 * ? * * *)', 720, 2, 1440],
      ['monitoring schedule (DataQuality) cron(0 0 ? * * *)', 30, 3, 90],
    ]);
    const unpriced = CostEstimate.fromAssembly(triggerApp.synth(), { prices });
    expect(unpriced.triggers.find(t => t.stackName === 'Monitored' && /cron\(0 0/.test(t.kind))).toEqual(expect.objectContaining({ maxCostPerRun: undefined, maxCostPerMonth: undefined }));
  });

  test('a capacity retry (ResourceLimitExceeded: no job started) is not counted as a re-run; a transient one is', () => {
    // Every job state: a 10-attempt capacity retrier, then 5 transient attempts: 6, not 16.
    const jobs = estimate.lines.filter(l => l.stackName === 'Training' && l.basis === CostBasis.PER_RUN);
    expect(jobs.map(l => l.maxAttempts)).toEqual([6, 6, 6]);
    const custom = testApp();
    const stack = new Stack(custom, 'Custom', { env: ENV });
    const s = new MlDataStore(stack, 'Store');
    const job = new TrainingJobStep(stack, 'Job', {
      image,
      outputLocation: JobS3Location.inBucket(s.artifactsBucket, 'models'),
      channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(s.dataBucket, 'train')) }],
      maxRuntime: Duration.hours(1),
    });
    // A retrier that names a capacity error with another may follow a job that ran: it counts.
    job.addRetry({ errors: ['SageMaker.ResourceLimitExceededException', 'States.Timeout'], maxAttempts: 2 });
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(job) });
    const line = CostEstimate.fromAssembly(custom.synth(), { prices }).lines.find(l => l.kind === 'training job')!;
    const retries = Template.fromStack(stack).toJSON();
    expect(JSON.stringify(retries)).toContain('ResourceLimitExceededException');
    expect(line.maxAttempts).toBe(1 + 5 + 2);
  });
});
