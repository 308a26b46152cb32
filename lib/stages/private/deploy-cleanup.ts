import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { jsonPathOf } from './deploy-values';
import { IDeployableEndpoint } from '../../hosting/deployable-endpoint';
import { runtimeConfigArns } from '../../hosting/private/deployment';
import { SageMakerSdkTask } from '../../jobs/private/sagemaker-sdk-task';
import { SageMakerTask } from '../../jobs/sagemaker-task';
import { registerWildcardResource } from '../../private/nag';
import { failAt } from '../../private/validate';

/** Properties of a DeployCleanup. */
export interface DeployCleanupProps {
  readonly endpoint: IDeployableEndpoint;
  /** A state name from what the state does. */
  readonly stateName: (what: string) => string;
  /** A field of the stage's results, as a JSONPath. */
  readonly field: (name: string) => string;
  /** Where the cleanup of a failed deployment ends (the stage's Fail state). */
  readonly next: sfn.IChainable;
  /** The step that defines the model, whose model a failed deployment deletes. */
  readonly modelStep?: SageMakerTask;
  /** The model's name (where `modelStep` writes it: a JSONPath token or path). */
  readonly modelName: string;
}

/** The tag filter of a ListTags result: the values of `key`, as a list. */
function tagValues(key: string): string {
  return `$.Tags[?(@.Key == '${key}')].Value`;
}

/**
 * The SageMaker calls a deployment makes through the AWS SDK integration besides the
 * deployment itself: reading a configuration's tags, and deleting what a failed execution
 * defined (its configuration, its model) or what a successful one made obsolete. Deletions
 * are best effort: a failed one is recorded at `cleanupError` and the execution goes on.
 */
export class DeployCleanup {
  /** The first state of the cleanup of a failed deployment (the error at `$.error`). */
  public readonly start: sfn.State;
  private readonly scope: Construct;
  private readonly props: DeployCleanupProps;

  constructor(scope: Construct, props: DeployCleanupProps) {
    this.scope = scope;
    this.props = props;
    const r = props.field;
    const created = r('config.EndpointConfigName');
    let afterConfig: sfn.IChainable = props.next;
    const modelPath = jsonPathOf(props.modelName);
    if (props.modelStep && modelPath === undefined) failAt(scope, `modelName must be where modelStep writes the model's name (a JSONPath), got the literal '${props.modelName}'`);
    if (props.modelStep && modelPath !== undefined) {
      const prefix = props.modelStep.namePrefix.toLowerCase();
      const models = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'model', resourceName: `${prefix}-*` });
      registerWildcardResource(scope, models, `A failed deployment deletes the model its execution defined, named '${prefix}-<uuid>' at run time; the policy is limited to that name prefix.`);
      const deleteModel = this.bestEffort(this.sdkCall('DeleteModel', props.stateName('delete model'), 'deleteModel', 'model',
        { ModelName: sfn.JsonPath.stringAt(modelPath) }, [new iam.PolicyStatement({ actions: ['sagemaker:DeleteModel'], resources: [models] })]), props.next);
      afterConfig = new sfn.Choice(scope, 'ModelDefined', { stateName: props.stateName('model defined?') })
        .when(sfn.Condition.isPresent(modelPath), deleteModel)
        .otherwise(props.next);
    }
    const deleteConfig = this.deleteConfig('DeleteUnused', props.stateName('delete unused configuration'), created, afterConfig);
    this.start = new sfn.Choice(scope, 'ConfigDefined', { stateName: props.stateName('configuration defined?') })
      .when(sfn.Condition.isPresent(created), deleteConfig)
      .otherwise(afterConfig);
  }

  /** A call through the AWS SDK integration (throttling and server faults retried by its service-error loop). */
  public sdkCall(
    id: string, stateName: string, api: string, resourceType: string, request: { [key: string]: any }, statements: iam.PolicyStatement[],
  ): SageMakerSdkTask {
    return new SageMakerSdkTask(this.scope, id, { stateName, api, resourceType, request, statements, resultPath: sfn.JsonPath.DISCARD });
  }

  /**
   * ListTags of the run-time configuration named at `configNamePath`: its tag values and the
   * configuration it replaced, at `resultPath` (`{ Values: [..], Replaces: [..] }`). The
   * version is looked up among the values (`States.ArrayContains`) rather than by a filter,
   * which selects nothing on a configuration without the tag.
   */
  public readTags(id: string, stateName: string, configNamePath: string, resultPath: string): SageMakerSdkTask {
    const endpoint = this.props.endpoint;
    const configArn = Stack.of(this.scope).formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: '{}' });
    return new SageMakerSdkTask(this.scope, id, {
      stateName,
      api: 'listTags',
      resourceType: 'endpoint-config',
      request: { ResourceArn: sfn.JsonPath.format(configArn, sfn.JsonPath.stringAt(configNamePath)) },
      statements: [new iam.PolicyStatement({ actions: ['sagemaker:ListTags'], resources: [runtimeConfigArns(endpoint, this.scope)] })],
      resultSelector: { 'Values.$': '$.Tags[*].Value', 'Replaces.$': tagValues('cdk-sagemaker-ml:replaces') },
      resultPath,
    });
  }

  /**
   * After a deployment that passed: deletes the configuration the previous one replaced (read
   * from the previous one's tag), keeping the previous one for a rollback. Only this
   * endpoint's run-time configurations are deleted, never CloudFormation's.
   */
  public previous(done: sfn.IChainable): sfn.IChainable {
    const r = this.props.field;
    const old = `${r('previous.Replaces')}[0]`;
    const ours = `${this.props.endpoint.runtimeConfigNamePrefix}-*`;
    const deleteOld = this.deleteConfig('DeleteReplaced', this.props.stateName('delete replaced configuration'), old, done);
    return new sfn.Choice(this.scope, 'HasReplaced', { stateName: this.props.stateName('older configuration?') })
      .when(sfn.Condition.and(sfn.Condition.isPresent(old), sfn.Condition.stringMatches(old, ours)), deleteOld)
      .otherwise(done);
  }

  /** Deletes a run-time configuration (best effort) and goes on to `next`. */
  private deleteConfig(id: string, stateName: string, configNamePath: string, next: sfn.IChainable): sfn.IChainable {
    const endpoint = this.props.endpoint;
    return this.bestEffort(this.sdkCall(id, stateName, 'deleteEndpointConfig', 'endpoint-config',
      { EndpointConfigName: sfn.JsonPath.stringAt(configNamePath) },
      [new iam.PolicyStatement({ actions: ['sagemaker:DeleteEndpointConfig'], resources: [runtimeConfigArns(endpoint, this.scope)] })]), next);
  }

  private bestEffort(task: sfn.TaskStateBase, next: sfn.IChainable): sfn.IChainable {
    task.addCatch(next, { errors: ['States.ALL'], resultPath: this.props.field('cleanupError') });
    return task.next(next);
  }
}
