import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  CreateModelStage, JobS3Location, MlDataStore, ProcessingStage, S3AccessMode, SageMakerImage, SageMakerWorkflow, TrainingStage, WorkflowStage,
} from '../../lib';
import { definitionOf, iamPolicies, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; store: MlDataStore; image: SageMakerImage } {
  const stack = testStack();
  return { stack, store: new MlDataStore(stack, 'Store'), image: SageMakerImage.fromAsset(IMAGE_DIR) };
}

/** A stage of a user's own: a bounded wait, declared for the timeout. */
class Cooldown extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  constructor(scope: Construct, id: string, wait: Duration) {
    super(scope, id);
    const pause = new sfn.Wait(this, 'Wait', { stateName: id, time: sfn.WaitTime.duration(wait) });
    this.addWaitBudget(wait);
    this.startState = pause;
    this.endStates = [pause];
  }
}

describe('TrainingStage', () => {
  test('owns $.results.<id>, keeps only what later stages read, and catches into its Fail state', () => {
    const { stack, store, image } = setup();
    const train = new TrainingStage(stack, 'Fit', { image, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models') });
    new SageMakerWorkflow(stack, 'Workflow', { definition: train });
    const d = definitionOf(stack);
    expect(d.StartAt).toBe('Fit');
    expect(d.States.Fit.ResultPath).toBe('$.results.Fit');
    expect(d.States.Fit.ResultSelector).toEqual({ 'TrainingJobName.$': '$.TrainingJobName', 'TrainingJobArn.$': '$.TrainingJobArn', 'ModelArtifacts.$': '$.ModelArtifacts' });
    // SageMaker's generic error first goes to the service-error loop (throttling retried, a
    // refused request on to 'Fit failed' at once), then everything to the stage's Fail state.
    expect(d.States.Fit.Catch).toEqual([
      { ErrorEquals: ['SageMaker.AmazonSageMakerException'], ResultPath: '$.error', Next: 'Fit: transient?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Fit failed' },
    ]);
    expect(d.States['Fit: transient?'].Default).toBe('Fit failed');
    expect(train.resultPath).toBe('$.results.Fit');
    expect(stack.resolve(train.modelDataUrl)).toBe('$.results.Fit.ModelArtifacts.S3ModelArtifacts');
    expect(stack.resolve(train.trainingJobName)).toBe('$.results.Fit.TrainingJobName');
    expect(train.task.jobNamePrefix).toMatch(/^fit-[0-9a-f]{8}$/);
  });

  test('modelArtifacts renders the run-time URI and grants a reader the training output prefix only', () => {
    const { stack, store, image } = setup();
    const train = new TrainingStage(stack, 'Train', { image, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models') });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const bound = train.modelArtifacts.bind(stack, reader, S3AccessMode.READ);
    expect(bound).toEqual(expect.objectContaining({ uri: '$.results.Train.ModelArtifacts.S3ModelArtifacts', isExpression: true }));
    const json = JSON.stringify(Object.entries<any>(iamPolicies(stack)).filter(([id]) => id.startsWith('Reader')));
    expect(json).toMatch(/"Action":"s3:GetObject","Effect":"Allow","Resource":\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["StoreArtifactsBucket[0-9A-F]+","Arn"\]\},"\/models\/\*"\]\]\}/);
    expect(json).not.toContain('s3:PutObject');
  });
});

describe('ProcessingStage', () => {
  test('hands its outputs to later stages as locations', () => {
    const { stack, store, image } = setup();
    const processed = JobS3Location.perExecution(store.dataBucket, 'processed');
    const prep = new ProcessingStage(stack, 'Prep', { image, processingOutputs: [{ outputName: 'processed', destination: processed }] });
    expect(prep.output('processed')).toBe(processed);
    const train = new TrainingStage(stack, 'Train', {
      image,
      channels: [],
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    });
    new SageMakerWorkflow(stack, 'Workflow', { definition: prep.next(train) });
    const d = definitionOf(stack);
    expect(d.States.Prep.Next).toBe('Train');
    expect(d.States.Prep.ResultSelector).toEqual({ 'ProcessingJobName.$': '$.ProcessingJobName', 'ProcessingJobArn.$': '$.ProcessingJobArn' });
    expect(stack.resolve(prep.processingJobName)).toBe('$.results.Prep.ProcessingJobName');
  });
});

describe('CreateModelStage', () => {
  test('exposes the model name and ARN from its own result', () => {
    const { stack, store, image } = setup();
    const model = new CreateModelStage(stack, 'Model', { image, modelData: JobS3Location.inBucket(store.artifactsBucket, 'models') });
    expect(stack.resolve(model.modelName)).toBe('$.results.Model.ModelName');
    expect(stack.resolve(model.modelArn)).toBe('$.results.Model.ModelArn');
    expect(model.task.modelNamePrefix).toMatch(/^model-[0-9a-f]{8}$/);
  });
});

describe('WorkflowStage', () => {
  test('a stage of your own declares its waits, and the workflow timeout covers them', () => {
    const { stack, store, image } = setup();
    const train = new TrainingStage(stack, 'Train', { image, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'), maxRuntime: Duration.hours(1) });
    const cooldown = new Cooldown(stack, 'Cooldown', Duration.hours(6));
    const workflow = new SageMakerWorkflow(stack, 'Workflow', { definition: train.next(cooldown) });
    expect(cooldown.maxDuration.toSeconds()).toBe(6 * 3600);
    expect(workflow.maxDuration.toSeconds()).toBe(3600 + 6 * 600 + 465 + 6 * 3600);
    const other = testStack();
    expect(() => new SageMakerWorkflow(other, 'W', { definition: new Cooldown(other, 'C', Duration.hours(6)), timeout: Duration.hours(5) }))
      .toThrow(/^Test\/W: timeout must be at least 6 hours .*\(C 6 hours\), got 5 hours$/);
  });
});
