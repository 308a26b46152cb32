import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { sdkResource } from './private/sagemaker-sdk-task';
import { SageMakerTask, SageMakerTaskProps } from './sagemaker-task';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';
import { fail, validateIn } from '../private/validate';

/**
 * Properties of a DescribeEndpointStep.
 */
export interface DescribeEndpointStepProps extends SageMakerTaskProps {
  /** The endpoint to describe. */
  readonly endpoint: RealtimeEndpoint;
}

/**
 * A Step Functions step that reads a `RealtimeEndpoint`'s status and configuration
 * through the AWS SDK integration (`arn:aws:states:::aws-sdk:sagemaker:describeEndpoint`;
 * Step Functions has no optimized DescribeEndpoint).
 *
 * A missing endpoint (SageMaker's ValidationException "Could not find endpoint"), throttling
 * and access denied all surface as `SageMaker.SageMakerException`: the task's service-error
 * loop retries throttling and server faults (told apart by the cause) and sends the rest to
 * the task's catch at once, where `DescribeEndpointStep.ENDPOINT_NOT_FOUND_CAUSE` tells a
 * missing endpoint (no failure) from a refused call, as a `DeployStage` does.
 *
 * Its output is DescribeEndpoint's: `EndpointStatus`, `EndpointConfigName`, and
 * `FailureReason` when SageMaker gives one.
 */
export class DescribeEndpointStep extends SageMakerTask {
  /** The cause SageMaker gives for a missing endpoint, as a `StringMatches` pattern. */
  public static readonly ENDPOINT_NOT_FOUND_CAUSE = '*Could not find endpoint*';

  private readonly endpointName: string;

  constructor(scope: Construct, id: string, props: DescribeEndpointStepProps) {
    super(scope, id, props, {
      api: 'describeEndpoint',
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      resourceType: 'endpoint',
      actions: [],
      sdkIntegration: true,
    });
    validateIn(this, () => {
      if (props.tags) fail('tags cannot be set on DescribeEndpoint, which reads only');
    });
    this.endpointName = props.endpoint.endpointName;
    this.taskPolicies!.push(...props.endpoint._deployStatements(['sagemaker:DescribeEndpoint'], this));
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    return { EndpointName: this.endpointName };
  }

  /** @internal */
  protected _renderTask(_topLevelQueryLanguage?: sfn.QueryLanguage): any {
    return {
      Resource: sdkResource('describeEndpoint'),
      ...this._renderParametersOrArguments(this._renderRequest(), sfn.QueryLanguage.JSON_PATH),
    };
  }
}
