import { createHash } from 'crypto';
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { failAt } from '../../private/validate';

/*
 * Fail fast on what SageMaker refuses, retry what is transient.
 *
 * Step Functions reports every SageMaker error its integration's model does not name under
 * ONE generic error name, so a Retry (which matches names only) cannot tell a request
 * SageMaker refused from throttling:
 *
 * - optimized integrations (`arn:aws:states:::sagemaker:<api>[.sync]`):
 *   `SageMaker.AmazonSageMakerException` (AWS SDK for Java v1's class; AWS's own
 *   "SageMaker Training Job Example" in the Step Functions developer guide,
 *   connect-sagemaker, retries that name), Cause in the Java v1 message format
 *   `<message> (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: <id>)`;
 * - the AWS SDK integration (`arn:aws:states:::aws-sdk:sagemaker:<api>`):
 *   `SageMaker.SageMakerException` (Step Functions developer guide, "Using AWS SDK service
 *   integrations": errors are `<Service>.<Error>Exception`; undeclared ones are the SDK's
 *   generic exception), Cause in the Java v2 format
 *   `<message> (Service: SageMaker, Status Code: 400, Request ID: <id>)`.
 *
 * Only the Cause tells them apart, so the task catches the generic error into a Choice that
 * reads the Cause: throttling ("Rate exceeded", `ThrottlingException`, HTTP 429) and server
 * faults (HTTP 5xx, `InternalFailure`, `ServiceUnavailable`) go round a bounded backoff loop
 * (a Pass counts the attempt in the state with `States.MathAdd`, a Wait doubles the pause)
 * back to the task; everything else (ValidationException, AccessDeniedException, any other
 * 4xx) goes at once to the failure path the task's own catch names, with the error where
 * that catch would have put it. SageMaker's API model (botocore sagemaker 2017-07-24)
 * declares none of ValidationException, ThrottlingException or AccessDeniedException, which
 * is why they share the generic name. Modelled errors keep their own names
 * (`SageMaker.ResourceNotFoundException`, `SageMaker.ResourceInUseException`: a bug, not
 * retried; `SageMaker.ResourceLimitExceededException`: the task's capacity Retry).
 */

/** Which of Step Functions' SageMaker integrations a task uses (it decides the error name). */
export enum SageMakerIntegration {
  /** `arn:aws:states:::sagemaker:<api>[.sync]`: `SageMaker.AmazonSageMakerException`. */
  OPTIMIZED = 'OPTIMIZED',
  /** `arn:aws:states:::aws-sdk:sagemaker:<api>`: `SageMaker.SageMakerException`. */
  AWS_SDK = 'AWS_SDK',
}

/** The generic error name of each integration. */
export const SAGEMAKER_GENERIC_ERRORS: Record<SageMakerIntegration, string> = {
  [SageMakerIntegration.OPTIMIZED]: 'SageMaker.AmazonSageMakerException',
  [SageMakerIntegration.AWS_SDK]: 'SageMaker.SageMakerException',
};

/**
 * Cause patterns (`StringMatches`, `*` any text) of a transient error, in both SDK formats
 * (v1 `Status Code: 429;`, v2 `Status Code: 429,`). SageMaker's throttling message is
 * "Rate exceeded" with HTTP 400 and error code ThrottlingException; 5xx are service faults.
 * Anything that matches none of these is a client error and fails at once.
 */
export const TRANSIENT_CAUSE_PATTERNS = [
  '*Rate exceeded*',
  '*ThrottlingException*',
  '*Status Code: 429*',
  '*Status Code: 5*',
  '*InternalFailure*',
  '*ServiceUnavailable*',
];

/** Errors a catch that covers the generic error may name. */
const COVERING_ERRORS = ['States.ALL', 'States.TaskFailed'];

/** Options of a ServiceErrorRetry. */
export interface ServiceErrorRetryOptions {
  /** The integration the task uses. */
  readonly integration: SageMakerIntegration;
  /** The first pause; each next one doubles. */
  readonly interval: Duration;
  /** How many times a transient error is retried (0: none, every generic error fails at once). */
  readonly maxAttempts: number;
  /**
   * Where the attempt counter `{ attempt, waitSeconds }` lives in the state. Best the task's
   * own result path: a success overwrites it, so a task entered again (a poll loop) starts
   * counting afresh.
   *
   * @default - `$.serviceErrorRetries.<hash of the task's path>`
   */
  readonly counterPath?: string;
}

/**
 * The fail-fast mechanism of one task state (see the header). Use:
 *
 * - `new ServiceErrorRetry(task, options)`, then `catchInto(handler, resultPath)` BEFORE the
 *   task's own `addCatch(handler, { errors: ['States.ALL'], resultPath })`: the generic error
 *   is then caught first, and what is not transient reaches `handler` with the error at
 *   `resultPath`, as the handler's catch would have put it;
 * - or `catchInto()` without a handler: what is not transient (or still fails after
 *   `maxAttempts`) ends in a Fail state that raises the same Error and Cause again (the
 *   execution fails as with no catch; inside a Parallel or Map the branch fails with them).
 *
 * `SageMakerTask` does this itself (its `addCatch` and graph binding); other task states
 * (a `CallAwsService`) call it by hand. `budget` is the longest the loop waits in all.
 */
export class ServiceErrorRetry {
  /** Whether a catch with `errors` takes the generic error of `integration`. */
  public static covers(errors: string[] | undefined, integration: SageMakerIntegration): boolean {
    const all = errors ?? ['States.ALL'];
    return all.some(e => COVERING_ERRORS.includes(e) || e === SAGEMAKER_GENERIC_ERRORS[integration]);
  }

  /** The integration whose generic error this loop catches. */
  public readonly integration: SageMakerIntegration;
  /** The generic error name this loop catches. */
  public readonly errorName: string;
  /** The counter's path (set when the catch is in place). */
  public counterPath: string;
  private readonly ownCounterPath: string;
  private readonly task: sfn.TaskStateBase;
  private readonly options: ServiceErrorRetryOptions;
  private installed = false;
  private ownFail = false;

  constructor(task: sfn.TaskStateBase, options: ServiceErrorRetryOptions) {
    this.task = task;
    this.options = options;
    this.integration = options.integration;
    this.errorName = SAGEMAKER_GENERIC_ERRORS[options.integration];
    const hash = createHash('sha256').update(task.node.path).digest('hex').slice(0, 8);
    this.ownCounterPath = `$.serviceErrorRetries.t${hash}`;
    this.counterPath = options.counterPath ?? this.ownCounterPath;
  }

  /** Whether the catch is in place. */
  public get isInstalled(): boolean {
    return this.installed;
  }

  /** Whether the catch is in place and ends in its own Fail state (no handler). */
  public get endsInOwnFail(): boolean {
    return this.ownFail;
  }

  /** The longest the loop pauses in all: `interval x (2^maxAttempts - 1)`. */
  public get budget(): Duration {
    return Duration.seconds(this.options.interval.toSeconds() * (2 ** this.options.maxAttempts - 1));
  }

  /**
   * Adds the catch of the generic error and its Choice, Pass and Wait states. What is not
   * retried goes to `handler` with the error at `resultPath` (a `$.field` path; `$` and
   * `JsonPath.DISCARD` are honoured too), or without a handler to a Fail state raising it again.
   */
  public catchInto(handler?: sfn.IChainable, resultPath?: string): void {
    if (this.installed) failAt(this.task, 'the SageMaker service error catch is already in place');
    this.installed = true;
    const task = this.task;
    const scope = task as unknown as Construct;
    const name = (suffix: string) => stateName(task.stateId, suffix);
    const plainPath = resultPath !== undefined && resultPath !== null && resultPath !== '$' && resultPath.startsWith('$.');
    // The catch must not overwrite the counter (nor the counter the error).
    if (handler && plainPath && overlaps(resultPath!, this.counterPath)) this.counterPath = this.ownCounterPath;
    const errorPath = handler && plainPath ? resultPath! : `${this.counterPath}.error`;

    // Where the error goes when it is not retried.
    let giveUp: sfn.IChainable;
    if (!handler) {
      giveUp = new sfn.Fail(scope, 'ServiceErrorFailed', {
        stateName: name('failed'),
        errorPath: `${errorPath}.Error`,
        causePath: `${errorPath}.Cause`,
      });
    } else if (plainPath || resultPath === sfn.JsonPath.DISCARD) {
      giveUp = handler;
    } else {
      // `$` (or unset): the handler expects the error as the whole state.
      giveUp = new sfn.Pass(scope, 'ServiceErrorOutput', { stateName: name('error output'), inputPath: errorPath }).next(handler);
    }

    const max = this.options.maxAttempts;
    if (max <= 0) {
      // Nothing to retry: the generic error goes straight to the failure path.
      task.addCatch(giveUp, { errors: [this.errorName], resultPath: errorPath });
      this.ownFail = !handler;
      return;
    }
    const attempt = `${this.counterPath}.attempt`;
    const waitSeconds = `${this.counterPath}.waitSeconds`;
    const backoff = new sfn.Wait(scope, 'ServiceErrorBackoff', {
      stateName: name('backoff'),
      time: sfn.WaitTime.secondsPath(waitSeconds),
    });
    backoff.next(task);
    const first = new sfn.Pass(scope, 'ServiceErrorFirstRetry', {
      stateName: name('retry 1'),
      parameters: { attempt: 1, waitSeconds: this.options.interval.toSeconds() },
      resultPath: this.counterPath,
    });
    first.next(backoff);
    const next = new sfn.Pass(scope, 'ServiceErrorNextRetry', {
      stateName: name('retry again'),
      parameters: {
        'attempt.$': `States.MathAdd(${attempt}, 1)`,
        'waitSeconds.$': `States.MathAdd(${waitSeconds}, ${waitSeconds})`,
      },
      resultPath: this.counterPath,
    });
    next.next(backoff);
    const cause = `${errorPath}.Cause`;
    // One test per rule, in order, so no rule reads a field an earlier rule has not checked.
    const choice = new sfn.Choice(scope, 'ServiceError', {
      stateName: name('transient?'),
      comment: `${this.errorName}: retries throttling and server faults (by the Cause) up to ${max} times, fails at once on anything else`,
    })
      .when(sfn.Condition.not(sfn.Condition.isPresent(cause)), giveUp)
      .when(sfn.Condition.not(sfn.Condition.or(...TRANSIENT_CAUSE_PATTERNS.map(p => sfn.Condition.stringMatches(cause, p)))), giveUp)
      .when(sfn.Condition.not(sfn.Condition.isPresent(attempt)), first)
      .when(sfn.Condition.numberLessThan(attempt, max), next)
      .otherwise(giveUp);
    task.addCatch(choice, { errors: [this.errorName], resultPath: errorPath });
    // Set after the catch: the task's addCatch refuses a covering catch once this is true.
    this.ownFail = !handler;
  }
}

/** `<task state name> <suffix>`, within Step Functions' 80 characters. */
export function stateName(base: string, suffix: string): string {
  const full = `${base}: ${suffix}`;
  if (full.length <= 80) return full;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 6);
  return `${base.slice(0, 80 - suffix.length - hash.length - 4)}~${hash}: ${suffix}`;
}

/** Whether one JSONPath is the other or lies within it. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}
