import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { grantDeploy, runtimeConfigNamePrefix } from './deployment';
import { endpointArnOf } from './endpoint-arn';
import { generatedEndpointName, validateVariant } from './variants';
import { fail, validateCount, validateIn, validateUnique } from '../../private/validate';
import { AsyncInferenceSettings, DataCaptureOptions, DeployableVariant, IDeployableEndpoint } from '../deployable-endpoint';
import { InferenceEndpointBase } from '../inference-endpoint';

/** What an import of an endpoint defined elsewhere states. */
export interface ImportedEndpointSettings {
  readonly endpointName: string;
  readonly variants: DeployableVariant[];
  readonly runtimeConfigNamePrefix?: string;
  readonly encryptionKey?: kms.IKey;
  readonly dataCapture?: DataCaptureOptions;
  readonly asyncInference?: AsyncInferenceSettings;
  readonly endpointConfigName?: string;
  readonly rollbackAlarms?: cloudwatch.IAlarm[];
  readonly deploymentConfig?: sagemaker.CfnEndpoint.DeploymentConfigProperty;
  readonly deploymentTimeout?: Duration;
}

/** An endpoint by name only: metrics and invoke grants. */
export class ImportedEndpoint extends InferenceEndpointBase {
  public readonly endpointName: string;
  public readonly endpointArn: string;
  protected readonly defaultVariantName: string;
  protected readonly invokeActions: string[];

  constructor(scope: Construct, id: string, endpointName: string, asynchronous: boolean, variantName = 'AllTraffic') {
    super(scope, id);
    this.endpointName = endpointName;
    this.endpointArn = endpointArnOf(this, endpointName);
    this.defaultVariantName = variantName;
    this.invokeActions = asynchronous ? ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync'] : ['sagemaker:InvokeEndpoint'];
  }
}

/**
 * An endpoint defined elsewhere (another app, the console, a team's own pipeline) that
 * workflows of this app deploy to: the team states the variants and settings a run-time
 * configuration must carry.
 */
export class ImportedDeployableEndpoint extends ImportedEndpoint implements IDeployableEndpoint {
  public readonly variants: DeployableVariant[];
  public readonly runtimeConfigNamePrefix: string;
  public readonly encryptionKey?: kms.IKey;
  public readonly dataCapture?: DataCaptureOptions;
  public readonly asyncInference?: AsyncInferenceSettings;
  public readonly deploymentConfig?: sagemaker.CfnEndpoint.DeploymentConfigProperty;
  public readonly rollbackAlarms: cloudwatch.IAlarm[];
  public readonly deploymentTimeout?: Duration;
  public readonly definedConfigArn?: string;

  constructor(scope: Construct, id: string, settings: ImportedEndpointSettings) {
    super(scope, id, settings.endpointName, settings.asyncInference !== undefined, settings.variants?.[0]?.variantName);
    validateIn(this, () => {
      generatedEndpointName(this, settings.endpointName);
      const variants = settings.variants ?? [];
      if (variants.length === 0) fail('variants must state the endpoint\'s production variants (a run-time configuration gets the same), got none');
      validateCount('variants', variants.length, 10);
      variants.forEach((v, i) => validateVariant(`variants[${i}]`, { ...v, model: { modelName: v.modelName ?? '' } }));
      validateUnique('variants[].variantName', variants.map(v => v.variantName));
      if (settings.asyncInference && variants.length !== 1) fail(`variants of an asynchronous endpoint must be one, got ${variants.length}`);
    });
    this.variants = settings.variants;
    const kind = Token.isUnresolved(settings.endpointName) ? id : settings.endpointName;
    this.runtimeConfigNamePrefix = validateIn(this, () => runtimeConfigNamePrefix(this, kind, settings.runtimeConfigNamePrefix));
    this.encryptionKey = settings.encryptionKey;
    this.dataCapture = settings.dataCapture;
    this.asyncInference = settings.asyncInference;
    this.deploymentConfig = settings.deploymentConfig;
    this.rollbackAlarms = settings.rollbackAlarms ?? [];
    this.deploymentTimeout = settings.deploymentTimeout;
    const configName = settings.endpointConfigName;
    this.definedConfigArn = configName === undefined ? undefined : Stack.of(this).formatArn({
      service: 'sagemaker', resource: 'endpoint-config', resourceName: Token.isUnresolved(configName) ? configName : configName.toLowerCase(),
    });
  }

  public grantDeploy(grantee: iam.IGrantable): iam.Grant {
    return grantDeploy(this, grantee);
  }
}
