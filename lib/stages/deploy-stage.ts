import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WorkflowStage } from './workflow-stage';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';
import { CreateEndpointConfigStep } from '../jobs/create-endpoint-config-step';
import { CreateEndpointStep } from '../jobs/create-endpoint-step';
import { DescribeEndpointStep } from '../jobs/describe-endpoint-step';
import { SAGEMAKER_SDK_ERROR, SageMakerSdkTask } from '../jobs/private/sagemaker-sdk-task';
import { UpdateEndpointStep } from '../jobs/update-endpoint-step';
import { fail, validateDuration, validateIn, validateInteger } from '../private/validate';

/**
 * Properties of a DeployStage.
 */
export interface DeployStageProps {
  /** The endpoint the model is deployed through, with its own variants, key, data capture and deployment config. */
  readonly endpoint: RealtimeEndpoint;

  /**
   * The model to deploy: its name as a JSONPath into the execution state (a model stage's
   * `modelName`) or a literal.
   */
  readonly modelName: string;

  /**
   * The model's execution role. It is granted what the endpoint's own models have
   * (writing the endpoint's data capture, which SageMaker does with the model's role).
   *
   * @default - none; refused when the endpoint captures data
   */
  readonly modelRole?: iam.IGrantable;

  /**
   * The variant that serves the model; the others keep their own models.
   *
   * @default - every variant serves the model
   */
  readonly variantName?: string;

  /**
   * How often the stage checks whether the deployment has ended: 10 seconds to 1 hour.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many checks before the stage gives up (the deployment may still finish; the
   * execution fails with `EndpointDeploymentTimedOut`). With the endpoint's
   * `deployment.maximumExecutionTimeout` set, the checks must cover it.
   *
   * @default - enough checks for the endpoint's maximumExecutionTimeout and 30 minutes of fleet start, or 2 hours
   */
  readonly maxPolls?: number;

  /**
   * Tags of the run-time configuration, besides the workflow, the execution and the configuration it replaces.
   *
   * @default - none
   */
  readonly tags?: { [key: string]: string };

  /**
   * Whether a successful deployment deletes the run-time configuration the previous one
   * replaced (the previous one is kept for a rollback), and a rolled-back deployment its
   * own unused configuration.
   *
   * @default true
   */
  readonly cleanUp?: boolean;
}

/**
 * A stage that deploys a model through a `RealtimeEndpoint`: it defines a configuration
 * with the endpoint's own settings for the model, creates the endpoint if it is missing
 * or updates it with its blue/green deployment config and rollback alarms, and waits for
 * the end in a bounded Wait + DescribeEndpoint loop.
 *
 * It tells the endings apart: `InService` with the new configuration succeeds;
 * `InService` with another configuration fails with `EndpointDeploymentRolledBack`;
 * `Failed`, `UpdateRollbackFailed`, `OutOfService` and `Deleting` fail with
 * `EndpointDeploymentFailed` (and SageMaker's failure reason); running out of checks fails
 * with `EndpointDeploymentTimedOut`. A missing endpoint (SageMaker's "Could not find
 * endpoint") is told apart from throttling and access denied by the error's cause.
 *
 * Run-time configurations are named `<endpoint.runtimeConfigNamePrefix>-<uuid>` and tagged
 * with the workflow (state machine), the execution and the configuration they replace; after a successful update the
 * configuration the previous one replaced is deleted (the previous one stays, for a
 * rollback). CloudFormation's own configuration is never deleted. A later `cdk deploy`
 * that changes the endpoint's configuration moves the endpoint back to the stack's model.
 *
 * Results at `$.results.<id>`: `current` (the endpoint before), `config` (the new
 * configuration's `EndpointConfigName`), `polls`, `endpoint` (the last DescribeEndpoint).
 */
export class DeployStage extends WorkflowStage {
  /** The tag of a run-time configuration that names the configuration it replaced. */
  public static readonly REPLACES_TAG = 'cdk-sagemaker-ml:replaces';

  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The name of the configuration this execution deployed, as a JSONPath into the execution state. */
  public readonly endpointConfigName: string;
  /** The endpoint. */
  public readonly endpoint: RealtimeEndpoint;

  constructor(scope: Construct, id: string, props: DeployStageProps) {
    super(scope, id);
    const endpoint = props.endpoint;
    this.endpoint = endpoint;
    const pollInterval = props.pollInterval ?? Duration.minutes(1);
    const maxPolls = validateIn(this, () => {
      validateDuration('pollInterval', props.pollInterval, Duration.seconds(10), Duration.hours(1));
      validateInteger('maxPolls', props.maxPolls, 1, 10000);
      if (props.variantName !== undefined && !Token.isUnresolved(props.variantName) && !endpoint.variantNames.includes(props.variantName)) {
        fail(`variantName must be one of ${endpoint.variantNames.join(', ')}, got '${props.variantName}' (the variants of endpoint '${endpoint.node.path}')`);
      }
      const timeout = endpoint._deploymentTimeout;
      const polls = props.maxPolls ?? (timeout && !Token.isUnresolved(timeout.toSeconds())
        ? Math.ceil((timeout.toSeconds() + 1800) / pollInterval.toSeconds())
        : Math.ceil(7200 / pollInterval.toSeconds()));
      if (timeout && props.maxPolls !== undefined && polls * pollInterval.toSeconds() < timeout.toSeconds()) {
        fail(`maxPolls x pollInterval (${polls} x ${pollInterval.toSeconds()}s) must cover the endpoint's deployment.maximumExecutionTimeout (${timeout.toSeconds()}s), got ${polls}`);
      }
      return polls;
    });
    validateIn(this, () => {
      if (props.modelRole) {
        endpoint._grantServingModel(props.modelRole);
      } else if (endpoint._capturesData) {
        fail(`modelRole is required: endpoint '${endpoint.node.path}' captures data, which SageMaker writes with the deployed model's role`);
      }
    });
    this.addWaitBudget(Duration.seconds(maxPolls * pollInterval.toSeconds()));

    const r = (field: string) => this.resultField(field);
    const name = (what: string) => `${id} ${what}`;
    const status = r('endpoint.EndpointStatus');
    const fails = (stateId: string, what: string, error: string, cause: string, ...args: string[]) => {
      const pass = new sfn.Pass(this, stateId, {
        stateName: name(what),
        parameters: { 'Error': error, 'Cause.$': `States.Format('${cause}'${args.map(a => `, ${a}`).join('')})` },
        resultPath: '$.error',
      });
      return pass.next(this.failState);
    };

    // 1. Find the endpoint: missing is not an error; throttling or access denied are.
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
    const findFailed = new sfn.Pass(this, 'FindFailed', {
      stateName: name('find failed'),
      parameters: { 'Error.$': r('findError.Error'), 'Cause.$': r('findError.Cause') },
      resultPath: '$.error',
    }).next(this.failState);
    const whyNotFound = new sfn.Choice(this, 'NotFound', { stateName: name('endpoint not found?') })
      .when(sfn.Condition.stringMatches(r('findError.Cause'), DescribeEndpointStep.ENDPOINT_NOT_FOUND_CAUSE), missing)
      .otherwise(findFailed);
    find.addCatch(whyNotFound, { errors: [SAGEMAKER_SDK_ERROR], resultPath: r('findError') });
    this.catchFailures(find);

    // 2. A configuration with the endpoint's settings for the model.
    const config = new CreateEndpointConfigStep(this, 'Config', {
      endpoint,
      stateName: name('define endpoint configuration'),
      modelName: props.modelName,
      variantName: props.variantName,
      tags: {
        ...props.tags,
        'cdk-sagemaker-ml:workflow': sfn.JsonPath.stateMachineId,
        'cdk-sagemaker-ml:execution': sfn.JsonPath.executionId,
        [DeployStage.REPLACES_TAG]: sfn.JsonPath.stringAt(r('current.EndpointConfigName')),
      },
      resultPath: r('config'),
    });
    this.catchFailures(config);
    this.endpointConfigName = r('config.EndpointConfigName');

    // 3. Create or update.
    const create = new CreateEndpointStep(this, 'Create', { endpoint, stateName: name('create endpoint'), endpointConfigName: this.endpointConfigName });
    const update = new UpdateEndpointStep(this, 'Update', { endpoint, stateName: name('update endpoint'), endpointConfigName: this.endpointConfigName });
    this.catchFailures(create);
    this.catchFailures(update);
    const exists = new sfn.Choice(this, 'Exists', { stateName: name('endpoint exists?') })
      .when(sfn.Condition.stringEquals(r('current.EndpointStatus'), 'Missing'), create)
      .otherwise(update);

    // 4. A bounded Wait + DescribeEndpoint loop.
    const startPolling = new sfn.Pass(this, 'StartPolling', { stateName: name('start polling'), result: sfn.Result.fromObject({ Count: 0 }), resultPath: r('polls') });
    const wait = new sfn.Wait(this, 'Wait', { stateName: name('wait'), time: sfn.WaitTime.duration(pollInterval) });
    const poll = new DescribeEndpointStep(this, 'Poll', { endpoint, stateName: name('describe endpoint'), resultPath: r('endpoint') });
    this.catchFailures(poll);
    const count = new sfn.Pass(this, 'Count', {
      stateName: name('count polls'),
      parameters: { 'Count.$': `States.MathAdd(${r('polls.Count')}, 1)` },
      resultPath: r('polls'),
    });
    const timedOut = fails('TimedOut', 'timed out', 'EndpointDeploymentTimedOut',
      `endpoint ${endpoint.endpointName} is still {} after ${maxPolls} checks every ${pollInterval.toSeconds()} seconds; configuration {} may still be deployed: look at the endpoint before running again`,
      status, this.endpointConfigName);
    const budget = new sfn.Choice(this, 'Budget', { stateName: name('checks left?') })
      .when(sfn.Condition.numberGreaterThanEquals(r('polls.Count'), maxPolls), timedOut)
      .otherwise(wait);

    const failedWithReason = fails('FailedWithReason', 'failed with reason', 'EndpointDeploymentFailed',
      `endpoint ${endpoint.endpointName} is {} after deploying configuration {}: {}`, status, this.endpointConfigName, r('endpoint.FailureReason'));
    const failedNoReason = fails('FailedNoReason', 'failed without reason', 'EndpointDeploymentFailed',
      `endpoint ${endpoint.endpointName} is {} after deploying configuration {}`, status, this.endpointConfigName);
    const failed = new sfn.Choice(this, 'FailureReason', { stateName: name('failure reason?') })
      .when(sfn.Condition.isPresent(r('endpoint.FailureReason')), failedWithReason)
      .otherwise(failedNoReason);

    const rolledBackError = fails('RolledBack', 'rolled back', 'EndpointDeploymentRolledBack',
      `endpoint ${endpoint.endpointName} is in service with configuration {}, not the new {}: the update rolled back (a rollback alarm fired or the new fleet failed)`,
      r('endpoint.EndpointConfigName'), this.endpointConfigName);

    const deployed = new sfn.Pass(this, 'Deployed', { stateName: name('deployed') });
    const cleanUp = props.cleanUp ?? true;
    const rolledBack = cleanUp ? this.deleteConfig('DeleteRolledBack', name('delete unused configuration'), this.endpointConfigName, rolledBackError) : rolledBackError;
    const succeeded = cleanUp ? this.cleanUpPrevious(name, deployed) : deployed;

    const check = new sfn.Choice(this, 'Check', { stateName: name('deployed?') })
      .when(sfn.Condition.and(
        sfn.Condition.stringEquals(status, 'InService'),
        sfn.Condition.stringEqualsJsonPath(r('endpoint.EndpointConfigName'), this.endpointConfigName)), succeeded)
      .when(sfn.Condition.stringEquals(status, 'InService'), rolledBack)
      .when(sfn.Condition.or(...['Failed', 'UpdateRollbackFailed', 'OutOfService', 'Deleting'].map(s => sfn.Condition.stringEquals(status, s))), failed)
      .otherwise(count.next(budget));

    find.next(config);
    missing.next(config);
    config.next(exists);
    create.next(startPolling);
    update.next(startPolling);
    startPolling.next(wait).next(poll).next(check);

    this.startState = find;
    this.endStates = [deployed];
  }

  /**
   * After a successful update: the configuration the previous one replaced (read from the
   * previous one's tag) is deleted, the previous one kept for a rollback. Best effort: a
   * cleanup error is recorded at `cleanupError` and the deployment still succeeds.
   */
  private cleanUpPrevious(name: (what: string) => string, done: sfn.Pass): sfn.IChainable {
    const r = (field: string) => this.resultField(field);
    const endpoint = this.endpoint;
    const ours = `${endpoint.runtimeConfigNamePrefix}-*`;
    const configArn = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: '{}' });
    const tags = new SageMakerSdkTask(this, 'PreviousTags', {
      stateName: name('read previous configuration'),
      api: 'listTags',
      resourceType: 'endpoint-config',
      request: { ResourceArn: sfn.JsonPath.format(configArn, sfn.JsonPath.stringAt(r('current.EndpointConfigName'))) },
      statements: [new iam.PolicyStatement({ actions: ['sagemaker:ListTags'], resources: [endpoint._runtimeConfigArns(this)] })],
      resultSelector: { 'Replaces.$': `$.Tags[?(@.Key == '${DeployStage.REPLACES_TAG}')].Value` },
      resultPath: r('previous'),
    });
    const cleanupFailed = new sfn.Pass(this, 'CleanupFailed', { stateName: name('cleanup failed'), resultPath: sfn.JsonPath.DISCARD }).next(done);
    tags.addCatch(cleanupFailed, { errors: ['States.ALL'], resultPath: r('cleanupError') });
    const old = `${r('previous.Replaces')}[0]`;
    const deleteOld = this.deleteConfig('DeleteReplaced', name('delete replaced configuration'), old, done, r('cleanupError'));
    tags.next(new sfn.Choice(this, 'HasReplaced', { stateName: name('older configuration?') })
      .when(sfn.Condition.and(sfn.Condition.isPresent(old), sfn.Condition.stringMatches(old, ours)), deleteOld)
      .otherwise(done));
    // Only configurations this endpoint's workflows defined (never CloudFormation's) are read or deleted.
    return new sfn.Choice(this, 'HasPrevious', { stateName: name('previous configuration is a run-time one?') })
      .when(sfn.Condition.stringMatches(r('current.EndpointConfigName'), ours), tags)
      .otherwise(done);
  }

  /** Deletes a run-time configuration (best effort) and goes on to `next`. */
  private deleteConfig(stateId: string, stateName: string, configNamePath: string, next: sfn.IChainable, errorPath?: string): sfn.IChainable {
    const remove = new SageMakerSdkTask(this, stateId, {
      stateName,
      api: 'deleteEndpointConfig',
      resourceType: 'endpoint-config',
      request: { EndpointConfigName: sfn.JsonPath.stringAt(configNamePath) },
      statements: [new iam.PolicyStatement({ actions: ['sagemaker:DeleteEndpointConfig'], resources: [this.endpoint._runtimeConfigArns(this)] })],
      resultPath: sfn.JsonPath.DISCARD,
    });
    remove.addCatch(next, { errors: ['States.ALL'], resultPath: errorPath ?? this.resultField('cleanupError') });
    return remove.next(next);
  }
}
