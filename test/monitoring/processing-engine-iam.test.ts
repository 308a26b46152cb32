import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { JobS3Location, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerModel } from '../../lib';
import { DataQualityBaseline, DataQualityMonitor } from '../../lib/monitoring/data-quality-monitor';
import { MonitoringEngine } from '../../lib/monitoring/monitoring-engine';
import { ACCOUNT, TemplateIam } from '../composition/iam-evaluator';

/**
 * The synthesized IAM of MonitoringEngine.processingJob(), evaluated (iam-simulate): what each
 * role of a run needs is allowed, and the next thing beside it is not.
 */
const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const REGION = 'eu-west-1';
const NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';
jest.setTimeout(60_000);

describe('MonitoringEngine.processingJob(): least privilege, evaluated', () => {
  let iam: TemplateIam;
  let bucket: string;
  let variant: string;
  let machineId: string;
  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'Monitoring', { env: { account: ACCOUNT, region: REGION } });
    const key = new kms.Key(stack, 'TeamBucketKey', { enableKeyRotation: true });
    const artifacts = new s3.Bucket(stack, 'TeamArtifacts', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true });
    const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(path.join(IMAGE_DIR, 'sample', 'model.tar.gz')) });
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model }], endpointName: 'claims', dataCapture: { destination: JobS3Location.inBucket(artifacts, 'capture') } });
    variant = endpoint.variants[0].variantName;
    new DataQualityMonitor(stack, 'Monitor', {
      endpoint,
      baseline: DataQualityBaseline.fromBucket(artifacts, 'monitoring/baseline'),
      output: JobS3Location.inBucket(artifacts, 'monitoring/reports'),
      engine: MonitoringEngine.processingJob(),
    });
    const template = app.synth().getStackByName('Monitoring').template;
    machineId = Object.keys(template.Resources).find(id => template.Resources[id].Type === 'AWS::StepFunctions::StateMachine')!;
    iam = new TemplateIam(template, REGION);
    bucket = iam.arnOf('AWS::S3::Bucket', 'TeamArtifacts');
  });
  const object = (key: string) => `arn:aws:s3:::${bucket}/${key}`;

  test('the job reads the captures and the baseline, writes the reports, and cannot write the baseline or captures', async () => {
    const role = iam.role('MonitorRole');
    expect(await iam.evaluate(role, 's3:GetObject', object(`capture/claims/${variant}/2026/12/07/10/a.jsonl`))).toBe('Allowed');
    expect(await iam.evaluate(role, 's3:GetObject', object('monitoring/baseline/statistics.json'))).toBe('Allowed');
    expect(await iam.evaluate(role, 's3:PutObject', object('monitoring/reports/2026/12/07/10/cloudwatch_metrics.json'))).toBe('Allowed');
    expect(await iam.evaluate(role, 's3:PutObject', object('monitoring/baseline/constraints.json'))).not.toBe('Allowed');
    expect(await iam.evaluate(role, 's3:PutObject', object(`capture/claims/${variant}/x.jsonl`))).not.toBe('Allowed');
    expect(await iam.evaluate(role, 'kms:Decrypt', iam.arnOf('AWS::KMS::Key', 'TeamBucketKey'))).toBe('Allowed');
  });

  test('the workflow publishes to the data-quality namespace only, lists only the variant\'s captures, reads only metrics files', async () => {
    const role = iam.role('MonitorStateMachineRole');
    expect(await iam.evaluate(role, 'cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': NAMESPACE })).toBe('Allowed');
    expect(await iam.evaluate(role, 'cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'AWS/EC2' })).not.toBe('Allowed');
    expect(await iam.evaluate(role, 's3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': `capture/claims/${variant}/2026/12/07/10/` })).toBe('Allowed');
    expect(await iam.evaluate(role, 's3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': 'monitoring/' })).not.toBe('Allowed');
    expect(await iam.evaluate(role, 's3:GetObject', object('monitoring/reports/2026/12/07/10/cloudwatch_metrics.json'))).toBe('Allowed');
    expect(await iam.evaluate(role, 's3:GetObject', object('monitoring/reports/2026/12/07/10/statistics.json'))).not.toBe('Allowed');
    expect(await iam.evaluate(role, 'kms:Decrypt', iam.arnOf('AWS::KMS::Key', 'TeamBucketKey'))).toBe('Allowed');
  });

  test('the schedule may start the monitoring workflow', async () => {
    // A state machine's Ref is its ARN.
    const machine = iam.resolve({ Ref: machineId });
    expect(machine).toMatch(/^arn:aws:states:eu-west-1:\d{12}:stateMachine:/);
    expect(await iam.evaluate(iam.role('MonitorScheduleRole'), 'states:StartExecution', machine)).toBe('Allowed');
  });
});
