/**
 * The APIs the local runtime serves, per botocore service name, in the API's own spelling.
 * `api-models.generated.ts` holds their request shapes (regenerate it after changing this).
 */
export const SERVED_APIS: Record<string, string[]> = {
  sagemaker: [
    'CreateTrainingJob', 'CreateProcessingJob', 'CreateTransformJob', 'CreateHyperParameterTuningJob',
    'DescribeTrainingJob', 'DescribeProcessingJob', 'DescribeTransformJob', 'DescribeHyperParameterTuningJob',
    'CreateModel', 'DescribeModel', 'DeleteModel',
    'CreateEndpointConfig', 'DescribeEndpointConfig', 'ListEndpointConfigs', 'DeleteEndpointConfig',
    'CreateEndpoint', 'UpdateEndpoint', 'DescribeEndpoint', 'DeleteEndpoint',
    'ListTags',
    'CreateModelPackage', 'DescribeModelPackage', 'UpdateModelPackage',
    'CreateInferenceComponent', 'DescribeInferenceComponent', 'UpdateInferenceComponent', 'DeleteInferenceComponent',
  ],
  // Step Functions spells the SageMaker runtime `sagemakerruntime`; botocore, `sagemaker-runtime`.
  sagemakerruntime: ['InvokeEndpoint'],
  s3: ['GetObject', 'PutObject', 'HeadObject', 'ListObjectsV2'],
  sns: ['Publish'],
  cloudwatch: ['PutMetricData'],
};
