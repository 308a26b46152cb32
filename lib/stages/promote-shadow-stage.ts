import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DeployCleanup } from './private/deploy-cleanup';
import { pollLoop, validatePolls } from './private/deploy-polling';
import { DescribeEndpointStep, MoveEndpointStep } from './private/deploy-steps';
import { PromoteConfigStep, describeConfigStep, promotionWaits, shadowToPromote } from './private/promote-steps';
import { WorkflowStage } from './workflow-stage';
import { IDeployableEndpoint } from '../hosting/deployable-endpoint';
import { validateIn } from '../private/validate';

/**
 * Properties of a PromoteShadowStage.
 */
export interface PromoteShadowStageProps {
  /**
   * The endpoint whose shadow variant is promoted: a `RealtimeEndpoint` of this app defined
   * with `shadowVariant` (the promoted variant takes the shadow variant's fleet settings).
   */
  readonly endpoint: IDeployableEndpoint;

  /**
   * How often the stage checks whether the endpoint has settled: 10 seconds to 1 hour.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many checks before the stage gives up on a wait (for a busy endpoint to settle, for
   * the update). With the endpoint's `deployment.maximumExecutionTimeout` set, the checks must
   * cover it.
   *
   * @default - enough checks for the endpoint's maximumExecutionTimeout and 30 minutes of fleet start, or 2 hours
   */
  readonly maxPolls?: number;

  /**
   * Tags of the configuration the stage defines, besides the workflow, the execution and the
   * configuration it replaces.
   *
   * @default - none
   */
  readonly tags?: { [key: string]: string };

  /**
   * Whether a successful promotion deletes the run-time configuration the previous one
   * replaced (the previous one, with the shadow test, is kept for a rollback).
   *
   * @default true
   */
  readonly cleanUp?: boolean;
}

/**
 * A stage that promotes the shadow variant of a real-time endpoint to production: the model
 * the shadow variant serves (read from the configuration in service) becomes the model of
 * the production variant, on the shadow variant's fleet, and the shadow test ends.
 *
 * It reads the endpoint (DescribeEndpoint): a busy endpoint is waited for (bounded by
 * `maxPolls`, then `EndpointNotReady`); a missing one fails with `EndpointNotFound`; one that
 * is `Failed`, `UpdateRollbackFailed` or `OutOfService` fails at once with
 * `EndpointNotDeployable`. `InService`, it reads the configuration in service
 * (DescribeEndpointConfig); without a shadow variant it fails with `NoShadowVariant` (nothing
 * to promote: a previous execution may have promoted it). Otherwise it defines a configuration
 * whose one production variant serves the shadow's model, with the endpoint's volume key and
 * data capture (CreateEndpointConfig through the AWS SDK integration), and updates the endpoint
 * with its blue/green deployment config and rollback alarms. The update is waited for in a
 * bounded Wait + DescribeEndpoint loop, and its endings told apart as `DeployStage` does:
 * `EndpointDeploymentRolledBack`, `EndpointDeploymentFailed` (with SageMaker's reason),
 * `EndpointDeploymentTimedOut`; on a rollback or a failure the configuration it defined is
 * deleted. The workflow notifies every failure (`SageMakerWorkflow.failureTopic`).
 *
 * Results at `$.results.<id>`: `current` (the endpoint before), `currentConfig` (the
 * configuration it served), `shadow` (`ModelName`, `VariantName` of the promoted shadow),
 * `config` (the configuration deployed), `endpoint` (the last DescribeEndpoint).
 */
export class PromoteShadowStage extends WorkflowStage {
  /** The tag of the configuration a promotion defines that names the model promoted. */
  public static readonly PROMOTED_TAG = 'cdk-sagemaker-ml:promoted-shadow';

  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The name of the configuration this execution deployed, a `JsonPath` token. */
  public readonly endpointConfigName: string;
  /** The name of the model promoted (the shadow variant's), a `JsonPath` token. */
  public readonly promotedModelName: string;
  /** The endpoint. */
  public readonly endpoint: IDeployableEndpoint;

  constructor(scope: Construct, id: string, props: PromoteShadowStageProps) {
    super(scope, id);
    const endpoint = props.endpoint;
    this.endpoint = endpoint;
    const pollInterval = props.pollInterval ?? Duration.minutes(1);
    const maxPolls = validateIn(this, () => validatePolls(endpoint, props.pollInterval, props.maxPolls));
    validateIn(this, () => shadowToPromote(endpoint));
    this.addWaitBudget(promotionWaits(maxPolls, pollInterval));

    const r = (field: string) => this.resultField(field);
    const name = (what: string) => `${id} ${what}`;
    const status = r('current.EndpointStatus');
    const configPath = r('config.EndpointConfigName');
    this.endpointConfigName = sfn.JsonPath.stringAt(configPath);
    this.promotedModelName = sfn.JsonPath.stringAt(r('shadow.ModelName'));
    const onError = (task: sfn.TaskStateBase, handler: sfn.IChainable) => task.addCatch(handler, { errors: ['States.ALL'], resultPath: '$.error' });
    const cleanup = new DeployCleanup(this, { endpoint, stateName: name, field: r, next: this.failState, modelName: '' });

    // 1. Find the endpoint; wait while it is busy.
    const start = new sfn.Pass(this, 'Start', { stateName: name('start'), result: sfn.Result.fromObject({ Count: 0 }), resultPath: r('settle') });
    const find = new DescribeEndpointStep(this, 'Find', {
      endpoint,
      stateName: name('find endpoint'),
      resultSelector: { 'EndpointStatus.$': '$.EndpointStatus', 'EndpointConfigName.$': '$.EndpointConfigName' },
      resultPath: r('current'),
    });
    onError(find, new sfn.Choice(this, 'NotFound', { stateName: name('endpoint not found?') })
      .when(sfn.Condition.stringMatches('$.error.Cause', DescribeEndpointStep.ENDPOINT_NOT_FOUND_CAUSE),
        this.failure('Missing', name('endpoint missing'), 'EndpointNotFound', `endpoint ${endpoint.endpointName} does not exist: there is no shadow variant to promote`, this.failState))
      .otherwise(this.failState));
    const settleCount = new sfn.Pass(this, 'SettleCount', {
      stateName: name('count waits'), parameters: { 'Count.$': `States.MathAdd(${r('settle.Count')}, 1)` }, resultPath: r('settle'),
    });
    const settle = new sfn.Choice(this, 'Settle', { stateName: name('waits left?') })
      .when(sfn.Condition.numberGreaterThanEquals(r('settle.Count'), maxPolls), this.failure('NotReady', name('not ready'), 'EndpointNotReady',
        `endpoint ${endpoint.endpointName} is still {} after ${maxPolls} checks every ${pollInterval.toSeconds()} seconds; nothing was promoted`, this.failState, status))
      .otherwise(settleCount.next(new sfn.Wait(this, 'SettleWait', { stateName: name('wait for endpoint'), time: sfn.WaitTime.duration(pollInterval) })).next(find));
    const notDeployable = this.failure('NotDeployable', name('not deployable'), 'EndpointNotDeployable',
      `endpoint ${endpoint.endpointName} is {} with configuration {}: the shadow variant cannot be promoted until the endpoint is InService again; nothing was promoted`,
      this.failState, status, r('current.EndpointConfigName'));

    // 2. The configuration in service: its shadow variant's model.
    const readConfig = describeConfigStep(this, 'ReadConfig', endpoint, name('read configuration'), r('current.EndpointConfigName'), r('currentConfig'));
    onError(readConfig, this.failState);
    const noShadow = this.failure('NoShadow', name('no shadow variant'), 'NoShadowVariant',
      `endpoint ${endpoint.endpointName} serves configuration {}, which has no shadow variant: nothing to promote (a previous execution may have promoted it)`,
      this.failState, r('current.EndpointConfigName'));
    const shadow = new sfn.Pass(this, 'Shadow', {
      stateName: name('shadow model'),
      parameters: {
        'ModelName.$': `${r('currentConfig.ShadowProductionVariants')}[0].ModelName`,
        'VariantName.$': `${r('currentConfig.ShadowProductionVariants')}[0].VariantName`,
      },
      resultPath: r('shadow'),
    });

    // 3. A configuration whose production variant serves the shadow's model; the update.
    const config = new PromoteConfigStep(this, 'Config', {
      endpoint,
      stateName: name('define endpoint configuration'),
      modelName: this.promotedModelName,
      tags: {
        ...props.tags,
        'cdk-sagemaker-ml:workflow': sfn.JsonPath.stateMachineId,
        'cdk-sagemaker-ml:execution': sfn.JsonPath.executionId,
        [PromoteShadowStage.PROMOTED_TAG]: this.promotedModelName,
        'cdk-sagemaker-ml:replaces': sfn.JsonPath.stringAt(r('current.EndpointConfigName')),
      },
      resultPath: r('config'),
    });
    onError(config, cleanup.start);
    const ours = `${endpoint.runtimeConfigNamePrefix}-*`;
    // The tags of a run-time configuration in service name the one it replaced, which a success deletes.
    const readTags = cleanup.readTags('PreviousTags', name('read previous configuration'), r('current.EndpointConfigName'), r('previous'));
    readTags.addCatch(config, { errors: ['States.ALL'], resultPath: r('tagsError') });
    readTags.next(config);
    shadow.next(new sfn.Choice(this, 'HasPrevious', { stateName: name('configuration in service is a run-time one?') })
      .when(sfn.Condition.stringMatches(r('current.EndpointConfigName'), ours), readTags)
      .otherwise(config));
    readConfig.next(new sfn.Choice(this, 'HasShadow', { stateName: name('shadow variant?') })
      .when(sfn.Condition.isPresent(`${r('currentConfig.ShadowProductionVariants')}[0].ModelName`), shadow)
      .otherwise(noShadow));

    start.next(find).next(new sfn.Choice(this, 'Route', { stateName: name('endpoint status?') })
      .when(sfn.Condition.stringEquals(status, 'InService'), readConfig)
      .when(sfn.Condition.or(...['Creating', 'Updating', 'SystemUpdating', 'RollingBack'].map(s => sfn.Condition.stringEquals(status, s))), settle)
      .otherwise(notDeployable));

    const update = new MoveEndpointStep(this, 'Update', { endpoint, create: false, stateName: name('update endpoint'), endpointConfigPath: configPath });
    onError(update, cleanup.start);
    config.next(update);

    // 4. Wait for the end of the update.
    const promoted = new sfn.Pass(this, 'Promoted', { stateName: name('promoted') });
    update.next(pollLoop(this, {
      endpoint,
      id: '',
      stateName: name,
      field: r,
      pollInterval,
      maxPolls,
      counter: r('polls'),
      targetConfig: configPath,
      onTarget: (props.cleanUp ?? true) ? cleanup.previous(promoted) : promoted,
      onOtherConfig: this.failure('RolledBack', name('rolled back'), 'EndpointDeploymentRolledBack',
        `endpoint ${endpoint.endpointName} is in service with configuration {}, not {} which promotes the shadow model {}: the update rolled back (a rollback alarm fired or the new fleet failed)`,
        cleanup.start, r('endpoint.EndpointConfigName'), configPath, r('shadow.ModelName')),
      onFailed: new sfn.Choice(this, 'FailureReason', { stateName: name('failure reason?') })
        .when(sfn.Condition.isPresent(r('endpoint.FailureReason')), this.failure('FailedWithReason', name('failed with reason'), 'EndpointDeploymentFailed',
          `endpoint ${endpoint.endpointName} is {} after deploying configuration {} (shadow model {}): {}`, cleanup.start,
          r('endpoint.EndpointStatus'), configPath, r('shadow.ModelName'), r('endpoint.FailureReason')))
        .otherwise(this.failure('FailedNoReason', name('failed without reason'), 'EndpointDeploymentFailed',
          `endpoint ${endpoint.endpointName} is {} after deploying configuration {} (shadow model {})`, cleanup.start,
          r('endpoint.EndpointStatus'), configPath, r('shadow.ModelName'))),
      onTimedOut: this.failure('TimedOut', name('timed out'), 'EndpointDeploymentTimedOut',
        `endpoint ${endpoint.endpointName} is still {} after ${maxPolls} checks every ${pollInterval.toSeconds()} seconds; configuration {} may still be deployed: look at the endpoint before running again`,
        this.failState, r('endpoint.EndpointStatus'), configPath),
      onError: this.failState,
    }));

    this.startState = start;
    this.endStates = [promoted];
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
