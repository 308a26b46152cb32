#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import {
  CostEstimate, SageMakerAsyncStack, SageMakerBatchTransformStack, SageMakerRealtimeStack, SageMakerServerlessStack,
  SageMakerTeamDomainStack, SageMakerTrainingStack,
} from '../lib';

// The reference app: one deployable stack per capability, all reviewed at synth by cdk-nag's
// AwsSolutions, HIPAA Security, NIST 800-53 rev 5 and PCI DSS 3.2.1 packs (an unacknowledged
// finding fails `cdk synth`).
const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app));

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
new SageMakerTeamDomainStack(app, 'SageMakerMlTeamDomain', { env, dataStore: training.dataStore, description: 'cdk-sagemaker-ml reference: a team SageMaker domain (VPC only)' });

const assembly = app.synth();

// The SageMaker capacity each stack provisions, as a table and as <stack>.cost.json beside the
// templates (prices only from a table you pass to CostEstimate.fromAssembly).
const estimate = CostEstimate.fromAssembly(assembly);
estimate.writeTo(assembly.directory);
console.error(estimate.toTable());
