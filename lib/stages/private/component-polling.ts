import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { describeComponentStep } from './component-steps';
import { IInferenceComponent } from '../../hosting/inference-component';

/** Properties of componentPollLoop. */
export interface ComponentPollLoopProps {
  readonly component: IInferenceComponent;
  /** Prefix of the construct IDs ('' for the deployment, 'Rollback' for the rollback). */
  readonly id: string;
  /** A state name from what the state does. */
  readonly stateName: (what: string) => string;
  readonly pollInterval: Duration;
  readonly maxPolls: number;
  /** Where the poll counter is kept. */
  readonly counter: string;
  /** Where each DescribeInferenceComponent answer is written. */
  readonly resultPath: string;
  /** Whether the component serves the model the update moves to (given the path of its `Specification.ModelName`). */
  readonly isTarget: (modelNamePath: string) => sfn.Condition;
  /** `InService` with the target model. */
  readonly onTarget: sfn.IChainable;
  /** `InService` with another model (the update rolled back). */
  readonly onOtherModel: sfn.IChainable;
  /** `Failed`. */
  readonly onFailed: sfn.IChainable;
  /** Out of checks. */
  readonly onTimedOut: sfn.IChainable;
  /** A DescribeInferenceComponent that failed (the error at `$.error`). */
  readonly onError: sfn.IChainable;
}

/**
 * The bounded Wait + DescribeInferenceComponent loop after an UpdateInferenceComponent (of a
 * deployment or of its rollback): its first state, a counter reset.
 */
export function componentPollLoop(scope: Construct, props: ComponentPollLoopProps): sfn.State {
  const id = (what: string) => `${props.id}${what}`;
  const status = `${props.resultPath}.InferenceComponentStatus`;
  const start = new sfn.Pass(scope, id('StartPolling'), {
    stateName: props.stateName('start polling'), result: sfn.Result.fromObject({ Count: 0 }), resultPath: props.counter,
  });
  const wait = new sfn.Wait(scope, id('Wait'), { stateName: props.stateName('wait'), time: sfn.WaitTime.duration(props.pollInterval) });
  const poll = describeComponentStep(scope, id('Poll'), props.stateName('describe component'), props.component, props.resultPath);
  poll.addCatch(props.onError, { errors: ['States.ALL'], resultPath: '$.error' });
  const budget = new sfn.Choice(scope, id('Budget'), { stateName: props.stateName('checks left?') })
    .when(sfn.Condition.numberGreaterThanEquals(`${props.counter}.Count`, props.maxPolls), props.onTimedOut)
    .otherwise(wait);
  const count = new sfn.Pass(scope, id('Count'), {
    stateName: props.stateName('count polls'), parameters: { 'Count.$': `States.MathAdd(${props.counter}.Count, 1)` }, resultPath: props.counter,
  });
  const check = new sfn.Choice(scope, id('Check'), { stateName: props.stateName(props.id ? 'done?' : 'deployed?') })
    .when(sfn.Condition.and(sfn.Condition.stringEquals(status, 'InService'), props.isTarget(`${props.resultPath}.Specification.ModelName`)), props.onTarget)
    .when(sfn.Condition.stringEquals(status, 'InService'), props.onOtherModel)
    .when(sfn.Condition.stringEquals(status, 'Failed'), props.onFailed)
    .otherwise(count.next(budget));
  start.next(wait).next(poll).next(check);
  return start;
}

/** A Pass that writes `$.error` (`cause` a States.Format template of `args`), then `next`. */
export function componentFailure(
  scope: Construct, id: string, stateName: string, error: string, cause: string, next: sfn.IChainable, ...args: string[]
): sfn.IChainable {
  return new sfn.Pass(scope, id, {
    stateName,
    parameters: args.length
      ? { 'Error': error, 'Cause.$': `States.Format('${cause}'${args.map(a => `, ${a}`).join('')})` }
      : { Error: error, Cause: cause },
    resultPath: '$.error',
  }).next(next);
}
