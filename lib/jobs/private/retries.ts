import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/*
 * The error names of Step Functions' SageMaker integrations are `SageMaker.<exception>`.
 * AWS's own example of `createTrainingJob.sync` (Step Functions developer guide,
 * connect-sagemaker.md, "SageMaker Training Job Example") retries
 * `SageMaker.ResourceLimitExceededException` every 60 seconds with backoff rate 1, as the
 * capacity retrier here does. That example also retries `SageMaker.AmazonSageMakerException`,
 * which is a refused request (ValidationException) as often as throttling: fail-fast.ts
 * tells them apart by the Cause instead of retrying both.
 *
 * `States.TaskFailed` (the job itself failed: its code, its data, its instance) is never
 * retried: rerunning it costs money and fails again.
 */

/** Instance quota or capacity: `ResourceLimitExceeded` from a create call. */
export const SAGEMAKER_CAPACITY_ERRORS = ['SageMaker.ResourceLimitExceededException'];

/** The interval between capacity retries (AWS's example uses 60 seconds). */
export const CAPACITY_RETRY_INTERVAL = Duration.seconds(60);

/**
 * Throttling and service faults of the optimized integrations: retried up to 5 times, the
 * pause doubling from the task's interval (fail-fast.ts).
 */
export const TRANSIENT_RETRY_ATTEMPTS = 5;

/** The AWS SDK integration's calls (describe, list, delete): up to 3 times, from 2 seconds. */
export const SDK_RETRY_ATTEMPTS = 3;

/** The first pause of the AWS SDK integration's loop. */
export const SDK_RETRY_INTERVAL = Duration.seconds(2);

/** Retries `ResourceLimitExceeded` every 60 seconds, `attempts` times. */
export function retryCapacityErrors(state: sfn.TaskStateBase, attempts: number): void {
  if (attempts > 0) {
    state.addRetry({ errors: SAGEMAKER_CAPACITY_ERRORS, interval: CAPACITY_RETRY_INTERVAL, maxAttempts: attempts, backoffRate: 1 });
  }
}
