import { Duration, Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DeployStage } from './deploy-stage';
import { componentFailure, componentPollLoop } from './private/component-polling';
import { componentSmokeTest } from './private/component-smoke-test';
import { deleteModelOnFailure, describeComponentStep, readModelVersionStep, updateComponentStep } from './private/component-steps';
import { intrinsicArgument, jsonPathOf, validateVersion } from './private/deploy-values';
import { WorkflowStage } from './workflow-stage';
import { IInferenceComponent } from '../hosting/inference-component';
import { SageMakerTask } from '../jobs/sagemaker-task';
import { fail, validateDuration, validateIn, validateInteger } from '../private/validate';

/**
 * Properties of a DeployComponentStage.
 */
export interface DeployComponentStageProps {
  /**
   * The component the model is deployed to, with its own reservation and rolling deployment
   * config: an `InferenceComponent`, or one defined elsewhere
   * (`InferenceComponent.fromInferenceComponentAttributes` with its `computeResources`).
   */
  readonly component: IInferenceComponent;

  /** The model to serve: a stage's output (a model stage's `modelName`) or a literal. */
  readonly modelName: string;

  /**
   * A step that defines the model (e.g. a `CreateModelStep`, writing where `modelName` points),
   * run inside the stage once the component is ready; a failed deployment deletes its model.
   * Not with `modelDefinedBy`.
   *
   * @default - the model is defined before the stage
   */
  readonly modelStep?: SageMakerTask;

  /**
   * The step, run before the stage, that defined the model (e.g. a `CreateModelStage`'s `task`):
   * a failed deployment deletes that model. Not with `modelStep`.
   *
   * @default - a model defined before the stage is kept when the deployment fails
   */
  readonly modelDefinedBy?: SageMakerTask;

  /**
   * What identifies the version deployed: a value read at run time (an `sfn.JsonPath` token, e.g.
   * `sfn.JsonPath.stringAt('$.modelPackageArn')`) or a literal tag value (at most 256 letters,
   * digits, spaces and `_ . : / = + - @`). The models `modelStep` (or `modelDefinedBy`) defines
   * carry it as their `cdk-sagemaker-ml:version` tag (`DeployComponentStage.VERSION_TAG`; a
   * `CreateModelStep`'s `tags`): when the component already serves a model of that step tagged
   * with this version, nothing is defined or deployed and `outcome` is `AlreadyInService`.
   *
   * @default - the model name (required with `modelStep`, which names the model only when it runs)
   */
  readonly version?: string;

  /**
   * A step run once the component serves the new model (e.g. a `tasks.CallAwsService` of
   * `sagemakerruntime:invokeEndpoint` with the component's `InferenceComponentName` and a sample
   * request). When it fails, the execution fails with `ComponentSmokeTestFailed` (after the
   * rollback, see `rollbackOnSmokeTestFailure`).
   *
   * @default - no smoke test
   */
  readonly smokeTest?: sfn.TaskStateBase;

  /**
   * Whether a failed smoke test moves the component back to the model it served before
   * (UpdateInferenceComponent, waited for), then deletes the model the execution defined.
   *
   * @default true
   */
  readonly rollbackOnSmokeTestFailure?: boolean;

  /**
   * How often the stage checks the component: 10 seconds to 1 hour.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many checks before the stage gives up on a wait (for a busy component to settle, for
   * the deployment).
   *
   * @default - enough for the component's maximumExecutionTimeout and 30 minutes, or 2 hours
   */
  readonly maxPolls?: number;
}

const BUSY = ['Creating', 'Updating', 'Deleting'];

/**
 * A stage that deploys a model to an inference component as safely as `DeployStage` deploys to
 * a variant, safe to run again. It reads the component (DescribeInferenceComponent):
 * - already serving the model (a literal or an earlier stage's `modelName`), or a model of
 *   `modelStep` / `modelDefinedBy` tagged with the same `version` (ListTags of the served model):
 *   nothing is defined or deployed, `outcome` is `AlreadyInService`;
 * - `Creating`, `Updating`, `Deleting`: waits (bounded by `maxPolls`), then fails with
 *   `ComponentNotReady`;
 * - `Failed`: fails with `ComponentNotDeployable` (nothing deployed);
 * - `InService`: defines the model (`modelStep`) and calls UpdateInferenceComponent with the
 *   component's reservation and its `DeploymentConfig` (rolling batches, rollback alarms).
 *
 * Then a bounded Wait + DescribeInferenceComponent loop tells the endings apart: the new model
 * `InService` succeeds (`outcome` `Deployed`); another model `InService` fails with
 * `ComponentDeploymentRolledBack`; `Failed` fails with `ComponentDeploymentFailed` (and SageMaker's
 * reason); out of checks fails with `ComponentDeploymentTimedOut` (the model is kept: the update
 * may still run). A refused update, a rollback and a failure delete the model the execution
 * defined (`modelStep`, `modelDefinedBy`); the workflow's failure notification tells whom it concerns.
 *
 * Then the `smokeTest` runs; when it fails, the component is moved back to the model it served
 * before (UpdateInferenceComponent with the reservation and rolling policy, without the rollback
 * alarms, which may still fire from the new model), waited for, and the new model deleted:
 * `ComponentSmokeTestFailed`. A rollback that is refused, fails, rolls back or runs out of checks
 * fails with `ComponentRollbackFailed` and keeps the new model (it may still serve).
 */
export class DeployComponentStage extends WorkflowStage {
  /** The tag of a model that names the version it was defined for (the same as `DeployStage.VERSION_TAG`). */
  public static readonly VERSION_TAG = DeployStage.VERSION_TAG;

  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** `Deployed` or `AlreadyInService`, a `JsonPath` token. */
  public readonly outcome: string;
  /** The model the component serves at the end (the new one, or the one already in service), a `JsonPath` token. */
  public readonly servedModelName: string;
  /** The component. */
  public readonly component: IInferenceComponent;

  constructor(scope: Construct, id: string, props: DeployComponentStageProps) {
    super(scope, id);
    const component = props.component;
    this.component = component;
    const pollInterval = props.pollInterval ?? Duration.minutes(1);
    const maxPolls = validateIn(this, () => {
      validateDuration('pollInterval', props.pollInterval, Duration.seconds(10), Duration.hours(1));
      validateInteger('maxPolls', props.maxPolls, 1, 10000);
      if (props.modelStep && props.version === undefined) {
        fail('version is required with modelStep: the model is named only when modelStep runs, after the stage checked whether the version is in service');
      }
      validateVersion(props.version);
      if (props.rollbackOnSmokeTestFailure !== undefined && !props.smokeTest) {
        fail('rollbackOnSmokeTestFailure needs smokeTest: without a smoke test there is nothing to fail and roll back');
      }
      if (props.modelStep && props.modelDefinedBy) fail('modelDefinedBy and modelStep are exclusive: modelStep defines the model inside the stage, modelDefinedBy before it');
      for (const [prop, step] of [['modelStep', props.modelStep], ['modelDefinedBy', props.modelDefinedBy]] as const) {
        if (step && !step.namePrefix) fail(`${prop} must name the model it defines (a create-model step), got '${step.node.path}'`);
      }
      if (!component.computeResources) fail(`component.computeResources is required: a deployment renders the reservation again, and component '${component.node.path}' was imported without one (InferenceComponent.fromInferenceComponentAttributes({ computeResources }))`);
      const timeout = component.deploymentConfig && (component.deploymentConfig.rollingUpdatePolicy as any)?.maximumExecutionTimeoutInSeconds;
      const seconds = typeof timeout === 'number' && !Token.isUnresolved(timeout) ? timeout + 1800 : 7200;
      const polls = props.maxPolls ?? Math.ceil(seconds / pollInterval.toSeconds());
      if (typeof timeout === 'number' && props.maxPolls !== undefined && polls * pollInterval.toSeconds() < timeout) {
        fail(`maxPolls x pollInterval (${polls} x ${pollInterval.toSeconds()}s) must cover the component's deployment.maximumExecutionTimeout (${timeout}s), got ${polls}`);
      }
      return polls;
    });
    const rollback = props.rollbackOnSmokeTestFailure ?? true;
    // The settle wait, the deployment and the rollback each poll at most maxPolls times.
    this.addWaitBudget(Duration.seconds((props.smokeTest && rollback ? 3 : 2) * maxPolls * pollInterval.toSeconds()));

    const r = (field: string) => this.resultField(field);
    const name = (what: string) => `${id} ${what}`;
    const onError = (task: sfn.TaskStateBase, handler: sfn.IChainable) => task.addCatch(handler, { errors: ['States.ALL'], resultPath: '$.error' });
    const modelPath = jsonPathOf(props.modelName);
    const isModel = (path: string) => modelPath === undefined
      ? sfn.Condition.stringEquals(path, props.modelName) : sfn.Condition.stringEqualsJsonPath(path, modelPath);
    const cleanup = validateIn(this, () => deleteModelOnFailure(this, {
      modelStep: props.modelStep ?? props.modelDefinedBy, modelName: props.modelName, stateName: name, errorPath: r('cleanupError'), next: this.failState,
    }));
    this.outcome = sfn.JsonPath.stringAt(r('deployment.Outcome'));
    this.servedModelName = sfn.JsonPath.stringAt(r('deployment.ModelName'));
    const c = component.inferenceComponentName;

    // 1. Read the component; wait while it is busy.
    const start = new sfn.Pass(this, 'Start', { stateName: name('start'), result: sfn.Result.fromObject({ Count: 0 }), resultPath: r('settle') });
    const find = describeComponentStep(this, 'Find', name('find component'), component, r('current'));
    onError(find, this.failState);
    const status = r('current.InferenceComponentStatus');
    const settle = new sfn.Choice(this, 'Settle', { stateName: name('waits left?') })
      .when(sfn.Condition.numberGreaterThanEquals(r('settle.Count'), maxPolls), this.failure('NotReady', name('not ready'), 'ComponentNotReady',
        `inference component ${c} is still {} after ${maxPolls} checks every ${pollInterval.toSeconds()} seconds; nothing was deployed`, this.failState, status))
      .otherwise(new sfn.Pass(this, 'SettleCount', {
        stateName: name('count waits'), parameters: { 'Count.$': `States.MathAdd(${r('settle.Count')}, 1)` }, resultPath: r('settle'),
      }).next(new sfn.Wait(this, 'SettleWait', { stateName: name('wait for component'), time: sfn.WaitTime.duration(pollInterval) })).next(find));

    // 2. Define the model (modelStep) and start the rolling update.
    const update = updateComponentStep(this, 'Update', name('update component'), component, props.modelName);
    onError(update, cleanup);
    if (props.modelStep) {
      onError(props.modelStep, this.failState);
      props.modelStep.next(update);
    }
    const defineNew = props.modelStep ?? update;
    const served = r('current.Specification.ModelName');
    const inService = new sfn.Pass(this, 'AlreadyInService', {
      stateName: name('already in service'),
      parameters: { 'Outcome': 'AlreadyInService', 'ModelName.$': served },
      resultPath: r('deployment'),
    });
    // 2a. Already in service? The model served is the one named, or one the same step defined for the same version.
    const definedBy = props.modelStep ?? props.modelDefinedBy;
    let notNamed: sfn.IChainable = defineNew;
    if (definedBy && props.version !== undefined) {
      const readVersion = readModelVersionStep(this, 'ServedVersion', name('read served model version'), definedBy, DeployComponentStage.VERSION_TAG, served, r('served'));
      readVersion.addCatch(defineNew, { errors: ['States.ALL'], resultPath: r('versionError') });
      const compare = new sfn.Pass(this, 'CompareVersion', {
        stateName: name('compare version'),
        parameters: { 'InService.$': `States.ArrayContains(${r('served.Versions')}, ${intrinsicArgument(props.version)})` },
        resultPath: r('sameVersion'),
      });
      readVersion.next(compare).next(new sfn.Choice(this, 'SameVersion', { stateName: name('version in service?') })
        .when(sfn.Condition.booleanEquals(r('sameVersion.InService'), true), inService)
        .otherwise(defineNew));
      // Only a model of that step can carry the tag (and its lowercase name ends its ARN).
      notNamed = new sfn.Choice(this, 'ServedByStep', { stateName: name('served model defined by the step?') })
        .when(sfn.Condition.stringMatches(served, `${definedBy.namePrefix.toLowerCase()}-*`), readVersion)
        .otherwise(defineNew);
    }
    const route = new sfn.Choice(this, 'Route', { stateName: name('component status?') });
    // With modelStep the model is named only once it is defined: the version tells.
    if (!props.modelStep) route.when(sfn.Condition.and(sfn.Condition.stringEquals(status, 'InService'), isModel(served)), inService);
    route.when(sfn.Condition.stringEquals(status, 'InService'), notNamed)
      .when(sfn.Condition.or(...BUSY.map(s => sfn.Condition.stringEquals(status, s))), settle)
      .otherwise(this.failure('NotDeployable', name('not deployable'), 'ComponentNotDeployable',
        `inference component ${c} is {} and serves model {}: a deployment cannot proceed (delete and define the component again); nothing was deployed`,
        this.failState, status, served));
    start.next(find).next(route);

    // 3. Wait for the end of the update, then the smoke test.
    const deployed = new sfn.Pass(this, 'Deployed', {
      stateName: name('deployed'),
      parameters: { 'Outcome': 'Deployed', 'ModelName.$': r('component.Specification.ModelName') },
      resultPath: r('deployment'),
    });
    const serving = props.smokeTest ? componentSmokeTest(this, {
      component,
      test: props.smokeTest,
      rollback,
      passed: deployed,
      cleanup,
      failState: this.failState,
      stateName: name,
      field: r,
      pollInterval,
      maxPolls,
      previousModelPath: served,
    }) : deployed;
    const polled = r('component.InferenceComponentStatus');
    update.next(componentPollLoop(this, {
      component,
      id: '',
      stateName: name,
      pollInterval,
      maxPolls,
      counter: r('polls'),
      resultPath: r('component'),
      isTarget: isModel,
      onTarget: serving,
      onOtherModel: this.failure('RolledBack', name('rolled back'), 'ComponentDeploymentRolledBack',
        `inference component ${c} is in service with model {}, not the new one: the update rolled back (a rollback alarm fired or the new copies failed)`,
        cleanup, r('component.Specification.ModelName')),
      onFailed: new sfn.Choice(this, 'FailureReason', { stateName: name('failure reason?') })
        .when(sfn.Condition.isPresent(r('component.FailureReason')), this.failure('FailedWithReason', name('failed with reason'), 'ComponentDeploymentFailed',
          `inference component ${c} is Failed after the update: {}`, cleanup, r('component.FailureReason')))
        .otherwise(this.failure('FailedNoReason', name('failed without reason'), 'ComponentDeploymentFailed',
          `inference component ${c} is Failed after the update`, cleanup)),
      onTimedOut: this.failure('TimedOut', name('timed out'), 'ComponentDeploymentTimedOut',
        `inference component ${c} is still {} after ${maxPolls} checks every ${pollInterval.toSeconds()} seconds; the update may still run: look at the component before running again`,
        this.failState, polled),
      onError: this.failState,
    }));

    this.startState = start;
    this.endStates = [deployed, inService];
  }

  /** A Pass that writes `$.error` (`cause` a States.Format template of `args`), then `next`. */
  private failure(id: string, stateName: string, error: string, cause: string, next: sfn.IChainable, ...args: string[]): sfn.IChainable {
    return componentFailure(this, id, stateName, error, cause, next, ...args);
  }
}
