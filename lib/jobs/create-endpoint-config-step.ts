import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { needsSdkIntegration } from './private/optimized-fields';
import { sdkResource } from './private/sagemaker-sdk-task';
import { SageMakerTask, SageMakerTaskProps } from './sagemaker-task';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';
import { perExecutionName } from '../private/names';

/**
 * Properties of a CreateEndpointConfigStep.
 */
export interface CreateEndpointConfigStepProps extends SageMakerTaskProps {
  /** The endpoint whose settings (variants, key, data capture) the configuration copies. */
  readonly endpoint: RealtimeEndpoint;

  /** The model the configuration serves: a JSONPath into the state (e.g. a model stage's `modelName`) or a literal. */
  readonly modelName: string;

  /**
   * The variant that serves the model; the others keep their own models.
   *
   * @default - every variant serves the model
   */
  readonly variantName?: string;
}

/**
 * A Step Functions step that defines an endpoint configuration for a new model with a
 * `RealtimeEndpoint`'s own settings (`sagemaker:createEndpointConfig`, request/response).
 * The configuration is named `<endpoint.runtimeConfigNamePrefix>-<uuid>` for each attempt.
 *
 * The optimized integration (`sagemaker:createEndpointConfig`) takes no `DataCaptureConfig`
 * (lib/jobs/private/optimized-fields.ts): for an endpoint that captures data the step calls
 * the AWS SDK integration (`aws-sdk:sagemaker:createEndpointConfig`), whose errors are
 * `SageMaker.ResourceLimitExceededException` and `SageMaker.SageMakerException` (throttling
 * and server faults retried by the task's service-error loop, told apart by the cause).
 *
 * Its output is `{ EndpointConfigArn, EndpointConfigName }`.
 */
export class CreateEndpointConfigStep extends SageMakerTask {
  /** Whether the step calls the AWS SDK integration (its request has fields the optimized one does not take). */
  public readonly usesSdkIntegration: boolean;
  private readonly props: CreateEndpointConfigStepProps;

  constructor(scope: Construct, id: string, props: CreateEndpointConfigStepProps) {
    const sdk = needsSdkIntegration('createEndpointConfig', props.endpoint.endpointConfigRequest({
      endpointConfigName: `${props.endpoint.runtimeConfigNamePrefix}-probe`, modelName: 'probe', variantName: props.variantName, tags: props.tags,
    }));
    super(scope, id, {
      ...props,
      resultSelector: props.resultSelector ?? {
        EndpointConfigArn: sfn.JsonPath.stringAt('$.EndpointConfigArn'),
        // The prefix is lowercase, so the last segment of the ARN is exactly the name.
        EndpointConfigName: sfn.JsonPath.arrayGetItem(sfn.JsonPath.stringSplit(sfn.JsonPath.stringAt('$.EndpointConfigArn'), '/'), 1),
      },
    }, {
      api: 'createEndpointConfig',
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      resourceType: 'endpoint-config',
      actions: ['sagemaker:CreateEndpointConfig'],
      nameField: 'EndpointConfigName',
      namePrefix: props.endpoint.runtimeConfigNamePrefix,
      namePrefixProp: 'endpoint.runtimeConfigNamePrefix',
      lowercaseName: true,
      retryInterval: sdk ? undefined : Duration.seconds(5),
      sdkIntegration: sdk,
    });
    this.props = props;
    this.usesSdkIntegration = sdk;
    // Validates the variant and the model name against the endpoint now, at synth.
    this.request();
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    // The base adds the per-attempt name and the tags.
    const { EndpointConfigName: _name, Tags: _tags, ...request } = this.request();
    return request;
  }

  /** @internal */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    return this.usesSdkIntegration ? { ...rendered, Resource: sdkResource('createEndpointConfig') } : rendered;
  }

  private request(): { [key: string]: any } {
    const modelName = this.props.modelName.startsWith('$') ? sfn.JsonPath.stringAt(this.props.modelName) : this.props.modelName;
    return this.props.endpoint.endpointConfigRequest({
      endpointConfigName: perExecutionName(this.namePrefix),
      modelName,
      variantName: this.props.variantName,
    });
  }
}
