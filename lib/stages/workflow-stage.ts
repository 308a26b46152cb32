import { Duration, Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, IConstruct } from 'constructs';
import { SageMakerIntegration, ServiceErrorRetry } from '../jobs/private/fail-fast';
import { SageMakerTask } from '../jobs/sagemaker-task';
import { fail, validateIn, validatePattern } from '../private/validate';

/**
 * One stage of a SageMaker workflow: a piece of the state machine that owns its part of
 * the execution state and hands typed outputs to the stages after it.
 *
 * The contract:
 * - **State.** A stage writes its results only under `$.results.<stageName>`
 *   (`resultPath`) and leaves the rest of the state as it found it, so later stages (and
 *   any state a user puts in between) still see every earlier result.
 * - **Outputs.** A stage exposes what it produced as values any later field takes: names and
 *   ARNs are `sfn.JsonPath` string tokens (rendered `"Field.$": "<path>"` in any request,
 *   environment or hyperparameter), S3 outputs are `JobS3Location`s, and producers and
 *   consumers share types (`TrainedModel`, `EvaluationReport`, an `ISageMakerModel` with its
 *   role). A user never writes `$.results...` by hand.
 * - **Failures.** Every task of the stage catches `States.ALL` into the stage's `Fail`
 *   state (`failState`), with the error at `$.error`; the `Fail` state ends the execution
 *   with that error and cause (the job's failure reason, the gate's metric), which the
 *   workflow's execution-status rule then notifies. A stage that detects a failure of its
 *   own (a gate) writes `$.error = { Error, Cause }` and goes to `failState` too.
 * - **Time.** `maxDuration` is the longest the stage can take (jobs' maximum runtimes, spot
 *   waits, retries, bounded wait loops); the workflow's timeout is checked against the sum.
 */
export abstract class WorkflowStage extends sfn.StateMachineFragment {
  /**
   * Whether `x` is a workflow stage.
   */
  public static isWorkflowStage(x: any): x is WorkflowStage {
    return typeof x === 'object' && x !== null && STAGE_SYMBOL in x;
  }

  /**
   * The stage a state (or any construct) belongs to: its nearest enclosing stage.
   *
   * @returns the stage, or undefined when the construct is in none
   */
  public static of(construct: IConstruct): WorkflowStage | undefined {
    for (let scope: IConstruct | undefined = construct.node.scope; scope; scope = scope.node.scope) {
      if (WorkflowStage.isWorkflowStage(scope)) return scope;
    }
    return undefined;
  }

  /** The stage name (its construct id); its results are at `$.results.<stageName>`. */
  public readonly stageName: string;

  /** Where the stage writes its results in the execution state. */
  public readonly resultPath: string;

  /**
   * The state that ends the execution with the stage's error (`$.error.Error`,
   * `$.error.Cause`). Every task of the stage catches into it.
   */
  public readonly failState: sfn.Fail;

  private readonly waitBudget: Duration[] = [];

  constructor(scope: Construct, id: string, options: WorkflowStageOptions = {}) {
    super(scope, id);
    Object.defineProperty(this, STAGE_SYMBOL, { value: true });
    validateIn(this, () => {
      validatePattern('id', id, /^[A-Za-z][A-Za-z0-9_]{0,63}$/,
        'a stage name of at most 64 letters, digits and underscores, starting with a letter (it becomes the JSONPath $.results.<id>)');
      // A field of the state: '$' or a discarded result would lose the state or the stage's outputs.
      if (options.resultPath !== undefined && Token.isUnresolved(options.resultPath)) {
        fail(`resultPath must be a JSONPath to a field of the state such as '$.results.train', got ${options.resultPath === sfn.JsonPath.DISCARD ? 'JsonPath.DISCARD (the stage\'s outputs would be lost)' : 'a token'}`);
      }
      validatePattern('resultPath', options.resultPath, /^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/,
        "a JSONPath to a field of the state such as '$.results.train' (not '$', which would replace the state, nor a discarded result)");
    });
    this.stageName = id;
    this.resultPath = options.resultPath ?? `$.results.${id}`;
    this.failState = new sfn.Fail(this, 'Failed', {
      stateName: `${id} failed`,
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
  }

  /**
   * The longest the stage can take: the sum of its SageMaker tasks' `maxDuration` and the
   * bounded waits it declared.
   */
  public get maxDuration(): Duration {
    let seconds = this.waitBudget.reduce((total, d) => total + d.toSeconds(), 0);
    // The stage's own states only: not a task that is a construct but never a state (the
    // training definition a tuning job renders), nor the states chained after the stage.
    for (const state of sfn.State.findReachableStates(this.startState, { includeErrorHandlers: true })) {
      if (state instanceof SageMakerTask && WorkflowStage.of(state) === this) seconds += state.maxDuration.toSeconds();
    }
    return Duration.seconds(seconds);
  }

  /**
   * Routes every error of `task` to the stage's `Fail` state, the error at `$.error`. A
   * `SageMakerTask` puts its service-error loop in front (throttling and server faults
   * retried, refused requests to the `Fail` state at once).
   */
  protected catchFailures(task: sfn.TaskStateBase): void {
    task.addCatch(this.failState, { errors: ['States.ALL'], resultPath: '$.error' });
  }

  /**
   * `catchFailures` for a SageMaker call through the AWS SDK integration that is not a
   * `SageMakerTask` (a `CallAwsService`): `SageMaker.SageMakerException` is retried only when
   * its Cause is throttling or a server fault (3 times from `interval`, the attempt counter at
   * `counterPath`, best the task's result path), anything else fails the stage at once.
   */
  protected catchSageMakerSdkFailures(task: sfn.TaskStateBase, counterPath: string, interval: Duration = Duration.seconds(5)): void {
    const loop = new ServiceErrorRetry(task, { integration: SageMakerIntegration.AWS_SDK, interval, maxAttempts: 3, counterPath });
    loop.catchInto(this.failState, '$.error');
    this.addWaitBudget(loop.budget);
    this.catchFailures(task);
  }

  /** Declares a bounded wait (e.g. `maxPolls x pollInterval`) for the workflow's timeout. */
  protected addWaitBudget(duration: Duration): void {
    this.waitBudget.push(duration);
  }

  /**
   * A field of this stage's results as an output any later field takes, e.g.
   * `resultValue('ModelName')`: a `JsonPath.stringAt` token.
   */
  protected resultValue(field: string): string {
    return sfn.JsonPath.stringAt(this.resultField(field));
  }

  /** The plain JSONPath of a field of this stage's results, for the stage's own states. */
  protected resultField(field: string): string {
    return `${this.resultPath}.${field}`;
  }
}

/**
 * What every stage takes besides its own props.
 */
export interface WorkflowStageOptions {
  /**
   * Where the stage writes its results in the execution state (a field of the state); its
   * outputs read from there.
   *
   * @default '$.results.<id>'
   */
  readonly resultPath?: string;
}

const STAGE_SYMBOL = Symbol.for('cdk-sagemaker-ml.WorkflowStage');

