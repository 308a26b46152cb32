import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AsyncEndpoint, JobS3Location, MlDataStore, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel, ServerlessEndpoint } from '../../lib';
import { testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

describe('IInferenceEndpoint', () => {
  test('is an aws-cdk-lib sagemaker.IEndpoint: an API Gateway SageMaker integration takes it', () => {
    const stack = testStack();
    const endpoint = RealtimeEndpoint.fromEndpointName(stack, 'Imported', 'Team-Forecast');
    expect(endpoint.endpointRef).toEqual({ endpointArn: endpoint.endpointArn });
    const api = new apigateway.RestApi(stack, 'Api');
    const role = new iam.Role(stack, 'ApiRole', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    api.root.addMethod('POST', new apigateway.SagemakerIntegration(endpoint, { credentialsRole: role }));
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: { Uri: 'arn:aws:apigateway:us-east-1:runtime.sagemaker:path/endpoints/Team-Forecast/invocations' },
    });
  });

  test('defined endpoints too (serverless, asynchronous)', () => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR) });
    const api = new apigateway.RestApi(stack, 'Api');
    const serverless = new ServerlessEndpoint(stack, 'Serverless', { model });
    const asynchronous = new AsyncEndpoint(stack, 'Async', { model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'async/') });
    for (const [name, e] of [['s', serverless], ['a', asynchronous]] as const) {
      api.root.addResource(name).addMethod('POST', new apigateway.SagemakerIntegration(e));
      expect(stack.resolve(e.endpointRef.endpointArn)).toEqual(stack.resolve(e.endpointArn));
    }
  });

  test.each([
    ['metricCPUUtilization', 'CPUUtilization'],
    ['metricMemoryUtilization', 'MemoryUtilization'],
    ['metricGPUUtilization', 'GPUUtilization'],
    ['metricGPUMemoryUtilization', 'GPUMemoryUtilization'],
    ['metricDiskUtilization', 'DiskUtilization'],
  ] as const)('%s is the instance metric %s in /aws/sagemaker/Endpoints', (method, metricName) => {
    const stack = testStack();
    const endpoint = RealtimeEndpoint.fromEndpointAttributes(stack, 'Imported', { endpointName: 'team', variants: [{ variantName: 'Blue', instanceType: SageMakerInstanceType.ML_M5_LARGE }] });
    const metric = endpoint[method]();
    expect({ namespace: metric.namespace, metricName: metric.metricName, dimensions: metric.dimensions, statistic: metric.statistic }).toEqual({
      namespace: '/aws/sagemaker/Endpoints', metricName, dimensions: { EndpointName: 'team', VariantName: 'Blue' }, statistic: 'Average',
    });
  });

  test('the invocation metrics stay in AWS/SageMaker', () => {
    const endpoint = ServerlessEndpoint.fromEndpointName(testStack(), 'Imported', 'team');
    expect(endpoint.metricInvocations().namespace).toBe('AWS/SageMaker');
  });
});
