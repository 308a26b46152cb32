import { pythonWithPandas, ScikitLearnRunner } from './monitoring-job-runner';
import { failureNotification, referenceApp } from './workflows';
import { LocalRuntime } from '../../local/src/runtime';

/**
 * The reference real-time stack's monitoring as the reference app deploys it
 * (`MonitoringEngine.processingJob()`: Model Monitor is closed to new AWS customers), run
 * locally with the data its stack documents: its BaselineWorkflow on features under
 * `baseline/` of the data bucket, then its data-quality workflow on the endpoint's captured
 * traffic, publishing the drift and completeness metrics; and the failure paths (no baseline
 * data, a capture the analysis cannot read), each notified.
 */
jest.setTimeout(120_000);
const PYTHON = pythonWithPandas();
const NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

function captured(data: string): string {
  return JSON.stringify({
    captureData: { endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data, encoding: 'CSV' } },
    eventMetadata: { eventId: 'e', inferenceTime: new Date().toISOString() },
    eventVersion: '0',
  });
}

/** The period folders an execution started within the next minute can land in. */
function periodFolders(): string[] {
  const folder = (d: Date) => d.toISOString().slice(0, 13).replace(/[-T]/g, '/');
  return [...new Set([folder(new Date()), folder(new Date(Date.now() + 60_000))])];
}

(PYTHON ? describe : describe.skip)('the reference real-time stack\'s monitoring, run locally', () => {
  let baseline: LocalRuntime;
  let runner: ScikitLearnRunner;
  let dataBucket: string;

  beforeAll(() => {
    const { app } = referenceApp();
    const assembly = app.synth().directory;
    runner = new ScikitLearnRunner(PYTHON!);
    baseline = LocalRuntime.fromAssembly(assembly, 'SageMakerMlRealtime/BaselineWorkflow/StateMachine', { jobRunner: runner });
    const inputs = baseline.stateMachine.definition.States.Baseline.Parameters.ProcessingInputs;
    const dataset = inputs.find((i: any) => i.InputName === 'baseline_dataset_input') ?? inputs[inputs.length - 1];
    dataBucket = dataset.S3Input.S3Uri.replace(/^s3:\/\//, '').split('/')[0];
  });
  afterAll(() => baseline?.dispose());

  test('no baseline data: the baseline job fails and the failure is notified', async () => {
    const result = await baseline.run({});
    expect(result.status).toBe('FAILED');
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED' });
  });

  test('baseline from the features under baseline/, then the monitor publishes drift and completeness for the captured traffic', async () => {
    baseline.s3.put(dataBucket, 'baseline/features.csv', ['40,20.5,north', '25,55,south', '70,3,west', '33,12,east'].join('\n') + '\n');
    const built = await baseline.run({});
    expect(built.failures).toEqual([]);
    expect(built.status).toBe('SUCCEEDED');

    const monitor = baseline.sibling('SageMakerMlRealtime/DataQualityMonitor/StateMachine');
    const find = monitor.stateMachine.definition.States.FindCaptures.Parameters;
    const folder = /States\.Format\('([^{]+)\{\}\/'/.exec(find['Prefix.$'])![1];
    expect(monitor.s3.list(find.Bucket, 'monitoring/baseline/').sort()).toEqual(['monitoring/baseline/constraints.json', 'monitoring/baseline/statistics.json']);
    for (const f of periodFolders()) monitor.s3.put(find.Bucket, `${folder}${f}/capture.jsonl`, [captured('41,21,north'), captured('26,,south')].join('\n') + '\n');

    const result = await monitor.run({});
    expect(result.failures).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    const names = monitor.cloudwatch.datapoints.filter(p => p.namespace === NAMESPACE).map(p => p.metricName).sort();
    expect(names).toEqual(['feature_baseline_drift__c0', 'feature_baseline_drift__c1', 'feature_baseline_drift__c2', 'feature_non_null__c0', 'feature_non_null__c1', 'feature_non_null__c2']);
    expect(monitor.cloudwatch.datapoints.find(p => p.metricName === 'feature_non_null__c1')!.value).toBe(0.5);

    // A capture the analysis cannot read fails the run, notified with the reason.
    for (const key of monitor.s3.list(find.Bucket, folder)) monitor.s3.delete(find.Bucket, key);
    for (const f of periodFolders()) monitor.s3.put(find.Bucket, `${folder}${f}/capture.jsonl`, 'not a capture record\n');
    const failed = await monitor.run({});
    expect(failed.status).toBe('FAILED');
    expect(JSON.stringify(failureNotification(failed))).toMatch(/is not a capture record/);
  });
});
