// Integration test: deploy the real-time, serverless and asynchronous reference stacks on the
// sample GLM, invoke each endpoint and expect predictions. With an account:
//   npx cdk deploy --app 'npx ts-node --transpile-only test/integ.hosting.ts' --all
// Without one, test/integ/integ-snapshots.test.ts synthesizes it and checks its snapshot.
// eslint-disable-next-line import/no-extraneous-dependencies
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { SageMakerAsyncStack, SageMakerRealtimeStack, SageMakerServerlessStack } from '../bin/stacks';
import { MlDataStore } from '../lib';

export function buildHostingInteg(app: App): Stack[] {
  const shared = new Stack(app, 'IntegSageMakerMlHostingData');
  const dataStore = new MlDataStore(shared, 'DataStore');
  const realtime = new SageMakerRealtimeStack(app, 'IntegSageMakerMlRealtime', { dataStore });
  const serverless = new SageMakerServerlessStack(app, 'IntegSageMakerMlServerless', { dataStore });
  const queued = new SageMakerAsyncStack(app, 'IntegSageMakerMlAsync', { dataStore });
  const integ = new IntegTest(app, 'HostingInteg', { testCases: [shared, realtime, serverless, queued] });

  // Real-time and serverless: a CSV and a JSON request answer with predictions.
  integ.assertions.awsApiCall('SageMakerRuntime', 'invokeEndpoint', {
    EndpointName: realtime.endpoint.endpointName, ContentType: 'text/csv', Body: '40,20.5,north\n',
  }).expect(ExpectedResult.objectLike({ ContentType: Match.stringLikeRegexp('json') }));
  integ.assertions.awsApiCall('SageMakerRuntime', 'invokeEndpoint', {
    EndpointName: serverless.endpoint.endpointName, ContentType: 'application/json', Body: JSON.stringify({ instances: [{ age: 40, vehicle_value: 20.5, region: 'north' }] }),
  }).expect(ExpectedResult.objectLike({ ContentType: Match.stringLikeRegexp('json') }));

  // Asynchronous: upload a request, invoke, then find the response in the output prefix.
  const upload = integ.assertions.awsApiCall('S3', 'putObject', {
    Bucket: dataStore.dataBucket.bucketName, Key: 'async/input/integ.csv', Body: '40,20.5,north\n',
  });
  const invoke = integ.assertions.awsApiCall('SageMakerRuntime', 'invokeEndpointAsync', {
    EndpointName: queued.endpoint.endpointName, ContentType: 'text/csv', InputLocation: `s3://${dataStore.dataBucket.bucketName}/async/input/integ.csv`,
  });
  upload.next(invoke).next(integ.assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: dataStore.artifactsBucket.bucketName, Prefix: 'async/output/' })
    .expect(ExpectedResult.objectLike({ KeyCount: 1 }))
    .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(1) }));
  return app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}

if (require.main === module) {
  const app = new App();
  buildHostingInteg(app);
  app.synth();
}
