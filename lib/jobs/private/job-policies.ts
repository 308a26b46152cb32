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

/**
 * Lets a job's role encrypt its output with the output key (`OutputDataConfig.KmsKeyId`,
 * `ProcessingOutputConfig.KmsKeyId`, `TransformOutput.KmsKeyId`): SageMaker's API reference,
 * OutputDataConfig.KmsKeyId: "If you use a KMS key ID or an alias of your KMS key, the
 * SageMaker execution role must include permissions to call kms:Encrypt"; the developer guide's
 * "SageMaker Roles" (CreateTrainingJob / CreateProcessingJob / CreateHyperParameterTuningJob API:
 * execution role permissions): "If you specify a KMS key in the output configuration of your
 * training job, add the following permissions: kms:Encrypt". S3 writes the objects with
 * SSE-KMS under that key: "To upload or download an object encrypted with an AWS KMS key ...
 * you need kms:GenerateDataKey and kms:Decrypt permissions on the key" (S3 user guide,
 * "Using server-side encryption with AWS KMS keys"; Decrypt for multipart uploads of large
 * artifacts). aws-cdk-lib's SageMakerCreateTrainingJob grants `key.grantEncrypt(role)`
 * (kms:Encrypt, kms:ReEncrypt*, kms:GenerateDataKey*); S3 names kms:GenerateDataKey only, so
 * the wildcard variants (and their cdk-nag finding) are left out.
 */
export function grantOutputKey(grantee: iam.IGrantable, key: kms.IKey | undefined): void {
  key?.grant(grantee, 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt');
}

/** Renders tags as SageMaker's `[{Key, Value}]`. */
export function renderTags(tags?: { [key: string]: string }): any {
  return tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
}
