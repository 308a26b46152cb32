#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SageMakerTrainingStack } from '../lib';

// The reference app: one deployable stack per capability, all reviewed by cdk-nag at synth
// (an unacknowledged finding fails `cdk synth`).
const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

new SageMakerTrainingStack(app, 'SageMakerMlTraining', {
  env,
  description: 'cdk-sagemaker-ml reference: GLM training workflow (preprocess, train, evaluate, gate, model)',
});

app.synth();
