import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SageMakerTrainingStack } from '../../bin/stacks';
import { JobS3Location, MlDataStore, MlflowTrackingServer, MlflowTrackingServerSize } from '../../lib';
import { ENV, definitionOf, iamPolicies, nagFindings, testApp, testStack } from '../util';

describe('MlflowTrackingServer', () => {
  test('defines a server with its artifact store and a role limited to it', () => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    const server = new MlflowTrackingServer(stack, 'Tracking', {
      trackingServerName: 'team-tracking',
      artifactStore: JobS3Location.inBucket(store.artifactsBucket, 'mlflow'),
      size: MlflowTrackingServerSize.MEDIUM,
      mlflowVersion: '2.16.2',
      weeklyMaintenanceWindowStart: 'Tue:03:30',
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::MlflowTrackingServer', {
      TrackingServerName: 'team-tracking',
      TrackingServerSize: 'Medium',
      MlflowVersion: '2.16.2',
      WeeklyMaintenanceWindowStart: 'Tue:03:30',
      ArtifactStoreUri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^StoreArtifactsBucket') }, '/mlflow/']] },
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrackingRole'), 'Arn'] },
    });
    expect(JSON.stringify(iamPolicies(stack))).toContain('/mlflow/*');
    expect(stack.resolve(server.trackingServerArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Tracking/), 'TrackingServerArn'] });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('grants tracking on the server and its artifact store', () => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    const server = new MlflowTrackingServer(stack, 'Tracking', { artifactStore: JobS3Location.inBucket(store.artifactsBucket, 'mlflow') });
    const role = new iam.Role(stack, 'Job', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    server.grantTracking(role);
    const json = JSON.stringify(Object.entries(iamPolicies(stack)).filter(([id]) => id.startsWith('Job')).map(([, p]) => p));
    expect(json).toContain('sagemaker-mlflow:LogMetric');
    expect(json).toContain('"TrackingServerArn"');
    expect(json).toContain('"Action":["s3:AbortMultipartUpload","s3:GetObject","s3:PutObject"]');
    expect(json).not.toContain('sagemaker-mlflow:*');
  });

  test.each([
    [{ trackingServerName: 'bad_name' }, /trackingServerName must be letters, digits and single hyphens, got 'bad_name'/],
    [{ trackingServerName: 'a'.repeat(181) }, /trackingServerName must be between 1 and 180 characters long so that the server's ARN fits a job's MLFLOW_TRACKING_URI \(256 characters\), got 181/],
    [{ mlflowVersion: 'latest' }, /mlflowVersion must be a version such as '2.16.2', got 'latest'/],
    [{ weeklyMaintenanceWindowStart: 'Tuesday 3am' }, /weeklyMaintenanceWindowStart must be a day and time such as 'Tue:03:30', got 'Tuesday 3am'/],
  ])('rejects %p', (override, error) => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    expect(() => new MlflowTrackingServer(stack, 'Tracking', { artifactStore: JobS3Location.inBucket(store.artifactsBucket, 'mlflow'), ...override })).toThrow(error);
  });
});

test('a generated name and the longest accepted name fit MLFLOW_TRACKING_URI (256 characters) in the longest partition and Region', () => {
  const stack = testStack({ account: '123456789012', region: 'ap-southeast-7' });
  const store = new MlDataStore(stack, 'Store');
  const generated = new MlflowTrackingServer(stack, 'X'.repeat(240), { artifactStore: JobS3Location.inBucket(store.artifactsBucket, 'mlflow') });
  const longest = 'a'.repeat(180);
  new MlflowTrackingServer(stack, 'Longest', { artifactStore: JobS3Location.inBucket(store.artifactsBucket, 'mlflow'), trackingServerName: longest });
  for (const name of [generated.trackingServerName, longest]) {
    expect(`arn:aws-us-gov:sagemaker:ap-southeast-7:123456789012:mlflow-tracking-server/${name}`.length).toBeLessThanOrEqual(256);
  }
  expect(generated.trackingServerName.length).toBeLessThanOrEqual(180);
});

test('grantTracking returns the grant', () => {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const server = new MlflowTrackingServer(stack, 'Tracking', { artifactStore: JobS3Location.inBucket(store.artifactsBucket, 'mlflow') });
  const grant = server.grantTracking(new iam.Role(stack, 'Job', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }));
  expect(grant.success).toBe(true);
  expect(MlflowTrackingServer.fromTrackingServerName(stack, 'Imported', 'team').grantTracking(new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() })).success).toBe(true);
});

describe('the reference training stack tracks experiments', () => {
  test('every job carries the tracking server and the experiment name', () => {
    const stack = new SageMakerTrainingStack(testApp(), 'Training', { env: ENV });
    const d = definitionOf(stack);
    for (const id of ['Preprocess', 'Train', 'Evaluate']) {
      expect({ id, env: d.States[id].Parameters.Environment }).toEqual({
        id,
        env: expect.objectContaining({ MLFLOW_TRACKING_URI: expect.stringMatching(/^\$\{Tracking[0-9A-F]+\.TrackingServerArn\}$/), MLFLOW_EXPERIMENT_NAME: 'glm-claims' }),
      });
    }
    Template.fromStack(stack).hasOutput('TrackingServerArn', {});
  });
});
