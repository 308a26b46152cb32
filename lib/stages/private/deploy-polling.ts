import { Duration, Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DescribeEndpointStep } from './deploy-steps';
import { IDeployableEndpoint } from '../../hosting/deployable-endpoint';
import { fail, validateDuration, validateInteger } from '../../private/validate';

/** Where a bounded Wait + DescribeEndpoint loop goes when the endpoint settles. */
export interface PollLoopProps {
  readonly endpoint: IDeployableEndpoint;
  /** The construct ID prefix of the loop's states. */
  readonly id: string;
  /** A state name from what the state does. */
  readonly stateName: (what: string) => string;
  /** A field of the stage's results, as a JSONPath. */
  readonly field: (name: string) => string;
  readonly pollInterval: Duration;
  readonly maxPolls: number;
  /** Where the checks are counted (`{ Count }`, a JSONPath). */
  readonly counter: string;
  /** The configuration the endpoint should end on (a JSONPath). */
  readonly targetConfig: string;
  /** InService with `targetConfig`. */
  readonly onTarget: sfn.IChainable;
  /** InService with another configuration (the update rolled back). */
  readonly onOtherConfig: sfn.IChainable;
  /** Failed, UpdateRollbackFailed, OutOfService or Deleting. */
  readonly onFailed: sfn.IChainable;
  /** Out of checks. */
  readonly onTimedOut: sfn.IChainable;
  /** DescribeEndpoint failed for good (the error at `$.error`). */
  readonly onError: sfn.IChainable;
}

/** The statuses a deployment does not come back from by waiting. */
export const FAILED_STATUSES = ['Failed', 'UpdateRollbackFailed', 'OutOfService', 'Deleting'];

/**
 * A bounded Wait + DescribeEndpoint loop (Step Functions' SageMaker endpoint calls are
 * request/response only): the last DescribeEndpoint at `field('endpoint')`, the checks counted
 * at `counter`. Returns the loop's first state.
 */
export function pollLoop(scope: Construct, props: PollLoopProps): sfn.State {
  const r = props.field;
  const counter = props.counter;
  const status = r('endpoint.EndpointStatus');
  const start = new sfn.Pass(scope, `${props.id}StartPolling`, {
    stateName: props.stateName('start polling'), result: sfn.Result.fromObject({ Count: 0 }), resultPath: counter,
  });
  const wait = new sfn.Wait(scope, `${props.id}Wait`, { stateName: props.stateName('wait'), time: sfn.WaitTime.duration(props.pollInterval) });
  const poll = new DescribeEndpointStep(scope, `${props.id}Poll`, { endpoint: props.endpoint, stateName: props.stateName('describe endpoint'), resultPath: r('endpoint') });
  // Throttling and server faults are retried by the task's service-error loop; the rest fails.
  poll.addCatch(props.onError, { errors: ['States.ALL'], resultPath: '$.error' });
  const count = new sfn.Pass(scope, `${props.id}Count`, {
    stateName: props.stateName('count polls'), parameters: { 'Count.$': `States.MathAdd(${counter}.Count, 1)` }, resultPath: counter,
  });
  const budget = new sfn.Choice(scope, `${props.id}Budget`, { stateName: props.stateName('checks left?') })
    .when(sfn.Condition.numberGreaterThanEquals(`${counter}.Count`, props.maxPolls), props.onTimedOut)
    .otherwise(wait);
  const check = new sfn.Choice(scope, `${props.id}Check`, { stateName: props.stateName('deployed?') })
    .when(sfn.Condition.and(
      sfn.Condition.stringEquals(status, 'InService'),
      sfn.Condition.stringEqualsJsonPath(r('endpoint.EndpointConfigName'), props.targetConfig)), props.onTarget)
    .when(sfn.Condition.stringEquals(status, 'InService'), props.onOtherConfig)
    .when(sfn.Condition.or(...FAILED_STATUSES.map(s => sfn.Condition.stringEquals(status, s))), props.onFailed)
    .otherwise(count.next(budget));
  start.next(wait).next(poll).next(check);
  return start;
}

/** The number of checks of each wait, validated against the endpoint's deployment timeout. */
export function validatePolls(endpoint: IDeployableEndpoint, interval: Duration | undefined, maxPolls: number | undefined): number {
  validateDuration('pollInterval', interval, Duration.seconds(10), Duration.hours(1));
  validateInteger('maxPolls', maxPolls, 1, 10000);
  const pollInterval = interval ?? Duration.minutes(1);
  const timeout = endpoint.deploymentTimeout;
  const polls = maxPolls ?? (timeout && !Token.isUnresolved(timeout.toSeconds())
    ? Math.ceil((timeout.toSeconds() + 1800) / pollInterval.toSeconds())
    : Math.ceil(7200 / pollInterval.toSeconds()));
  if (timeout && maxPolls !== undefined && polls * pollInterval.toSeconds() < timeout.toSeconds()) {
    fail(`maxPolls x pollInterval (${polls} x ${pollInterval.toSeconds()}s) must cover the endpoint's deployment.maximumExecutionTimeout (${timeout.toSeconds()}s), got ${polls}`);
  }
  return polls;
}
