import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
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
 * instance counts (`sagemaker:updateEndpoint`, request/response). The update itself runs
 * on; waiting for its end is a Wait + DescribeEndpoint loop. An instance quota refused for
 * the new fleet (`ResourceLimitExceeded`) is tried again every 60 seconds.
 */
export class UpdateEndpointStep extends SageMakerTask {
  private readonly props: UpdateEndpointStepProps;

  constructor(scope: Construct, id: string, props: UpdateEndpointStepProps) {
    super(scope, id, { ...props, resultPath: props.resultPath ?? sfn.JsonPath.DISCARD }, {
      api: 'updateEndpoint',
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      resourceType: 'endpoint',
      actions: ['sagemaker:UpdateEndpoint'],
      startsCompute: true,
      retryInterval: Duration.seconds(5),
    });
    validateIn(this, () => {
      // UpdateEndpoint takes no tags: tag the configuration instead.
      if (props.tags) fail('tags cannot be set on an endpoint update (UpdateEndpoint takes none); tag the endpoint configuration instead');
    });
    this.props = props;
    this.taskPolicies!.push(...props.endpoint._deployStatements(['sagemaker:UpdateEndpoint'], this));
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    const name = this.props.endpointConfigName;
    return this.props.endpoint.updateEndpointRequest(name.startsWith('$') ? sfn.JsonPath.stringAt(name) : name);
  }
}
