import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ApprovedModelDeployment, DeployOnApproval, DeploymentAccount, MlDataStore, ModelData, ModelPackageGroup, ModelPromotion, ModelSourceAccount,
  RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel,
} from '../../lib';
import { TINY_IMAGE } from '../local/workflows';

/** The three accounts of the test app, one Region. */
export const REGION = 'us-east-1';
export const TOOLING = { account: '111111111111', region: REGION };
export const STAGING = { account: '222222222222', region: REGION };
export const PRODUCTION = { account: '333333333333', region: REGION };
export const GROUP_NAME = 'churn';
export const ARTIFACTS_BUCKET = 'ml-tooling-artifacts-111111111111';
export const REPOSITORY = 'churn-serving';

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');

export interface MultiAccountStacks {
  readonly tooling: Stack;
  readonly staging: Stack;
  readonly production: Stack;
}

export interface MultiAccountOptions {
  /** Production's wait after staging passed. */
  readonly productionWait?: Duration;
  /** The stage a person records to release a version that passed staging to production (a second approval). */
  readonly productionApprovalStage?: string;
}

/** The name of the tooling account's approvers' role, with the second approval (`productionApprovalStage`). */
export const APPROVER_ROLE = 'churn-production-approvers';

/**
 * Build and register in a tooling account, deploy to staging and then production accounts
 * (issue 25): the tooling stack shares the group, the artifact bucket and key, and the image
 * repository, and forwards approvals; each deployment stack accepts those events on its own bus
 * and deploys through its own endpoint, production only versions staging passed.
 */
export function addMultiAccountStacks(app: App, options: MultiAccountOptions = {}): MultiAccountStacks {
  // Tooling (A): the registry, the artifacts, the image.
  const tooling = new Stack(app, 'MlTooling', { env: TOOLING });
  const store = new MlDataStore(tooling, 'DataStore', { artifactsBucketName: ARTIFACTS_BUCKET });
  const group = new ModelPackageGroup(tooling, 'Group', { modelPackageGroupName: GROUP_NAME });
  const repository = new ecr.Repository(tooling, 'Serving', {
    repositoryName: REPOSITORY,
    imageScanOnPush: true,
    imageTagMutability: ecr.TagMutability.IMMUTABLE,
    encryption: ecr.RepositoryEncryption.KMS,
  });
  const source = new ModelSourceAccount(tooling, 'Source', {
    modelPackageGroup: group,
    artifactBucket: store.artifactsBucket,
    repository,
    modelDataPrefix: 'models/',
  });

  // Staging (B) and production (C): their bus, roles, endpoint and deploy workflow.
  const staging = new Stack(app, 'MlStaging', { env: STAGING });
  const production = new Stack(app, 'MlProduction', { env: PRODUCTION });
  const stagingPromotion = ModelPromotion.first();
  const productionPromotion = ModelPromotion.after(stagingPromotion, {
    wait: options.productionWait,
    approvalStage: options.productionApprovalStage,
  });
  if (options.productionApprovalStage) {
    // The people who release versions that passed staging to production, in the tooling account.
    const approvers = new iam.Role(tooling, 'ProductionApprovers', {
      roleName: APPROVER_ROLE,
      assumedBy: new iam.AccountPrincipal(TOOLING.account),
      description: 'Release versions that passed staging to production',
    });
    productionPromotion.grantApprove(approvers, group);
  }
  for (const [stack, promotion] of [[staging, stagingPromotion], [production, productionPromotion]] as const) {
    const account = new DeploymentAccount(stack, 'Account', { source, promotion, eventBusName: 'model-approvals' });
    const serving = new SageMakerModel(stack, 'Serving', { image: SageMakerImage.fromAsset(TINY_IMAGE), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
      endpointName: `churn-${stack === staging ? 'staging' : 'production'}`,
      runtimeConfigNamePrefix: 'approved-rt',
      variants: [{ model: serving, instanceType: SageMakerInstanceType.ML_C5_LARGE }],
    });
    const deployment = new ApprovedModelDeployment(stack, 'Deployment', {
      modelPackageGroup: source.modelPackageGroup,
      endpoint,
      samplePayload: '40,20.5,north',
      modelRole: account.modelRole,
      stateMachineRole: account.deployRole,
      promotion,
      pollInterval: Duration.seconds(10),
      maxPolls: 4,
    });
    new DeployOnApproval(stack, 'OnApproval', {
      modelPackageGroup: source.modelPackageGroup,
      deployWorkflow: deployment.stateMachine,
      eventBus: account.eventBus,
      promotion,
    });
    source.addDeploymentAccount(account);
    // The tooling account's bucket, key and repository policies name the deployment roles,
    // which must exist first: `cdk deploy --all` deploys staging and production before tooling.
    tooling.addDependency(stack, 'its resource policies name the deployment account\'s roles');
  }
  return { tooling, staging, production };
}
