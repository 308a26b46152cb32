import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { componentFailure, componentPollLoop } from './component-polling';
import { updateComponentStep } from './component-steps';
import { IInferenceComponent } from '../../hosting/inference-component';

/** Properties of componentSmokeTest. */
export interface ComponentSmokeTestProps {
  readonly component: IInferenceComponent;
  /** The smoke test (the user's step). */
  readonly test: sfn.TaskStateBase;
  /** Whether a failed test moves the component back to the model it served before. */
  readonly rollback: boolean;
  /** Where a passed test goes. */
  readonly passed: sfn.IChainable;
  /** Deletes the model the execution defined, then fails (the error at `$.error`). */
  readonly cleanup: sfn.IChainable;
  /** The stage's Fail state. */
  readonly failState: sfn.IChainable;
  readonly stateName: (what: string) => string;
  /** A field of the stage's results, as a JSONPath. */
  readonly field: (name: string) => string;
  readonly pollInterval: Duration;
  readonly maxPolls: number;
  /** Where the model the component served before the update is (DescribeInferenceComponent's `Specification.ModelName`). */
  readonly previousModelPath: string;
}

/**
 * The smoke test after a component deployment (DeployComponentStage), and on its failure the
 * rollback to the model the component served before: UpdateInferenceComponent, a bounded poll
 * loop, then the cleanup of the new model. A rollback that does not end on the previous model
 * fails with `ComponentRollbackFailed` and keeps the new model, which may still serve.
 * Returns the test, its catch wired.
 */
export function componentSmokeTest(scope: Construct, props: ComponentSmokeTestProps): sfn.IChainable {
  const r = props.field;
  const name = props.stateName;
  const c = props.component.inferenceComponentName;
  const previous = props.previousModelPath;
  const cause = r('smokeTestError.Cause');
  const test = props.test;
  test.next(props.passed);
  if (!props.rollback) {
    test.addCatch(componentFailure(scope, 'SmokeTestFailed', name('smoke test failed'), 'ComponentSmokeTestFailed',
      `the smoke test of inference component ${c} failed, and the component stays on the new model: {}`, props.failState, cause),
    { errors: ['States.ALL'], resultPath: r('smokeTestError') });
    return test;
  }
  const rollbackFailed = (id: string, what: string, why: string, ...args: string[]) => componentFailure(scope, id, name(what), 'ComponentRollbackFailed',
    `the smoke test of inference component ${c} failed ({}), and the rollback to model {} ${why}; the new model is kept`, props.failState,
    cause, previous, ...args);
  const back = updateComponentStep(scope, 'Rollback', name('roll back'), props.component, sfn.JsonPath.stringAt(previous), false);
  back.addCatch(rollbackFailed('RollbackRefused', 'rollback refused', 'was refused: {}', '$.error.Cause'), { errors: ['States.ALL'], resultPath: '$.error' });
  back.next(componentPollLoop(scope, {
    component: props.component,
    id: 'Rollback',
    stateName: w => name(`rollback ${w}`),
    pollInterval: props.pollInterval,
    maxPolls: props.maxPolls,
    counter: r('rollbackPolls'),
    resultPath: r('component'),
    isTarget: path => sfn.Condition.stringEqualsJsonPath(path, previous),
    onTarget: componentFailure(scope, 'SmokeTestRolledBack', name('smoke test failed, rolled back'), 'ComponentSmokeTestFailed',
      `the smoke test of inference component ${c} failed, and the component was rolled back to model {}: {}`, props.cleanup, previous, cause),
    onOtherModel: rollbackFailed('RollbackRolledBack', 'rollback rolled back', 'rolled back itself: the component serves {}', r('component.Specification.ModelName')),
    onFailed: rollbackFailed('RollbackEndedFailed', 'rollback failed', 'left the component Failed'),
    onTimedOut: rollbackFailed('RollbackTimedOut', 'rollback timed out', 'is still {}', r('component.InferenceComponentStatus')),
    onError: props.failState,
  }));
  test.addCatch(back, { errors: ['States.ALL'], resultPath: r('smokeTestError') });
  return test;
}
