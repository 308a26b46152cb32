import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ACCOUNT, TemplateIam } from './iam-evaluator';
import { JobS3Location, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerModel } from '../../lib';
import { DataQualityBaseline, DataQualityMonitor } from '../../lib/monitoring/data-quality-monitor';

/**
 * A team's monitoring composition: its own KMS keys for the data store, the captured traffic
 * (a key that differs from the bucket's) and its alarm topic. The synthesized IAM is evaluated:
 * the monitoring role can read what the endpoint captured, and CloudWatch can publish the drift
 * alarms to the team's encrypted topic (else the alarms are dropped).
 */
const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const REGION = 'eu-west-1';

describe('a team\'s monitoring composition: own keys, capture key apart from the bucket key, encrypted alarm topic', () => {
  let iam: TemplateIam;
  let template: any;
  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'TeamMonitoring', { env: { account: ACCOUNT, region: REGION } });
    const bucketKey = new kms.Key(stack, 'TeamBucketKey', { enableKeyRotation: true });
    const bucket = new s3.Bucket(stack, 'TeamArtifacts', { encryption: s3.BucketEncryption.KMS, encryptionKey: bucketKey, enforceSSL: true });
    const captureKey = new kms.Key(stack, 'TeamCaptureKey', { enableKeyRotation: true });
    const alarmKey = new kms.Key(stack, 'TeamAlarmKey', { enableKeyRotation: true });
    const alarms = new sns.Topic(stack, 'TeamAlarms', { masterKey: alarmKey, enforceSSL: true });
    const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(path.join(IMAGE_DIR, 'sample', 'model.tar.gz')) });
    const capture = JobS3Location.inBucket(bucket, 'capture/claims');
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model }], endpointName: 'claims', dataCapture: { destination: capture, encryptionKey: captureKey } });
    new DataQualityMonitor(stack, 'Monitor', {
      endpoint,
      captureDestination: capture,
      baseline: DataQualityBaseline.fromBucket(bucket, 'monitoring/baseline'),
      output: JobS3Location.inBucket(bucket, 'monitoring/reports'),
      driftAlarms: [{ featureName: 'age' }, { featureName: 'vehicle_value', threshold: 0.2 }],
      alarmTopic: alarms,
    });
    template = app.synth().getStackByName('TeamMonitoring').template;
    iam = new TemplateIam(template, REGION);
  });

  test('the monitoring role can decrypt the captured traffic with the capture key, and do nothing else with it', async () => {
    const role = iam.role('MonitorRole');
    const captureKey = iam.arnOf('AWS::KMS::Key', 'TeamCaptureKey');
    expect(await iam.evaluate(role, 'kms:Decrypt', captureKey)).toBe('Allowed');
    expect(await iam.evaluate(role, 'kms:Encrypt', captureKey)).not.toBe('Allowed');
    expect(await iam.evaluate(role, 'kms:ScheduleKeyDeletion', captureKey)).not.toBe('Allowed');
    // The bucket's own key too (the reports and the baseline).
    expect(await iam.evaluate(role, 'kms:Decrypt', iam.arnOf('AWS::KMS::Key', 'TeamBucketKey'))).toBe('Allowed');
  });

  test('CloudWatch may use the alarm topic\'s key (kms:GenerateDataKey*, kms:Decrypt) for this account\'s alarms only', async () => {
    const alarmKey = iam.arnOf('AWS::KMS::Key', 'TeamAlarmKey');
    const fromHere = { 'aws:SourceAccount': ACCOUNT };
    expect(await iam.evaluate('cloudwatch.amazonaws.com', 'kms:GenerateDataKey', alarmKey, fromHere)).toBe('Allowed');
    expect(await iam.evaluate('cloudwatch.amazonaws.com', 'kms:Decrypt', alarmKey, fromHere)).toBe('Allowed');
    expect(await iam.evaluate('cloudwatch.amazonaws.com', 'kms:GenerateDataKey', alarmKey, { 'aws:SourceAccount': '210987654321' })).not.toBe('Allowed');
    expect(await iam.evaluate('cloudwatch.amazonaws.com', 'kms:Encrypt', alarmKey, fromHere)).not.toBe('Allowed');
  });

  test('both drift alarms notify the team\'s topic', () => {
    const topic = iam.arnOf('AWS::SNS::Topic', 'TeamAlarms');
    const alarms = Object.values<any>(template.Resources)
      .filter(r => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === 'aws/sagemaker/Endpoints/data-metrics');
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) expect(iam.resolve(alarm.Properties.AlarmActions)).toEqual([topic]);
  });
});
