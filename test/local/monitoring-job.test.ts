import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { pythonWithPandas, ScikitLearnRunner } from './monitoring-job-runner';
import { failureNotification } from './workflows';
import { JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerModel } from '../../lib';
import { BaselineDatasetFormat, DataQualityBaselineStep } from '../../lib/monitoring/data-quality-baseline-step';
import { DataQualityBaseline, DataQualityMonitor } from '../../lib/monitoring/data-quality-monitor';
import { MonitoringEngine } from '../../lib/monitoring/monitoring-engine';
import { LocalRuntime } from '../../local/src/runtime';

/**
 * MonitoringEngine.processingJob() run locally: the baseline step and the monitoring workflow
 * run the library's analysis script with this machine's Python (pandas, numpy) for the
 * scikit-learn container; CloudWatch's PutMetricData and the app's alarms are emulated.
 */
jest.setTimeout(120_000);
const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const PYTHON = pythonWithPandas();
const NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

/** A capture record as SageMaker writes it (one JSON line per request). */
function captured(data: string, encoding: 'CSV' | 'BASE64' = 'CSV'): string {
  return JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: encoding === 'BASE64' ? Buffer.from(data).toString('base64') : data, encoding },
      endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: '0.5', encoding: 'CSV' },
    },
    eventMetadata: { eventId: 'e', inferenceTime: new Date().toISOString() },
    eventVersion: '0',
  });
}

/** The period folders an execution started within the next minute can land in. */
function periodFolders(): string[] {
  const folder = (d: Date) => d.toISOString().slice(0, 13).replace(/[-T]/g, '/');
  return [...new Set([folder(new Date()), folder(new Date(Date.now() + 60_000))])];
}

(PYTHON ? describe : describe.skip)('MonitoringEngine.processingJob() in the local runtime', () => {
  let root: LocalRuntime;
  let bucket: string;
  let captureFolder: string;
  let runner: ScikitLearnRunner;

  beforeAll(async () => {
    const app = new App();
    const stack = new Stack(app, 'Monitoring', { env: { account: '123456789012', region: 'us-east-1' } });
    const store = new MlDataStore(stack, 'Store');
    const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(path.join(IMAGE_DIR, 'sample', 'model.tar.gz')) });
    const capture = JobS3Location.inBucket(store.artifactsBucket, 'capture');
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model }], endpointName: 'churn', dataCapture: { destination: capture } });
    const baseline = new DataQualityBaselineStep(stack, 'Baseline', {
      baselineDataset: JobS3Location.inBucket(store.dataBucket, 'baseline'),
      datasetFormat: BaselineDatasetFormat.csv(false),
      output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/baseline'),
      engine: MonitoringEngine.processingJob(),
    });
    new sfn.StateMachine(stack, 'BaselineMachine', { definitionBody: sfn.DefinitionBody.fromChainable(baseline) });
    new DataQualityMonitor(stack, 'Monitor', {
      endpoint,
      baseline: DataQualityBaseline.fromBucket(store.artifactsBucket, 'monitoring/baseline'),
      output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/reports'),
      monitoringScheduleName: 'churn-dq',
      engine: MonitoringEngine.processingJob(),
      driftAlarms: [{ featureName: '_c0', threshold: 0.5 }],
    });
    runner = new ScikitLearnRunner(PYTHON!);
    root = LocalRuntime.fromStack(stack, 'BaselineMachine', { jobRunner: runner });
    const data = root.stateMachine.definition.States.Baseline.Parameters.ProcessingInputs[1].S3Input.S3Uri.replace(/^s3:\/\//, '').split('/')[0];
    root.s3.put(data, 'baseline/features.csv', ['40,20.5,north', '25,55,south', '70,3,west', '33,12,east', '52,30,north'].join('\n') + '\n');
    const result = await root.run({});
    expect(result.status).toBe('SUCCEEDED');
    const monitor = root.sibling('Monitoring/Monitor/StateMachine');
    const find = monitor.stateMachine.definition.States.FindCaptures.Parameters;
    bucket = find.Bucket;
    captureFolder = /States\.Format\('([^{]+)\{\}\/'/.exec(find['Prefix.$'])![1];
    expect(captureFolder).toBe(`capture/churn/${endpoint.variants[0].variantName}/`);
  });
  afterAll(() => root?.dispose());

  const monitorRun = () => root.sibling('Monitoring/Monitor/StateMachine');
  const putCaptures = (lines: string[]) => {
    for (const f of periodFolders()) root.s3.put(bucket, `${captureFolder}${f}/capture-${Math.random().toString(36).slice(2)}.jsonl`, lines.join('\n') + '\n');
  };
  const clearCaptures = () => {
    for (const key of root.s3.list(bucket, captureFolder)) root.s3.delete(bucket, key);
  };

  test('the baseline step writes statistics.json and constraints.json in the analyzer\'s formats', () => {
    const constraints = JSON.parse(root.s3.get(bucket, 'monitoring/baseline/constraints.json')!.toString());
    expect(constraints.features.map((f: any) => [f.name, f.inferred_type, f.completeness])).toEqual([['_c0', 'Integral', 1], ['_c1', 'Fractional', 1], ['_c2', 'String', 1]]);
    expect(constraints.monitoring_config).toMatchObject({ emit_metrics: 'Enabled', distribution_constraints: { comparison_threshold: 0.1 } });
    expect(runner.runs[0].command).toEqual(['python3', expect.stringMatching(/^\/opt\/ml\/processing\/code\/.+\.py$/), 'baseline']);
  });

  test('no captures in the period: no job, no metrics, success', async () => {
    const rt = monitorRun();
    const before = runner.runs.length;
    const result = await rt.run({});
    expect(result.failures).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toContain('NoCapturedTraffic');
    expect(runner.runs.length).toBe(before);
  });

  test('captured traffic like the baseline: drift and completeness metrics with the analyzer\'s names, no alarm', async () => {
    putCaptures([captured('41,21,north'), captured('26,50,south\n69,4,west'), captured('34,,east', 'BASE64')]);
    const rt = monitorRun();
    const result = await rt.run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual(expect.arrayContaining(['FindCaptures', 'Analyze', 'ReadMetrics', 'PublishMetrics']));
    const points = rt.cloudwatch.datapoints.filter(p => p.namespace === NAMESPACE);
    expect(points.map(p => p.metricName).sort()).toEqual(['feature_baseline_drift__c0', 'feature_baseline_drift__c1', 'feature_baseline_drift__c2', 'feature_non_null__c0', 'feature_non_null__c1', 'feature_non_null__c2']);
    expect(points[0].dimensions).toEqual({ Endpoint: 'churn', MonitoringSchedule: 'churn-dq' });
    expect(points.find(p => p.metricName === 'feature_non_null__c1')!.value).toBe(0.75);
    expect(points.find(p => p.metricName === 'feature_baseline_drift__c0')!.value).toBeLessThanOrEqual(0.5);
    expect(result.notifications.filter(n => n.publisher.startsWith('alarm:'))).toEqual([]);
    // The report of the period, as Model Monitor writes it: a completeness violation for _c1.
    const reports = rt.s3.list(bucket, 'monitoring/reports/');
    const violations = JSON.parse(rt.s3.get(bucket, reports.find(k => k.endsWith('constraint_violations.json'))!)!.toString());
    expect(violations.violations).toContainEqual(expect.objectContaining({ feature_name: '_c1', constraint_check_type: 'completeness_check' }));
  });

  test('drifted traffic: the drift alarm goes to ALARM and notifies its topic', async () => {
    clearCaptures();
    putCaptures([captured('900,20,north'), captured('950,30,south'), captured('990,40,west')]);
    const rt = monitorRun();
    const result = await rt.run({});
    expect(result.status).toBe('SUCCEEDED');
    const drift = rt.cloudwatch.datapoints.filter(p => p.metricName === 'feature_baseline_drift__c0').pop()!;
    expect(drift.value).toBeGreaterThan(0.5);
    const alarms = result.notifications.filter(n => n.publisher.startsWith('alarm:'));
    expect(alarms).toHaveLength(1);
    expect(JSON.parse(alarms[0].message)).toMatchObject({ NewStateValue: 'ALARM', Trigger: { MetricName: 'feature_baseline_drift__c0', Namespace: NAMESPACE, Threshold: 0.5 } });
  });

  test('a capture the analysis cannot read: the job fails and the failure is notified with the reason', async () => {
    clearCaptures();
    putCaptures(['this is not a capture record']);
    const result = await monitorRun().run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toContain('Analyze');
    expect(result.states).not.toContain('PublishMetrics');
    const notification = failureNotification(result);
    expect(notification).toMatchObject({ status: 'FAILED' });
    expect(JSON.stringify(notification)).toMatch(/is not a capture record with captureData\.endpointInput/);
  });
});
