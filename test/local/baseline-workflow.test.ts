import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnalyzerRunner } from './analyzer-runner';
import { failureNotification } from './workflows';
import { SageMakerRealtimeStack } from '../../bin/stacks';
import { MonitoringEngine } from '../../lib/monitoring/monitoring-engine';
import { LocalRuntime } from '../../local/src/runtime';
import { parseS3Uri } from '../../local/src/s3';
import { ENV, testApp } from '../util';

/**
 * The reference real-time stack's BaselineWorkflow (SageMakerMlRealtime) with Model Monitor's
 * engine (accounts that have Model Monitor; the reference app itself uses the processing engine:
 * reference-monitoring.test.ts), run locally with the
 * input its stack documents (its BaselineWorkflowArn output: "upload features (CSV, no header, no
 * target) under baseline/ in the data bucket, then start this"): a processing job on Model
 * Monitor's analyzer image, which SageMaker alone runs, so a stand-in with the analyzer's
 * documented contract answers for it (analyzer-runner.ts). What is checked is the workflow: the
 * request it sends (image, environment, input and output), the baseline where the monitor reads
 * it, and its failure path.
 */
const MACHINE = 'SageMakerMlRealtime/BaselineWorkflow/StateMachine';
jest.setTimeout(60_000);

describe('local run of the reference baseline workflow', () => {
  let assemblyDir: string;
  let dataFolder: string;
  let dataBucket: string;
  const runtimes: LocalRuntime[] = [];
  const runtime = (runner: AnalyzerRunner) => {
    const r = LocalRuntime.fromAssembly(assemblyDir, MACHINE, { jobRunner: runner, buckets: { [dataBucket]: dataFolder } });
    runtimes.push(r);
    return r;
  };

  beforeAll(() => {
    const app = testApp();
    new SageMakerRealtimeStack(app, 'SageMakerMlRealtime', { env: ENV, monitoringEngine: MonitoringEngine.modelMonitor() });
    assemblyDir = app.synth().directory;
    dataFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'local-baseline-data-'));
    const probe = LocalRuntime.fromAssembly(assemblyDir, MACHINE);
    const input = probe.stateMachine.definition.States.Baseline.Parameters.ProcessingInputs[0].S3Input;
    dataBucket = parseS3Uri(input.S3Uri).bucket;
    probe.dispose();
  });
  afterAll(() => {
    runtimes.forEach(r => r.dispose());
    fs.rmSync(dataFolder, { recursive: true, force: true });
  });

  test('features under baseline/ become statistics and constraints where the monitor reads them', async () => {
    fs.mkdirSync(path.join(dataFolder, 'baseline'), { recursive: true });
    fs.writeFileSync(path.join(dataFolder, 'baseline', 'features.csv'), ['40,20.5,north', '25,55,south', '70,3,west', '33,,east'].join('\n') + '\n');
    const runner = new AnalyzerRunner();
    const rt = runtime(runner);
    const result = await rt.run({});
    expect(result.status).toBe('SUCCEEDED');
    // One processing job state: the workflow is the DataQualityBaselineStep alone.
    expect(result.states).toEqual(['Baseline']);
    // The request as the analyzer's contract wants it.
    expect(runner.runs).toHaveLength(1);
    expect(runner.runs[0].image).toMatch(/^156813124566\.dkr\.ecr\.us-east-1\.amazonaws\.com\/sagemaker-model-monitor-analyzer$/);
    expect(runner.runs[0].environment).toEqual({
      // The SageMaker Python SDK's DatasetFormat.csv(header=False) renders the same.
      dataset_format: '{"csv":{"header":false,"output_columns_position":"START"}}',
      dataset_source: '/opt/ml/processing/input/baseline_dataset_input',
      output_path: '/opt/ml/processing/output',
      publish_cloudwatch_metrics: 'Disabled',
    });
    // Written under monitoring/baseline/ of the artifacts bucket: DataQualityMonitor's baseline.
    const output = rt.stateMachine.definition.States.Baseline.Parameters.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri;
    expect(output).toMatch(/^s3:\/\/[^/]+\/monitoring\/baseline\/?$/);
    const bucket = parseS3Uri(output).bucket;
    expect(rt.s3.list(bucket, 'monitoring/baseline/').sort()).toEqual(['monitoring/baseline/constraints.json', 'monitoring/baseline/statistics.json']);
    const constraints = JSON.parse(rt.s3.get(bucket, 'monitoring/baseline/constraints.json')!.toString());
    expect(constraints.features.map((f: any) => [f.name, f.inferred_type, f.completeness])).toEqual([
      ['_c0', 'Fractional', 1], ['_c1', 'Fractional', 0.75], ['_c2', 'String', 1],
    ]);
  });

  test('no baseline data: the job fails, the execution fails and is notified with the reason', async () => {
    fs.rmSync(path.join(dataFolder, 'baseline'), { recursive: true, force: true });
    const result = await runtime(new AnalyzerRunner()).run({});
    expect(result.status).toBe('FAILED');
    expect(result.states).toEqual(['Baseline']);
    expect(result.error).toBe('States.TaskFailed');
    const notification = failureNotification(result);
    expect(notification).toMatchObject({ status: 'FAILED' });
    expect(JSON.stringify(notification)).toMatch(/no CSV records under \/opt\/ml\/processing\/input\/baseline_dataset_input/);
  });
});
