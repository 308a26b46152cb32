#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  SageMakerAsyncStack, SageMakerBatchTransformStack, SageMakerRealtimeStack, SageMakerServerlessStack, SageMakerTrainingStack,
} from '../lib';

// The reference app: one deployable stack per capability, all reviewed by cdk-nag at synth
// (an unacknowledged finding fails `cdk synth`).
const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

const training = new SageMakerTrainingStack(app, 'SageMakerMlTraining', {
  env,
  description: 'cdk-sagemaker-ml reference: GLM training workflow (preprocess, train, evaluate, gate, model)',
});

// The hosting stacks serve from the training stack's data store: deploy them with
// --parameters ModelDataKey=<a modelDataUrl key a training execution output>, or without
// it to serve the sample GLM.
const hosting = { env, dataStore: training.dataStore };
new SageMakerRealtimeStack(app, 'SageMakerMlRealtime', { ...hosting, description: 'cdk-sagemaker-ml reference: real-time endpoint' });
new SageMakerServerlessStack(app, 'SageMakerMlServerless', { ...hosting, description: 'cdk-sagemaker-ml reference: serverless endpoint' });
new SageMakerAsyncStack(app, 'SageMakerMlAsync', { ...hosting, description: 'cdk-sagemaker-ml reference: asynchronous endpoint' });
new SageMakerBatchTransformStack(app, 'SageMakerMlBatch', { ...hosting, description: 'cdk-sagemaker-ml reference: batch transform workflow' });

app.synth();
