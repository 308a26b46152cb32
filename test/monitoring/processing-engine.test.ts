import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SageMakerRealtimeStack } from '../../bin/stacks';
import { JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerModel } from '../../lib';
import { BaselineDatasetFormat, DataQualityBaselineStep } from '../../lib/monitoring/data-quality-baseline-step';
import { DataQualityBaseline, DataQualityMonitor, DataQualityMonitorProps, MonitoringFrequency } from '../../lib/monitoring/data-quality-monitor';
import { MonitoringEngine } from '../../lib/monitoring/monitoring-engine';
import { SCIKIT_LEARN_REGISTRY_ACCOUNTS, scikitLearnImageUri } from '../../lib/monitoring/private/analysis-job';
import { CostEstimate, PriceComponent, PriceList } from '../../local/src';
import { describeIfCfnLint, startCfnLint } from '../composition/cfn-lint';
import { ENV, iamPolicies, nagFindings, testApp, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(IMAGE_DIR, 'sample', 'model.tar.gz');
const NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';
jest.setTimeout(60_000);

interface Setup { stack: Stack; store: MlDataStore; endpoint: RealtimeEndpoint; base: DataQualityMonitorProps }

function setup(options: { agnostic?: boolean } = {}): Setup {
  const stack = options.agnostic ? testStack({}) : testStack({ account: '123456789012', region: 'us-east-1' });
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const capture = JobS3Location.inBucket(store.artifactsBucket, 'capture/churn');
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model }], endpointName: 'churn', dataCapture: { destination: capture } });
  const base: DataQualityMonitorProps = {
    endpoint,
    baseline: DataQualityBaseline.fromBucket(store.artifactsBucket, 'baselines/churn'),
    output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/churn'),
    engine: MonitoringEngine.processingJob(),
  };
  return { stack, store, endpoint, base };
}

function definitionOf(stack: Stack): any {
  const machines = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.values<any>(machines);
  const body = machine.Properties.DefinitionString;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p: any) => typeof p === 'string' ? p : `<${JSON.stringify(p)}>`).join('');
  return JSON.parse(text.replace(/<\{[^>]*\}>/g, 'X'));
}

function statements(stack: Stack, roleMatch: string): any[] {
  return Object.values<any>(iamPolicies(stack))
    .filter(p => JSON.stringify(p.Properties.Roles ?? []).includes(roleMatch))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('DataQualityMonitor with MonitoringEngine.processingJob()', () => {
  test('no Model Monitor resources: a scheduled workflow runs the analysis in the scikit-learn container', () => {
    const { stack, base } = setup();
    const monitor = new DataQualityMonitor(stack, 'Monitor', { ...base, monitoringScheduleName: 'churn-dq', driftAlarms: [{ featureName: 'age', threshold: 0.2 }] });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SageMaker::DataQualityJobDefinition', 0);
    t.resourceCountIs('AWS::SageMaker::MonitoringSchedule', 0);
    t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 * * * ? *)', State: 'ENABLED' });
    const states = definitionOf(stack).States;
    expect(Object.keys(states)).toEqual(expect.arrayContaining(['Period', 'PeriodFolder', 'WaitForPeriodEnd', 'FindCaptures', 'AnyCaptures', 'Analyze', 'ReadMetrics', 'PublishMetrics']));
    expect(states.WaitForPeriodEnd.Seconds).toBe(3600 + 300);
    const job = states.Analyze.Parameters;
    expect(job.AppSpecification.ImageUri).toBe('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(job.AppSpecification.ContainerEntrypoint).toEqual(['python3', expect.stringMatching(/^\/opt\/ml\/processing\/code\/[0-9a-f]+\.py$/), 'analyze']);
    expect(job.Environment).toMatchObject({ sagemaker_endpoint_name: 'churn', sagemaker_monitoring_schedule_name: 'churn-dq' });
    const capture = job.ProcessingInputs.find((i: any) => i.InputName === 'endpoint').S3Input;
    expect(capture['S3Uri.$']).toMatch(/^States\.Format\('s3:\/\/X\/capture\/churn\/churn\/[^/]+\/\{\}\/', \$\.period\.path\)$/);
    expect(states.PublishMetrics.Parameters).toEqual({ 'Namespace': NAMESPACE, 'MetricData.$': '$.metrics.data' });
    // The same metrics and alarms as with Model Monitor.
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: NAMESPACE,
      MetricName: 'feature_baseline_drift_age',
      Dimensions: [{ Name: 'Endpoint', Value: 'churn' }, { Name: 'MonitoringSchedule', Value: 'churn-dq' }],
      Threshold: 0.2,
    });
    expect(monitor.stateMachine).toBeDefined();
    expect(monitor.failureTopicArn).toBeDefined();
    expect(() => monitor.jobDefinitionName).toThrow(/jobDefinitionName: .*MonitoringEngine.processingJob\(\).*use stateMachine/);
  });

  test('daily: the UTC day\'s folder, a day\'s wait, a daily schedule', () => {
    const { stack, base } = setup();
    new DataQualityMonitor(stack, 'Monitor', { ...base, frequency: MonitoringFrequency.DAILY, engine: MonitoringEngine.processingJob({ captureDelay: Duration.minutes(10), enabled: false }) });
    const states = definitionOf(stack).States;
    expect(states.WaitForPeriodEnd.Seconds).toBe(86400 + 600);
    expect(states.PeriodFolder.Parameters['path.$']).toBe("States.Format('{}/{}/{}', States.ArrayGetItem($.period.date, 0), States.ArrayGetItem($.period.date, 1), States.ArrayGetItem($.period.date, 2))");
    Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 0 * * ? *)', State: 'DISABLED' });
  });

  test('least privilege: the job reads captures and baseline, writes reports; the workflow publishes only to the namespace', () => {
    const { stack, base } = setup();
    new DataQualityMonitor(stack, 'Monitor', base);
    const machine = statements(stack, 'StateMachineRole');
    const put = machine.filter(s => JSON.stringify(s.Action).includes('cloudwatch:PutMetricData'));
    expect(put).toEqual([{ Action: 'cloudwatch:PutMetricData', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': NAMESPACE } } }]);
    const list = machine.find(s => s.Action === 's3:ListBucket');
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': [expect.stringMatching(/^capture\/churn\/churn\/[^/]+\/\*$/)] } });
    const jobRole = JSON.stringify(statements(stack, 'MonitorRole'));
    // Only the execution role's own SageMaker metrics statement: nothing for the data-quality namespace.
    expect(jobRole).not.toMatch(/data-metrics/);
    expect(jobRole).toMatch(/capture\/churn\/\*/);
    expect(jobRole).toMatch(/baselines\/churn\/\*/);
    expect(jobRole).toMatch(/s3:PutObject.*monitoring\/churn\/\*/);
  });

  test('the four packs find nothing', () => {
    const { stack, base } = setup();
    new DataQualityMonitor(stack, 'Monitor', { ...base, driftAlarms: [{ featureName: 'age' }] });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('region-agnostic stack: the image registry from a mapping', () => {
    const { stack, base } = setup({ agnostic: true });
    new DataQualityMonitor(stack, 'Monitor', base);
    const mapping = Template.fromStack(stack).toJSON().Mappings.ScikitLearnContainerRegistries;
    expect(mapping['us-east-1']).toEqual({ account: '683313688378' });
  });

  test('image table: every Region in the table, a clear error elsewhere', () => {
    expect(Object.keys(SCIKIT_LEARN_REGISTRY_ACCOUNTS).length).toBeGreaterThan(25);
    expect(scikitLearnImageUri('cn-north-1')).toBe('450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(() => scikitLearnImageUri('xx-east-9')).toThrow(/no registry known to this library in 'xx-east-9'/);
  });

  test('bad input is refused naming the prop', () => {
    const { stack, base, endpoint } = setup();
    expect(() => new DataQualityMonitor(stack, 'Delay', { ...base, engine: MonitoringEngine.processingJob({ captureDelay: Duration.hours(2) }) })).toThrow(/captureDelay/);
    expect(() => new DataQualityMonitor(stack, 'Variant', { ...base, engine: MonitoringEngine.processingJob({ variantName: 'bad_name' }) })).toThrow(/variantName/);
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'bbb');
    expect(() => new DataQualityMonitor(stack, 'Root', { ...base, baseline: DataQualityBaseline.fromBucket(bucket, '') })).toThrow(/baseline must be a key prefix/);
    // An endpoint defined another way, which names no variants.
    const imported: any = Object.assign(new Construct(stack, 'Custom'), { endpointName: 'churn', dataCapture: endpoint.dataCapture });
    expect(() => new DataQualityMonitor(stack, 'NoVariant', { ...base, endpoint: imported })).toThrow(/engine variantName is required/);
    new DataQualityMonitor(stack, 'Named', { ...base, endpoint: imported, engine: MonitoringEngine.processingJob({ variantName: 'AllTraffic' }) });
  });

  test('an output key: the workflow may decrypt the metrics file', () => {
    const { stack, base } = setup();
    const key = new kms.Key(stack, 'OutKey');
    new DataQualityMonitor(stack, 'Monitor', { ...base, outputEncryptionKey: key });
    expect(JSON.stringify(statements(stack, 'StateMachineRole'))).toMatch(/kms:Decrypt.*OutKey/);
  });
});

describe('the reference real-time stack with monitoringEngine: MonitoringEngine.processingJob()', () => {
  test('baseline and monitoring without Model Monitor, clean under the four packs', () => {
    const stack = new SageMakerRealtimeStack(testApp(), 'Realtime', { env: ENV, monitoringEngine: MonitoringEngine.processingJob() });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SageMaker::MonitoringSchedule', 0);
    t.resourceCountIs('AWS::SageMaker::DataQualityJobDefinition', 0);
    expect(JSON.stringify(t.toJSON())).not.toMatch(/sagemaker-model-monitor-analyzer/);
    expect(stack.monitor.stateMachine).toBeDefined();
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('cost estimate', () => {
  test('the schedule starts at most 744 runs a month of one processing job at its maximum runtime', () => {
    const { stack, base } = setup();
    new DataQualityMonitor(stack, 'Monitor', { ...base, instanceCount: 2, maxRuntime: Duration.minutes(30) });
    const prices = PriceList.of('USD', [{ region: 'us-east-1', component: PriceComponent.PROCESSING, instanceType: 'ml.m5.xlarge', pricePerHour: 3, asOf: '2026-01-01', source: 'test data' }]);
    const estimate = CostEstimate.fromAssembly((stack.node.root as any).synth(), { prices });
    const trigger = estimate.triggers.find(t => t.stackName === stack.stackName && /^schedule cron\(0 \* \* \* \? \*\)$/.test(t.kind));
    // 2 instances x 3 USD/h x 0.5 h = 3 USD a run; hourly cron: at most 744 runs (a 31-day month).
    expect(trigger).toEqual(expect.objectContaining({ enabled: true, runsPerMonth: 744, maxCostPerRun: 3, maxCostPerMonth: 2232, stateMachine: expect.stringMatching(/^MonitorStateMachine/) }));
    expect(estimate.lines.filter(l => l.stackName === stack.stackName && l.source.startsWith('MonitorStateMachine')).map(l => l.instanceType)).toEqual(['ml.m5.xlarge']);
  });
});

describeIfCfnLint('cfn-lint', () => {
  test('the processing-engine monitor\'s template (schedule, workflow, alarms) has no findings', async () => {
    const { stack, base } = setup();
    new DataQualityMonitor(stack, 'Monitor', { ...base, frequency: MonitoringFrequency.DAILY, driftAlarms: [{ featureName: 'age' }] });
    const assembly = (stack.node.root as any).synth();
    const file = path.join(assembly.directory, assembly.getStackArtifact(stack.artifactId).templateFile);
    expect(await startCfnLint({ [stack.stackName]: file })).toEqual([]);
  });
});

describe('DataQualityBaselineStep with MonitoringEngine.processingJob()', () => {
  test('the analysis script in the scikit-learn container, the analyzer\'s environment', () => {
    const stack = testStack({ account: '123456789012', region: 'eu-west-1' });
    const store = new MlDataStore(stack, 'Store');
    const step = new DataQualityBaselineStep(stack, 'Baseline', {
      baselineDataset: JobS3Location.inBucket(store.dataBucket, 'baseline'),
      datasetFormat: BaselineDatasetFormat.csv(false),
      output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/baseline'),
      engine: MonitoringEngine.processingJob(),
    });
    const request = stack.resolve((step as any).toStateJson()).Parameters;
    expect(request.AppSpecification.ImageUri).toBe('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(request.AppSpecification.ContainerEntrypoint).toEqual(['python3', expect.stringMatching(/^\/opt\/ml\/processing\/code\/.+\.py$/), 'baseline']);
    expect(request.ProcessingInputs.map((i: any) => i.InputName)).toEqual(['code', 'baseline_dataset_input']);
    expect(request.Environment.dataset_format).toBe('{"csv":{"header":false,"output_columns_position":"START"}}');
  });
});
