import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { JobConfigFile, JobS3Location, MlDataStore, S3AccessMode } from '../../lib';
import { iamPolicies, testStack } from '../util';

const SAMPLE = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample');

function setup(): { stack: Stack; store: MlDataStore; role: iam.Role } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  return { stack, store, role };
}

function statements(stack: Stack): any[] {
  const policies = iamPolicies(stack);
  return Object.values<any>(policies).flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('JobS3Location', () => {
  test('inBucket for reading: GetObject on the prefix, ListBucket conditioned on it, decrypt with the bucket key', () => {
    const { stack, store, role } = setup();
    const config = JobS3Location.inBucket(store.dataBucket, '/datasets/train/').bind(stack, role, S3AccessMode.READ);
    expect(config.isExpression).toBe(false);
    expect(stack.resolve(config.uri)).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^StoreDataBucket/) }, '/datasets/train/']] });
    const all = statements(stack);
    expect(all).toContainEqual({ Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreDataBucket/), 'Arn'] }, '/datasets/train/*']] } });
    expect(all).toContainEqual(expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['datasets/train/*'] } } }));
    expect(all).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt' }));
    expect(JSON.stringify(all)).not.toMatch(/s3:PutObject|s3:DeleteObject|s3:GetObject\*/);
  });

  test('perExecution for writing: a States.Format URI with the execution name, PutObject only', () => {
    const { stack, store, role } = setup();
    const config = JobS3Location.perExecution(store.artifactsBucket, 'evaluation').bind(stack, role, S3AccessMode.WRITE);
    expect(config.isExpression).toBe(true);
    expect(config.encryptionKey).toBe(store.encryptionKey);
    expect(stack.resolve(config.uri)).toEqual({ 'Fn::Join': ['', ["States.Format('s3://", { Ref: expect.stringMatching(/^StoreArtifactsBucket/) }, "/evaluation/{}/', $$.Execution.Name)"]] });
    const all = statements(stack);
    expect(all).toContainEqual(expect.objectContaining({ Action: ['s3:AbortMultipartUpload', 's3:PutObject'] }));
    expect(all).toContainEqual(expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }));
  });

  test('child and objectKey address folders and files inside the execution folder', () => {
    const { stack, store, role } = setup();
    const location = JobS3Location.perExecution(store.dataBucket, 'processed');
    const child = location.child('train').bind(stack, role, S3AccessMode.READ);
    expect(JSON.stringify(stack.resolve(child.uri))).toContain("/processed/{}/train/', $$.Execution.Name)");
    const object = JobS3Location.perExecution(store.artifactsBucket, 'evaluation').objectKey('evaluation.json');
    expect(object.keyPattern).toBe('evaluation/*/evaluation.json');
    expect(JobS3Location.inBucket(store.dataBucket, 'fixed').child('a/b').objectKey('x.json').key).toBe('fixed/a/b/x.json');
  });

  test('fromJsonPath reads the URI at run time and scopes the grant to its prefix', () => {
    const { stack, store, role } = setup();
    const config = JobS3Location.fromJsonPath('$.results.train.ModelArtifacts.S3ModelArtifacts', store.artifactsBucket, 'models').bind(stack, role, S3AccessMode.READ);
    expect(config).toEqual(expect.objectContaining({ uri: '$.results.train.ModelArtifacts.S3ModelArtifacts', isExpression: true }));
    expect(JSON.stringify(stack.resolve(statements(stack)))).toContain('/models/*');
  });

  test('fromAsset grants read on exactly the asset object', () => {
    const { stack, role } = setup();
    const file = new JobConfigFile(stack, 'Config', { path: path.join(SAMPLE, 'config.json') });
    const config = file.location.bind(stack, role, S3AccessMode.READ);
    expect(config.isExpression).toBe(false);
    const getObject = statements(stack).find(s => s.Action === 's3:GetObject');
    expect(JSON.stringify(getObject.Resource)).toMatch(/\/[a-f0-9]{64}\.json"/);
    expect(JSON.stringify(getObject.Resource)).not.toContain('*');
  });

  test.each([
    [() => JobS3Location.inBucket(s3.Bucket.fromBucketName(testStack(), 'B', 'team-bucket'), 'bad prefix'), /keyPrefix must be an S3 key prefix of letters, digits and ! _ . \/ - \(no \* or brackets\), got 'bad prefix'/],
    [() => JobS3Location.inBucket(s3.Bucket.fromBucketName(testStack(), 'B', 'team-bucket'), 'data/*'), /keyPrefix must be an S3 key prefix .*, got 'data\/\*'/],
    [() => JobS3Location.inBucket(s3.Bucket.fromBucketName(testStack(), 'B', 'team-bucket'), 'a//b'), /keyPrefix must not contain empty path segments \('\/\/'\), got 'a\/\/b'/],
    [() => JobS3Location.perExecution(s3.Bucket.fromBucketName(testStack(), 'B', 'team-bucket'), "it's"), /keyPrefix must be/],
    [() => JobS3Location.fromJsonPath('results.uri', s3.Bucket.fromBucketName(testStack(), 'B', 'team-bucket')), /jsonPath must be a JSONPath into the state input, starting with '\$\.' .*, got 'results.uri'/],
    [() => JobS3Location.inBucket(s3.Bucket.fromBucketName(testStack(), 'B', 'team-bucket'), 'p').child(''), /child relativePath must not be empty/],
    [() => JobS3Location.fromJsonPath('$.x', s3.Bucket.fromBucketName(testStack(), 'B', 'team-bucket')).objectKey('a.json'), /objectKey\('a.json'\) needs a location made with JobS3Location.inBucket or perExecution/],
  ])('rejects bad input %#', (make, error) => {
    expect(make).toThrow(error);
  });

  test('an asset is read-only and must be a file', () => {
    const { stack, role } = setup();
    const file = new JobConfigFile(stack, 'Config', { path: path.join(SAMPLE, 'config.json') });
    expect(() => file.location.bind(stack, role, S3AccessMode.WRITE)).toThrow(/a file asset can only be a job input, got it as an output/);
    const dir = new s3assets.Asset(stack, 'Dir', { path: SAMPLE });
    expect(() => JobS3Location.fromAsset(dir)).toThrow(/JobS3Location.fromAsset needs a file asset; 'Test\/Dir' is a directory/);
  });
});

describe('JobConfigFile', () => {
  test.each([
    ['missing.json', /JobConfigFile path must be an existing file, got '.*missing.json'/],
    ['claims.csv', /JobConfigFile path must end in .json, .yaml or .yml, got '.*claims.csv'/],
  ])('rejects %s', (file, error) => {
    expect(() => new JobConfigFile(testStack(), 'C', { path: path.join(SAMPLE, file) })).toThrow(error);
  });

  test('rejects JSON that does not parse, at synth', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'broken.json');
    fs.writeFileSync(file, '{"target": ');
    expect(() => new JobConfigFile(testStack(), 'C', { path: file })).toThrow(/JobConfigFile path '.*broken.json' is not valid JSON: /);
  });
});
