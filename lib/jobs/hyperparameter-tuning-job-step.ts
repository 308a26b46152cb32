import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerTask, SageMakerTaskProps } from './sagemaker-task';
import { TrainingJobStep, TrainingJobStepProps } from './training-job-step';
import { fail, validateCount, validateDuration, validateIn, validateInteger, validateLength, validatePattern, validateUnique } from '../private/validate';

/** Hyperparameter tuning job names: at most 32 characters (CreateHyperParameterTuningJob). */
const MAX_TUNING_JOB_NAME_LENGTH = 32;

/**
 * Whether the objective metric is maximized or minimized.
 */
export enum TuningObjectiveType {
  /** Higher is better (accuracy, AUC). */
  MAXIMIZE = 'Maximize',
  /** Lower is better (loss, RMSE). */
  MINIMIZE = 'Minimize',
}

/**
 * How the tuning job chooses the hyperparameters of its next training jobs.
 */
export enum TuningStrategy {
  /** Bayesian optimization. */
  BAYESIAN = 'Bayesian',
  /** Random search. */
  RANDOM = 'Random',
  /** Hyperband: stops under-performing jobs early and reallocates their resources. */
  HYPERBAND = 'Hyperband',
  /** Every combination of categorical values (categorical ranges only). */
  GRID = 'Grid',
}

/**
 * How a numeric range is searched.
 */
export enum ScalingType {
  /** SageMaker chooses. */
  AUTO = 'Auto',
  /** Uniformly over the range. */
  LINEAR = 'Linear',
  /** Uniformly over the logarithm of the range (both bounds > 0). */
  LOGARITHMIC = 'Logarithmic',
  /** Dense near 1 (continuous ranges within [0, 1)). */
  REVERSE_LOGARITHMIC = 'ReverseLogarithmic',
}

/**
 * How a tuning job starts from earlier tuning jobs.
 */
export enum WarmStartType {
  /** Same data and algorithm; only the ranges may change. */
  IDENTICAL_DATA_AND_ALGORITHM = 'IdenticalDataAndAlgorithm',
  /** Different data, algorithm or ranges. */
  TRANSFER_LEARNING = 'TransferLearning',
}

/**
 * The range a hyperparameter is searched in.
 */
export abstract class ParameterRange {
  /** Whole numbers between `minValue` and `maxValue`. */
  public static integer(name: string, minValue: number, maxValue: number, scalingType: ScalingType = ScalingType.AUTO): ParameterRange {
    return new NumericRange('integer', name, minValue, maxValue, scalingType);
  }

  /** Real numbers between `minValue` and `maxValue`. */
  public static continuous(name: string, minValue: number, maxValue: number, scalingType: ScalingType = ScalingType.AUTO): ParameterRange {
    return new NumericRange('continuous', name, minValue, maxValue, scalingType);
  }

  /** One of `values` (1 to 30). */
  public static categorical(name: string, values: string[]): ParameterRange {
    return new CategoricalRange(name, values);
  }

  /** The hyperparameter's name. */
  public abstract readonly name: string;
  /** `integer`, `continuous` or `categorical`. */
  public abstract readonly kind: string;

  /** Checks the range; `prop` names it in errors. */
  public abstract validate(prop: string): void;

  /** The range as SageMaker's `ParameterRanges` renders it. */
  public abstract render(): { [key: string]: any };
}

class NumericRange extends ParameterRange {
  constructor(
    public readonly kind: string,
    public readonly name: string,
    private readonly min: number,
    private readonly max: number,
    private readonly scaling: ScalingType,
  ) {
    super();
  }

  public validate(prop: string): void {
    const { min, max } = this;
    if (Token.isUnresolved(min) || Token.isUnresolved(max)) return;
    if (!Number.isFinite(min) || !Number.isFinite(max)) fail(`${prop} bounds must be finite numbers, got ${min} and ${max}`);
    if (this.kind === 'integer' && (!Number.isInteger(min) || !Number.isInteger(max))) {
      fail(`${prop} is an integer range: its bounds must be whole numbers, got ${min} and ${max}`);
    }
    if (min >= max) fail(`${prop} minValue must be less than maxValue, got minValue ${min} and maxValue ${max}`);
    if (this.scaling === ScalingType.LOGARITHMIC && min <= 0) {
      fail(`${prop} with Logarithmic scaling needs minValue > 0, got ${min}`);
    }
    if (this.scaling === ScalingType.REVERSE_LOGARITHMIC) {
      if (this.kind === 'integer') fail(`${prop} ReverseLogarithmic scaling applies to continuous ranges only, got an integer range`);
      if (min < 0 || max >= 1) fail(`${prop} with ReverseLogarithmic scaling needs 0 <= minValue < maxValue < 1, got ${min} and ${max}`);
    }
  }

  public render(): { [key: string]: any } {
    return { Name: this.name, MinValue: String(this.min), MaxValue: String(this.max), ScalingType: this.scaling };
  }
}

class CategoricalRange extends ParameterRange {
  public readonly kind = 'categorical';

  constructor(public readonly name: string, private readonly values: string[]) {
    super();
  }

  public validate(prop: string): void {
    if (this.values.length < 1 || this.values.length > 30) fail(`${prop} must have 1 to 30 values, got ${this.values.length}`);
    this.values.forEach(v => validateLength(`${prop} value`, v, 1, 256));
    validateUnique(`${prop} values`, this.values);
  }

  public render(): { [key: string]: any } {
    return { Name: this.name, Values: this.values };
  }
}

/**
 * Properties of a HyperParameterTuningJobStep.
 */
export interface HyperParameterTuningJobStepProps extends SageMakerTaskProps {
  /**
   * The training jobs' definition: the same props as a training step (image, channels,
   * output, metric definitions, static hyperparameters, instances, spot, VPC, keys). Its
   * `jobNamePrefix` is not used: the tuning job names its training jobs.
   */
  readonly training: TrainingJobStepProps;

  /** The metric the tuning job optimizes: one of `training.metricDefinitions`. */
  readonly objectiveMetricName: string;

  /** Whether the objective is maximized or minimized. */
  readonly objectiveType: TuningObjectiveType;

  /** The hyperparameters searched (at most 30). */
  readonly parameterRanges: ParameterRange[];

  /**
   * How the search proceeds.
   *
   * @default TuningStrategy.BAYESIAN
   */
  readonly strategy?: TuningStrategy;

  /**
   * The most training jobs the tuning job starts (1 to 500).
   *
   * @default 10 (for Grid: every combination, computed by SageMaker)
   */
  readonly maxTrainingJobs?: number;

  /**
   * The most training jobs that run at once (at most `maxTrainingJobs`).
   *
   * @default 1
   */
  readonly maxParallelTrainingJobs?: number;

  /**
   * The longest the whole tuning job may run (2 minutes to 180 days).
   *
   * @default - bounded by maxTrainingJobs x the training's maxRuntime
   */
  readonly maxRuntime?: Duration;

  /**
   * Whether SageMaker stops training jobs that are unlikely to beat the best so far.
   * Not with Hyperband, which stops jobs by its own rule.
   *
   * @default false
   */
  readonly earlyStopping?: boolean;

  /**
   * Earlier tuning jobs (1 to 5) to start from.
   *
   * @default - a cold start
   */
  readonly warmStartFrom?: string[];

  /**
   * How the earlier tuning jobs are used.
   *
   * @default WarmStartType.IDENTICAL_DATA_AND_ALGORITHM
   */
  readonly warmStartType?: WarmStartType;

  /**
   * The prefix of the per-execution tuning job name (`<prefix>-<20 hex digits>`, at most 32
   * characters in all, so at most 11 here).
   *
   * @default - `tuning-<hash of the construct path>`
   */
  readonly jobNamePrefix?: string;
}

/** Exposes the training request a training step renders, as the tuning job's definition. */
class TrainingDefinition extends TrainingJobStep {
  public definition(): { [key: string]: any } {
    return this._renderRequest();
  }
}

/**
 * A SageMaker hyperparameter tuning job (`createHyperParameterTuningJob.sync`): many
 * training jobs from one definition, searching the given ranges for the best objective.
 *
 * The task's result is SageMaker's DescribeHyperParameterTuningJob answer, whose
 * `BestTrainingJob` names the best training job (not its artifacts).
 */
export class HyperParameterTuningJobStep extends SageMakerTask implements iam.IGrantable {
  /** The longest name SageMaker takes for a hyperparameter tuning job (CreateHyperParameterTuningJob). */
  public static readonly MAX_NAME_LENGTH = MAX_TUNING_JOB_NAME_LENGTH;

  /** The role of the training jobs. */
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  private readonly props: HyperParameterTuningJobStepProps;
  private readonly trainingDefinition: TrainingDefinition;

  constructor(scope: Construct, id: string, props: HyperParameterTuningJobStepProps) {
    super(scope, id, props, {
      api: 'createHyperParameterTuningJob',
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      resourceType: 'hyper-parameter-tuning-job',
      // As Step Functions' template for CreateTrainingJob, Run a Job (.sync) ("IAM policies for
      // Amazon SageMaker AI", https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html):
      // Create, Describe and Stop on the job, sagemaker:ListTags, iam:PassRole to SageMaker, and
      // the managed rule StepFunctionsGetEventsForSageMakerTuningJobsRule (events:PutTargets,
      // PutRule, DescribeRule; the rule name is the one AWS's Step Functions Data Science SDK
      // setup names). No documented source lists ListTrainingJobsForHyperParameterTuningJob for
      // the integration (the tuning result names the best training job itself), so it is not granted.
      actions: [
        'sagemaker:CreateHyperParameterTuningJob',
        'sagemaker:DescribeHyperParameterTuningJob',
        'sagemaker:StopHyperParameterTuningJob',
      ],
      nameField: 'HyperParameterTuningJobName',
      namePrefix: props.jobNamePrefix,
      namePrefixProp: 'jobNamePrefix',
      defaultNamePrefix: 'tuning',
      maxNameLength: MAX_TUNING_JOB_NAME_LENGTH,
      eventRule: 'StepFunctionsGetEventsForSageMakerTuningJobsRule',
      startsCompute: true,
    });
    this.props = props;
    validateIn(this, () => validateTuningProps(props));
    this.trainingDefinition = new TrainingDefinition(this, 'TrainingDefinition', props.training);
    this.role = this.trainingDefinition.role;
    this.grantPrincipal = this.role;
    this.addPassRole(this.role);
  }

  /** @internal */
  protected _runDuration(): Duration {
    if (this.props.maxRuntime) return this.props.maxRuntime;
    const strategy = this.props.strategy ?? TuningStrategy.BAYESIAN;
    const jobs = this.props.maxTrainingJobs ?? (strategy === TuningStrategy.GRID ? gridSize(this.props.parameterRanges) : 10);
    const parallel = this.props.maxParallelTrainingJobs ?? 1;
    const training = this.props.training.spot?.maxWait ?? this.props.training.maxRuntime ?? Duration.days(1);
    return Duration.seconds(Math.ceil(jobs / parallel) * training.toSeconds());
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const props = this.props;
    const strategy = props.strategy ?? TuningStrategy.BAYESIAN;
    const training = this.trainingDefinition.definition();
    const ranges = (kind: string) => {
      const matching = props.parameterRanges.filter(r => r.kind === kind).map(r => r.render());
      return matching.length ? matching : undefined;
    };
    return {
      HyperParameterTuningJobConfig: {
        Strategy: strategy,
        HyperParameterTuningJobObjective: { Type: props.objectiveType, MetricName: props.objectiveMetricName },
        ResourceLimits: {
          MaxNumberOfTrainingJobs: props.maxTrainingJobs ?? (strategy === TuningStrategy.GRID ? undefined : 10),
          MaxParallelTrainingJobs: props.maxParallelTrainingJobs ?? 1,
          MaxRuntimeInSeconds: props.maxRuntime?.toSeconds(),
        },
        ParameterRanges: {
          IntegerParameterRanges: ranges('integer'),
          ContinuousParameterRanges: ranges('continuous'),
          CategoricalParameterRanges: ranges('categorical'),
        },
        TrainingJobEarlyStoppingType: strategy === TuningStrategy.HYPERBAND ? undefined : (props.earlyStopping ? 'Auto' : 'Off'),
      },
      TrainingJobDefinition: {
        AlgorithmSpecification: training.AlgorithmSpecification,
        StaticHyperParameters: training.HyperParameters,
        InputDataConfig: training.InputDataConfig,
        OutputDataConfig: training.OutputDataConfig,
        ResourceConfig: training.ResourceConfig,
        RoleArn: training.RoleArn,
        StoppingCondition: training.StoppingCondition,
        EnableManagedSpotTraining: training.EnableManagedSpotTraining,
        CheckpointConfig: training.CheckpointConfig,
        VpcConfig: training.VpcConfig,
        EnableNetworkIsolation: training.EnableNetworkIsolation,
        EnableInterContainerTrafficEncryption: training.EnableInterContainerTrafficEncryption,
        Environment: training.Environment,
      },
      WarmStartConfig: props.warmStartFrom ? {
        ParentHyperParameterTuningJobs: props.warmStartFrom.map(name => ({ HyperParameterTuningJobName: name })),
        WarmStartType: props.warmStartType ?? WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
      } : undefined,
    };
  }
}

function gridSize(ranges: ParameterRange[]): number {
  return ranges.reduce((n, r) => n * ((r.render().Values as string[] | undefined)?.length ?? 1), 1);
}

function validateTuningProps(props: HyperParameterTuningJobStepProps): void {
  const strategy = props.strategy ?? TuningStrategy.BAYESIAN;
  const ranges = props.parameterRanges ?? [];
  if (ranges.length === 0) fail('parameterRanges must have at least one range, got none');
  validateCount('parameterRanges', ranges.length, 30);
  ranges.forEach(r => {
    validateLength('parameterRanges[].name', r.name, 1, 256);
    r.validate(`parameterRanges['${r.name}']`);
  });
  validateUnique('parameterRanges[].name', ranges.map(r => r.name));
  const statics = Object.keys(props.training.hyperparameters ?? {});
  for (const r of ranges) {
    if (statics.includes(r.name)) fail(`parameterRanges['${r.name}'] is also a static hyperparameter of training.hyperparameters: a hyperparameter is either searched or fixed`);
  }
  // SageMaker developer guide, "How hyperparameter tuning works", Grid Search
  // (https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-how-it-works.html):
  // "Only categorical parameters are supported when using the grid search strategy", and a
  // given MaxNumberOfTrainingJobs "should equal the total number of distinct categorical
  // combinations possible".
  if (strategy === TuningStrategy.GRID) {
    const other = ranges.filter(r => r.kind !== 'categorical');
    if (other.length) {
      fail(`strategy Grid searches categorical ranges only (SageMaker supports no integer or continuous range with Grid: use ParameterRange.categorical with the values to try), got ${other.map(r => `${r.kind} range '${r.name}'`).join(', ')}`);
    }
    const combinations = gridSize(ranges);
    if (props.maxTrainingJobs !== undefined && !Token.isUnresolved(props.maxTrainingJobs) && props.maxTrainingJobs !== combinations) {
      fail(`maxTrainingJobs with strategy Grid must be the number of combinations of the categorical values (${combinations}) or unset, got ${props.maxTrainingJobs}`);
    }
  }

  const metrics = (props.training.metricDefinitions ?? []).map(m => m.name);
  if (!Token.isUnresolved(props.objectiveMetricName) && !metrics.includes(props.objectiveMetricName)) {
    fail(`objectiveMetricName must be one of training.metricDefinitions (${metrics.join(', ') || 'none defined'}), got '${props.objectiveMetricName}'`);
  }

  validateInteger('maxTrainingJobs', props.maxTrainingJobs, 1, 500);
  validateInteger('maxParallelTrainingJobs', props.maxParallelTrainingJobs, 1, 500);
  const max = props.maxTrainingJobs ?? (strategy === TuningStrategy.GRID ? undefined : 10);
  if (max !== undefined && props.maxParallelTrainingJobs !== undefined && props.maxParallelTrainingJobs > max) {
    fail(`maxParallelTrainingJobs must be at most maxTrainingJobs (${max}), got ${props.maxParallelTrainingJobs}`);
  }
  validateDuration('maxRuntime', props.maxRuntime, Duration.seconds(120), Duration.days(180));
  if (props.earlyStopping && strategy === TuningStrategy.HYPERBAND) {
    fail('earlyStopping must not be set with strategy Hyperband, which stops training jobs by its own rule');
  }

  if (props.warmStartType && !props.warmStartFrom) fail('warmStartType needs warmStartFrom, got none');
  if (props.warmStartFrom) {
    if (props.warmStartFrom.length < 1 || props.warmStartFrom.length > 5) fail(`warmStartFrom must name 1 to 5 tuning jobs, got ${props.warmStartFrom.length}`);
    props.warmStartFrom.forEach(name => {
      validateLength('warmStartFrom[]', name, 1, MAX_TUNING_JOB_NAME_LENGTH);
      validatePattern('warmStartFrom[]', name, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'a tuning job name of letters, digits and hyphens');
    });
  }
}
