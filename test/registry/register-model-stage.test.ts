import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ChannelDataSource, JobS3Location, MlDataStore, SageMakerImage, SageMakerInstanceType } from '../../lib';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { ModelApprovalStatus, RegisterModelStage, RegisterModelStageProps } from '../../lib/stages/register-model-stage';
import { TrainingStage } from '../../lib/stages/training-stage';
import { definitionOf, iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; train: TrainingStage; group: ModelPackageGroup; props: RegisterModelStageProps; store: MlDataStore } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const image = SageMakerImage.fromAsset(IMAGE_DIR);
  const train = new TrainingStage(stack, 'train', {
    image,
    channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
    outputLocation: JobS3Location.perExecution(store.artifactsBucket, 'models'),
    maxRuntime: Duration.hours(1),
  });
  const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'churn' });
  return { stack, train, group, store, props: { modelPackageGroup: group, image, modelData: train.modelArtifacts } };
}

describe('RegisterModelStage', () => {
  test('registers the trained model as a version pending approval, with the evaluation report as model metrics', () => {
    // GIVEN
    const { stack, train, props, store } = setup();
    // WHEN
    const register = new RegisterModelStage(stack, 'register', {
      ...props,
      contentTypes: ['text/csv'],
      responseContentTypes: ['application/json'],
      realtimeInstanceTypes: [SageMakerInstanceType.ML_M5_LARGE],
      evaluationReport: { object: JobS3Location.perExecution(store.artifactsBucket, 'evaluation').objectKey('evaluation.json') },
    });
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(train.next(register)) });
    // THEN
    const state = definitionOf(stack).States.register;
    expect(state.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createModelPackage');
    expect(state.Parameters).toEqual({
      ModelPackageGroupName: 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn',
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ 'Image': expect.stringMatching(/^123456789012\.dkr\.ecr\.us-east-1\./), 'ModelDataUrl.$': '$.results.train.ModelArtifacts.S3ModelArtifacts' }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['application/json'],
        SupportedRealtimeInferenceInstanceTypes: ['ml.m5.large'],
      },
      ModelMetrics: {
        ModelQuality: {
          Statistics: {
            'ContentType': 'application/json',
            'S3Uri.$': expect.stringMatching(/^States.Format\('s3:\/\/\$\{StoreArtifactsBucket[0-9A-F]+\}\/\{\}', States.Format\('evaluation\/\{\}\/evaluation.json', \$\$.Execution.Name\)\)$/),
          },
        },
      },
    });
    expect(state.ResultSelector).toEqual({ 'ModelPackageArn.$': '$.ModelPackageArn' });
    expect(state.ResultPath).toBe('$.results.register');
    // SageMaker's generic SDK error is classified by its cause first (throttling retried, a refused request fails at once).
    expect(state.Catch).toEqual([
      { ErrorEquals: ['SageMaker.SageMakerException'], ResultPath: '$.error', Next: 'register: transient?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'register failed' },
    ]);
    expect(stack.resolve(register.modelPackageArn)).toBe('$.results.register.ModelPackageArn');

    // The state machine may create versions in this group only (the Service Authorization
    // Reference authorizes CreateModelPackage on the model-package resource type alone).
    const statements = Object.values<any>(iamPolicies(stack)).flatMap(p => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: 'sagemaker:CreateModelPackage',
      Resource: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/*',
    }));
    expect(nagFindings(stack).filter(f => f.startsWith('AwsSolutions-IAM5') && f.includes('Machine'))).toEqual([]);
  });

  test('approves at once when asked (the stage runs only after the gate passed)', () => {
    const { stack, train, props } = setup();
    const register = new RegisterModelStage(stack, 'register', { ...props, approvalStatus: ModelApprovalStatus.APPROVED });
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(train.next(register)) });
    const state = definitionOf(stack).States.register;
    expect(state.Parameters.ModelApprovalStatus).toBe('Approved');
    expect(state.Parameters.InferenceSpecification.SupportedContentTypes).toEqual(['application/json']);
    expect(state.Parameters.ModelMetrics).toBeUndefined();
  });

  test.each([
    [{ contentTypes: [] }, /Test\/register: contentTypes must have at least one content type, got none/],
    [{ contentTypes: ['csv'] }, /Test\/register: contentTypes\[\] must be a MIME type such as 'text\/csv', got 'csv'/],
    [{ realtimeInstanceTypes: [{ name: 'm5.large' } as SageMakerInstanceType] }, /realtimeInstanceTypes\[\] must be a SageMaker instance type/],
    [{ description: 'x'.repeat(1025) }, /description must be between 0 and 1024 characters long, got 1025/],
  ])('rejects bad input %#', (override, error) => {
    const { stack, props } = setup();
    expect(() => new RegisterModelStage(stack, 'register', { ...props, ...override })).toThrow(error);
  });
});
