import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { needsSdkIntegration } from './private/optimized-fields';
import { sdkResource } from './private/sagemaker-sdk-task';
import { SageMakerTask, SageMakerTaskProps } from './sagemaker-task';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';
import { fail, validateIn } from '../private/validate';

/**
 * Properties of an UpdateEndpointStep.
 */
export interface UpdateEndpointStepProps extends SageMakerTaskProps {
  /** The endpoint to update. */
  readonly endpoint: RealtimeEndpoint;

  /** The configuration to deploy: a JSONPath into the state or a literal, one of the endpoint's run-time configurations. */
  readonly endpointConfigName: string;
}

/**
 * A Step Functions step that moves a `RealtimeEndpoint` to a run-time configuration
 * through its blue/green deployment config and rollback alarms, keeping autoscaled
 * instance counts (request/response). The update itself runs on; waiting for its end is a
 * Wait + DescribeEndpoint loop. An instance quota refused for the new fleet
 * (`ResourceLimitExceeded`) is tried again every 60 seconds.
 *
 * `DeploymentConfig`, `RetainAllVariantProperties` and `ExcludeRetainedVariantProperties` are
 * fields the optimized integration (`sagemaker:updateEndpoint`) does not take
 * (lib/jobs/private/optimized-fields.ts): the step calls the AWS SDK integration
 * (`aws-sdk:sagemaker:updateEndpoint`), whose errors are `SageMaker.ResourceLimitExceededException`
 * and `SageMaker.SageMakerException` (validation, throttling, access denied alike): the task's
 * service-error loop retries throttling and server faults, told apart by the cause, and
 * sends anything else to the task's catch at once.
 */
export class UpdateEndpointStep extends SageMakerTask {
  /** Whether the step calls the AWS SDK integration (its request has fields the optimized one does not take). */
  public readonly usesSdkIntegration: boolean;
  private readonly props: UpdateEndpointStepProps;

  constructor(scope: Construct, id: string, props: UpdateEndpointStepProps) {
    const sdk = needsSdkIntegration('updateEndpoint', props.endpoint.updateEndpointRequest('probe'));
    super(scope, id, { ...props, resultPath: props.resultPath ?? sfn.JsonPath.DISCARD }, {
      api: 'updateEndpoint',
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      resourceType: 'endpoint',
      actions: ['sagemaker:UpdateEndpoint'],
      startsCompute: true,
      retryInterval: sdk ? undefined : Duration.seconds(5),
      sdkIntegration: sdk,
    });
    validateIn(this, () => {
      // UpdateEndpoint takes no tags: tag the configuration instead.
      if (props.tags) fail('tags cannot be set on an endpoint update (UpdateEndpoint takes none); tag the endpoint configuration instead');
    });
    this.props = props;
    this.usesSdkIntegration = sdk;
    this.taskPolicies!.push(...props.endpoint._deployStatements(['sagemaker:UpdateEndpoint'], this));
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const name = this.props.endpointConfigName;
    return this.props.endpoint.updateEndpointRequest(name.startsWith('$') ? sfn.JsonPath.stringAt(name) : name);
  }

  /** @internal */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    return this.usesSdkIntegration ? { ...rendered, Resource: sdkResource('updateEndpoint') } : rendered;
  }
}
