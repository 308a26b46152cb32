import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  CreateModelStage, EvaluationStage, EvaluationStageProps, JobS3Location, MetricComparison, MlDataStore, ProcessingStage, SageMakerImage,
  SageMakerWorkflow, TrainingStage, TransformStage, SageMakerModel, ModelData,
} from '../../lib';
import { definitionOf, iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

function setup(): { stack: Stack; store: MlDataStore; image: SageMakerImage; train: TrainingStage } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const image = SageMakerImage.fromAsset(IMAGE_DIR);
  const train = new TrainingStage(stack, 'Train', {
    image,
    outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    hyperparameters: { max_iter: sfn.JsonPath.stringAt('$.max_iter') },
    maxRuntime: Duration.hours(2),
  });
  return { stack, store, image, train };
}

function evaluation(store: MlDataStore, image: SageMakerImage, train: TrainingStage, folder: string): EvaluationStageProps {
  return {
    image,
    model: train.modelArtifacts,
    processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(store.artifactsBucket, folder) }],
    reportOutputName: 'report',
    maxRuntime: Duration.hours(1),
  };
}

describe('SageMakerWorkflow', () => {
  test('a custom sequence: train, two evaluations with a Pass in between, a model', () => {
    const { stack, store, image, train } = setup();
    const holdout = new EvaluationStage(stack, 'Holdout', {
      ...evaluation(store, image, train, 'holdout'),
      gate: { metricPath: 'metrics.rmse', comparison: MetricComparison.LESS_THAN, threshold: 3 },
    });
    const note = new sfn.Pass(stack, 'Note', { result: sfn.Result.fromString('holdout passed'), resultPath: '$.note' });
    const fairness = new EvaluationStage(stack, 'Fairness', {
      ...evaluation(store, image, train, 'fairness'),
      gate: { metricPath: 'disparity', comparison: MetricComparison.LESS_THAN_OR_EQUAL, threshold: 0.1 },
    });
    const model = new CreateModelStage(stack, 'Model', { image, modelData: train.modelArtifacts });
    const workflow = new SageMakerWorkflow(stack, 'Workflow', {
      definition: train.next(holdout).next(note).next(fairness).next(model),
      executionInputDefaults: { max_iter: '100' },
      outputs: { modelName: model.modelName, rmse: holdout.metric('metrics.rmse'), stage: 'custom' },
    });

    const d = definitionOf(stack);
    const order: string[] = [];
    for (let s = d.StartAt; s; s = d.States[s].Next) order.push(s);
    expect(order).toEqual([
      'InputDefaults', 'MergeInput', 'Train', 'Holdout', 'Holdout read report', 'Holdout gate',
    ]);
    expect(d.States['Holdout gate passed'].Next).toBe('Note');
    expect(d.States.Note.Next).toBe('Fairness');
    expect(d.States['Fairness gate passed'].Next).toBe('Model');
    expect(d.States.Model.Next).toBe('Output');
    // Each stage writes its own part of the state; later stages read earlier results by object.
    expect(d.States.Train.ResultPath).toBe('$.results.Train');
    expect(d.States.Holdout.ResultPath).toBe('$.results.Holdout');
    expect(d.States.Fairness.Parameters.ProcessingInputs[0].S3Input['S3Uri.$']).toBe('$.results.Train.ModelArtifacts.S3ModelArtifacts');
    expect(d.States.Model.Parameters.PrimaryContainer['ModelDataUrl.$']).toBe('$.results.Train.ModelArtifacts.S3ModelArtifacts');
    expect(d.States.Output.Parameters).toEqual({ 'modelName.$': '$.results.Model.ModelName', 'rmse.$': '$.results.Holdout.read.report.metrics.rmse', 'stage': 'custom' });
    // Hyperparameters from the input are strings whatever their JSON type.
    expect(d.States.Train.Parameters.HyperParameters).toEqual({ 'max_iter.$': "States.Format('{}', $.max_iter)" });
    // Two gates, two reports, each under its own per-execution prefix.
    expect(d.States['Fairness read report'].Parameters['Key.$']).toBe("States.Format('fairness/{}/evaluation.json', $$.Execution.Name)");
    // Every stage has its own Fail state.
    for (const stage of ['Train', 'Holdout', 'Fairness', 'Model']) {
      expect(d.States[`${stage} failed`]).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    }
    // Timeout: 2 h + 1 h + 1 h of jobs, their retries, the model's, and an hour.
    expect(workflow.maxDuration.toSeconds()).toBe(4 * 3600 + 3 * (6 * 600 + 465) + 60 + 155);
    expect(d.TimeoutSeconds).toBe(workflow.maxDuration.toSeconds() + 3600);
    // The two complementary failure-notification rules (events with every field, events lacking one).
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::Events::Rule'))).toEqual([
      expect.stringMatching(/^WorkflowExecutionFailedRule[0-9A-F]{8}$/), expect.stringMatching(/^WorkflowExecutionFailedRuleIncompleteEvent/),
    ]);
    expect(nagFindings(stack)).toEqual([]);
  });

  test('the gate state machine reads only report files, and decrypts with the bucket key', () => {
    const { stack, store, image, train } = setup();
    const evaluate = new EvaluationStage(stack, 'Evaluate', {
      ...evaluation(store, image, train, 'evaluation'),
      gate: { metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: 3 },
    });
    new SageMakerWorkflow(stack, 'Workflow', { definition: train.next(evaluate) });
    const json = JSON.stringify(iamPolicies(stack));
    expect(json).toMatch(/"Action":"s3:GetObject","Effect":"Allow","Resource":\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["StoreArtifactsBucket[0-9A-F]+","Arn"\]\},"\/evaluation\/\*\/evaluation.json"\]\]\}/);
    expect(json).toMatch(/"Action":"kms:Decrypt","Effect":"Allow","Resource":\{"Fn::GetAtt":\["StoreKey[0-9A-F]+","Arn"\]\}/);
  });

  test('a workflow with a transform stage is bounded by the transform runtime', () => {
    const { stack, store, image } = setup();
    const model = new SageMakerModel(stack, 'Model', { image, modelData: ModelData.fromBucket(store.artifactsBucket, 'models/m/output/model.tar.gz') });
    const transform = new TransformStage(stack, 'Batch', {
      model,
      input: JobS3Location.inBucket(store.dataBucket, 'batch/input'),
      output: JobS3Location.perExecution(store.artifactsBucket, 'batch/output'),
      maxRuntime: Duration.hours(3),
    });
    const workflow = new SageMakerWorkflow(stack, 'Workflow', { definition: transform });
    expect(workflow.maxDuration.toSeconds()).toBe(3 * 3600 + 6 * 600 + 465);
    expect(definitionOf(stack, 'WorkflowStateMachine').States.Batch.TimeoutSeconds).toBe(3 * 3600);
  });

  test.each<[string, (s: ReturnType<typeof setup>) => void, RegExp]>([
    ['a timeout shorter than the jobs', ({ stack, train }) => new SageMakerWorkflow(stack, 'Workflow', { definition: train, timeout: Duration.hours(1) }),
      /^Test\/Workflow: timeout must be at least 3 hours .*\(Train 3 hours 7 minutes\), got 1 hour$/],
    ['a non-string input default', ({ stack, train }) => new SageMakerWorkflow(stack, 'Workflow', { definition: train, executionInputDefaults: { n: 1 as unknown as string } }),
      /^Test\/Workflow: executionInputDefaults\['n'\] must be a string/],
    ['an input default key that is no identifier', ({ stack, train }) => new SageMakerWorkflow(stack, 'Workflow', { definition: train, executionInputDefaults: { 'a.b': '1' } }),
      /executionInputDefaults key must be an identifier \(it is read as \$\.<key>\), got 'a.b'/],
    ['a stage name that is no identifier', ({ stack, image, store }) => new TrainingStage(stack, 'my-train', { image, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'm') }),
      /^Test\/my-train: id must be a stage name of at most 64 letters, digits and underscores/],
    ['a gate on a fixed report location', ({ stack, store, image, train }) => new EvaluationStage(stack, 'Evaluate', {
      ...evaluation(store, image, train, 'evaluation'),
      processingOutputs: [{ outputName: 'report', destination: JobS3Location.inBucket(store.artifactsBucket, 'evaluation') }],
      gate: { metricPath: 'rmse', comparison: MetricComparison.LESS_THAN, threshold: 3 },
    }), /^Test\/Evaluate: gate needs a per-execution report: the output 'report' writes to the fixed key 'evaluation\/evaluation.json'/],
    ['a report output that does not exist', ({ stack, store, image, train }) => new EvaluationStage(stack, 'Evaluate', { ...evaluation(store, image, train, 'e'), reportOutputName: 'metrics' }),
      /^Test\/Evaluate: reportOutputName must name one of processingOutputs, got 'metrics'; outputs: report/],
    ['a metric of an ungated stage', ({ stack, store, image, train }) => new EvaluationStage(stack, 'Evaluate', evaluation(store, image, train, 'e')).metric('rmse'),
      /^Test\/Evaluate: metric\('rmse'\) needs a gated stage/],
    ['the model artifacts as an output', ({ stack, image, train }) => new ProcessingStage(stack, 'Copy', {
      image, processingOutputs: [{ outputName: 'o', destination: train.modelArtifacts }],
    }), /the model artifacts of stage 'Train' can only be read by a later step, got it as an output/],
    ['an unknown processing output', ({ stack, store, image }) => new ProcessingStage(stack, 'Prep', {
      image, processingOutputs: [{ outputName: 'o', destination: JobS3Location.perExecution(store.dataBucket, 'p') }],
    }).output('x'), /^Test\/Prep: output\('x'\) must name an output of the stage; outputs: o/],
  ])('rejects %s', (_name, make, error) => {
    const s = setup();
    expect(() => make(s)).toThrow(error);
  });
});
