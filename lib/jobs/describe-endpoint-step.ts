import { Construct } from 'constructs';
import { SageMakerSdkTask } from './private/sagemaker-sdk-task';
import { SageMakerTaskProps } from './sagemaker-task';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';

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
 * A missing endpoint, throttling and access denied all surface as
 * `SageMaker.SageMakerException`: the step retries it a few times, then a Catch tells
 * them apart by the error's cause (`Could not find endpoint ...` for a missing one).
 *
 * Its output is DescribeEndpoint's: `EndpointStatus`, `EndpointConfigName`, and
 * `FailureReason` when SageMaker gives one.
 */
export class DescribeEndpointStep extends SageMakerSdkTask {
  /** The cause SageMaker gives for a missing endpoint, as a `StringMatches` pattern. */
  public static readonly ENDPOINT_NOT_FOUND_CAUSE = '*Could not find endpoint*';

  constructor(scope: Construct, id: string, props: DescribeEndpointStepProps) {
    super(scope, id, {
      ...props,
      api: 'describeEndpoint',
      resourceType: 'endpoint',
      request: { EndpointName: props.endpoint.endpointName },
      statements: props.endpoint._deployStatements(['sagemaker:DescribeEndpoint']),
    });
  }
}

