import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SAGEMAKER_GENERIC_ERRORS, SageMakerIntegration } from './fail-fast';
import { SageMakerTask, SageMakerTaskProps } from '../sagemaker-task';

/**
 * The error the AWS SDK integration raises for SageMaker errors its model does not name
 * (SageMaker's ValidationException, throttling, access denied): `SageMaker.SageMakerException`,
 * told apart only by its cause ("Could not find endpoint ...", "Rate exceeded", ...).
 */
export const SAGEMAKER_SDK_ERROR = SAGEMAKER_GENERIC_ERRORS[SageMakerIntegration.AWS_SDK];

/** The `Resource` of Step Functions' AWS SDK integration for a SageMaker API. */
export function sdkResource(api: string): string {
  return `arn:${Aws.PARTITION}:states:::aws-sdk:sagemaker:${api}`;
}

/**
 * Retries `SageMaker.SageMakerException` a few times, quickly: a refused request too.
 * @deprecated a SageMakerTask with `sdkIntegration: true` retries only throttling and server
 * faults (fail-fast.ts); kept for steps not yet moved to it.
 */
export function retrySdkErrors(task: sfn.TaskStateBase, attempts: number): void {
  if (attempts > 0) {
    task.addRetry({
      errors: [SAGEMAKER_SDK_ERROR], interval: Duration.seconds(2), maxAttempts: attempts, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL,
    });
  }
}

/** Properties of a SageMakerSdkTask. */
export interface SageMakerSdkTaskProps extends SageMakerTaskProps {
  /** The SDK API, e.g. `describeEndpoint`. */
  readonly api: string;
  /** The ARN resource type the call acts on (for the base's bookkeeping). */
  readonly resourceType: string;
  /** The request, JSONPath values as tokens. */
  readonly request: { [key: string]: any };
  /** What the state machine needs for the call. */
  readonly statements: iam.PolicyStatement[];
}

/**
 * A SageMaker call through Step Functions' AWS SDK integration, for the library's own
 * unexported steps
 * (`arn:aws:states:::aws-sdk:sagemaker:<api>`), for the APIs that have no optimized
 * integration (DescribeEndpoint, ListTags, DeleteEndpointConfig). It keeps the base's
 * rendering (a JSONPath state) and IAM bookkeeping; its service-error loop catches the SDK
 * integration's generic error (`SageMaker.SageMakerException`): throttling and server
 * faults (Cause "Rate exceeded", "Status Code: 5xx") are retried 3 times from 2 seconds,
 * anything else reaches the task's catch at once.
 */
export class SageMakerSdkTask extends SageMakerTask {
  private readonly sdkApi: string;
  private readonly request: { [key: string]: any };

  constructor(scope: Construct, id: string, props: SageMakerSdkTaskProps) {
    super(scope, id, props, {
      api: props.api,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      resourceType: props.resourceType,
      actions: [],
      sdkIntegration: true,
    });
    this.sdkApi = props.api;
    this.request = props.request;
    this.taskPolicies!.push(...props.statements);
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    return this.request;
  }

  /** @internal */
  protected _renderTask(_topLevelQueryLanguage?: sfn.QueryLanguage): any {
    return {
      Resource: sdkResource(this.sdkApi),
      ...this._renderParametersOrArguments(this.request, sfn.QueryLanguage.JSON_PATH),
    };
  }
}
