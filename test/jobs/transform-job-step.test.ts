import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { JobS3Location, MlDataStore, ModelData, SageMakerImage, SageMakerInstanceType, SageMakerModel, TransformJobStep, TransformJobStepProps } from '../../lib';
import { iamPolicies, renderState, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; base: TransformJobStepProps } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(path.join(IMAGE_DIR, 'sample', 'model.tar.gz')) });
  const base: TransformJobStepProps = {
    model,
    input: JobS3Location.inBucket(store.dataBucket, 'batch/input'),
    output: JobS3Location.perExecution(store.artifactsBucket, 'batch/output'),
  };
  return { stack, base };
}

describe('TransformJobStep', () => {
  test('renders createTransformJob.sync with every option', () => {
    const { stack, base } = setup();
    const state = renderState(stack, new TransformJobStep(stack, 'Transform', {
      ...base,
      contentType: 'text/csv',
      splitType: tasks.SplitType.LINE,
      compressionType: tasks.CompressionType.GZIP,
      accept: 'text/csv',
      assembleWith: tasks.AssembleWith.LINE,
      batchStrategy: tasks.BatchStrategy.MULTI_RECORD,
      maxPayload: Size.mebibytes(6),
      maxConcurrentTransforms: 4,
      instanceType: SageMakerInstanceType.ML_C5_2XLARGE,
      instanceCount: 2,
      invocationTimeout: Duration.minutes(2),
      invocationMaxRetries: 1,
      environment: { MODEL_SERVER_WORKERS: '4' },
      tags: { team: 'pricing' },
    }));
    expect(state.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createTransformJob.sync');
    expect(state.Parameters).toEqual({
      'TransformJobName.$': expect.stringMatching(/^States\.Format\('transform-[0-9a-f]{8}-\{\}', States\.UUID\(\)\)$/),
      'ModelName': expect.stringMatching(/^\$\{Model[0-9A-F]+\.ModelName\}$/),
      'TransformInput': {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: expect.stringMatching(/\/batch\/input\/$/) } },
        ContentType: 'text/csv',
        SplitType: 'Line',
        CompressionType: 'Gzip',
      },
      'TransformOutput': {
        'S3OutputPath.$': expect.stringMatching(/\/batch\/output\/\{\}\/', \$\$\.Execution\.Name\)$/),
        'Accept': 'text/csv',
        'AssembleWith': 'Line',
        'KmsKeyId': expect.stringMatching(/^\$\{StoreKey[0-9A-F]+\.Arn\}$/),
      },
      'TransformResources': { InstanceType: 'ml.c5.2xlarge', InstanceCount: 2 },
      'BatchStrategy': 'MultiRecord',
      'MaxPayloadInMB': 6,
      'MaxConcurrentTransforms': 4,
      'ModelClientConfig': { InvocationsTimeoutInSeconds: 120, InvocationsMaxRetries: 1 },
      'Environment': { MODEL_SERVER_WORKERS: '4' },
      'Tags': [{ Key: 'team', Value: 'pricing' }],
    });
    expect(state.Retry.map((r: any) => r.ErrorEquals[0])).toEqual(['SageMaker.ResourceLimitExceededException']);
    expect(state.Catch.map((c: any) => c.ErrorEquals[0])).toEqual(['SageMaker.AmazonSageMakerException']);
    // CreateTransformJob has no stopping condition: the task's own timeout bounds the job (1 day by default).
    expect(state.TimeoutSeconds).toBe(86400);
    expect(state.QueryLanguage).toBe('JSONPath');
  });

  test('takes a model whose name is read from the state, and grants the model role the input and output', () => {
    const { stack, base } = setup();
    const model = SageMakerModel.fromModelAttributes(stack, 'RunTime', { modelName: sfn.JsonPath.stringAt('$.results.model.ModelName'), role: base.model.role });
    const state = renderState(stack, new TransformJobStep(stack, 'Transform', { ...base, model }));
    expect(state.Parameters['ModelName.$']).toBe('$.results.model.ModelName');
    const json = JSON.stringify(iamPolicies(stack));
    expect(json).toContain('/batch/input/*');
    expect(json).toContain('/batch/output/*');
    expect(json).toMatch(/"Action":\["sagemaker:AddTags","sagemaker:CreateTransformJob","sagemaker:DescribeTransformJob","sagemaker:StopTransformJob"\],"Effect":"Allow","Resource":"arn:aws:sagemaker:us-east-1:123456789012:transform-job\/transform-[0-9a-f]{8}-\*"/);
    expect(json).toContain('{"Action":"sagemaker:ListTags","Effect":"Allow","Resource":"*"}');
    // TransformOutput.KmsKeyId is the output bucket's key: the model's role may encrypt with it.
    expect(json).toContain('{"Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey"],"Effect":"Allow","Resource":{"Fn::GetAtt":["StoreKey7A3C02BD","Arn"]}}');
    expect(json).toContain('rule/StepFunctionsGetEventsForSageMakerTransformJobsRule');
    expect(json).not.toContain('iam:PassRole');
  });

  test.each<[Partial<TransformJobStepProps>, RegExp]>([
    [{ maxPayload: Size.mebibytes(101) }, /maxPayload \(MB\) must be an integer between 0 and 100, got 101/],
    [{ maxPayload: Size.mebibytes(0), batchStrategy: tasks.BatchStrategy.MULTI_RECORD }, /maxPayload must be greater than 0 with batchStrategy MultiRecord/],
    [{ instanceType: { name: 'c5.large' } as SageMakerInstanceType }, /instanceType must be a SageMaker instance type/],
    [{ instanceCount: 0 }, /instanceCount must be an integer between 1 and 100, got 0/],
    [{ invocationMaxRetries: 4 }, /invocationMaxRetries must be an integer between 0 and 3, got 4/],
    [{ invocationTimeout: Duration.hours(2) }, /invocationTimeout must be a whole number of seconds between 1 and 3600/],
    [{ jobNamePrefix: '-bad' }, /jobNamePrefix must be letters, digits and single hyphens/],
    [{ integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE }, /^Test\/Transform: integrationPattern must be RUN_JOB for createTransformJob/],
    [{ maxConcurrentTransforms: 20, maxPayload: Size.mebibytes(6) }, /^Test\/Transform: maxConcurrentTransforms x maxPayload must be at most 100 MB, got 20 x 6 MB = 120 MB/],
    [{ maxConcurrentTransforms: 17 }, /maxConcurrentTransforms x maxPayload must be at most 100 MB, got 17 x 6 MB = 102 MB \(maxPayload defaults to 6 MB\)/],
    [{ instanceType: SageMakerInstanceType.ML_G4DN_XLARGE, volumeEncryptionKey: {} as any }, /volumeEncryptionKey must not be set for instanceType 'ml.g4dn.xlarge'/],
    [{ maxRuntime: Duration.seconds(30) }, /maxRuntime must be a whole number of seconds between 60 and 31536000/],
  ])('rejects %p', (override, error) => {
    const { stack, base } = setup();
    expect(() => new TransformJobStep(stack, 'Transform', { ...base, ...override })).toThrow(error);
  });
});
