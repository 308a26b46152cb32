import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  ChannelDataSource, CreateModelStage, EvaluationStage, JobS3Location, MetricComparison, MlDataStore, ModelPackageGroup, ParameterRange,
  RegisterModelStage, SageMakerImage, SageMakerWorkflow, TrainedModel, TrainingStage, TrainingWorkflow, TransformStage, TuningObjectiveType,
  TuningStage, TuningStageProps,
} from '../../lib';
import { definitionOf, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup() {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const image = SageMakerImage.fromAsset(IMAGE_DIR);
  const training = {
    image,
    channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
    outputLocation: JobS3Location.perExecution(store.artifactsBucket, 'models'),
    maxRuntime: Duration.hours(1),
  };
  const tuning: TuningStageProps = {
    training: { ...training, metricDefinitions: [{ name: 'loss', regex: 'loss=([0-9.]+)' }], maxRuntime: Duration.minutes(30) },
    objectiveMetricName: 'loss',
    objectiveType: TuningObjectiveType.MINIMIZE,
    parameterRanges: [ParameterRange.continuous('tol', 0.001, 0.1)],
    maxTrainingJobs: 10,
    maxParallelTrainingJobs: 2,
  };
  return { stack, store, image, training, tuning };
}

describe('stage outputs are values any field takes', () => {
  test("a stage's outputs in a later job's environment and hyperparameters render as paths", () => {
    const { stack, store, image, training } = setup();
    const train = new TrainingStage(stack, 'Train', training);
    const evaluate = new EvaluationStage(stack, 'Evaluate', {
      image,
      model: train.trainedModel.modelArtifacts,
      reportOutputName: 'report',
      processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(store.artifactsBucket, 'evaluation') }],
      gate: { metricPath: 'metrics.rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 },
    });
    const retrain = new TrainingStage(stack, 'Retrain', {
      ...training,
      environment: { PARENT_JOB: train.trainingJobName, PARENT_MODEL: train.modelDataUrl, FIXED: '$literal' },
      hyperparameters: { parent: train.trainingJobName, rmse: evaluate.metric('metrics.rmse'), fixed: '$not-a-path', run: sfn.JsonPath.executionName },
    });
    new SageMakerWorkflow(stack, 'Workflow', {
      definition: train.next(evaluate).next(retrain),
      outputs: { job: retrain.trainingJobName, literal: '$.not.a.path' },
    });
    const d = definitionOf(stack);
    expect(d.States.Retrain.Parameters.Environment).toEqual({
      'PARENT_JOB.$': '$.results.Train.TrainingJobName',
      'PARENT_MODEL.$': '$.results.Train.ModelArtifacts.S3ModelArtifacts',
      'FIXED': '$literal',
    });
    // Hyperparameters are strings: a path is formatted as one (a metric is a JSON number); a literal stays a literal.
    expect(d.States.Retrain.Parameters.HyperParameters).toEqual({
      'parent.$': "States.Format('{}', $.results.Train.TrainingJobName)",
      'rmse.$': "States.Format('{}', $.results.Evaluate.read.report.metrics.rmse)",
      'fixed': '$not-a-path',
      'run.$': "States.Format('{}', $$.Execution.Name)",
    });
    // No prop tells a path from a literal by its first character.
    expect(d.States.Output.Parameters).toEqual({ 'job.$': '$.results.Retrain.TrainingJobName', 'literal': '$.not.a.path' });
  });

  test('a model a stage defines carries its role: a batch transform takes it, and its name renders as a path', () => {
    const { stack, store, image, training } = setup();
    const train = new TrainingStage(stack, 'Train', training);
    const define = new CreateModelStage(stack, 'Define', { image, modelData: train.trainedModel.modelArtifacts });
    expect(define.model.role).toBe(define.task.role);
    expect(define.model.grantPrincipal).toBe(define.task.role);
    const transform = new TransformStage(stack, 'Score', {
      model: define.model,
      input: JobS3Location.inBucket(store.dataBucket, 'score'),
      output: JobS3Location.perExecution(store.artifactsBucket, 'scores'),
    });
    new SageMakerWorkflow(stack, 'Workflow', { definition: train.next(define).next(transform) });
    const d = definitionOf(stack);
    expect(d.States.Score.Parameters['ModelName.$']).toBe('$.results.Define.ModelName');
    expect(d.States.Score.Parameters.ModelName).toBeUndefined();
  });
});

describe('stages have their own props', () => {
  test('resultPath is honoured: the stage writes there and its outputs read from there', () => {
    const { stack, training } = setup();
    const train = new TrainingStage(stack, 'Train', { ...training, resultPath: '$.mine' });
    const define = new CreateModelStage(stack, 'Define', { image: training.image, modelData: train.trainedModel.modelArtifacts, resultPath: '$.models.first' });
    new SageMakerWorkflow(stack, 'Workflow', { definition: train.next(define), outputs: { job: train.trainingJobName } });
    const d = definitionOf(stack);
    expect(d.States.Train.ResultPath).toBe('$.mine');
    expect(d.States.Define.ResultPath).toBe('$.models.first');
    expect(d.States.Define.Parameters.PrimaryContainer['ModelDataUrl.$']).toBe('$.mine.ModelArtifacts.S3ModelArtifacts');
    expect(d.States.Output.Parameters).toEqual({ 'job.$': '$.mine.TrainingJobName' });
    expect(stack.resolve(define.modelName)).toBe('$.models.first.ModelName');
  });

  test.each<[string, object, RegExp]>([
    ['resultSelector', { resultSelector: { a: 'b' } }, /^Test\/Train: resultSelector must not be set on a stage \(the stage selects the fields its outputs read\)/],
    ['outputPath', { outputPath: '$.x' }, /^Test\/Train: outputPath must not be set on a stage \(it would drop the state later stages read\)/],
    ['a resultPath that replaces the state', { resultPath: '$' }, /^Test\/Train: resultPath must be a JSONPath to a field of the state such as '\$.results.train'.*got '\$'/],
    ['a discarded result', { resultPath: sfn.JsonPath.DISCARD }, /resultPath must be a JSONPath to a field of the state/],
  ])('refuses %s', (_name, extra, error) => {
    const { stack, training } = setup();
    expect(() => new TrainingStage(stack, 'Train', { ...training, ...extra })).toThrow(error);
  });

  test('one name for the inner task across stages', () => {
    const { stack, store, image, training, tuning } = setup();
    const train = new TrainingStage(stack, 'Train', training);
    const tune = new TuningStage(stack, 'Tune', tuning);
    const define = new CreateModelStage(stack, 'Define', { image, modelData: train.modelArtifacts });
    const evaluate = new EvaluationStage(stack, 'Evaluate', {
      image, reportOutputName: 'r', processingOutputs: [{ outputName: 'r', destination: JobS3Location.perExecution(store.artifactsBucket, 'e') }],
    });
    const register = new RegisterModelStage(stack, 'Register', { modelPackageGroup: new ModelPackageGroup(stack, 'Group'), image, modelData: train.modelArtifacts });
    for (const stage of [train, tune, define, evaluate, register]) expect(stage.task).toBeInstanceOf(sfn.TaskStateBase);
  });
});

describe('producers and consumers share types', () => {
  test('training and tuning give the same trained model, which evaluation, models and registration take', () => {
    const { stack, store, image, training, tuning } = setup();
    const models: Array<[string, TrainedModel]> = [
      ['Train', new TrainingStage(stack, 'Train', training).trainedModel],
      ['Tune', new TuningStage(stack, 'Tune', tuning).trainedModel],
    ];
    const paths = models.map(([id, m]) => [id, stack.resolve(m.trainingJobName), stack.resolve(m.modelDataUrl)]);
    expect(paths).toEqual([
      ['Train', '$.results.Train.TrainingJobName', '$.results.Train.ModelArtifacts.S3ModelArtifacts'],
      ['Tune', '$.results.Tune.Best.TrainingJobName', '$.results.Tune.Best.ModelArtifacts.S3ModelArtifacts'],
    ]);
    for (const [id, model] of models) {
      new CreateModelStage(stack, `${id}Model`, { image, modelData: model.modelArtifacts });
      new EvaluationStage(stack, `${id}Evaluate`, {
        image, model: model.modelArtifacts, reportOutputName: 'r', processingOutputs: [{ outputName: 'r', destination: JobS3Location.perExecution(store.artifactsBucket, 'e') }],
      });
    }
  });

  test("registration takes an evaluation stage's report as the version's metrics", () => {
    const { stack, store, image, training } = setup();
    const train = new TrainingStage(stack, 'Train', training);
    const evaluate = new EvaluationStage(stack, 'Evaluate', {
      image,
      reportOutputName: 'r',
      reportFileName: 'metrics.json',
      model: train.trainedModel.modelArtifacts,
      processingOutputs: [{ outputName: 'r', destination: JobS3Location.perExecution(store.artifactsBucket, 'evaluation') }],
    });
    const register = new RegisterModelStage(stack, 'Register', {
      modelPackageGroup: new ModelPackageGroup(stack, 'Group'), image, modelData: train.trainedModel.modelArtifacts, evaluationReport: evaluate.report,
    });
    new SageMakerWorkflow(stack, 'Workflow', { definition: train.next(evaluate).next(register) });
    const statistics = definitionOf(stack).States.Register.Parameters.ModelMetrics.ModelQuality.Statistics;
    expect(statistics.ContentType).toBe('application/json');
    expect(JSON.stringify(stack.resolve(statistics['S3Uri.$']))).toMatch(/States\.Format\('s3:\/\/\$\{StoreArtifactsBucket[0-9A-F]+\}\/\{\}', States\.Format\('evaluation\/\{\}\/metrics\.json', \$\$\.Execution\.Name\)\)/);
  });

  test('registration grants nothing: no account-root statement in any key or repository policy', () => {
    const { stack, store, training } = setup();
    const repository = new ecr.Repository(stack, 'Repo');
    const image = SageMakerImage.fromEcrRepository(repository, 'v1');
    const train = new TrainingStage(stack, 'Train', { ...training, image });
    const register = new RegisterModelStage(stack, 'Register', { modelPackageGroup: new ModelPackageGroup(stack, 'Group'), image, modelData: train.trainedModel.modelArtifacts });
    new SageMakerWorkflow(stack, 'Workflow', { definition: train.next(register) });
    const resources = Object.values<any>(Template.fromStack(stack).toJSON().Resources);
    const policies = resources.filter(r => r.Type === 'AWS::KMS::Key' || r.Type === 'AWS::ECR::Repository')
      .map(r => JSON.stringify(r.Properties?.KeyPolicy ?? r.Properties?.RepositoryPolicyText ?? {}));
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) {
      // The key's own administration statement names the root as its principal; nothing else may.
      const statements = (JSON.parse(policy).Statement ?? []).filter((s: any) => !(s.Action === 'kms:*'));
      expect(JSON.stringify(statements)).not.toMatch(/:root/);
    }
    expect(store).toBeDefined();
  });
});

describe('TuningStage.maxDuration', () => {
  test("equals its job's bound, plus the call that reads the best job", () => {
    const { stack, tuning } = setup();
    const tune = new TuningStage(stack, 'Tune', tuning);
    // 10 jobs, 2 at a time, 30 minutes each: the tuning job's own bound (with its retries).
    const job = tune.task.maxDuration.toSeconds();
    expect(job).toBeGreaterThanOrEqual(5 * 30 * 60);
    // The describe call: 60 s and its bounded service-error retries, not another training job's runtime.
    const extra = tune.maxDuration.toSeconds() - job;
    expect(extra).toBeGreaterThan(0);
    expect(extra).toBeLessThan(5 * 60);
  });
});

describe('TrainingWorkflow preset', () => {
  test('tunes instead of training, and evaluates, defines and registers the best model', () => {
    const { stack, store, image, tuning } = setup();
    const workflow = new TrainingWorkflow(stack, 'Workflow', {
      tune: tuning,
      evaluate: {
        image,
        reportOutputName: 'r',
        processingOutputs: [{ outputName: 'r', destination: JobS3Location.perExecution(store.artifactsBucket, 'e') }],
        gate: { metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 },
      },
      register: { modelPackageGroup: new ModelPackageGroup(stack, 'Group') },
    });
    expect(workflow.trainStage).toBeUndefined();
    const d = definitionOf(stack);
    expect(d.StartAt).toBe('Tune');
    expect(d.States['Tune: read the best training job'].Next).toBe('Evaluate');
    expect(d.States.Evaluate.Parameters.ProcessingInputs[0].S3Input['S3Uri.$']).toBe('$.results.Tune.Best.ModelArtifacts.S3ModelArtifacts');
    expect(d.States.CreateModel.Parameters.PrimaryContainer['ModelDataUrl.$']).toBe('$.results.Tune.Best.ModelArtifacts.S3ModelArtifacts');
    expect(d.States.Register.Parameters.ModelMetrics).toBeDefined();
    expect(d.States.Output.Parameters).toEqual(expect.objectContaining({
      'trainingJobName.$': '$.results.Tune.Best.TrainingJobName',
      'tuningJobName.$': '$.results.Tune.Tuning.HyperParameterTuningJobName',
      'modelPackageArn.$': '$.results.Register.ModelPackageArn',
    }));
    expect(workflow.maxDuration.toSeconds()).toBe(workflow.tuneStage!.maxDuration.toSeconds() + workflow.evaluateStage!.maxDuration.toSeconds()
      + workflow.createModelStage.maxDuration.toSeconds() + workflow.registerStage!.maxDuration.toSeconds());
  });

  test('refuses both train and tune', () => {
    const { stack, training, tuning } = setup();
    expect(() => new TrainingWorkflow(stack, 'Workflow', { train: training, tune: tuning })).toThrow(/^Test\/Workflow: exactly one of train and tune must be set, got both/);
  });
});
