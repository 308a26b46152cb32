/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import { Duration } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import fc from 'fast-check';
import { mostly, optional, property, propCoverageTest } from './harness';
import { DeploymentAccount, MlDataStore, ModelPackageGroup, ModelPromotion, ModelSourceAccount } from '../../../lib';
import { measure } from '../prop-coverage';

/**
 * Bad-input search (see harness.ts): cross-account sharing and staged promotion (issue 25). The
 * case's stack (account 123456789012) is the tooling account of deployment accounts it imports,
 * and the deployment account of a tooling account it imports (111111111111).
 */
const account = mostly(fc.constantFrom('222222222222', '333333333333'), fc.oneof(fc.stringMatching(/^\d{1,14}$/), fc.constant('123456789012')));
const stage = optional(mostly(fc.constantFrom('Staging', 'QA', 'Production', 'Canary-1'), fc.string({ maxLength: 70 })));
const resourceName = optional(mostly(fc.stringMatching(/^[a-z][a-z0-9-]{2,20}$/), fc.string({ maxLength: 300 })));

describe('bad-input search', () => {
  test('ModelSourceAccount, DeploymentAccount and ModelPromotion', () => {
    property(['account', 'lifecycleStage', 'wait', 'approvalStage', 'modelDataPrefix', 'deploymentAccount', 'DeploymentAccount', 'source', 'eventBusName', 'deployRoleName', 'modelRoleName', 'artifactsBucketName', 'Source'], fc.record({
      firstStage: stage,
      laterStage: stage,
      wait: optional(mostly(fc.integer({ min: 1, max: 7 * 24 * 60 }).map(m => Duration.minutes(m)), fc.integer({ min: 0, max: 20000 }).map(m => Duration.minutes(m)))),
      // A second approval (exclusive with wait), granted to the team's approvers.
      approvalStage: optional(mostly(fc.constantFrom('ProductionApproval', 'Release-1', 'Staging', 'Production'), fc.string({ maxLength: 70 }))),
      approver: optional(fc.constant(true)),
      accounts: fc.array(fc.record({ account, promotion: optional(fc.constantFrom('first', 'after')) }), { maxLength: 3 }),
      bucket: optional(fc.constant(true)),
      key: optional(fc.constant(true)),
      repository: optional(fc.constant(true)),
      prefix: optional(mostly(fc.constantFrom('models/', 'churn/v1/'), fc.string({ maxLength: 8 }))),
      sourceRegion: mostly(fc.constant('us-east-1'), fc.constant('eu-west-1')),
      promotion: optional(fc.constantFrom('first', 'after')),
      eventBusName: resourceName,
      deployRoleName: resourceName,
      modelRoleName: resourceName,
    }), (c, v) => {
      const first = ModelPromotion.first(measure('ModelPromotionOptions', { lifecycleStage: v.firstStage }));
      const later = ModelPromotion.after(first, measure('ModelPromotionAfterOptions', { lifecycleStage: v.laterStage, wait: v.wait, approvalStage: v.approvalStage }));
      const promotionOf = (p: string | undefined) => p === 'first' ? first : p === 'after' ? later : undefined;
      // The tooling side.
      const store = v.bucket ? new MlDataStore(c.stack, 'Store', { artifactsBucketName: 'ml-artifacts-123456789012' }) : undefined;
      const group = new ModelPackageGroup(c.stack, 'Group', { modelPackageGroupName: 'churn' });
      // Refused without an approvalStage (naming it).
      if (v.approver) later.grantApprove(c.role, group);
      new ModelSourceAccount(c.stack, 'Source', measure('ModelSourceAccountProps', {
        modelPackageGroup: group,
        artifactBucket: store?.artifactsBucket,
        artifactKey: v.key ? store?.encryptionKey ?? c.key : undefined,
        repository: v.repository ? new ecr.Repository(c.stack, 'Repo', { repositoryName: 'churn-serving', imageScanOnPush: true, imageTagMutability: ecr.TagMutability.IMMUTABLE }) : undefined,
        modelDataPrefix: v.prefix,
        deploymentAccounts: v.accounts.length === 0 ? undefined : v.accounts.map((a, i) => DeploymentAccount.fromDeploymentAccountAttributes(c.stack, `Deployment${i}`, {
          account: a.account, eventBusName: 'model-approvals', deployRoleName: `deploy-${i}`, modelRoleName: `model-${i}`, promotion: promotionOf(a.promotion),
        })),
      }));
      // The deployment side, of a tooling account it imports.
      const source = ModelSourceAccount.fromModelSourceAttributes(c.stack, 'Tooling', {
        modelPackageGroupArn: `arn:aws:sagemaker:${v.sourceRegion}:111111111111:model-package-group/churn`,
        artifactBucketName: 'ml-tooling-artifacts-111111111111',
        artifactKeyArn: `arn:aws:kms:${v.sourceRegion}:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        repositoryName: 'churn-serving',
        modelDataPrefix: v.prefix,
      });
      new DeploymentAccount(c.stack, 'Account', measure('DeploymentAccountProps', {
        source, promotion: promotionOf(v.promotion), eventBusName: v.eventBusName, deployRoleName: v.deployRoleName, modelRoleName: v.modelRoleName,
      }));
    });
  });
});

propCoverageTest({});
