import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/** iam:PassRole on one role, only to SageMaker. */
export function passRoleToSageMaker(role: iam.IRole): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [role.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  });
}

/**
 * Lets `grantee` create KMS grants on a volume key for AWS resources only: SageMaker
 * attaches encrypted ML storage volumes through a grant made in the role's name
 * (SageMaker's "KMS key permissions" list kms:CreateGrant for the volume key, not
 * kms:GenerateDataKey* or kms:ReEncrypt*).
 */
export function grantVolumeKeyGrants(grantee: iam.IGrantable, key: kms.IKey): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:CreateGrant'],
    resources: [key.keyArn],
    conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  }));
}

/** Renders tags as SageMaker's `[{Key, Value}]`. */
export function renderTags(tags?: { [key: string]: string }): any {
  return tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
}
