import { JobS3Location, MlDataStore } from '../../lib';
import { BaselineDatasetFormat, DataQualityBaselineStep } from '../../lib/monitoring/data-quality-baseline-step';
import { renderState, testStack } from '../util';

describe('DataQualityBaselineStep', () => {
  test('runs the analyzer image on the training data and writes statistics and constraints to a fixed location', () => {
    // GIVEN
    const stack = testStack({ account: '123456789012', region: 'eu-west-1' });
    const store = new MlDataStore(stack, 'Store');
    // WHEN
    const step = new DataQualityBaselineStep(stack, 'Baseline', {
      baselineDataset: JobS3Location.inBucket(store.dataBucket, 'train'),
      datasetFormat: BaselineDatasetFormat.csv(true),
      output: JobS3Location.inBucket(store.artifactsBucket, 'baselines/churn'),
    });
    // THEN
    const state = renderState(stack, step);
    expect(state.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createProcessingJob.sync');
    expect(state.Parameters.AppSpecification.ImageUri).toBe('468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer');
    expect(state.Parameters.Environment).toEqual({
      dataset_format: '{"csv":{"header":true,"output_columns_position":"START"}}',
      dataset_source: '/opt/ml/processing/input/baseline_dataset_input',
      output_path: '/opt/ml/processing/output',
      publish_cloudwatch_metrics: 'Disabled',
    });
    expect(state.Parameters.ProcessingInputs[0].S3Input.LocalPath).toBe('/opt/ml/processing/input/baseline_dataset_input');
    expect(state.Parameters.ProcessingOutputConfig.Outputs[0].S3Output).toEqual(expect.objectContaining({
      S3Uri: expect.stringMatching(/\/baselines\/churn\/$/), LocalPath: '/opt/ml/processing/output',
    }));
  });

  test('JSON lines format', () => {
    expect(BaselineDatasetFormat.json().render()).toBe('{"json":{"lines":true}}');
  });

  test('fails clearly in a Region without the analyzer image', () => {
    const stack = testStack({ account: '123456789012', region: 'mx-central-1' });
    const store = new MlDataStore(stack, 'Store');
    expect(() => new DataQualityBaselineStep(stack, 'Baseline', {
      baselineDataset: JobS3Location.inBucket(store.dataBucket, 'train'),
      datasetFormat: BaselineDatasetFormat.csv(),
      output: JobS3Location.inBucket(store.artifactsBucket, 'baselines'),
    })).toThrow(/analyzer image has no registry known to this library in 'mx-central-1'/);
  });
});
