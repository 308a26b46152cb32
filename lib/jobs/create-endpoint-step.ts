import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { needsSdkIntegration } from './private/optimized-fields';
import { sdkResource } from './private/sagemaker-sdk-task';
import { SageMakerTask, SageMakerTaskProps } from './sagemaker-task';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';

/**
 * Properties of a CreateEndpointStep.
 */
export interface CreateEndpointStepProps extends SageMakerTaskProps {
  /** The endpoint to define (its name and deployment config). */
  readonly endpoint: RealtimeEndpoint;

  /** The configuration to deploy: a JSONPath into the state or a literal, one of the endpoint's run-time configurations. */
  readonly endpointConfigName: string;
}

/**
 * A Step Functions step that defines a `RealtimeEndpoint` with a run-time configuration
 * when the endpoint is missing (request/response); waiting for `InService` is a Wait +
 * DescribeEndpoint loop. An instance quota refused at create (`ResourceLimitExceeded`) is
 * tried again every 60 seconds.
 *
 * The request carries the endpoint's `DeploymentConfig`, which the optimized integration
 * (`sagemaker:createEndpoint`) does not take (lib/jobs/private/optimized-fields.ts): it goes
 * through the AWS SDK integration (`aws-sdk:sagemaker:createEndpoint`), whose errors are
 * `SageMaker.ResourceLimitExceededException` and, for every error SageMaker's API model does
 * not declare (validation, throttling, access denied), `SageMaker.SageMakerException`: the
 * task's service-error loop retries throttling and server faults, told apart by the cause,
 * and sends anything else (a refused request) to the task's catch at once.
 */
export class CreateEndpointStep extends SageMakerTask {
  /** Whether the step calls the AWS SDK integration (its request has fields the optimized one does not take). */
  public readonly usesSdkIntegration: boolean;
  private readonly props: CreateEndpointStepProps;

  constructor(scope: Construct, id: string, props: CreateEndpointStepProps) {
    const sdk = needsSdkIntegration('createEndpoint', { ...props.endpoint.createEndpointRequest('probe'), Tags: props.tags });
    super(scope, id, { ...props, resultPath: props.resultPath ?? sfn.JsonPath.DISCARD }, {
      api: 'createEndpoint',
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      resourceType: 'endpoint',
      actions: ['sagemaker:CreateEndpoint'],
      startsCompute: true,
      retryInterval: sdk ? undefined : Duration.seconds(5),
      sdkIntegration: sdk,
    });
    this.props = props;
    this.usesSdkIntegration = sdk;
    this.taskPolicies!.push(...props.endpoint._deployStatements(['sagemaker:CreateEndpoint', ...(props.tags ? ['sagemaker:AddTags'] : [])], this));
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const name = this.props.endpointConfigName;
    return this.props.endpoint.createEndpointRequest(name.startsWith('$') ? sfn.JsonPath.stringAt(name) : name);
  }

  /** @internal */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    return this.usesSdkIntegration ? { ...rendered, Resource: sdkResource('createEndpoint') } : rendered;
  }
}
