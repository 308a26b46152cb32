/*
 * The request fields an optimized SageMaker integration (`arn:aws:states:::sagemaker:<api>`)
 * may carry, per API.
 *
 * Step Functions validates an optimized integration's Parameters when the state machine is
 * created and refuses a field it does not support ("SCHEMA_VALIDATION_FAILED: The field "X" is
 * not supported by Step Functions": aws/aws-cdk#10014,
 * aws/aws-step-functions-data-science-sdk-python#200). Its developer guide
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html) names the APIs
 * but no longer lists their fields, so the conservative reference is what aws-cdk-lib's own
 * task for the API renders (aws-cdk-lib 2.276.0,
 * aws-stepfunctions-tasks/lib/sagemaker/{create-endpoint,update-endpoint,create-endpoint-config,
 * create-model,create-training-job,create-transform-job}.ts), plus a field Step Functions'
 * maintainers have stated is supported (cited where it is listed). aws-cdk-lib has no task for
 * CreateProcessingJob or CreateHyperParameterTuningJob: those APIs have no list here and are
 * not checked.
 *
 * A call that needs another field (DeploymentConfig, RetainAllVariantProperties,
 * ExcludeRetainedVariantProperties, DataCaptureConfig, AsyncInferenceConfig, a training job's
 * CheckpointConfig or EnableInterContainerTrafficEncryption, ...) goes through the AWS SDK
 * integration (`arn:aws:states:::aws-sdk:sagemaker:<api>`), which takes every field of the API
 * (a training job then polls DescribeTrainingJob: training-job-poll.ts).
 *
 * The local runtime keeps a copy of this table (local/src/optimized-fields.ts: the tools
 * package does not import the construct package); test/local/optimized-fields.test.ts keeps
 * the two equal.
 */
export const OPTIMIZED_SAGEMAKER_FIELDS: { readonly [api: string]: readonly string[] } = {
  createEndpoint: ['EndpointConfigName', 'EndpointName', 'Tags'],
  updateEndpoint: ['EndpointConfigName', 'EndpointName'],
  createEndpointConfig: ['EndpointConfigName', 'ProductionVariants', 'KmsKeyId', 'Tags'],
  createModel: ['ExecutionRoleArn', 'ModelName', 'PrimaryContainer', 'Containers', 'EnableNetworkIsolation', 'VpcConfig', 'Tags'],
  createTrainingJob: [
    'TrainingJobName', 'EnableNetworkIsolation', 'RoleArn', 'AlgorithmSpecification', 'InputDataConfig', 'OutputDataConfig',
    'ResourceConfig', 'StoppingCondition', 'HyperParameters', 'Tags', 'VpcConfig', 'Environment',
    // Not rendered by aws-cdk-lib's task, but supported: "The `EnableManagedSpotTraining` parameter is
    // now supported in `CreateTrainingJob`" (a Step Functions maintainer, shivlaks, 2021-09-11, on
    // aws/aws-step-functions-data-science-sdk-python#42, after vaib-amz's 2020-04-28 answer that it was not).
    'EnableManagedSpotTraining',
  ],
  createTransformJob: [
    'BatchStrategy', 'Environment', 'MaxConcurrentTransforms', 'MaxPayloadInMB', 'ModelClientConfig', 'ModelName', 'Tags',
    'TransformInput', 'TransformJobName', 'TransformOutput', 'TransformResources',
  ],
};

/** A request field's name without the `.$` of a JSONPath value. */
function fieldName(key: string): string {
  return key.endsWith('.$') ? key.slice(0, -2) : key;
}

/**
 * The top-level fields of `request` (rendered or not: `X` and `X.$` alike; undefined values
 * are left out, as rendering drops them) that the optimized integration of `api` does not
 * take. An API without a list here takes any field.
 */
export function unsupportedOptimizedFields(api: string, request: { [key: string]: any }): string[] {
  const allowed = OPTIMIZED_SAGEMAKER_FIELDS[api];
  if (!allowed) return [];
  return Object.entries(request)
    .filter(([, value]) => value !== undefined)
    .map(([key]) => fieldName(key))
    .filter(field => !allowed.includes(field));
}

/**
 * Whether a call of `api` with `request` needs the AWS SDK integration: it sends a field the
 * optimized integration does not take.
 */
export function needsSdkIntegration(api: string, request: { [key: string]: any }): boolean {
  return unsupportedOptimizedFields(api, request).length > 0;
}
