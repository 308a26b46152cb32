import { createHash } from 'crypto';
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stateName } from './fail-fast';
import { SageMakerSdkTask } from './sagemaker-sdk-task';
import { failAt } from '../../private/validate';

/*
 * Waiting for a training job started through the AWS SDK integration.
 *
 * Step Functions' optimized `createTrainingJob.sync` takes only the fields of
 * optimized-fields.ts; a request with another one (CheckpointConfig,
 * EnableInterContainerTrafficEncryption) goes through `arn:aws:states:::aws-sdk:sagemaker:createTrainingJob`,
 * which is request/response only: "the .sync integration pattern is not available for AWS SDK
 * integrations" (aws/aws-cdk#23753; Step Functions developer guide, "Integrating services with
 * Step Functions": AWS SDK integrations support Request Response and Wait for a callback). The
 * step then polls DescribeTrainingJob (SageMaker API reference: TrainingJobStatus is one of
 * InProgress | Completed | Failed | Stopping | Stopped; FailureReason "If the training job
 * failed, the reason it failed"; SecondaryStatus is always present).
 *
 * The loop, after the create task (whose result selector keeps the job name, read back from the
 * ARN, and a check counter at the scratch path):
 *
 *   Wait -> DescribeTrainingJob -> Choice: Completed -> a Pass giving the `.sync` task's output
 *   (the DescribeTrainingJob response, through the step's resultSelector, at its resultPath);
 *   InProgress / Stopping -> count -> out of checks? -> TrainingJobTimedOut, else Wait;
 *   anything else (Failed, Stopped) -> TrainingJobFailed with the job's name, status and
 *   FailureReason as a JSON Cause (the keys `.sync`'s Cause, the DescribeTrainingJob response,
 *   has), to the step's catch (the stage's failure handling and notification) or a Fail state.
 *
 * The error names are the library's own: the Amazon States Language reserves the `States.`
 * prefix ("States MAY report errors with other names, which MUST NOT begin with the prefix
 * 'States.'", ASL specification, Errors). A catch of `States.ALL` (a stage's) or of
 * `States.TaskFailed` / `States.Timeout` (what `.sync` raises for a failed / late job) takes them.
 */

/** The error of a training job that ended Failed or Stopped. */
export const TRAINING_JOB_FAILED = 'TrainingJobFailed';
/** The error of a training job still running after the loop's last check. */
export const TRAINING_JOB_TIMED_OUT = 'TrainingJobTimedOut';

/**
 * At most this many checks: Step Functions keeps at most 25,000 events in one execution's
 * history (Step Functions developer guide, "Step Functions service quotas", quotas related to
 * state machine executions); one check is about 13 (Wait, Task, Choice, Pass, Choice).
 */
export const MAX_POLLS = 500;
/** The shortest pause between checks. */
export const MIN_POLL_INTERVAL = Duration.seconds(60);
/**
 * Time beyond the job's own limit (MaxRuntimeInSeconds, or MaxWaitTimeInSeconds with spot):
 * SageMaker starts the instances before the runtime counts and uploads the model after it.
 */
export const POLL_SLACK = Duration.hours(1);

/** How often and how many times the loop checks. */
export interface PollPlan {
  readonly interval: Duration;
  readonly maxPolls: number;
}

/** Checks every minute (longer for long jobs, to stay within MAX_POLLS) for `limit` + slack. */
export function pollPlan(limit: Duration): PollPlan {
  const total = limit.toSeconds() + POLL_SLACK.toSeconds();
  const interval = Math.max(MIN_POLL_INTERVAL.toSeconds(), Math.ceil(total / MAX_POLLS));
  return { interval: Duration.seconds(interval), maxPolls: Math.ceil(total / interval) };
}

/** A catcher of the step, as `addCatch` got it. */
interface Catcher {
  readonly handler: sfn.IChainable;
  readonly errors: string[];
  readonly resultPath?: string;
}

/** What the loop needs from its step. */
export interface TrainingJobPollProps {
  /** The step's state name (the loop's states are named after it). */
  readonly stateName: string;
  /** The step's resultPath, resultSelector and outputPath: applied to the final DescribeTrainingJob. */
  readonly resultPath?: string;
  readonly resultSelector?: { [key: string]: any };
  readonly outputPath?: string;
  readonly plan: PollPlan;
  /** Whether DescribeTrainingJob retries throttling and server faults (the step's setting). */
  readonly retryOnServiceErrors?: boolean;
  readonly credentials?: sfn.Credentials;
}

/**
 * A DescribeTrainingJob call of the loop. Its time is the step's (`TrainingJobStep.maxDuration`
 * counts every check): its own `maxDuration` is zero, so a stage does not count it again.
 */
class DescribeTrainingJobPoll extends SageMakerSdkTask {
  /** The longest one call takes, its service-error loop included. */
  public get callBudget(): Duration {
    return super.maxDuration;
  }

  public get maxDuration(): Duration {
    return Duration.seconds(0);
  }

  /** @internal */
  protected _runDuration(): Duration {
    return Duration.seconds(0);
  }
}

/**
 * The poll loop of one training job step (see the header). `start` follows the create task;
 * `done` is the step's end state; `install()` adds the failure paths once the step's catchers
 * are known (when the step joins a state machine).
 */
export class TrainingJobPoll {
  /** Where the loop keeps its state: the step's result path when it is a field, else a field of its own. */
  public readonly scratch: string;
  /** The first state after the create task. */
  public readonly start: sfn.State;
  /** The state that ends the step with the `.sync` task's output. */
  public readonly done: sfn.Pass;
  /** The result selector of the create task: the job name and the check counter. */
  public readonly createResultSelector: { [key: string]: any };
  private readonly scope: Construct;
  private readonly props: TrainingJobPollProps;
  private readonly describe: DescribeTrainingJobPoll;
  private readonly check: sfn.Choice;
  private readonly budget: sfn.Choice;
  private readonly catchers: Catcher[] = [];
  private installed = false;

  constructor(step: Construct, props: TrainingJobPollProps) {
    this.scope = step;
    this.props = props;
    const rp = props.resultPath;
    const isField = typeof rp === 'string' && rp.startsWith('$.');
    const hash = createHash('sha256').update(step.node.path).digest('hex').slice(0, 8);
    this.scratch = isField ? rp : `$.trainingJobPoll.t${hash}`;
    const at = (field: string) => `${this.scratch}.${field}`;
    const name = (suffix: string) => stateName(props.stateName, suffix);

    // SageMaker writes the name lowercase in the ARN; the step's prefix is lowercase and
    // States.UUID() is, so this is the exact name.
    this.createResultSelector = {
      'TrainingJobName.$': "States.ArrayGetItem(States.StringSplit($.TrainingJobArn, '/'), 1)",
      'Checks': { Count: 0 },
    };

    const wait = new sfn.Wait(step, 'PollWait', { stateName: name('wait'), time: sfn.WaitTime.duration(props.plan.interval) });
    this.describe = new DescribeTrainingJobPoll(step, 'PollDescribe', {
      stateName: name('describe job'),
      api: 'describeTrainingJob',
      resourceType: 'training-job',
      request: { 'TrainingJobName.$': at('TrainingJobName') },
      // The step's statement grants sagemaker:DescribeTrainingJob on its jobs.
      statements: [],
      resultPath: at('Job'),
      retryOnServiceErrors: props.retryOnServiceErrors,
      credentials: props.credentials,
    });
    const status = at('Job.TrainingJobStatus');
    this.done = new sfn.Pass(step, 'PollCompleted', {
      stateName: name('completed'),
      inputPath: at('Job'),
      parameters: props.resultSelector,
      resultPath: rp,
      outputPath: props.outputPath,
    });
    const count = new sfn.Pass(step, 'PollCount', {
      stateName: name('count checks'),
      parameters: { 'Count.$': `States.MathAdd(${at('Checks.Count')}, 1)` },
      resultPath: at('Checks'),
    });
    this.budget = new sfn.Choice(step, 'PollBudget', { stateName: name('checks left?') }).otherwise(wait);
    this.check = new sfn.Choice(step, 'PollCheck', { stateName: name('job ended?') })
      .when(sfn.Condition.stringEquals(status, 'Completed'), this.done)
      .when(sfn.Condition.or(sfn.Condition.stringEquals(status, 'InProgress'), sfn.Condition.stringEquals(status, 'Stopping')), count);
    count.next(this.budget);
    wait.next(this.describe).next(this.check);
    this.start = wait;
  }

  /** The longest the loop takes: every check, each with its call's service-error loop. */
  public get maxDuration(): Duration {
    const { interval, maxPolls } = this.props.plan;
    return Duration.seconds(maxPolls * (interval.toSeconds() + this.describe.callBudget.toSeconds()));
  }

  /** Mirrors a catcher of the step onto the loop (DescribeTrainingJob, the job's end). */
  public addCatch(handler: sfn.IChainable, props: sfn.CatchProps): void {
    const errors = props.errors ?? ['States.ALL'];
    if (this.installed && [TRAINING_JOB_FAILED, TRAINING_JOB_TIMED_OUT].some(e => covers(errors, e))) {
      failAt(this.scope, 'add the catchers of a training job step before it joins a state machine or a Parallel branch: '
        + 'its poll loop already routes the job\'s failure');
    }
    this.describe.addCatch(handler, props);
    this.catchers.push({ handler, errors, resultPath: props.resultPath });
  }

  /** Adds the failure paths (once): to the first catcher that takes each error, else a Fail state. */
  public install(): void {
    if (this.installed) return;
    this.installed = true;
    const at = (field: string) => `${this.scratch}.${field}`;
    const name = (suffix: string) => stateName(this.props.stateName, suffix);
    const job = at('Job');
    const { interval, maxPolls } = this.props.plan;

    const summary = (withReason: boolean): { [key: string]: string } => ({
      'TrainingJobName.$': `${job}.TrainingJobName`,
      'TrainingJobArn.$': `${job}.TrainingJobArn`,
      'TrainingJobStatus.$': `${job}.TrainingJobStatus`,
      'SecondaryStatus.$': `${job}.SecondaryStatus`,
      ...(withReason ? { 'FailureReason.$': `${job}.FailureReason` } : {}),
    });
    const failed = this.raise('PollFailed', name('job failed'), TRAINING_JOB_FAILED, `States.JsonToString(${at('Outcome')})`);
    const withReason = new sfn.Pass(this.scope, 'PollFailedWithReason', { stateName: name('failed with reason'), parameters: summary(true), resultPath: at('Outcome') });
    const noReason = new sfn.Pass(this.scope, 'PollFailedNoReason', { stateName: name('failed without reason'), parameters: summary(false), resultPath: at('Outcome') });
    withReason.next(failed);
    noReason.next(failed);
    this.check
      .when(sfn.Condition.isPresent(`${job}.FailureReason`), withReason)
      .otherwise(noReason);

    const timedOut = this.raise('PollTimedOut', name('job timed out'), TRAINING_JOB_TIMED_OUT,
      `States.Format('Training job {} is still {} after ${maxPolls} checks ${interval.toSeconds()} seconds apart', ${job}.TrainingJobName, ${job}.TrainingJobStatus)`);
    this.budget.when(sfn.Condition.numberGreaterThanEquals(at('Checks.Count'), maxPolls), timedOut);
  }

  /**
   * A Pass writing `{ Error, Cause }` where the first catcher that takes `error` wants it, then
   * that catcher's handler; without one, a Fail state raising them.
   */
  private raise(id: string, name: string, error: string, cause: string): sfn.State {
    const catcher = this.catchers.find(c => covers(c.errors, error));
    const parameters = { 'Error': error, 'Cause.$': cause };
    if (catcher) {
      const toHandler = new sfn.Pass(this.scope, id, { stateName: name, parameters, resultPath: catcher.resultPath ?? '$' });
      toHandler.next(catcher.handler);
      return toHandler;
    }
    const errorAt = `${this.scratch}.Error`;
    const fail = new sfn.Fail(this.scope, `${id}Fail`, { stateName: `${name} (end)`, errorPath: `${errorAt}.Error`, causePath: `${errorAt}.Cause` });
    const pass = new sfn.Pass(this.scope, id, { stateName: name, parameters, resultPath: errorAt });
    pass.next(fail);
    return pass;
  }
}

/** Whether a catcher of `errors` takes the loop's `error`. */
function covers(errors: string[], error: string): boolean {
  const sync = error === TRAINING_JOB_FAILED ? 'States.TaskFailed' : 'States.Timeout';
  return errors.some(e => e === 'States.ALL' || e === sync || e === error);
}
