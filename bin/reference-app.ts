import { App, Environment } from 'aws-cdk-lib';
import { SageMakerAsyncStack, SageMakerBatchTransformStack, SageMakerInferenceComponentsStack, SageMakerLargeModelStack, SageMakerLifecycleStack, SageMakerRealtimeStack, SageMakerServerlessStack, SageMakerTeamDomainStack, SageMakerTrainingStack } from './stacks';

/** The reference app's stacks. */
export interface ReferenceStacks {
  readonly training: SageMakerTrainingStack;
  readonly realtime: SageMakerRealtimeStack;
  readonly serverless: SageMakerServerlessStack;
  readonly async: SageMakerAsyncStack;
  readonly batch: SageMakerBatchTransformStack;
  readonly components: SageMakerInferenceComponentsStack;
  readonly largeModel: SageMakerLargeModelStack;
  readonly domain: SageMakerTeamDomainStack;
  readonly lifecycle: SageMakerLifecycleStack;
}

/**
 * The reference app: one deployable stack per capability. bin/app.ts synthesizes it; the
 * README's diagrams and cost table are generated from it (scripts/readme.ts).
 */
export function addReferenceStacks(app: App, env: Environment): ReferenceStacks {
  const training = new SageMakerTrainingStack(app, 'SageMakerMlTraining', {
    env,
    description: 'cdk-sagemaker-ml reference: GLM training workflow (preprocess, train, evaluate, gate, model, register; weekly and new-data retraining)',
  });
  // The hosting stacks serve from the training stack's data store: deploy them with
  // --parameters ModelDataKey=<a modelDataUrl key a training execution output>, or without
  // it to serve the sample GLM.
  const hosting = { env, dataStore: training.dataStore };
  return {
    training,
    // The real-time stack deploys the versions of the training stack's model package group that someone approves.
    realtime: new SageMakerRealtimeStack(app, 'SageMakerMlRealtime', {
      ...hosting,
      modelPackageGroup: training.modelPackageGroup,
      description: 'cdk-sagemaker-ml reference: real-time endpoint, deployed on approval, data-quality monitored',
    }),
    serverless: new SageMakerServerlessStack(app, 'SageMakerMlServerless', { ...hosting, description: 'cdk-sagemaker-ml reference: serverless endpoint' }),
    async: new SageMakerAsyncStack(app, 'SageMakerMlAsync', { ...hosting, description: 'cdk-sagemaker-ml reference: asynchronous endpoint' }),
    batch: new SageMakerBatchTransformStack(app, 'SageMakerMlBatch', { ...hosting, description: 'cdk-sagemaker-ml reference: batch transform workflow' }),
    components: new SageMakerInferenceComponentsStack(app, 'SageMakerMlInferenceComponents', {
      ...hosting,
      description: 'cdk-sagemaker-ml reference: two inference components on one endpoint, one scaling to zero, and a component deploy workflow',
    }),
    largeModel: new SageMakerLargeModelStack(app, 'SageMakerMlLargeModel', {
      env,
      dataStore: training.dataStore,
      description: 'cdk-sagemaker-ml reference: a large language model (LMI, uncompressed S3 prefix, GPU) with a shadow variant (TGI) and its promotion workflow',
    }),
    domain: new SageMakerTeamDomainStack(app, 'SageMakerMlTeamDomain', {
      env,
      dataStore: training.dataStore,
      description: 'cdk-sagemaker-ml reference: a team SageMaker domain (VPC only)',
    }),
    // Hyperparameter tuning composed from stages: tune, then register the best model.
    lifecycle: new SageMakerLifecycleStack(app, 'SageMakerMlLifecycle', {
      env,
      description: 'cdk-sagemaker-ml reference: hyperparameter tuning and registration of the best model, retrained weekly (disabled) and on new data',
    }),
  };
}
