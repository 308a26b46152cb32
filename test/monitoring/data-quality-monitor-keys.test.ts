import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel } from '../../lib';
import { DataQualityBaseline, DataQualityMonitor, DataQualityMonitorProps } from '../../lib/monitoring/data-quality-monitor';
import { testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

/** An endpoint that captures to the artifacts bucket with a capture key of its own (not the bucket's). */
function setup() {
  const stack = testStack({ account: '123456789012', region: 'us-east-1' });
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(path.join(IMAGE_DIR, 'sample', 'model.tar.gz')) });
  const captureKey = new kms.Key(stack, 'CaptureKey', { enableKeyRotation: true });
  const capture = JobS3Location.inBucket(store.artifactsBucket, 'capture/churn');
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model }], endpointName: 'churn', dataCapture: { destination: capture, encryptionKey: captureKey } });
  const base: DataQualityMonitorProps = {
    endpoint,
    captureDestination: capture,
    baseline: DataQualityBaseline.fromBucket(store.artifactsBucket, 'baselines/churn'),
    output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/churn'),
  };
  return { stack, store, captureKey, base };
}

/** The actions a role's policies allow on a resource (by the resource's resolved form). */
function actionsOn(stack: any, rolePrefix: string, resource: any): string[] {
  const t = Template.fromStack(stack).toJSON();
  return Object.values<any>(t.Resources)
    .filter(r => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter(r => JSON.stringify(r.Properties.Roles ?? []).includes(rolePrefix))
    .flatMap(r => r.Properties.PolicyDocument.Statement)
    .filter((s: any) => s.Effect === 'Allow' && [s.Resource].flat().some((r: any) => JSON.stringify(r) === JSON.stringify(resource)))
    .flatMap((s: any) => [s.Action].flat());
}

describe('DataQualityMonitor keys', () => {
  test('the role may decrypt the captured traffic with the endpoint\'s capture key, which differs from the bucket\'s', () => {
    const { stack, captureKey, base } = setup();
    new DataQualityMonitor(stack, 'Monitor', base);
    const keyArn = stack.resolve(captureKey.keyArn);
    expect(actionsOn(stack, 'MonitorRole', keyArn)).toEqual(['kms:Decrypt']);
  });

  test('captureEncryptionKey names another capture key explicitly', () => {
    const { stack, base } = setup();
    const other = new kms.Key(stack, 'OtherKey', { enableKeyRotation: true });
    new DataQualityMonitor(stack, 'Monitor', { ...base, captureEncryptionKey: other });
    expect(actionsOn(stack, 'MonitorRole', stack.resolve(other.keyArn))).toEqual(['kms:Decrypt']);
  });

  test('an alarm topic encrypted with the team\'s key: the key policy lets CloudWatch use it', () => {
    const { stack, base } = setup();
    const teamKey = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'TeamAlarms', { masterKey: teamKey });
    new DataQualityMonitor(stack, 'Monitor', { ...base, driftAlarms: [{ featureName: 'age' }], alarmTopic: topic });
    const key = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(teamKey.node.defaultChild as kms.CfnKey)];
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('^TeamAlarms') }] });
  });

  test('an alarm topic whose key is imported: a warning names the statement CloudWatch needs', () => {
    const { stack, base } = setup();
    const topic = new sns.Topic(stack, 'TeamAlarms', { masterKey: kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
    new DataQualityMonitor(stack, 'Monitor', { ...base, driftAlarms: [{ featureName: 'age' }], alarmTopic: topic });
    Annotations.fromStack(stack).hasWarning('/Test/Monitor', Match.stringLikeRegexp("alarmTopic 'Test/TeamAlarms' is encrypted with a key whose policy this app cannot change: unless it lets cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey\\*"));
  });

  test.each(['ml.m5d.xlarge', 'ml.g5.xlarge', 'ml.p4d.24xlarge', 'ml.c6id.large'])('refuses a volume key on %s, whose only storage is local NVMe', instanceType => {
    const { stack, base } = setup();
    const volumeEncryptionKey = new kms.Key(stack, 'VolumeKey', { enableKeyRotation: true });
    expect(() => new DataQualityMonitor(stack, 'Monitor', { ...base, instanceType: SageMakerInstanceType.of(instanceType), volumeEncryptionKey }))
      .toThrow(new RegExp(`Test/Monitor: volumeEncryptionKey must not be set for instanceType '${instanceType.replace(/\./g, '\\.')}': its storage is local NVMe instance storage`));
  });

  test('accepts a volume key on an EBS-backed instance type', () => {
    const { stack, base } = setup();
    const volumeEncryptionKey = new kms.Key(stack, 'VolumeKey', { enableKeyRotation: true });
    new DataQualityMonitor(stack, 'Monitor', { ...base, instanceType: SageMakerInstanceType.ML_M5_XLARGE, volumeEncryptionKey });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
      JobResources: { ClusterConfig: { VolumeKmsKeyId: stack.resolve(volumeEncryptionKey.keyArn) } },
    });
  });
});
