import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DeployCleanup } from './private/deploy-cleanup';
import { pollLoop, validatePolls } from './private/deploy-polling';
import { DefineConfigStep, DescribeEndpointStep, MoveEndpointStep } from './private/deploy-steps';
import { intrinsicArgument, jsonPathValue, validateModelProps } from './private/deploy-values';
import { WorkflowStage } from './workflow-stage';
import { IDeployableEndpoint } from '../hosting/deployable-endpoint';
import { validateRuntimeConfig } from '../hosting/private/deployment';
import { SageMakerTask } from '../jobs/sagemaker-task';
import { validateIn } from '../private/validate';

/**
 * Properties of a DeployStage.
 */
export interface DeployStageProps {
  /**
   * The endpoint the model is deployed through, with its own variants, key, data capture,
   * asynchronous inference and deployment config: a `RealtimeEndpoint`, an `AsyncEndpoint`,
   * or one defined elsewhere (`RealtimeEndpoint.fromEndpointAttributes`).
   */
  readonly endpoint: IDeployableEndpoint;

  /**
   * The model to deploy: its name as a stage's output (a model stage's `modelName`, or where
   * `modelStep` writes it) or a literal.
   */
  readonly modelName: string;

  /**
   * A step that defines the model (e.g. a `CreateModelStep`, writing where `modelName`
   * points). The stage runs it only when the version is not already in service, and deletes
   * the model it defined when the deployment fails.
   *
   * @default - the model is defined before the stage (and kept when the deployment fails)
   */
  readonly modelStep?: SageMakerTask;

  /**
   * The step, run before the stage, that defined the model (e.g. a `CreateModelStage`'s `task`):
   * a failed deployment deletes that model too. Not with `modelStep`.
   *
   * @default - a model defined before the stage is kept when the deployment fails
   */
  readonly modelDefinedBy?: SageMakerTask;

  /**
   * What identifies the version deployed: a value read at run time (an `sfn.JsonPath` token, e.g.
   * `sfn.JsonPath.stringAt('$.modelPackageArn')` or a stage's output) or a literal of at most 256
   * characters that SageMaker takes as a tag value (letters, digits, spaces and `_ . : / = + - @`).
   * Written to the configuration's `cdk-sagemaker-ml:version` tag; an endpoint already in service
   * with a configuration of that version is not redeployed (the execution succeeds, `outcome`
   * says `AlreadyInService`).
   *
   * @default - the model name (required with `modelStep`, which names the model only when it runs)
   */
  readonly version?: string;

  /**
   * The model's execution role. It is granted what serving on the endpoint takes (writing
   * its data capture and asynchronous responses, which SageMaker does with the model's role).
   * Needed for a model named by `modelName` alone.
   *
   * @default - the role of `modelStep` when it has one (a `CreateModelStep`); else none,
   * refused when the endpoint captures data or is asynchronous
   */
  readonly modelRole?: iam.IGrantable;

  /**
   * The variant that serves the model; the others keep their own models.
   *
   * @default - every variant serves the model
   */
  readonly variantName?: string;

  /**
   * How often the stage checks whether the endpoint has settled: 10 seconds to 1 hour.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many checks before the stage gives up on a wait (for a busy endpoint to settle, for
   * the deployment, for a rollback). With the endpoint's `deployment.maximumExecutionTimeout`
   * set, the checks must cover it.
   *
   * @default - enough checks for the endpoint's maximumExecutionTimeout and 30 minutes of fleet start, or 2 hours
   */
  readonly maxPolls?: number;

  /**
   * Tags of the run-time configuration, besides the workflow, the execution, the version and
   * the configuration it replaces.
   *
   * @default - none
   */
  readonly tags?: { [key: string]: string };

  /**
   * A step run once the endpoint serves the new configuration (e.g. an `InvokeEndpoint` with
   * a sample request). When it fails, the execution fails with `EndpointSmokeTestFailed`
   * (after the rollback, see `rollbackOnSmokeTestFailure`).
   *
   * @default - no smoke test
   */
  readonly smokeTest?: sfn.TaskStateBase;

  /**
   * Whether a failed smoke test moves the endpoint back to the configuration it served
   * before (an update, waited for), then deletes the new configuration and the model
   * `modelStep` defined. A newly created endpoint has nothing to go back to and stays.
   *
   * @default true
   */
  readonly rollbackOnSmokeTestFailure?: boolean;

  /**
   * Whether a successful deployment (smoke test passed) deletes the run-time configuration
   * the previous one replaced (the previous one is kept for a rollback).
   *
   * @default true
   */
  readonly cleanUp?: boolean;
}

/**
 * A stage that deploys a model through an `IDeployableEndpoint` (real-time, asynchronous,
 * defined in this app or imported), safe to run again.
 *
 * It first reads the endpoint (DescribeEndpoint) and acts on its status:
 * - missing: defines the model (`modelStep`) and a configuration with the endpoint's own
 *   settings, and creates the endpoint;
 * - `InService`: when its configuration was defined by a deployment of the same `version`
 *   (the `cdk-sagemaker-ml:version` tag), nothing is done and the execution succeeds with
 *   `outcome` `AlreadyInService`; otherwise the endpoint is updated with its blue/green
 *   deployment config and rollback alarms;
 * - `Creating`, `Updating`, `SystemUpdating`, `RollingBack`, `Deleting`: waits (bounded by
 *   `maxPolls`) and reads it again; out of checks, fails with `EndpointNotReady`;
 * - `Failed` (it serves nothing, and DeleteEndpoint is the only call SageMaker accepts on it):
 *   deletes it, waits until it is gone, and creates it again;
 * - `UpdateRollbackFailed` (serving a mix of configurations) or `OutOfService`: fails at once
 *   with `EndpointNotDeployable` naming the status; that needs a person.
 *
 * Then it waits for the deployment in a bounded Wait + DescribeEndpoint loop and tells the
 * endings apart: the new configuration in service succeeds; another configuration in
 * service fails with `EndpointDeploymentRolledBack`; `Failed` and the like fail with
 * `EndpointDeploymentFailed` (and SageMaker's reason); running out of checks fails with
 * `EndpointDeploymentTimedOut` (the configuration and model are kept: the update may still
 * be running). On every other failure what the execution defined (the configuration, the
 * model of `modelStep`) is deleted. Then the smoke test runs; if it fails, the endpoint is
 * rolled back to the configuration it served before (`rollbackOnSmokeTestFailure`). Only
 * after the smoke test passed is the configuration the previous one replaced deleted.
 *
 * SageMaker's refusals are not retried: throttling and service faults are, a few times,
 * told apart by the error's cause (the AWS SDK integration names them all
 * `SageMaker.SageMakerException`; lib/jobs/private/fail-fast.ts).
 *
 * Results at `$.results.<id>`: `current` (the endpoint before), `config` (the configuration
 * deployed or already in service), `outcome` (`Deployed` or `AlreadyInService`), `endpoint`
 * (the last DescribeEndpoint).
 */
export class DeployStage extends WorkflowStage {
  /** The tag of a run-time configuration that names the configuration it replaced. */
  public static readonly REPLACES_TAG = 'cdk-sagemaker-ml:replaces';
  /** The tag of a run-time configuration that names the version it serves. */
  public static readonly VERSION_TAG = 'cdk-sagemaker-ml:version';

  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The name of the configuration this execution deployed (or found in service), a `JsonPath` token. */
  public readonly endpointConfigName: string;
  /** `Deployed` or `AlreadyInService`, a `JsonPath` token. */
  public readonly outcome: string;
  /** The endpoint. */
  public readonly endpoint: IDeployableEndpoint;
  /** Where the deployed configuration's name is, for the stage's own states. */
  private readonly configPath: string;

  constructor(scope: Construct, id: string, props: DeployStageProps) {
    super(scope, id);
    const endpoint = props.endpoint;
    this.endpoint = endpoint;
    const pollInterval = props.pollInterval ?? Duration.minutes(1);
    const maxPolls = validateIn(this, () => validatePolls(props.endpoint, props.pollInterval, props.maxPolls));
    validateIn(this, () => validateModelProps(props));
    const modelRole = props.modelRole ?? (props.modelStep && isGrantable(props.modelStep) ? props.modelStep : undefined);
    validateIn(this, () => validateRuntimeConfig(endpoint, { modelName: props.modelName, variantName: props.variantName, modelRole }));
    const rollback = props.rollbackOnSmokeTestFailure ?? true;
    // The settle wait, the deployment and the rollback each poll at most maxPolls times.
    const loops = 2 + (props.smokeTest && rollback ? 1 : 0);
    this.addWaitBudget(Duration.seconds(loops * maxPolls * pollInterval.toSeconds()));

    const r = (field: string) => this.resultField(field);
    const name = (what: string) => `${id} ${what}`;
    const status = r('current.EndpointStatus');
    const version = props.version ?? props.modelName;
    // Each task's service-error loop (SageMakerTask) retries throttling and server faults and
    // brings anything else here at once, the error at $.error.
    const onError = (task: sfn.TaskStateBase, handler: sfn.IChainable) => task.addCatch(handler, { errors: ['States.ALL'], resultPath: '$.error' });
    const cleanup = new DeployCleanup(this, {
      endpoint, stateName: name, field: r, next: this.failState, modelStep: props.modelStep ?? props.modelDefinedBy, modelName: props.modelName,
    });
    this.configPath = r('config.EndpointConfigName');
    this.endpointConfigName = sfn.JsonPath.stringAt(this.configPath);
    this.outcome = sfn.JsonPath.stringAt(r('outcome'));

    // 1. Find the endpoint; wait while it is busy, recreate it when Failed.
    const start = new sfn.Pass(this, 'Start', { stateName: name('start'), result: sfn.Result.fromObject({ Count: 0 }), resultPath: r('settle') });
    const find = new DescribeEndpointStep(this, 'Find', {
      endpoint,
      stateName: name('find endpoint'),
      resultSelector: { 'EndpointStatus.$': '$.EndpointStatus', 'EndpointConfigName.$': '$.EndpointConfigName' },
      resultPath: r('current'),
    });
    const missing = new sfn.Pass(this, 'Missing', {
      stateName: name('endpoint missing'),
      result: sfn.Result.fromObject({ EndpointStatus: 'Missing', EndpointConfigName: 'none' }),
      resultPath: r('current'),
    });
    // A missing endpoint is SageMaker's ValidationException "Could not find endpoint": no failure.
    onError(find, new sfn.Choice(this, 'NotFound', { stateName: name('endpoint not found?') })
      .when(sfn.Condition.stringMatches('$.error.Cause', DescribeEndpointStep.ENDPOINT_NOT_FOUND_CAUSE), missing)
      .otherwise(this.failState));

    const settleCount = new sfn.Pass(this, 'SettleCount', {
      stateName: name('count waits'), parameters: { 'Count.$': `States.MathAdd(${r('settle.Count')}, 1)` }, resultPath: r('settle'),
    });
    const settle = new sfn.Choice(this, 'Settle', { stateName: name('waits left?') })
      .when(sfn.Condition.numberGreaterThanEquals(r('settle.Count'), maxPolls), this.failure('NotReady', name('not ready'), 'EndpointNotReady',
        `endpoint ${endpoint.endpointName} is still {} after ${maxPolls} checks every ${pollInterval.toSeconds()} seconds; nothing was deployed`, this.failState, status))
      .otherwise(settleCount.next(new sfn.Wait(this, 'SettleWait', { stateName: name('wait for endpoint'), time: sfn.WaitTime.duration(pollInterval) })).next(find));
    const deleteFailed = cleanup.sdkCall('DeleteFailed', name('delete failed endpoint'), 'deleteEndpoint', 'endpoint',
      { EndpointName: endpoint.endpointName }, [new iam.PolicyStatement({ actions: ['sagemaker:DeleteEndpoint'], resources: [endpoint.endpointArn] })]);
    onError(deleteFailed, this.failState);
    deleteFailed.next(settle);
    const notDeployable = this.failure('NotDeployable', name('not deployable'), 'EndpointNotDeployable',
      `endpoint ${endpoint.endpointName} is {} with configuration {}: a deployment cannot proceed (UpdateRollbackFailed serves a mix of configurations: restore the endpoint first, see Rolling Deployments in the SageMaker developer guide); nothing was deployed`,
      this.failState, status, r('current.EndpointConfigName'));

    // 2. A configuration with the endpoint's settings for the model, tagged with the version.
    const config = new DefineConfigStep(this, 'Config', {
      endpoint,
      stateName: name('define endpoint configuration'),
      modelName: props.modelName,
      variantName: props.variantName,
      modelRole,
      tags: {
        ...props.tags,
        'cdk-sagemaker-ml:workflow': sfn.JsonPath.stateMachineId,
        'cdk-sagemaker-ml:execution': sfn.JsonPath.executionId,
        [DeployStage.VERSION_TAG]: jsonPathValue(version),
        [DeployStage.REPLACES_TAG]: sfn.JsonPath.stringAt(r('current.EndpointConfigName')),
      },
      resultPath: r('config'),
    });
    onError(config, cleanup.start);
    if (props.modelStep) onError(props.modelStep, this.failState);
    const defineNew = props.modelStep ? props.modelStep : config;
    if (props.modelStep) props.modelStep.next(config);

    // 3. Already in service? Only a run-time configuration of this endpoint carries the tags.
    const ours = `${endpoint.runtimeConfigNamePrefix}-*`;
    const readTags = cleanup.readTags('PreviousTags', name('read previous configuration'), r('current.EndpointConfigName'), r('previous'));
    readTags.addCatch(defineNew, { errors: ['States.ALL'], resultPath: r('tagsError') });
    const inService = new sfn.Pass(this, 'AlreadyInService', {
      stateName: name('already in service'), result: sfn.Result.fromString('AlreadyInService'), resultPath: r('outcome'),
    });
    const alreadyDone = new sfn.Pass(this, 'AlreadyInServiceConfig', {
      stateName: name('nothing to deploy'), parameters: { 'EndpointConfigName.$': r('current.EndpointConfigName') }, resultPath: r('config'),
    });
    inService.next(alreadyDone);
    // The configuration's tag values hold the version it was deployed for.
    const versionArg = intrinsicArgument(version);
    const compare = new sfn.Pass(this, 'CompareVersion', {
      stateName: name('compare version'),
      parameters: { 'InService.$': `States.ArrayContains(${r('previous.Values')}, ${versionArg})` },
      resultPath: r('sameVersion'),
    });
    readTags.next(compare).next(new sfn.Choice(this, 'SameVersion', { stateName: name('version in service?') })
      .when(sfn.Condition.booleanEquals(r('sameVersion.InService'), true), inService)
      .otherwise(defineNew));
    const runtimeConfig = new sfn.Choice(this, 'HasPrevious', { stateName: name('previous configuration is a run-time one?') })
      .when(sfn.Condition.stringMatches(r('current.EndpointConfigName'), ours), readTags)
      .otherwise(defineNew);

    const route = new sfn.Choice(this, 'Route', { stateName: name('endpoint status?') })
      .when(sfn.Condition.stringEquals(status, 'Missing'), defineNew)
      .when(sfn.Condition.stringEquals(status, 'InService'), runtimeConfig)
      .when(sfn.Condition.stringEquals(status, 'Failed'), deleteFailed)
      .when(sfn.Condition.or(...['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting'].map(s => sfn.Condition.stringEquals(status, s))), settle)
      .otherwise(notDeployable);
    start.next(find).next(route);
    missing.next(route);

    // 4. Create or update, then wait for the end.
    const create = new MoveEndpointStep(this, 'Create', { endpoint, create: true, stateName: name('create endpoint'), endpointConfigPath: this.configPath });
    const update = new MoveEndpointStep(this, 'Update', { endpoint, create: false, stateName: name('update endpoint'), endpointConfigPath: this.configPath });
    onError(create, cleanup.start);
    onError(update, cleanup.start);
    config.next(new sfn.Choice(this, 'Exists', { stateName: name('endpoint exists?') })
      .when(sfn.Condition.stringEquals(status, 'Missing'), create)
      .otherwise(update));

    const deployed = new sfn.Pass(this, 'Deployed', { stateName: name('deployed'), result: sfn.Result.fromString('Deployed'), resultPath: r('outcome') });
    const passed = (props.cleanUp ?? true) ? cleanup.previous(deployed) : deployed;
    const serving = props.smokeTest ? this.smokeTest(props.smokeTest, rollback, passed, cleanup, { pollInterval, maxPolls }) : passed;
    const polls = pollLoop(this, {
      endpoint,
      id: '',
      stateName: name,
      field: r,
      pollInterval,
      maxPolls,
      counter: r('polls'),
      targetConfig: this.configPath,
      onTarget: serving,
      onOtherConfig: this.failure('RolledBack', name('rolled back'), 'EndpointDeploymentRolledBack',
        `endpoint ${endpoint.endpointName} is in service with configuration {}, not the new {}: the update rolled back (a rollback alarm fired or the new fleet failed)`,
        cleanup.start, r('endpoint.EndpointConfigName'), this.configPath),
      onFailed: new sfn.Choice(this, 'FailureReason', { stateName: name('failure reason?') })
        .when(sfn.Condition.isPresent(r('endpoint.FailureReason')), this.failure('FailedWithReason', name('failed with reason'), 'EndpointDeploymentFailed',
          `endpoint ${endpoint.endpointName} is {} after deploying configuration {}: {}`, cleanup.start, r('endpoint.EndpointStatus'), this.configPath, r('endpoint.FailureReason')))
        .otherwise(this.failure('FailedNoReason', name('failed without reason'), 'EndpointDeploymentFailed',
          `endpoint ${endpoint.endpointName} is {} after deploying configuration {}`, cleanup.start, r('endpoint.EndpointStatus'), this.configPath)),
      onTimedOut: this.failure('TimedOut', name('timed out'), 'EndpointDeploymentTimedOut',
        `endpoint ${endpoint.endpointName} is still {} after ${maxPolls} checks every ${pollInterval.toSeconds()} seconds; configuration {} may still be deployed: look at the endpoint before running again`,
        this.failState, r('endpoint.EndpointStatus'), this.configPath),
      onError: this.failState,
    });
    create.next(polls);
    update.next(polls);

    this.startState = start;
    this.endStates = [deployed, alreadyDone];
  }

  /**
   * The smoke test after the deployment, and on its failure the rollback to the
   * configuration the endpoint served before (then what the execution defined is deleted).
   */
  private smokeTest(test: sfn.TaskStateBase, rollback: boolean, passed: sfn.IChainable, cleanup: DeployCleanup,
    loop: { pollInterval: Duration; maxPolls: number }): sfn.IChainable {
    const r = (field: string) => this.resultField(field);
    const name = (what: string) => `${this.stageName} ${what}`;
    const endpoint = this.endpoint;
    const previous = r('current.EndpointConfigName');
    const cause = r('smokeTestError.Cause');
    test.next(passed);
    const keep = this.failure('SmokeTestFailed', name('smoke test failed'), 'EndpointSmokeTestFailed',
      `the smoke test of endpoint ${endpoint.endpointName} on configuration {} failed, and the endpoint stays on it: {}`, this.failState, this.configPath, cause);
    if (!rollback) {
      test.addCatch(keep, { errors: ['States.ALL'], resultPath: r('smokeTestError') });
      return test;
    }
    const rollbackFailed = (id: string, what: string, why: string, ...args: string[]) => this.failure(id, name(what), 'EndpointRollbackFailed',
      `the smoke test of endpoint ${endpoint.endpointName} on configuration {} failed ({}), and the rollback to {} ${why}`, this.failState,
      this.configPath, cause, previous, ...args);
    const back = new MoveEndpointStep(this, 'Rollback', { endpoint, create: false, stateName: name('roll back'), endpointConfigPath: previous });
    back.addCatch(rollbackFailed('RollbackRefused', 'rollback refused', 'was refused: {}', '$.error.Cause'), { errors: ['States.ALL'], resultPath: '$.error' });
    const rolledBack = this.failure('SmokeTestRolledBack', name('smoke test failed, rolled back'), 'EndpointSmokeTestFailed',
      `the smoke test of endpoint ${endpoint.endpointName} on configuration {} failed, and the endpoint was rolled back to configuration {}: {}`,
      cleanup.start, this.configPath, previous, cause);
    back.next(pollLoop(this, {
      endpoint,
      id: 'Rollback',
      stateName: w => name(`rollback ${w}`),
      field: r,
      pollInterval: loop.pollInterval,
      maxPolls: loop.maxPolls,
      counter: r('rollbackPolls'),
      targetConfig: previous,
      onTarget: rolledBack,
      onOtherConfig: rollbackFailed('RollbackRolledBack', 'rollback rolled back', 'rolled back itself: the endpoint serves {}', r('endpoint.EndpointConfigName')),
      onFailed: rollbackFailed('RollbackEndedFailed', 'rollback failed', 'left the endpoint {}', r('endpoint.EndpointStatus')),
      onTimedOut: rollbackFailed('RollbackTimedOut', 'rollback timed out', 'is still {}', r('endpoint.EndpointStatus')),
      onError: this.failState,
    }));
    // A created endpoint served nothing before: it stays on the new configuration.
    test.addCatch(new sfn.Choice(this, 'CanRollBack', { stateName: name('previous configuration to roll back to?') })
      .when(sfn.Condition.stringEquals(r('current.EndpointStatus'), 'InService'), back)
      .otherwise(keep), { errors: ['States.ALL'], resultPath: r('smokeTestError') });
    return test;
  }

  /** A Pass that writes `$.error` (`cause` a States.Format template of `args`), then `next`. */
  private failure(id: string, stateName: string, error: string, cause: string, next: sfn.IChainable, ...args: string[]): sfn.IChainable {
    return new sfn.Pass(this, id, {
      stateName,
      parameters: { 'Error': error, 'Cause.$': `States.Format('${cause}'${args.map(a => `, ${a}`).join('')})` },
      resultPath: '$.error',
    }).next(next);
  }
}

function isGrantable(step: SageMakerTask): step is SageMakerTask & iam.IGrantable {
  return (step as Partial<iam.IGrantable>).grantPrincipal !== undefined;
}
