import * as path from 'path';
import { App, Duration, Errors, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ApprovedModelDeployment, DeployOnApproval, DeploymentAccount, MlDataStore, ModelData, ModelPackageGroup, ModelPromotion, ModelSourceAccount,
  RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel,
} from '../../lib';
import { TINY_IMAGE } from '../local/workflows';
import { testApp } from '../util';
import { PRODUCTION, STAGING, TOOLING } from './app';

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');
const GROUP_ARN = 'arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn';

function tooling(app: App = testApp()) {
  const stack = new Stack(app, 'Tooling', { env: TOOLING });
  const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'churn' });
  return { app, stack, group };
}

/** A deployment stack of a team that deploys from its own app: the source imported by its attributes. */
function deploymentApp(promotion?: ModelPromotion) {
  const stack = new Stack(testApp(), 'Staging', { env: STAGING });
  const source = ModelSourceAccount.fromModelSourceAttributes(stack, 'Source', {
    modelPackageGroupArn: GROUP_ARN,
    artifactBucketName: 'ml-tooling-artifacts-111111111111',
    artifactKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    repositoryName: 'churn-serving',
    modelDataPrefix: 'models/',
  });
  const account = new DeploymentAccount(stack, 'Account', { source, promotion, eventBusName: 'model-approvals', deployRoleName: 'churn-deploy', modelRoleName: 'churn-model' });
  return { stack, source, account };
}

/** A later stage's deployment: an endpoint, its ApprovedModelDeployment with the promotion, and the rule that starts it. */
function promotedDeployment(promotion: ModelPromotion): Template {
  const { stack, account } = deploymentApp(promotion);
  const serving = new SageMakerModel(stack, 'Serving', { image: SageMakerImage.fromAsset(TINY_IMAGE), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model: serving, instanceType: SageMakerInstanceType.ML_C5_LARGE }] });
  const deployment = new ApprovedModelDeployment(stack, 'Deployment', {
    modelPackageGroup: account.source.modelPackageGroup, endpoint, samplePayload: '1', modelRole: account.modelRole, stateMachineRole: account.deployRole, promotion: account.promotion,
  });
  new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: account.source.modelPackageGroup, deployWorkflow: deployment.stateMachine, eventBus: account.eventBus, promotion: account.promotion });
  return Template.fromStack(stack);
}

describe('DeploymentAccount', () => {
  test('its bus accepts only SageMaker\'s model package events of the source account', () => {
    const { stack } = deploymentApp();
    Template.fromStack(stack).hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Condition: {
          'ForAllValues:StringEquals': { 'events:source': ['aws.sagemaker'], 'events:detail-type': ['SageMaker Model Package State Change'] },
          'Null': { 'events:source': 'false', 'events:detail-type': 'false' },
        },
      },
    });
  });

  test('its model role reads the source\'s model data prefix, decrypts with the named key through S3 only, pulls the one repository', () => {
    const { stack } = deploymentApp();
    const statements = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'))
      .flatMap(p => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Sid: 'ReadSourceModelData', Action: 's3:GetObject', Resource: 'arn:aws:s3:::ml-tooling-artifacts-111111111111/models/*' }),
      expect.objectContaining({
        Sid: 'DecryptSourceModelData',
        Action: 'kms:Decrypt',
        Resource: 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        Condition: expect.objectContaining({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.us-east-1.', { Ref: 'AWS::URLSuffix' }]] } } }),
      }),
      expect.objectContaining({ Sid: 'PullSourceImage', Resource: expect.stringMatching(/^arn:.*:ecr:us-east-1:111111111111:repository\/churn-serving$/) }),
    ]));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'churn-model' });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'churn-deploy' });
  });

  test.each([
    ['a source in another Region', () => {
      const stack = new Stack(testApp(), 'S', { env: STAGING });
      const source = ModelSourceAccount.fromModelSourceAttributes(stack, 'Source', { modelPackageGroupArn: GROUP_ARN.replace('us-east-1', 'eu-west-1') });
      new DeploymentAccount(stack, 'Account', { source });
    }, /Account: source must be in this stack's Region \(us-east-1\), got model package group 'churn' in eu-west-1/],
    ['a source of the same account', () => {
      const stack = new Stack(testApp(), 'S', { env: TOOLING });
      new DeploymentAccount(stack, 'Account', { source: ModelSourceAccount.fromModelSourceAttributes(stack, 'Source', { modelPackageGroupArn: GROUP_ARN }) });
    }, /source must be in another account than this stack's \(111111111111\)/],
    ['an environment-agnostic stack', () => {
      const stack = new Stack(testApp(), 'S');
      new DeploymentAccount(stack, 'Account', { source: ModelSourceAccount.fromModelSourceAttributes(stack, 'Source', { modelPackageGroupArn: GROUP_ARN }) });
    }, /DeploymentAccount must be in a stack with an explicit env.account \(12 digits\)/],
    ['a group ARN whose account is not 12 digits', () => {
      const stack = new Stack(testApp(), 'S', { env: STAGING });
      ModelSourceAccount.fromModelSourceAttributes(stack, 'Source', { modelPackageGroupArn: 'arn:aws:sagemaker:us-east-1:11111111111:model-package-group/churn' });
    }, /modelPackageGroupArn must be the ARN of a model package group/],
    ['an imported deployment account whose account is not 12 digits', () => {
      const stack = new Stack(testApp(), 'S', { env: TOOLING });
      DeploymentAccount.fromDeploymentAccountAttributes(stack, 'Staging', { account: '2222', eventBusName: 'b', deployRoleName: 'd', modelRoleName: 'm' });
    }, /Staging: account must be an AWS account ID of 12 digits, got '2222'/],
    ['a model data prefix with a wildcard', () => {
      const stack = new Stack(testApp(), 'S', { env: STAGING });
      ModelSourceAccount.fromModelSourceAttributes(stack, 'Source', { modelPackageGroupArn: GROUP_ARN, modelDataPrefix: 'models/*' });
    }, /modelDataPrefix must be letters, digits and '-_.\/'/],
  ])('refuses %s, naming the prop', (_what, build, message) => {
    let error: unknown;
    try {
      build();
    } catch (e) {
      error = e;
    }
    expect(String(error)).toMatch(message);
    expect(Errors.isValidationError(error)).toBe(true);
  });
});

describe('ModelSourceAccount', () => {
  test('shares the group with each deployment role by ARN: read, and the record of its own stage only', () => {
    const { stack, group } = tooling();
    const staging = DeploymentAccount.fromDeploymentAccountAttributes(stack, 'Staging', {
      account: STAGING.account, eventBusName: 'model-approvals', deployRoleName: 'churn-deploy', modelRoleName: 'churn-model', promotion: ModelPromotion.first(),
    });
    new ModelSourceAccount(stack, 'Source', { modelPackageGroup: group, deploymentAccounts: [staging] });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', {
      ModelPackageGroupPolicy: {
        Statement: [
          { Sid: 'DeployVersions222222222222', Effect: 'Allow', Action: 'sagemaker:DescribeModelPackage', Principal: { AWS: Match.stringLikeRegexp(':iam::222222222222:role/churn-deploy$') }, Resource: 'arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*' },
          {
            Sid: 'RecordPromotion222222222222',
            Effect: 'Allow',
            Action: 'sagemaker:UpdateModelPackage',
            Principal: { AWS: Match.stringLikeRegexp(':iam::222222222222:role/churn-deploy$') },
            Resource: 'arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*',
            Condition: {
              StringEquals: {
                'sagemaker:ModelLifeCycle:stage': 'Staging',
                'sagemaker:ModelLifeCycle:stageStatus': 'Approved',
                'sagemaker:CustomerMetadataProperties/PromotionStagePassed': 'Staging',
              },
            },
          },
        ],
      },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.sagemaker'], 'detail-type': ['SageMaker Model Package State Change'], 'detail': { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['Approved'] } },
      Targets: [Match.objectLike({ Arn: Match.stringLikeRegexp(':events:us-east-1:222222222222:event-bus/model-approvals$') })],
    });
  });

  test('shares the artifacts and the image with the model role only, read-only', () => {
    const { stack, group } = tooling();
    const store = new MlDataStore(stack, 'Store', { artifactsBucketName: 'ml-tooling-artifacts-111111111111' });
    const repository = new ecr.Repository(stack, 'Repo', { repositoryName: 'churn-serving' });
    const source = new ModelSourceAccount(stack, 'Source', { modelPackageGroup: group, artifactBucket: store.artifactsBucket, repository, modelDataPrefix: 'models/' });
    source.addDeploymentAccount(DeploymentAccount.fromDeploymentAccountAttributes(stack, 'Production', {
      account: PRODUCTION.account, eventBusName: 'b', deployRoleName: 'd', modelRoleName: 'churn-model',
    }));
    const t = Template.fromStack(stack);
    const model = Match.stringLikeRegexp(':iam::333333333333:role/churn-model$');
    t.hasResourceProperties('AWS::S3::BucketPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ReadModelData333333333333', Action: 's3:GetObject', Principal: { AWS: model } })]) } });
    t.hasResourceProperties('AWS::KMS::Key', { KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'DecryptModelData333333333333', Action: 'kms:Decrypt', Principal: { AWS: model } })]) } });
    t.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryPolicyText: { Statement: [Match.objectLike({ Sid: 'PullImage333333333333', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Principal: { AWS: model } })] },
    });
  });

  test('refuses a production stage without a staging stage', () => {
    const { app, stack, group } = tooling();
    const staging = ModelPromotion.first();
    new ModelSourceAccount(stack, 'Source', {
      modelPackageGroup: group,
      deploymentAccounts: [DeploymentAccount.fromDeploymentAccountAttributes(stack, 'Production', {
        account: PRODUCTION.account, eventBusName: 'b', deployRoleName: 'd', modelRoleName: 'm', promotion: ModelPromotion.after(staging),
      })],
    });
    expect(() => app.synth()).toThrow(/Production' \(333333333333\) promotes after stage 'Staging', but no deployment account of Tooling\/Source records 'Staging'.*a production stage needs a staging stage/);
  });

  test.each([
    ['an imported group', (stack: Stack) => new ModelSourceAccount(stack, 'Source', { modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(stack, 'G', 'churn') }),
      /Source: modelPackageGroup must be a ModelPackageGroup this app defines/],
    ['a group of another Region', (stack: Stack) => new ModelSourceAccount(stack, 'Source', { modelPackageGroup: ModelPackageGroup.fromModelPackageGroupArn(stack, 'G', GROUP_ARN.replace('us-east-1', 'eu-west-1')) }),
      /modelPackageGroup must be of this stack's account and Region \(111111111111, us-east-1\), got 'churn' in 111111111111, eu-west-1/],
    ['a deployment account of another Region', (stack: Stack) => new ModelSourceAccount(stack, 'Source', {
      modelPackageGroup: new ModelPackageGroup(stack, 'G'),
      deploymentAccounts: [DeploymentAccount.fromDeploymentAccountAttributes(stack, 'P', { account: PRODUCTION.account, region: 'eu-west-1', eventBusName: 'b', deployRoleName: 'd', modelRoleName: 'm' })],
    }), /deploymentAccount must be in the source's Region \(us-east-1\), got eu-west-1/],
    ['a deployment account that is the source account', (stack: Stack) => new ModelSourceAccount(stack, 'Source', {
      modelPackageGroup: new ModelPackageGroup(stack, 'G'),
      deploymentAccounts: [DeploymentAccount.fromDeploymentAccountAttributes(stack, 'P', { account: TOOLING.account, eventBusName: 'b', deployRoleName: 'd', modelRoleName: 'm' })],
    }), /deploymentAccount must be another account than the source's \(111111111111\)/],
  ])('refuses %s', (_what, build, message) => {
    const stack = new Stack(testApp(), 'T', { env: TOOLING });
    expect(() => build(stack)).toThrow(message);
  });
});

describe('ModelPromotion', () => {
  test.each([
    ['the previous stage\'s name', () => ModelPromotion.after(ModelPromotion.first(), { lifecycleStage: 'Staging' }), /lifecycleStage must differ from the previous stage's, got 'Staging' after 'Staging'/],
    ['a wait over 7 days', () => ModelPromotion.after(ModelPromotion.first(), { wait: Duration.days(8) }), /wait must be between 1 second and 7 days, got 8 days/],
    ['a stage name SageMaker refuses', () => ModelPromotion.first({ lifecycleStage: 'pre prod' }), /lifecycleStage must be letters, digits and hyphens/],
    ['an approval stage that is the previous stage', () => ModelPromotion.after(ModelPromotion.first(), { approvalStage: 'Staging' }),
      /approvalStage must differ from the stages of the promotion \(Staging, Production\), got 'Staging'/],
    ['an approval stage that is its own stage (its deploy role could approve itself)', () => ModelPromotion.after(ModelPromotion.first(), { approvalStage: 'Production' }),
      /approvalStage must differ from the stages of the promotion \(Staging, Production\), got 'Production'.*Production's role records 'Production'/],
    ['an approval stage SageMaker refuses', () => ModelPromotion.after(ModelPromotion.first(), { approvalStage: 'release me' }), /approvalStage must be letters, digits and hyphens/],
    ['a wait with an approval stage', () => ModelPromotion.after(ModelPromotion.first(), { approvalStage: 'ProductionApproval', wait: Duration.hours(1) }),
      /wait and approvalStage are exclusive, got both \(wait 1 hour, approvalStage 'ProductionApproval'\)/],
    ['a later stage named as an earlier approval', () => ModelPromotion.after(ModelPromotion.after(ModelPromotion.first(), { lifecycleStage: 'PreProd', approvalStage: 'Release' }), { lifecycleStage: 'Release' }),
      /lifecycleStage must differ from the stages before it \(Staging, PreProd, Release\), got 'Release'/],
  ])('refuses %s', (_what, build, message) => {
    expect(build).toThrow(message);
  });

  test('grantApprove refuses a promotion without an approval stage, naming the prop', () => {
    const { stack, group } = tooling();
    const role = new iam.Role(stack, 'Approvers', { assumedBy: new iam.AccountPrincipal(TOOLING.account) });
    expect(() => ModelPromotion.after(ModelPromotion.first()).grantApprove(role, group)).toThrow(/approvalStage is needed to grantApprove: promotion 'Production' has none/);
  });

  test('grantApprove lets a person record the approval stage only: no metadata written or removed, no approval status changed', () => {
    const { stack, group } = tooling();
    const role = new iam.Role(stack, 'Approvers', { assumedBy: new iam.AccountPrincipal(TOOLING.account) });
    ModelPromotion.after(ModelPromotion.first(), { approvalStage: 'ProductionApproval' }).grantApprove(role, group);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow',
          Action: 'sagemaker:UpdateModelPackage',
          Resource: 'arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*',
          Condition: {
            StringEquals: { 'sagemaker:ModelLifeCycle:stage': 'ProductionApproval', 'sagemaker:ModelLifeCycle:stageStatus': 'Approved' },
            Null: {
              'sagemaker:CustomerMetadataProperties/PromotionStagePassed': 'true',
              'sagemaker:CustomerMetadataPropertiesToRemove': 'true',
              'sagemaker:ModelApprovalStatus': 'true',
            },
          },
        }],
      },
    });
  });

  test('with a second approval, production\'s rule starts on the person\'s approval stage; its workflow checks staging\'s metadata record and the approval', () => {
    const t = promotedDeployment(ModelPromotion.after(ModelPromotion.first(), { approvalStage: 'ProductionApproval' }));
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ ModelLifeCycle: { Stage: ['ProductionApproval'], StageStatus: ['Approved'] } }) }),
    });
    const definitionString = Object.values<any>(t.findResources('AWS::StepFunctions::StateMachine'))[0].Properties.DefinitionString;
    const definition = JSON.parse(definitionString['Fn::Join'][1].map((p: any) => typeof p === 'string' ? p : 'X').join(''));
    const states: Record<string, any> = {};
    const collect = (d: any) => Object.entries<any>(d.States ?? {}).forEach(([name, st]) => {
      states[name] = st;
      (st.Branches ?? []).forEach(collect);
    });
    collect(definition);
    const passed = JSON.stringify(states['Production checks Staging passed']);
    expect(passed).toContain('"Variable":"$.results.PromotionGate.modelPackage.CustomerMetadataProperties.PromotionStagePassed","StringEquals":"Staging"');
    expect(passed).toContain('"Variable":"$.results.PromotionGate.modelPackage.ModelLifeCycle.Stage","StringEquals":"ProductionApproval"');
    expect(passed).not.toContain('"Variable":"$.results.PromotionGate.modelPackage.ModelLifeCycle.Stage","StringEquals":"Staging"');
    expect(JSON.stringify(states['Production finds a promotion record'])).toContain('CustomerMetadataProperties.PromotionStagePassed');
    expect(states['record Production passed'].Parameters.CustomerMetadataProperties).toEqual({ PromotionStagePassed: 'Production' });
    expect(Object.keys(states)).not.toContain('Production waits after Staging');
  });

  test('production\'s rule starts only for versions staging recorded as passed; its workflow checks the record before deploying', () => {
    const t = promotedDeployment(ModelPromotion.after(ModelPromotion.first(), { wait: Duration.hours(1) }));
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ account: ['111111111111'], detail: Match.objectLike({ ModelLifeCycle: { Stage: ['Staging'], StageStatus: ['Approved'] } }) }),
    });
    const definition = JSON.stringify(Object.values<any>(t.findResources('AWS::StepFunctions::StateMachine'))[0].Properties.DefinitionString);
    for (const state of ['Production reads promotion record', 'Production waits after Staging', 'Production reads promotion record again', 'Production refuses version', 'record Production passed']) {
      expect(definition).toContain(state);
    }
    expect(definition).toContain('ModelNotPromoted');
    // The deploy role (named for the source account's policies) runs the workflow.
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', { RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccountDeployRole'), 'Arn'] } });
  });
});
