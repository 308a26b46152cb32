import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ChannelDataSource, JobS3Location, MlDataStore, S3AccessMode, SageMakerImage } from '../../lib';
import { ParameterRange, ScalingType, TuningObjectiveType, TuningStrategy, WarmStartType } from '../../lib/jobs/hyperparameter-tuning-job-step';
import { TuningStage, TuningStageProps } from '../../lib/stages/tuning-stage';
import { definitionOf, iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; store: MlDataStore; props: TuningStageProps } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const props: TuningStageProps = {
    training: {
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
      outputLocation: JobS3Location.perExecution(store.artifactsBucket, 'models'),
      metricDefinitions: [{ name: 'validation:auc', regex: 'auc=([0-9.]+)' }],
      hyperparameters: { epochs: '10' },
      maxRuntime: Duration.hours(2),
    },
    objectiveMetricName: 'validation:auc',
    objectiveType: TuningObjectiveType.MAXIMIZE,
    parameterRanges: [
      ParameterRange.continuous('learning_rate', 0.0001, 0.1, ScalingType.LOGARITHMIC),
      ParameterRange.integer('max_depth', 3, 10),
      ParameterRange.categorical('optimizer', ['sgd', 'adam']),
    ],
    maxTrainingJobs: 20,
    maxParallelTrainingJobs: 4,
    earlyStopping: true,
  };
  return { stack, store, props };
}

function machine(stack: Stack, stage: TuningStage): void {
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(stage) });
}

describe('TuningStage', () => {
  test('runs a tuning job with a per-execution name of at most 32 characters, then reads the best job\'s artifacts', () => {
    // GIVEN
    const { stack, props } = setup();
    // WHEN
    const stage = new TuningStage(stack, 'tune', props);
    machine(stack, stage);
    // THEN
    const definition = definitionOf(stack);
    const tune = definition.States.tune;
    expect(tune.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createHyperParameterTuningJob.sync');
    expect(tune.ResultPath).toBe('$.results.tune.Tuning');
    const name = tune.Parameters['HyperParameterTuningJobName.$'];
    const prefix = /States.Format\('([^']+)-\{\}\{\}'/.exec(name)![1];
    expect(prefix.length + 1 + 20).toBeLessThanOrEqual(32);
    expect(stage.task.namePrefix).toBe(prefix);
    expect(tune.Parameters.HyperParameterTuningJobConfig).toEqual({
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 20, MaxParallelTrainingJobs: 4 },
      ParameterRanges: {
        IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '10', ScalingType: 'Auto' }],
        ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.0001', MaxValue: '0.1', ScalingType: 'Logarithmic' }],
        CategoricalParameterRanges: [{ Name: 'optimizer', Values: ['sgd', 'adam'] }],
      },
      TrainingJobEarlyStoppingType: 'Auto',
    });
    const training = tune.Parameters.TrainingJobDefinition;
    expect(training.StaticHyperParameters).toEqual({ epochs: '10' });
    expect(training.AlgorithmSpecification.MetricDefinitions).toEqual([{ Name: 'validation:auc', Regex: 'auc=([0-9.]+)' }]);
    expect(training.OutputDataConfig['S3OutputPath.$']).toMatch(/^States.Format\('s3:\/\/.*\/models\/\{\}\/', \$\$.Execution.Name\)$/);
    expect(training.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 7200 });
    expect(training.InputDataConfig[0].ChannelName).toBe('train');
    expect(tune.Next).toBe('tune: read the best training job');

    const describe = definition.States['tune: read the best training job'];
    expect(describe.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:describeTrainingJob');
    expect(describe.Parameters).toEqual({ 'TrainingJobName.$': '$.results.tune.Tuning.BestTrainingJob.TrainingJobName' });
    expect(describe.ResultPath).toBe('$.results.tune.Best');
    expect(tune.Catch).toEqual([
      { ErrorEquals: ['SageMaker.AmazonSageMakerException'], ResultPath: '$.error', Next: 'tune: transient?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'tune failed' },
    ]);
    // The describe call (AWS SDK integration): only throttling or a server fault is retried.
    expect(describe.Retry).toBeUndefined();
    expect(describe.Catch).toEqual([
      { ErrorEquals: ['SageMaker.SageMakerException'], ResultPath: '$.error', Next: 'tune: read the best training job: transient?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'tune failed' },
    ]);
    expect(definition.States['tune: read the best training job: transient?'].Default).toBe('tune failed');

    // Typed like a training stage's outputs.
    expect(stack.resolve(stage.trainingJobName)).toBe('$.results.tune.Best.TrainingJobName');
    expect(stage.modelArtifacts.bind(stage, stage.task, S3AccessMode.READ).uri).toBe('$.results.tune.Best.ModelArtifacts.S3ModelArtifacts');
  });

  test('the state machine may run tuning jobs and read training jobs of its own prefix only, and pass the role to SageMaker', () => {
    const { stack, props } = setup();
    const stage = new TuningStage(stack, 'tune', props);
    machine(stack, stage);
    const statements = Object.values<any>(iamPolicies(stack))
      .filter(p => JSON.stringify(p.Properties.Roles ?? []).includes('MachineRole'))
      .flatMap(p => p.Properties.PolicyDocument.Statement);
    const text = JSON.stringify(statements);
    const prefix = stage.task.namePrefix;
    expect(text).toContain(`:hyper-parameter-tuning-job/${prefix}-*`);
    expect(text).toContain(`:training-job/${prefix}-*`);
    // As Step Functions' template for a .sync job ("IAM policies for Amazon SageMaker AI"):
    // create, describe and stop on the job (AddTags for the MANAGED_BY_AWS tag), ListTags on
    // '*', the managed rule's three events actions. No documented source needs
    // ListTrainingJobsForHyperParameterTuningJob: not granted.
    const tuning = statements.find(st => JSON.stringify(st.Resource).includes(':hyper-parameter-tuning-job/'));
    expect([...tuning.Action].sort()).toEqual([
      'sagemaker:AddTags', 'sagemaker:CreateHyperParameterTuningJob', 'sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:StopHyperParameterTuningJob',
    ]);
    expect(text).not.toContain('ListTrainingJobsForHyperParameterTuningJob');
    expect(statements).toContainEqual({ Action: 'sagemaker:ListTags', Effect: 'Allow', Resource: '*' });
    const rule = statements.find(st => JSON.stringify(st.Resource).includes('rule/StepFunctionsGetEventsForSageMakerTuningJobsRule'));
    expect([...rule.Action].sort()).toEqual(['events:DescribeRule', 'events:PutRule', 'events:PutTargets']);
    expect(text).not.toContain('StepFunctionsGetEventsForSageMakerTrainingJobsRule');
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }));
    // Every wildcard (the per-execution names) is acknowledged with its reason.
    expect(nagFindings(stack).filter(f => f.startsWith('AwsSolutions-IAM5'))).toEqual([]);
  });

  test('Grid over categorical ranges leaves the job count to SageMaker; warm start; Hyperband has no early-stopping flag', () => {
    const { stack, props } = setup();
    const grid = new TuningStage(stack, 'grid', {
      ...props,
      strategy: TuningStrategy.GRID,
      maxTrainingJobs: undefined,
      earlyStopping: undefined,
      parameterRanges: [ParameterRange.categorical('optimizer', ['sgd', 'adam'])],
      warmStartFrom: ['tuning-abc-1'],
      warmStartType: WarmStartType.TRANSFER_LEARNING,
    });
    machine(stack, grid);
    const tune = definitionOf(stack).States.grid;
    expect(tune.Parameters.HyperParameterTuningJobConfig.ResourceLimits).toEqual({ MaxParallelTrainingJobs: 4 });
    expect(tune.Parameters.HyperParameterTuningJobConfig.Strategy).toBe('Grid');
    expect(tune.Parameters.WarmStartConfig).toEqual({ ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'tuning-abc-1' }], WarmStartType: 'TransferLearning' });

    const other = setup();
    const hyperband = new TuningStage(other.stack, 'hb', { ...other.props, strategy: TuningStrategy.HYPERBAND, earlyStopping: undefined });
    machine(other.stack, hyperband);
    expect(definitionOf(other.stack).States.hb.Parameters.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType).toBeUndefined();
  });

  test.each([
    ['swapped bounds', { parameterRanges: [ParameterRange.integer('max_depth', 10, 3)] }, /Test\/tune\/Job: parameterRanges\['max_depth'\] minValue must be less than maxValue, got minValue 10 and maxValue 3/],
    ['fractional integer bounds', { parameterRanges: [ParameterRange.integer('n', 1.5, 3)] }, /parameterRanges\['n'\] is an integer range: its bounds must be whole numbers, got 1.5 and 3/],
    ['log scale from 0', { parameterRanges: [ParameterRange.continuous('lr', 0, 1, ScalingType.LOGARITHMIC)] }, /parameterRanges\['lr'\] with Logarithmic scaling needs minValue > 0, got 0/],
    ['objective not defined', { objectiveMetricName: 'validation:rmse' }, /Test\/tune\/Job: objectiveMetricName must be one of training.metricDefinitions \(validation:auc\), got 'validation:rmse'/],
    ['parallel above max', { maxParallelTrainingJobs: 30 }, /maxParallelTrainingJobs must be at most maxTrainingJobs \(20\), got 30/],
    ['grid with a numeric range', { strategy: TuningStrategy.GRID }, /Test\/tune\/Job: strategy Grid searches categorical ranges only \(SageMaker supports no integer or continuous range with Grid: use ParameterRange.categorical.*\), got continuous range 'learning_rate', integer range 'max_depth'/],
    ['grid with an integer range only', { strategy: TuningStrategy.GRID, parameterRanges: [ParameterRange.integer('depth', 3, 6)], earlyStopping: undefined },
      /strategy Grid searches categorical ranges only .*got integer range 'depth'/],
    ['grid with a job count other than the combinations', {
      strategy: TuningStrategy.GRID, parameterRanges: [ParameterRange.categorical('o', ['sgd', 'adam']), ParameterRange.categorical('b', ['16', '32', '64'])], maxTrainingJobs: 10, maxParallelTrainingJobs: 2,
    }, /Test\/tune\/Job: maxTrainingJobs with strategy Grid must be the number of combinations of the categorical values \(6\) or unset, got 10/],
    ['early stopping with hyperband', { strategy: TuningStrategy.HYPERBAND }, /earlyStopping must not be set with strategy Hyperband/],
    ['searched and static', { parameterRanges: [ParameterRange.integer('epochs', 1, 5)] }, /parameterRanges\['epochs'\] is also a static hyperparameter/],
    ['name prefix too long', { jobNamePrefix: 'churn-tuning' }, /jobNamePrefix must be between 1 and 11 characters long, got 12/],
    ['too many warm-start parents', { warmStartFrom: ['a', 'b', 'c', 'd', 'e', 'f'] }, /warmStartFrom must name 1 to 5 tuning jobs, got 6/],
    ['no ranges', { parameterRanges: [] }, /parameterRanges must have at least one range, got none/],
    ['duplicate categorical values', { parameterRanges: [ParameterRange.categorical('o', ['a', 'a'])] }, /parameterRanges\['o'\] values must be unique, got 'a' more than once/],
  ])('rejects %s', (_name, override, error) => {
    const { stack, props } = setup();
    expect(() => new TuningStage(stack, 'tune', { ...props, ...override } as TuningStageProps)).toThrow(error);
  });
});
