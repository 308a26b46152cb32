import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { endpointExtras, renderShadow } from './shadow';
import { renderVariant, toApiShape } from './variants';
import { S3AccessMode } from '../../data/job-s3-location';
import { registerWildcardResource } from '../../private/nag';
import { constructNamePrefix, MAX_NAME_PREFIX_LENGTH } from '../../private/names';
import { fail, validateInteger, validateLength, validateNumber, validatePattern } from '../../private/validate';
import { AsyncInferenceSettings, DataCaptureOptions, IDeployableEndpoint } from '../deployable-endpoint';

/*
 * What a deployment through an IDeployableEndpoint renders and needs, from the endpoint's
 * public, typed settings: the run-time configuration's request, the create and update
 * requests, the deploy role's statements, and the grants of the model it serves. The
 * requests are SageMaker API shapes for the steps of lib/stages/private/deploy-steps.ts.
 */

/** A SageMaker API request (PascalCase fields); values may be JSONPath tokens. */
export type ApiRequest = { [key: string]: any };

/** The prefix of run-time configuration names: `<prefix>-<uuid>` fits SageMaker's 63 characters. */
export function runtimeConfigNamePrefix(scope: IConstruct, kind: string, given?: string): string {
  if (given !== undefined) {
    if (Token.isUnresolved(given)) fail('runtimeConfigNamePrefix must be a literal (it scopes grantDeploy\'s policy), got a token');
    validateLength('runtimeConfigNamePrefix', given, 1, MAX_NAME_PREFIX_LENGTH);
    validatePattern('runtimeConfigNamePrefix', given, /^[a-z0-9](-*[a-z0-9])*$/, 'lowercase letters, digits and single hyphens');
    return given;
  }
  return constructNamePrefix(scope, kind);
}

/**
 * The ARN pattern of the endpoint's run-time configurations (SageMaker lowercases names in
 * ARNs), registered as the one wildcard a deployment's policy needs, in the stack of `scope`
 * (the state machine's, which may not be the endpoint's).
 */
export function runtimeConfigArns(endpoint: IDeployableEndpoint, scope: IConstruct): string {
  const configs = Stack.of(endpoint).formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: `${endpoint.runtimeConfigNamePrefix}-*` });
  registerWildcardResource(scope, configs,
    `Workflows name the configurations they define for endpoint ${endpoint.node.path} '${endpoint.runtimeConfigNamePrefix}-<uuid>' at run time; the policy is limited to that name prefix.`);
  return configs;
}

/**
 * What a caller of `actions` on the endpoint needs: the actions on the endpoint and its
 * run-time configurations (CreateEndpoint and UpdateEndpoint authorize the configuration
 * they deploy as well), and for CreateEndpoint/UpdateEndpoint the volume key (SageMaker
 * attaches the new fleet's encrypted volumes through a grant made in the caller's name) and
 * the rollback alarms (SageMaker's deployment guardrails: the caller must be allowed
 * `cloudwatch:DescribeAlarms` on them).
 */
export function deployStatements(endpoint: IDeployableEndpoint, actions: string[], scope: IConstruct): iam.PolicyStatement[] {
  const configs = runtimeConfigArns(endpoint, scope);
  // An update may also move the endpoint back to the configuration it was defined with (a rollback).
  const defined = actions.includes('sagemaker:UpdateEndpoint') && endpoint.definedConfigArn ? [endpoint.definedConfigArn] : [];
  const statements = [new iam.PolicyStatement({ actions, resources: [configs, ...defined, endpoint.endpointArn] })];
  if (!actions.some(a => /^sagemaker:(Create|Update)Endpoint$/.test(a))) return statements;
  if (endpoint.encryptionKey) {
    statements.push(new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [endpoint.encryptionKey.keyArn] }));
    statements.push(new iam.PolicyStatement({
      actions: ['kms:CreateGrant'],
      resources: [endpoint.encryptionKey.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }));
  }
  if (endpoint.rollbackAlarms.length) {
    statements.push(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: endpoint.rollbackAlarms.map(alarm => alarm.alarmArn) }));
  }
  return statements;
}

/** `grantDeploy` of every deployable endpoint: one Grant with every statement it adds. */
export function grantDeploy(endpoint: IDeployableEndpoint, grantee: iam.IGrantable): iam.Grant {
  // The wildcard is acknowledged in the grantee's stack, where its policy is.
  const scope = Construct.isConstruct(grantee) ? grantee : endpoint;
  let grant = iam.Grant.addToPrincipal({
    grantee,
    actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:AddTags', 'sagemaker:ListTags'],
    resourceArns: [runtimeConfigArns(endpoint, scope)],
  });
  const actions = ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:DescribeEndpoint', 'sagemaker:ListTags'];
  for (const statement of deployStatements(endpoint, actions, scope)) {
    const conditions = statement.conditions as Record<string, Record<string, unknown>>;
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee, actions: statement.actions, resourceArns: statement.resources, conditions: Object.keys(conditions).length ? conditions : undefined,
    }));
  }
  return grant;
}

/**
 * The data capture of an endpoint configuration (CloudFormation shape), its destination
 * bound for `writers` (SageMaker writes captures with the serving models' roles).
 */
export function renderDataCapture(
  scope: Construct, capture: DataCaptureOptions, writers: iam.IGrantable[],
): sagemaker.CfnEndpointConfig.DataCaptureConfigProperty {
  validateNumber('dataCapture.samplingPercentage', capture.samplingPercentage, 0, 100);
  validateInteger('dataCapture.samplingPercentage', capture.samplingPercentage, 0, 100);
  const modes = [
    ...(capture.captureRequest ?? true ? [{ captureMode: 'Input' }] : []),
    ...(capture.captureResponse ?? true ? [{ captureMode: 'Output' }] : []),
  ];
  if (modes.length === 0) fail('dataCapture must capture requests, responses or both; got captureRequest and captureResponse false');
  let destination: { uri: string; isExpression: boolean; encryptionKey?: kms.IKey } | undefined;
  for (const w of writers) destination = capture.destination.bind(scope, w, S3AccessMode.WRITE);
  if (!destination) fail('dataCapture needs the role of the model that serves, got none');
  if (destination.isExpression) fail('dataCapture.destination must be a fixed location (JobS3Location.inBucket), not one computed at run time');
  const key = capture.encryptionKey ?? destination.encryptionKey;
  if (capture.encryptionKey) writers.forEach(w => capture.encryptionKey!.grant(w, 'kms:GenerateDataKey', 'kms:Decrypt'));
  return {
    enableCapture: true,
    initialSamplingPercentage: capture.samplingPercentage ?? 100,
    destinationS3Uri: destination.uri,
    kmsKeyId: key?.keyArn,
    captureOptions: modes,
  };
}

/**
 * The asynchronous inference config (CloudFormation shape), its locations bound for the
 * serving model's role: SageMaker writes responses, encrypts them and publishes the
 * notifications with it.
 */
export function renderAsyncInference(
  scope: Construct, settings: AsyncInferenceSettings, model: iam.IGrantable,
): sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty {
  validateInteger('asyncInference.maxConcurrentInvocationsPerInstance', settings.maxConcurrentInvocationsPerInstance, 1, 1000);
  const output = settings.outputLocation.bind(scope, model, S3AccessMode.WRITE);
  const failure = settings.failureLocation?.bind(scope, model, S3AccessMode.WRITE);
  if (output.isExpression || failure?.isExpression) {
    fail('outputLocation and failureLocation must be fixed locations (JobS3Location.inBucket), not computed at run time');
  }
  const topics = [settings.successTopic, settings.errorTopic].filter((t): t is sns.ITopic => t !== undefined);
  if (topics.length) {
    // sns:Publish on the topics; the key grant below (grantPublish would add kms:GenerateDataKey*).
    model.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [...new Set(topics.map(t => t.topicArn))] }));
    // SNS encrypts with the topic's key in the publisher's name.
    new Set(topics.map(t => t.masterKey).filter((k): k is kms.IKey => k !== undefined)).forEach(k => k.grant(model, 'kms:GenerateDataKey', 'kms:Decrypt'));
  }
  // SageMaker encrypts the responses with the output key in the model role's name
  // (API Reference, AsyncInferenceOutputConfig KmsKeyId: kms:Encrypt).
  const outputKey = settings.outputEncryptionKey ?? output.encryptionKey;
  outputKey?.grant(model, 'kms:Encrypt', 'kms:GenerateDataKey');
  const notify = settings.successTopic || settings.errorTopic;
  return {
    clientConfig: settings.maxConcurrentInvocationsPerInstance
      ? { maxConcurrentInvocationsPerInstance: settings.maxConcurrentInvocationsPerInstance }
      : undefined,
    outputConfig: {
      s3OutputPath: output.uri,
      s3FailurePath: failure?.uri,
      kmsKeyId: outputKey?.keyArn,
      notificationConfig: notify ? {
        successTopic: settings.successTopic?.topicArn,
        errorTopic: settings.errorTopic?.topicArn,
        includeInferenceResponseIn: settings.includeResponseInNotifications ? ['SUCCESS_NOTIFICATION_TOPIC', 'ERROR_NOTIFICATION_TOPIC'] : undefined,
      } : undefined,
    },
  };
}

/** What a run-time configuration of the endpoint serves. */
export interface RuntimeConfigOptions {
  /** The configuration's name (a JSONPath token or a literal). */
  readonly endpointConfigName: string;
  /** The model served (a JSONPath token or a literal). */
  readonly modelName: string;
  /** The variant that serves it; the others keep their own models. */
  readonly variantName?: string;
  /** The deployed model's role, which writes the data capture and the asynchronous responses. */
  readonly modelRole?: iam.IGrantable;
}

/** Refuses at synth what a run-time configuration of the endpoint could not serve. */
export function validateRuntimeConfig(endpoint: IDeployableEndpoint, options: Omit<RuntimeConfigOptions, 'endpointConfigName'>): void {
  const names = endpoint.variants.map(v => v.variantName);
  const variantName = options.variantName;
  if (variantName !== undefined && !Token.isUnresolved(variantName) && !names.includes(variantName)) {
    fail(`variantName must be one of ${names.join(', ')}, got '${variantName}' (the variants of endpoint '${endpoint.node.path}')`);
  }
  if (variantName !== undefined) {
    const unknown = endpoint.variants.filter(v => v.variantName !== variantName && v.modelName === undefined).map(v => v.variantName);
    if (unknown.length) {
      fail(`variantName '${variantName}' keeps the other variants' models, but the models of ${unknown.join(', ')} of endpoint '${endpoint.node.path}' are unknown: state their modelName, or deploy to every variant`);
    }
  }
  if (!options.modelRole && (endpoint.dataCapture || endpoint.asyncInference)) {
    const what = endpoint.dataCapture ? 'captures data' : 'is asynchronous (responses and notifications)';
    fail(`modelRole is required: endpoint '${endpoint.node.path}' ${what}, which SageMaker writes with the deployed model's role`);
  }
}

/**
 * The CreateEndpointConfig request of a configuration that serves another model with the
 * endpoint's own settings (variants, volume key, data capture, asynchronous inference): a
 * model deployed at run time cannot downgrade the endpoint. Binds the capture and response
 * locations for the model's role.
 */
export function runtimeConfigRequest(scope: Construct, endpoint: IDeployableEndpoint, options: RuntimeConfigOptions): ApiRequest {
  validateRuntimeConfig(endpoint, options);
  const role = options.modelRole;
  // A shadow test goes on with the new production model; the routing strategies stay.
  const { routing, shadow } = endpointExtras(endpoint);
  const writers = role ? [role, ...(shadow ? [shadow.model] : [])] : [];
  return {
    EndpointConfigName: options.endpointConfigName,
    ProductionVariants: endpoint.variants.map(v => {
      const serves = options.variantName === undefined || options.variantName === v.variantName;
      return toApiShape(renderVariant({ ...v, model: { modelName: v.modelName ?? '' }, routingStrategy: routing[v.variantName] }, v.variantName, serves ? options.modelName : undefined));
    }),
    ...(shadow ? { ShadowProductionVariants: [toApiShape(renderShadow(shadow, endpoint.variants[0]?.initialVariantWeight))] } : {}),
    ...(endpoint.encryptionKey ? { KmsKeyId: endpoint.encryptionKey.keyArn } : {}),
    ...(endpoint.dataCapture && role ? { DataCaptureConfig: toApiShape(renderDataCapture(scope, endpoint.dataCapture, writers)) } : {}),
    ...(endpoint.asyncInference && role ? { AsyncInferenceConfig: toApiShape(renderAsyncInference(scope, endpoint.asyncInference, role)) } : {}),
  };
}

/** Whether the run-time configuration has fields the optimized integration does not take. */
export function runtimeConfigNeedsSdk(endpoint: IDeployableEndpoint): boolean {
  return endpoint.dataCapture !== undefined || endpoint.asyncInference !== undefined || endpointExtras(endpoint).shadow !== undefined;
}

/**
 * The UpdateEndpoint request that moves the endpoint to another configuration with its
 * deployment config (blue/green, rollback alarms), keeping autoscaled instance counts as
 * the CloudFormation endpoint does.
 */
export function updateEndpointRequest(endpoint: IDeployableEndpoint, endpointConfigName: string): ApiRequest {
  const autoscaled = endpoint.variants.some(v => v.autoScaled);
  return {
    EndpointName: endpoint.endpointName,
    EndpointConfigName: endpointConfigName,
    ...(endpoint.deploymentConfig ? { DeploymentConfig: toApiShape(endpoint.deploymentConfig) } : {}),
    RetainAllVariantProperties: true,
    ExcludeRetainedVariantProperties: (autoscaled ? ['DesiredWeight'] : ['DesiredWeight', 'DesiredInstanceCount']).map(VariantPropertyType => ({ VariantPropertyType })),
  };
}

/** The CreateEndpoint request that defines the endpoint with another configuration, for a deployment that finds it missing. */
export function createEndpointRequest(endpoint: IDeployableEndpoint, endpointConfigName: string): ApiRequest {
  return {
    EndpointName: endpoint.endpointName,
    EndpointConfigName: endpointConfigName,
    ...(endpoint.deploymentConfig ? { DeploymentConfig: toApiShape(endpoint.deploymentConfig) } : {}),
  };
}
