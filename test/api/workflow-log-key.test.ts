import * as path from 'path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ChannelDataSource, JobS3Location, MlDataStore, SageMakerImage, SageMakerWorkflow, TrainingStage, TrainingWorkflow } from '../../lib';
import { nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const IMPORTED_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function train(stack: Stack): TrainingStage {
  const store = new MlDataStore(stack, 'Store');
  return new TrainingStage(stack, 'Train', {
    image: SageMakerImage.fromAsset(IMAGE_DIR),
    outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    maxRuntime: Duration.hours(1),
  });
}

function teamLogGroup(stack: Stack): logs.LogGroup {
  const key = new kms.Key(stack, 'TeamLogKey', { enableKeyRotation: true });
  return new logs.LogGroup(stack, 'TeamLogs', { encryptionKey: key, retention: logs.RetentionDays.TWO_YEARS, removalPolicy: RemovalPolicy.RETAIN });
}

describe('the key of a workflow\'s logs and failure topic', () => {
  test('an imported key is refused while the workflow defines its log group, naming the path, the key and the way out', () => {
    const stack = testStack();
    const key = kms.Key.fromKeyArn(stack, 'TeamKey', IMPORTED_KEY);
    expect(() => new SageMakerWorkflow(stack, 'Workflow', { definition: train(stack), encryptionKey: key })).toThrow(
      new RegExp(`^Test/Workflow: encryptionKey must be a key defined in this app \\(kms.Key\\) to encrypt the log group it defines .*got the imported key '${IMPORTED_KEY}' whose key policy cannot be changed here; pass a kms.Key, or your own logGroup and failureTopic`));
  });

  test('an imported key is refused while the workflow defines its failure topic', () => {
    const stack = testStack();
    const key = kms.Key.fromKeyArn(stack, 'TeamKey', IMPORTED_KEY);
    expect(() => new SageMakerWorkflow(stack, 'Workflow', { definition: train(stack), encryptionKey: key, logGroup: teamLogGroup(stack) }))
      .toThrow(/^Test\/Workflow: encryptionKey must be a key defined in this app \(kms.Key\) to encrypt the failure topic it defines \(EventBridge publishes/);
  });

  test('TrainingWorkflow refuses an imported key the same way', () => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    const key = kms.Key.fromKeyArn(stack, 'TeamKey', IMPORTED_KEY);
    expect(() => new TrainingWorkflow(stack, 'Training', {
      train: {
        image: SageMakerImage.fromAsset(IMAGE_DIR),
        channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
        outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
      },
      encryptionKey: key,
    })).toThrow(/^Test\/Training\/Default: encryptionKey must be a key defined in this app \(kms.Key\) to encrypt the log group it defines/);
  });

  test('a key defined in the app gets the logs and events statements', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
    new SageMakerWorkflow(stack, 'Workflow', { definition: train(stack), encryptionKey: key });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'logs.us-east-1.amazonaws.com' }, Action: Match.arrayWith(['kms:Encrypt', 'kms:GenerateDataKey']) }),
          Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TeamKey'), 'Arn'] } });
  });

  test('the team\'s own log group and topic: the workflow logs to them and defines no key, log group or topic', () => {
    const stack = testStack();
    const logGroup = teamLogGroup(stack);
    const topic = new sns.Topic(stack, 'TeamTopic', { masterKey: new kms.Key(stack, 'TeamTopicKey', { enableKeyRotation: true }), enforceSSL: true });
    const workflow = new SageMakerWorkflow(stack, 'Workflow', {
      definition: train(stack),
      // Unused: no resource of the workflow is encrypted with it, so an imported key is fine.
      encryptionKey: kms.Key.fromKeyArn(stack, 'TeamKey', IMPORTED_KEY),
      logGroup,
      failureTopic: topic,
    });
    expect(workflow.logGroup).toBe(logGroup);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TeamLogs'), 'Arn'] } } }], Level: 'ALL', IncludeExecutionData: true },
    });
    expect(Object.keys(t.findResources('AWS::KMS::Key')).filter(id => id.startsWith('Workflow'))).toEqual([]);
    expect(Object.keys(t.findResources('AWS::Logs::LogGroup'))).toEqual([expect.stringMatching(/^TeamLogs/)]);
    expect(Object.keys(t.findResources('AWS::SNS::Topic'))).toEqual([expect.stringMatching(/^TeamTopic/)]);
    expect(nagFindings(stack).filter(f => f.includes('Test/Workflow'))).toEqual([]);
  });

  test('logRetention with a log group of the team\'s own is refused', () => {
    const stack = testStack();
    expect(() => new SageMakerWorkflow(stack, 'Workflow', { definition: train(stack), logGroup: teamLogGroup(stack), logRetention: logs.RetentionDays.ONE_MONTH }))
      .toThrow(/^Test\/Workflow: logRetention applies to the log group the workflow defines; set the retention of the logGroup given \('Test\/TeamLogs'\) where it is defined, or remove logRetention$/);
  });

  test('a definition that runs nothing still validates (the key is checked before the state machine)', () => {
    const stack = testStack();
    const key = kms.Key.fromKeyArn(stack, 'TeamKey', IMPORTED_KEY);
    expect(() => new SageMakerWorkflow(stack, 'Workflow', { definition: new sfn.Pass(stack, 'Nothing'), encryptionKey: key })).toThrow(/imported key/);
  });
});
