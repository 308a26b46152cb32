import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CREATE_ENDPOINT_CONFIG_RESULT, runtimeConfigApi } from './deploy-steps';
import { IDeployableEndpoint } from '../../hosting/deployable-endpoint';
import { ApiRequest, renderDataCapture, runtimeConfigArns } from '../../hosting/private/deployment';
import { ShadowSettings, endpointExtras, shadowInstanceType } from '../../hosting/private/shadow';
import { renderVariant, toApiShape } from '../../hosting/private/variants';
import { sdkResource, SageMakerSdkTask } from '../../jobs/private/sagemaker-sdk-task';
import { SageMakerTask, SageMakerTaskProps } from '../../jobs/sagemaker-task';
import { perExecutionName } from '../../private/names';
import { fail, validateIn } from '../../private/validate';

/*
 * The SageMaker calls of a shadow promotion (PromoteShadowStage) besides those it shares with
 * DeployStage (DescribeEndpoint, UpdateEndpoint, the cleanup): reading the configuration in
 * service, and defining the configuration whose production variant serves the shadow's model.
 */

/** The endpoint's shadow variant, refused at synth when the app does not know one (call within `validateIn`). */
export function shadowToPromote(endpoint: IDeployableEndpoint): ShadowSettings {
  const shadow = endpointExtras(endpoint).shadow;
  if (!shadow) {
    fail(`endpoint must have a shadowVariant to promote (a RealtimeEndpoint of this app defined with shadowVariant), got '${endpoint.node.path}' without one`);
  }
  const production = endpoint.variants[0];
  if (endpoint.variants.length !== 1 || !production) {
    fail(`endpoint must have exactly one production variant to promote its shadow into, got ${endpoint.variants.length}`);
  }
  const shadowType = shadowInstanceType(shadow);
  if (production.autoScaled && !Token.isUnresolved(shadowType) && shadowType !== production.instanceType.name) {
    fail(`endpoint's production variant '${production.variantName}' is autoscaled on ${production.instanceType.name}, and the shadow variant runs on ${shadowType}: SageMaker refuses an update that changes the instance type of an autoscaled variant. Test the shadow on ${production.instanceType.name}, or remove the production variant's autoScaling first`);
  }
  return shadow;
}

/**
 * DescribeEndpointConfig of the configuration in service (at `configNamePath`), the whole
 * answer at `resultPath` (a configuration without a shadow variant has no
 * `ShadowProductionVariants`, which a selector could not select).
 */
export function describeConfigStep(
  scope: Construct, id: string, endpoint: IDeployableEndpoint, stateName: string, configNamePath: string, resultPath: string,
): SageMakerSdkTask {
  // The configuration in service: one of the endpoint's run-time ones, or CloudFormation's.
  const configs = [runtimeConfigArns(endpoint, scope), ...(endpoint.definedConfigArn ? [endpoint.definedConfigArn] : [])];
  return new SageMakerSdkTask(scope, id, {
    stateName,
    api: 'describeEndpointConfig',
    resourceType: 'endpoint-config',
    request: { EndpointConfigName: sfn.JsonPath.stringAt(configNamePath) },
    statements: [new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpointConfig'], resources: configs })],
    resultPath,
  });
}

/** Properties of a PromoteConfigStep. */
export interface PromoteConfigStepProps extends SageMakerTaskProps {
  readonly endpoint: IDeployableEndpoint;
  /** The shadow's model (a JSONPath token: read from the configuration in service). */
  readonly modelName: string;
}

/**
 * CreateEndpointConfig (AWS SDK integration) of the configuration that promotes the shadow
 * variant: one production variant, named as the endpoint's production variant (its metrics,
 * rollback alarms and scaling keep their dimension), with the shadow variant's fleet (the one
 * the shadow test measured) and model, the endpoint's volume key and data capture (written
 * with the shadow model's role), and no shadow variant. Named `<runtimeConfigNamePrefix>-<uuid>`.
 */
export class PromoteConfigStep extends SageMakerTask {
  private readonly request: ApiRequest;

  constructor(scope: Construct, id: string, props: PromoteConfigStepProps) {
    super(scope, id, {
      ...props,
      resultSelector: props.resultSelector ?? CREATE_ENDPOINT_CONFIG_RESULT,
    }, runtimeConfigApi(props.endpoint, true));
    const endpoint = props.endpoint;
    const { EndpointConfigName: _name, ...request } = validateIn(this, () => {
      const shadow = shadowToPromote(endpoint);
      const production = endpoint.variants[0];
      const variant = renderVariant({ ...shadow, initialVariantWeight: production.initialVariantWeight }, production.variantName, props.modelName);
      return {
        EndpointConfigName: perExecutionName(this.namePrefix),
        ProductionVariants: [toApiShape(variant)],
        ...(endpoint.encryptionKey ? { KmsKeyId: endpoint.encryptionKey.keyArn } : {}),
        ...(endpoint.dataCapture ? { DataCaptureConfig: toApiShape(renderDataCapture(this, endpoint.dataCapture, [shadow.model])) } : {}),
      };
    });
    this.request = request;
  }

  /** @internal */
  protected _renderRequest(): ApiRequest {
    return this.request;
  }

  /** @internal */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    return { ...super._renderTask(topLevelQueryLanguage), Resource: sdkResource('createEndpointConfig') };
  }
}

/** How long a promotion may wait on the endpoint, for the workflow's timeout. */
export function promotionWaits(maxPolls: number, pollInterval: Duration): Duration {
  // The settle wait and the update each poll at most maxPolls times.
  return Duration.seconds(2 * maxPolls * pollInterval.toSeconds());
}
