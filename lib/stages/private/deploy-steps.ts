import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { jsonPathValue } from './deploy-values';
import { IDeployableEndpoint } from '../../hosting/deployable-endpoint';
import {
  ApiRequest, createEndpointRequest, deployStatements, runtimeConfigNeedsSdk, runtimeConfigRequest, updateEndpointRequest,
} from '../../hosting/private/deployment';
import { needsSdkIntegration } from '../../jobs/private/optimized-fields';
import { sdkResource } from '../../jobs/private/sagemaker-sdk-task';
import { SageMakerTask, SageMakerTaskApi, SageMakerTaskProps } from '../../jobs/sagemaker-task';
import { perExecutionName } from '../../private/names';
import { fail, validateIn } from '../../private/validate';

/*
 * The SageMaker calls of a deployment through an IDeployableEndpoint (DeployStage's steps):
 * each renders its request from the endpoint's settings (lib/hosting/private/deployment.ts)
 * and adds what the call needs to the state machine's policy. Throttling and server faults
 * are retried by the task's service-error loop, told apart by the cause; anything else
 * reaches the task's catch at once.
 */

/**
 * The result of a CreateEndpointConfig task: `{ EndpointConfigArn, EndpointConfigName }`. The
 * prefix is lowercase, so the last segment of the ARN is exactly the name.
 */
export const CREATE_ENDPOINT_CONFIG_RESULT = {
  EndpointConfigArn: sfn.JsonPath.stringAt('$.EndpointConfigArn'),
  EndpointConfigName: sfn.JsonPath.arrayGetItem(sfn.JsonPath.stringSplit(sfn.JsonPath.stringAt('$.EndpointConfigArn'), '/'), 1),
};

/**
 * The `createEndpointConfig` call (request/response) of a run-time configuration of `endpoint`,
 * named `<runtimeConfigNamePrefix>-<uuid>`: through the AWS SDK integration when `sdk`, else the
 * optimized one (retried every 5 s on capacity).
 */
export function runtimeConfigApi(endpoint: IDeployableEndpoint, sdk: boolean): SageMakerTaskApi {
  return {
    api: 'createEndpointConfig',
    integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
    resourceType: 'endpoint-config',
    actions: ['sagemaker:CreateEndpointConfig'],
    nameField: 'EndpointConfigName',
    namePrefix: endpoint.runtimeConfigNamePrefix,
    namePrefixProp: 'endpoint.runtimeConfigNamePrefix',
    lowercaseName: true,
    retryInterval: sdk ? undefined : Duration.seconds(5),
    sdkIntegration: sdk,
  };
}

/** Properties of a deployment step. */
export interface DeployStepProps extends SageMakerTaskProps {
  /** The endpoint deployed to. */
  readonly endpoint: IDeployableEndpoint;
}

/** Properties of a DefineConfigStep. */
export interface DefineConfigStepProps extends DeployStepProps {
  /** The model the configuration serves (a JSONPath token, a JSONPath or a literal). */
  readonly modelName: string;
  /** The variant that serves the model; the others keep their own models. */
  readonly variantName?: string;
  /** The model's role, granted what serving on the endpoint takes (data capture, responses). */
  readonly modelRole?: iam.IGrantable;
}

/**
 * CreateEndpointConfig of a configuration with the endpoint's own settings for a new model,
 * named `<endpoint.runtimeConfigNamePrefix>-<uuid>` for each attempt. Through the AWS SDK
 * integration when it carries fields the optimized one does not take (DataCaptureConfig,
 * AsyncInferenceConfig). Its output: `{ EndpointConfigArn, EndpointConfigName }`.
 */
export class DefineConfigStep extends SageMakerTask {
  private readonly sdk: boolean;
  private readonly request: ApiRequest;

  constructor(scope: Construct, id: string, props: DefineConfigStepProps) {
    const sdk = runtimeConfigNeedsSdk(props.endpoint);
    super(scope, id, {
      ...props,
      resultSelector: props.resultSelector ?? CREATE_ENDPOINT_CONFIG_RESULT,
    }, runtimeConfigApi(props.endpoint, sdk));
    this.sdk = sdk;
    // Rendered once, now: validates the variant and binds the locations for the model's role.
    const { EndpointConfigName: _name, ...request } = validateIn(this, () => runtimeConfigRequest(this, props.endpoint, {
      endpointConfigName: perExecutionName(this.namePrefix),
      modelName: jsonPathValue(props.modelName),
      variantName: props.variantName,
      modelRole: props.modelRole,
    }));
    if (needsSdkIntegration('createEndpointConfig', { ...request, Tags: props.tags }) !== sdk) {
      throw new Error(`DefineConfigStep: the request's fields (${Object.keys(request).join(', ')}) need another integration`);
    }
    this.request = request;
  }

  /** @internal */
  protected _renderRequest(): ApiRequest {
    return this.request;
  }

  /** @internal */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    return this.sdk ? { ...rendered, Resource: sdkResource('createEndpointConfig') } : rendered;
  }
}

/** Properties of a CreateEndpointStep or an UpdateEndpointStep. */
export interface MoveEndpointStepProps extends DeployStepProps {
  /** The configuration to deploy (a JSONPath or a literal), one of the endpoint's run-time configurations. */
  readonly endpointConfigPath: string;
}

/**
 * CreateEndpoint (for a deployment that finds the endpoint missing) or UpdateEndpoint (blue/
 * green, keeping autoscaled instance counts), request/response: waiting for the end is a
 * Wait + DescribeEndpoint loop. An instance quota refused (`ResourceLimitExceeded`) is tried
 * again every 60 seconds. Through the AWS SDK integration when the request carries the
 * endpoint's DeploymentConfig or the retained variant properties, which the optimized
 * integration does not take.
 */
export class MoveEndpointStep extends SageMakerTask {
  private readonly sdk: boolean;
  private readonly request: ApiRequest;
  private readonly sdkApi: string;

  constructor(scope: Construct, id: string, props: MoveEndpointStepProps & { readonly create: boolean }) {
    const api = props.create ? 'createEndpoint' : 'updateEndpoint';
    // The configuration the stage defined or read: always a path of the stage's own results.
    const configName = sfn.JsonPath.stringAt(props.endpointConfigPath);
    const request = props.create ? createEndpointRequest(props.endpoint, configName) : updateEndpointRequest(props.endpoint, configName);
    const sdk = needsSdkIntegration(api, { ...request, Tags: props.tags });
    super(scope, id, { ...props, resultPath: props.resultPath ?? sfn.JsonPath.DISCARD }, {
      api,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      resourceType: 'endpoint',
      actions: [props.create ? 'sagemaker:CreateEndpoint' : 'sagemaker:UpdateEndpoint'],
      startsCompute: true,
      retryInterval: sdk ? undefined : Duration.seconds(5),
      sdkIntegration: sdk,
    });
    validateIn(this, () => {
      // UpdateEndpoint takes no tags: tag the configuration instead.
      if (!props.create && props.tags) fail('tags cannot be set on an endpoint update (UpdateEndpoint takes none); tag the endpoint configuration instead');
    });
    this.sdk = sdk;
    this.sdkApi = api;
    this.request = request;
    const actions = props.create ? ['sagemaker:CreateEndpoint', ...(props.tags ? ['sagemaker:AddTags'] : [])] : ['sagemaker:UpdateEndpoint'];
    this.taskPolicies!.push(...deployStatements(props.endpoint, actions, this));
  }

  /** @internal */
  protected _renderRequest(): ApiRequest {
    return this.request;
  }

  /** @internal */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    return this.sdk ? { ...rendered, Resource: sdkResource(this.sdkApi) } : rendered;
  }
}

/**
 * DescribeEndpoint through the AWS SDK integration (Step Functions has no optimized one).
 * A missing endpoint (SageMaker's ValidationException "Could not find endpoint"), throttling
 * and access denied all surface as `SageMaker.SageMakerException`; the task's catch tells a
 * missing endpoint by `ENDPOINT_NOT_FOUND_CAUSE`. Its output is DescribeEndpoint's.
 */
export class DescribeEndpointStep extends SageMakerTask {
  /** The cause SageMaker gives for a missing endpoint, as a `StringMatches` pattern. */
  public static readonly ENDPOINT_NOT_FOUND_CAUSE = '*Could not find endpoint*';

  private readonly endpointName: string;

  constructor(scope: Construct, id: string, props: DeployStepProps) {
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
    this.taskPolicies!.push(...deployStatements(props.endpoint, ['sagemaker:DescribeEndpoint'], this));
  }

  /** @internal */
  protected _renderRequest(): ApiRequest {
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
