import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
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
 * when the endpoint is missing (`sagemaker:createEndpoint`, request/response); waiting for
 * `InService` is a Wait + DescribeEndpoint loop. An instance quota refused at create
 * (`ResourceLimitExceeded`) is tried again every 60 seconds.
 */
export class CreateEndpointStep extends SageMakerTask {
  private readonly props: CreateEndpointStepProps;

  constructor(scope: Construct, id: string, props: CreateEndpointStepProps) {
    super(scope, id, { ...props, resultPath: props.resultPath ?? sfn.JsonPath.DISCARD }, {
      api: 'createEndpoint',
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      resourceType: 'endpoint',
      actions: ['sagemaker:CreateEndpoint'],
      startsCompute: true,
      retryInterval: Duration.seconds(5),
    });
    this.props = props;
    this.taskPolicies!.push(...props.endpoint._deployStatements(['sagemaker:CreateEndpoint', ...(props.tags ? ['sagemaker:AddTags'] : [])], this));
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const name = this.props.endpointConfigName;
    return this.props.endpoint.createEndpointRequest(name.startsWith('$') ? sfn.JsonPath.stringAt(name) : name);
  }
}
