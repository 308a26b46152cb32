// A user's app (scripts/consumer-check.sh copies it into a fresh project outside the repository and
// compiles it against the installed packages): the repository's reference training workflow
// (bin/stacks/training-stack.ts: the example GLM image, its sample data and configuration;
// preprocess -> train -> evaluate -> quality gate -> model -> register, experiment tracking,
// weekly and new-data retraining) and a serverless endpoint, from the public API of the installed
// cdk-sagemaker-ml only. The example image's directory comes in as CONSUMER_GLM_IMAGE (the
// repository's containers/glm): a user would have their own.
//
// Run as `cdk synth` runs an app: CDK_OUTDIR=cdk.out node app.js. Schema validation is aws-cdk-lib's
// built-in CloudFormation validation, its findings errors. The construct path of the training
// workflow's state machine is written to state-machine.txt (beside app.js) for the local runtime.
import { App, CfnOutput, Duration, Size, Stack } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  ChannelDataSource, JobConfigFile, JobS3Location, MetricComparison, MlDataStore, MlflowTrackingServer, ModelData,
  ModelPackageGroup, RetrainingOnNewData, RetrainingSchedule, SageMakerImage, SageMakerModel, ServerlessEndpoint,
  TrainingWorkflow,
} from 'cdk-sagemaker-ml';

// The app is type-checked without @types/node (the consumer project installs aws-cdk-lib, constructs
// and the two packages only): the little of Node it uses, declared here.
declare const process: { env: Record<string, string | undefined> };
declare function require(id: string): any;
const fs = require('fs');

const imageDirectory = process.env.CONSUMER_GLM_IMAGE;
if (!imageDirectory) throw new Error('CONSUMER_GLM_IMAGE: the example GLM image directory (the repository\'s containers/glm)');
const outdir = process.env.CDK_OUTDIR;
if (!outdir) throw new Error('run as `cdk synth` runs an app: CDK_OUTDIR=cdk.out node app.js');

const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
const stack = new Stack(app, 'ConsumerMl', { env: { account: '123456789012', region: 'us-east-1' } });
const instanceType = 'ml.m5.large';

const store = new MlDataStore(stack, 'DataStore');
const { dataBucket, artifactsBucket } = store;
const image = SageMakerImage.fromAsset(imageDirectory);
const config = new JobConfigFile(stack, 'TrainingConfig', { path: `${imageDirectory}/sample/config.json` });
const rawData = JobS3Location.fromAsset(new s3assets.Asset(stack, 'SampleData', { path: `${imageDirectory}/sample/claims.csv` }));
const trackingServer = new MlflowTrackingServer(stack, 'Tracking', { artifactStore: JobS3Location.inBucket(artifactsBucket, 'mlflow') });

const processed = JobS3Location.perExecution(dataBucket, 'processed');
const models = JobS3Location.inBucket(artifactsBucket, 'models');
const evaluation = JobS3Location.perExecution(artifactsBucket, 'evaluation');
const modelPackageGroup = new ModelPackageGroup(stack, 'Models', { description: 'GLM claims models that passed the quality gate, pending approval' });

const workflow = new TrainingWorkflow(stack, 'TrainingWorkflow', {
  executionInputDefaults: { max_iter: '100', tol: '1e-8' },
  experimentTracking: { trackingServer, experimentName: 'glm-claims' },
  preprocess: {
    image,
    instanceType,
    containerEntrypoint: ['preprocess'],
    processingInputs: [
      { inputName: 'raw', source: rawData },
      { inputName: 'config', source: config.location },
    ],
    processingOutputs: [{ outputName: 'processed', destination: processed }],
    maxRuntime: Duration.hours(1),
  },
  train: {
    image,
    instanceType,
    volumeSize: Size.gibibytes(10),
    channels: [
      { channelName: 'train', source: ChannelDataSource.s3(processed.child('train')), contentType: 'text/csv' },
      { channelName: 'config', source: ChannelDataSource.s3(config.location), contentType: 'application/json' },
    ],
    hyperparameters: { max_iter: sfn.JsonPath.stringAt('$.max_iter'), tol: sfn.JsonPath.stringAt('$.tol') },
    metricDefinitions: [
      { name: 'train:deviance', regex: 'train_deviance=([-+0-9.eE]+)' },
      { name: 'train:aic', regex: 'train_aic=([-+0-9.eE]+)' },
    ],
    outputLocation: models,
    maxRuntime: Duration.hours(2),
  },
  evaluate: {
    image,
    instanceType,
    containerEntrypoint: ['evaluate'],
    processingInputs: [
      { inputName: 'validation', source: processed.child('validation'), localPath: '/opt/ml/processing/validation' },
      { inputName: 'config', source: config.location },
    ],
    processingOutputs: [{ outputName: 'evaluation', destination: evaluation }],
    maxRuntime: Duration.hours(1),
  },
  qualityGate: { outputName: 'evaluation', metricPath: 'metrics.deviance_explained', comparison: MetricComparison.GREATER_THAN_OR_EQUAL, threshold: 0.2 },
  register: { modelPackageGroup, contentTypes: ['text/csv'], responseContentTypes: ['application/json'] },
});
new RetrainingSchedule(stack, 'WeeklyRetraining', {
  stateMachine: workflow.stateMachine,
  schedule: scheduler.ScheduleExpression.expression('cron(0 3 ? * MON *)'),
  enabled: false,
});
new RetrainingOnNewData(stack, 'RetrainOnNewData', { stateMachine: workflow.stateMachine, bucket: dataBucket, prefix: 'incoming/', suffix: '_SUCCESS' });
new CfnOutput(stack, 'StateMachineArn', { value: workflow.stateMachine.stateMachineArn });

// A serverless endpoint for the models the workflow trains.
const model = new SageMakerModel(stack, 'Model', { image, modelData: ModelData.fromBucket(artifactsBucket, 'models/model.tar.gz') });
new ServerlessEndpoint(stack, 'Endpoint', { model, memorySizeInMB: 2048, maxConcurrency: 5 });

const assembly = app.synth();
const template = assembly.getStackByName('ConsumerMl').template;
const types = Object.values<any>(template.Resources).map(r => r.Type);
for (const type of ['AWS::StepFunctions::StateMachine', 'AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint',
  'AWS::SageMaker::ModelPackageGroup', 'AWS::SageMaker::MlflowTrackingServer', 'AWS::Scheduler::Schedule']) {
  if (!types.includes(type)) throw new Error(`the synthesized template has no ${type}`);
}
fs.writeFileSync('state-machine.txt', `${workflow.stateMachine.node.path}\n`);
console.log(`synthesized ConsumerMl into ${outdir}: ${types.length} resources; the training workflow's state machine is ${workflow.stateMachine.node.path}`);
