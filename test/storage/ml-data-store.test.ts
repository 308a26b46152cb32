import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { MlDataStore, TeamDomain } from '../../lib';
import { nagFindings, testStack } from '../util';

describe('MlDataStore', () => {
  const stack = testStack();
  new MlDataStore(stack, 'Store');
  const template = Template.fromStack(stack);
  const buckets = template.findResources('AWS::S3::Bucket');
  const [dataId, artifactsId] = ['StoreDataBucket', 'StoreArtifactsBucket'].map(p => Object.keys(buckets).find(id => id.startsWith(p))!);
  const logsId = Object.keys(buckets).find(id => id.startsWith('StoreAccessLogs'))!;

  test('defines a data, an artifacts and an access-log bucket, and a rotating key', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test.each([['data', () => dataId], ['artifacts', () => artifactsId]])('the %s bucket is KMS-encrypted, versioned, private, logged and retained', (_name, id) => {
    const bucket = buckets[id()];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
      BucketKeyEnabled: true,
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^StoreKey/), 'Arn'] } },
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logsId });
  });

  test('every bucket denies requests without TLS', () => {
    for (const id of [dataId, artifactsId, logsId]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  test('the key is retained', () => {
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('policy review: no unacknowledged AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('takes a key, a removal policy and a noncurrent version expiration', () => {
    const other = testStack();
    const key = new kms.Key(other, 'Mine', { enableKeyRotation: true });
    const store = new MlDataStore(other, 'Store', {
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
      noncurrentVersionExpiration: Duration.days(90),
    });
    expect(store.encryptionKey).toBe(key);
    const t = Template.fromStack(other);
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })]) },
      }),
    });
  });

  test('uses existing buckets: the key is the one given, else the artifacts bucket\'s, else the data bucket\'s', () => {
    const other = testStack();
    const key = new kms.Key(other, 'Key');
    const data = s3.Bucket.fromBucketAttributes(other, 'Data', { bucketName: 'team-data', encryptionKey: key });
    const artifacts = s3.Bucket.fromBucketName(other, 'Artifacts', 'team-artifacts');
    const store = MlDataStore.fromBuckets(other, 'Store', { dataBucket: data, artifactsBucket: artifacts });
    expect(store.node.path).toBe('Test/Store');
    expect(store.dataBucket.bucketName).toBe('team-data');
    expect(store.artifactsBucket.bucketName).toBe('team-artifacts');
    expect(store.encryptionKey).toBe(key);

    const artifactsKey = kms.Key.fromKeyArn(other, 'ArtifactsKey', 'arn:aws:kms:us-east-1:123456789012:key/artifacts');
    const withKeys = MlDataStore.fromBuckets(other, 'Keyed', {
      dataBucket: data,
      artifactsBucket: s3.Bucket.fromBucketAttributes(other, 'KeyedArtifacts', { bucketName: 'team-models', encryptionKey: artifactsKey }),
    });
    expect(withKeys.encryptionKey).toBe(artifactsKey);

    const given = kms.Key.fromKeyArn(other, 'Given', 'arn:aws:kms:us-east-1:123456789012:key/given');
    const plain = s3.Bucket.fromBucketName(other, 'PlainData', 'plain-data');
    expect(MlDataStore.fromBuckets(other, 'GivenKey', { dataBucket: plain, artifactsBucket: artifacts, encryptionKey: given }).encryptionKey).toBe(given);
    // The same key under another reference (its ARN) is the same key.
    const same = kms.Key.fromKeyArn(other, 'SameKey', key.keyArn);
    expect(MlDataStore.fromBuckets(other, 'Same', { dataBucket: data, artifactsBucket: artifacts, encryptionKey: same }).encryptionKey).toBe(same);
  });

  test('an imported store serves a domain as a defined one does', () => {
    const other = testStack();
    const store = MlDataStore.fromBuckets(other, 'Store', {
      dataBucket: s3.Bucket.fromBucketName(other, 'Data', 'team-data'),
      artifactsBucket: s3.Bucket.fromBucketName(other, 'Artifacts', 'team-artifacts'),
    });
    const vpc = new ec2.Vpc(other, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'i', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new TeamDomain(other, 'Domain', { vpc, dataStore: store });
    const policies = JSON.stringify(Template.fromStack(other).findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).toContain('team-data');
    expect(policies).toContain('team-artifacts');
  });

  test.each([
    ['dataBucket', { dataBucket: undefined }, /Test\/Store: dataBucket is required/],
    ['artifactsBucket', { artifactsBucket: undefined }, /Test\/Store: artifactsBucket is required/],
    ['encryptionKey', { encryptionKey: 'other' }, /Test\/Store: encryptionKey must be the key the buckets are encrypted with, got 'arn:aws:kms:us-east-1:123456789012:key\/other' while dataBucket is imported with key 'arn:aws:kms:us-east-1:123456789012:key\/data'/],
  ])('fromBuckets refuses a bad %s', (_prop, override, error) => {
    const other = testStack();
    const dataKey = kms.Key.fromKeyArn(other, 'DataKey', 'arn:aws:kms:us-east-1:123456789012:key/data');
    const attrs: any = {
      dataBucket: s3.Bucket.fromBucketAttributes(other, 'Data', { bucketName: 'team-data', encryptionKey: dataKey }),
      artifactsBucket: s3.Bucket.fromBucketName(other, 'Artifacts', 'team-artifacts'),
      ...override,
    };
    if (attrs.encryptionKey === 'other') attrs.encryptionKey = kms.Key.fromKeyArn(other, 'Other', 'arn:aws:kms:us-east-1:123456789012:key/other');
    expect(() => MlDataStore.fromBuckets(other, 'Store', attrs)).toThrow(error);
  });

  test.each([
    [{ noncurrentVersionExpiration: Duration.hours(12) }, /noncurrentVersionExpiration must be a whole number of days between 1 and 36500, got 12 hours/],
    [{ noncurrentVersionExpiration: Duration.hours(36) }, /noncurrentVersionExpiration must be a whole number of days between 1 and 36500, got 1 day 12 hours/],
    [{ accessLogsRetention: Duration.seconds(0) }, /accessLogsRetention must be a whole number of days between 1 and 36500, got 0 seconds/],
  ])('rejects %p', (props, error) => {
    expect(() => new MlDataStore(testStack(), 'Store', props)).toThrow(error);
  });
});
