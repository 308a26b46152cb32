import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel } from '../../lib';
import { DataQualityBaseline, DataQualityMonitor, DataQualityMonitorProps, MonitoringFrequency } from '../../lib/monitoring/data-quality-monitor';
import { ModelMonitorImage } from '../../lib/monitoring/model-monitor-image';
import { MODEL_MONITOR_REGISTRY_ACCOUNTS, modelMonitorImageUri } from '../../lib/monitoring/private/model-monitor-registries';
import { iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(IMAGE_DIR, 'sample', 'model.tar.gz');

interface Setup {
  readonly stack: Stack;
  readonly store: MlDataStore;
  readonly endpoint: RealtimeEndpoint;
  readonly capture: JobS3Location;
  readonly base: DataQualityMonitorProps;
}

function setup(options: { capture?: boolean; region?: string; agnostic?: boolean } = {}): Setup {
  const stack = options.agnostic ? testStack({}) : testStack({ account: '123456789012', region: options.region ?? 'us-east-1' });
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const capture = JobS3Location.inBucket(store.artifactsBucket, 'capture/churn');
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
    variants: [{ model }],
    endpointName: 'churn',
    dataCapture: options.capture === false ? undefined : { destination: capture },
  });
  const base: DataQualityMonitorProps = {
    endpoint,
    captureDestination: capture,
    baseline: DataQualityBaseline.fromBucket(store.artifactsBucket, 'baselines/churn'),
    output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/churn'),
  };
  return { stack, store, endpoint, capture, base };
}

function statementsOf(stack: Stack, rolePrefix: string): any[] {
  return Object.values<any>(iamPolicies(stack))
    .filter(p => JSON.stringify(p.Properties.Roles ?? []).includes(rolePrefix))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('DataQualityMonitor', () => {
  test('defines an hourly data-quality schedule on the endpoint with the Region\'s analyzer image', () => {
    // GIVEN
    const { stack, base } = setup();
    // WHEN
    const monitor = new DataQualityMonitor(stack, 'Monitor', { ...base, monitoringScheduleName: 'churn-data-quality' });
    // THEN
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
      EndpointName: 'churn',
      JobDefinitionName: Match.absent(),
      DataQualityAppSpecification: {
        ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
        Environment: { publish_cloudwatch_metrics: 'Enabled' },
      },
      DataQualityBaselineConfig: {
        StatisticsResource: { S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^StoreArtifactsBucket') }, '/baselines/churn/statistics.json']] } },
        ConstraintsResource: { S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^StoreArtifactsBucket') }, '/baselines/churn/constraints.json']] } },
      },
      DataQualityJobInput: { EndpointInput: { EndpointName: 'churn', LocalPath: '/opt/ml/processing/input/endpoint' } },
      DataQualityJobOutputConfig: {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
        MonitoringOutputs: [{ S3Output: { S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^StoreArtifactsBucket') }, '/monitoring/churn/']] }, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }],
      },
      JobResources: { ClusterConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 20 } },
      NetworkConfig: { EnableNetworkIsolation: false, EnableInterContainerTrafficEncryption: true },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorRole'), 'Arn'] },
    });
    t.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', {
      MonitoringScheduleName: 'churn-data-quality',
      EndpointName: 'churn',
      MonitoringScheduleConfig: {
        MonitoringType: 'DataQuality',
        ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
        MonitoringJobDefinitionName: { 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorJobDefinition'), 'JobDefinitionArn'] }] }] },
      },
    });
    expect(monitor.runsPerMonth).toBe(720);
    // The role reads the captures and the baseline, writes the reports, and nothing else of the bucket.
    const s3 = statementsOf(stack, 'MonitorRole').filter(s => JSON.stringify(s.Action).includes('s3:'));
    const resources = JSON.stringify(s3.map(s => s.Resource));
    expect(resources).toContain('/capture/churn/*');
    expect(resources).toContain('/baselines/churn/statistics.json');
    expect(resources).toContain('/baselines/churn/constraints.json');
    expect(resources).toContain('/monitoring/churn/*');
    expect(resources).not.toMatch(/Arn"\]\},"\/\*"/);
    expect(nagFindings(stack).filter(f => f.includes('/Monitor/'))).toEqual([]);
  });

  test('daily, in a VPC, with drift alarms notified through an encrypted topic', () => {
    const { stack, base } = setup();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const monitor = new DataQualityMonitor(stack, 'Monitor', {
      ...base,
      frequency: MonitoringFrequency.DAILY,
      vpc,
      maxRuntime: Duration.hours(2),
      volumeSize: Size.gibibytes(50),
      driftAlarms: [{ featureName: 'tenure' }, { featureName: 'monthly_charges', threshold: 0.3 }],
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', { MonitoringScheduleConfig: { ScheduleConfig: { ScheduleExpression: 'cron(0 0 ? * * *)' } } });
    t.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
      NetworkConfig: { VpcConfig: { Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1') }]), SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorSecurityGroup'), 'GroupId'] }] } },
      StoppingCondition: { MaxRuntimeInSeconds: 7200 },
      JobResources: { ClusterConfig: { VolumeSizeInGB: 50 } },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'aws/sagemaker/Endpoints/data-metrics',
      MetricName: 'feature_baseline_drift_monthly_charges',
      Dimensions: Match.arrayWith([{ Name: 'Endpoint', Value: 'churn' }, { Name: 'MonitoringSchedule', Value: monitor.monitoringScheduleName }]),
      Threshold: 0.3,
      Period: 86400,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitorAlarmTopic') }],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'feature_baseline_drift_tenure', Threshold: 0.1 });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorAlarmTopicKey'), 'Arn'] } });
    expect(monitor.runsPerMonth).toBe(30);
    // The execution role may manage the job's network interfaces.
    expect(JSON.stringify(statementsOf(stack, 'MonitorRole'))).toContain('ec2:CreateNetworkInterface');
    expect(nagFindings(stack).filter(f => f.includes('/Monitor/'))).toEqual([]);
  });

  test('refuses an endpoint without data capture, or a captureDestination that is not the endpoint\'s', () => {
    const { stack, base } = setup({ capture: false });
    new DataQualityMonitor(stack, 'Monitor', base);
    expect(() => Template.fromStack(stack)).toThrow(/Test\/Monitor.*endpoint 'Test\/Endpoint' has no dataCapture, so there is no traffic to monitor/);

    const other = setup();
    new DataQualityMonitor(other.stack, 'Monitor', { ...other.base, captureDestination: JobS3Location.inBucket(other.store.artifactsBucket, 'elsewhere') });
    expect(() => Template.fromStack(other.stack)).toThrow(/captureDestination must be the endpoint's dataCapture.destination, got .*elsewhere.* while 'Test\/Endpoint' captures to .*capture\/churn/);
  });

  test('reads the endpoint\'s own capture destination by default; without data capture it is refused at once', () => {
    const { stack, base } = setup();
    new DataQualityMonitor(stack, 'Monitor', { ...base, captureDestination: undefined });
    // The job reads the capture through the endpoint input; its role may read that prefix (and the synth-time check that it is the endpoint's passes).
    expect(JSON.stringify(statementsOf(stack, 'MonitorRole'))).toContain('{"Action":"s3:ListBucket","Condition":{"StringLike":{"s3:prefix":["capture/churn/*"]}}');

    const bare = setup({ capture: false });
    expect(() => new DataQualityMonitor(bare.stack, 'Monitor', { ...bare.base, captureDestination: undefined }))
      .toThrow(/^Test\/Monitor: endpoint 'Test\/Endpoint' has no dataCapture, so there is no traffic to monitor/);
  });

  test('fails clearly in a Region without a known analyzer image', () => {
    const { stack, base } = setup({ region: 'ap-southeast-7' });
    expect(() => new DataQualityMonitor(stack, 'Monitor', base))
      .toThrow(/Test\/Monitor: SageMaker Model Monitor's analyzer image has no registry known to this library in 'ap-southeast-7'; Regions with one: .*us-east-1/);
    expect(modelMonitorImageUri('cn-north-1')).toBe('453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer');
    expect(new ModelMonitorImage().bind(testStack({ account: '123456789012', region: 'eu-west-1' }), { grantPrincipal: undefined as any }).imageUri)
      .toBe('468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer');
  });

  test('in a region-agnostic stack, looks the analyzer registry up per Region at deploy time (one mapping per stack)', () => {
    const agnostic = setup({ agnostic: true });
    new DataQualityMonitor(agnostic.stack, 'Monitor', agnostic.base);
    new ModelMonitorImage().bind(agnostic.stack, { grantPrincipal: undefined as any });
    const template = Template.fromStack(agnostic.stack).toJSON();
    const job = Object.values<any>(template.Resources).find(r => r.Type === 'AWS::SageMaker::DataQualityJobDefinition').Properties;
    expect(job.DataQualityAppSpecification.ImageUri).toEqual({
      'Fn::Join': ['', [
        { 'Fn::FindInMap': ['ModelMonitorAnalyzerRegistries', { Ref: 'AWS::Region' }, 'account'] },
        '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/sagemaker-model-monitor-analyzer',
      ]],
    });
    expect(Object.keys(template.Mappings)).toEqual(['ModelMonitorAnalyzerRegistries']);
    expect(template.Mappings.ModelMonitorAnalyzerRegistries).toEqual(Object.fromEntries(
      Object.entries(MODEL_MONITOR_REGISTRY_ACCOUNTS).map(([region, account]) => [region, { account }])));
    expect(template.Mappings.ModelMonitorAnalyzerRegistries['af-south-1']).toEqual({ account: '875698925577' });
  });

  test.each([
    [{ monitoringScheduleName: 'churn_dq' }, /Test\/Monitor: monitoringScheduleName must be letters, digits and hyphens.*got 'churn_dq'/],
    [{ instanceType: { name: 'm5.xlarge' } as SageMakerInstanceType }, /Test\/Monitor: instanceType must be a SageMaker instance type of the form 'ml.<family>.<size>'.*got 'm5.xlarge'/],
    [{ instanceCount: 0 }, /Test\/Monitor: instanceCount must be an integer between 1 and 100, got 0/],
    [{ maxRuntime: Duration.hours(2) }, /Test\/Monitor: maxRuntime \(with a hourly schedule\) must be a whole number of seconds between 1 and 3600/],
    [{ driftAlarms: [{ featureName: 'a', threshold: 1.5 }] }, /Test\/Monitor: driftAlarms\[0\].threshold must be a number between 0 and 1, got 1.5/],
    [{ driftAlarms: [{ featureName: 'a' }, { featureName: 'a' }] }, /driftAlarms\[\].featureName must be unique, got 'a' more than once/],
  ])('rejects bad input %#', (props, error) => {
    const { stack, base } = setup();
    expect(() => new DataQualityMonitor(stack, 'Monitor', { ...base, ...props })).toThrow(error);
  });
});
