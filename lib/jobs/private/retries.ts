import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/*
 * The error names of Step Functions' SageMaker integrations are `SageMaker.<exception>`.
 * AWS's own example of `createTrainingJob.sync` (Step Functions developer guide,
 * connect-sagemaker.md, "SageMaker Training Job Example") retries
 * `SageMaker.AmazonSageMakerException` quickly and `SageMaker.ResourceLimitExceededException`
 * every 60 seconds with backoff rate 1; the integration reports SageMaker's "Rate exceeded"
 * throttling and unmodelled service faults as `SageMaker.AmazonSageMakerException`.
 *
 * `States.TaskFailed` (the job itself failed: its code, its data, its instance) is never
 * retried: rerunning it costs money and fails again.
 */

/** Instance quota or capacity: `ResourceLimitExceeded` from a create call. */
export const SAGEMAKER_CAPACITY_ERRORS = ['SageMaker.ResourceLimitExceededException'];

/** Throttling and transient service faults. */
export const SAGEMAKER_TRANSIENT_ERRORS = [
  'SageMaker.AmazonSageMakerException',
  'SageMaker.ThrottlingException',
  'SageMaker.InternalFailure',
  'SageMaker.ServiceUnavailable',
];

/** The interval between capacity retries (AWS's example uses 60 seconds). */
export const CAPACITY_RETRY_INTERVAL = Duration.seconds(60);

/** Transient errors: 5 attempts from `interval`, doubling, with full jitter. */
export const TRANSIENT_RETRY_ATTEMPTS = 5;

/** Retries throttling and transient service errors with backoff. */
export function retryTransientErrors(state: sfn.TaskStateBase, interval: Duration): void {
  state.addRetry({
    errors: SAGEMAKER_TRANSIENT_ERRORS, interval, maxAttempts: TRANSIENT_RETRY_ATTEMPTS, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL,
  });
}

/** Retries `ResourceLimitExceeded` every 60 seconds, `attempts` times. */
export function retryCapacityErrors(state: sfn.TaskStateBase, attempts: number): void {
  if (attempts > 0) {
    state.addRetry({ errors: SAGEMAKER_CAPACITY_ERRORS, interval: CAPACITY_RETRY_INTERVAL, maxAttempts: attempts, backoffRate: 1 });
  }
}

/** The longest the transient retrier can wait in all (every backoff at its maximum). */
export function transientRetryBudget(interval: Duration): Duration {
  let total = 0;
  for (let i = 0; i < TRANSIENT_RETRY_ATTEMPTS; i++) total += interval.toSeconds() * 2 ** i;
  return Duration.seconds(total);
}
