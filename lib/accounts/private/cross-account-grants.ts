import { Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IModelSource } from '../model-source-account';

/** ECR's actions for pulling an image (its layers and manifest). */
export const PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

/** The objects a model role may read: the model data under the source's prefix. */
export function modelDataObjects(source: IModelSource): string {
  return source.artifactBucket!.arnForObjects(`${source.modelDataPrefix}*`);
}

/** KMS decrypts for the model role only through S3 in the source's Region. */
export function viaS3(region: string): { [key: string]: string } {
  return { 'kms:ViaService': `s3.${region}.${Aws.URL_SUFFIX}` };
}

/**
 * The identity side of a deployment account's model role: read the source's model data,
 * decrypt it through S3, pull its image. The source account's bucket, key and repository
 * policies name the role too (cross-account access needs both).
 */
export function modelRoleStatements(source: IModelSource, region: string): Array<{ statement: iam.PolicyStatement; wildcardReason?: string }> {
  const out: Array<{ statement: iam.PolicyStatement; wildcardReason?: string }> = [];
  const bucket = source.artifactBucket;
  if (bucket) {
    out.push({
      statement: new iam.PolicyStatement({ sid: 'ReadSourceModelData', actions: ['s3:GetObject'], resources: [modelDataObjects(source)] }),
      wildcardReason: 'Model data of the versions registered in the source account: objects under the model data prefix of its artifact bucket.',
    });
  }
  const key = source.artifactKey;
  if (key) {
    // A key of another stack's environment has no ARN this app can name (key IDs are
    // generated): any key of the source account, only through S3 and only for objects of
    // its artifact bucket (S3's encryption context); the key policy names the role.
    const known = !Token.isUnresolved(key.keyArn);
    const resource = known ? key.keyArn : `arn:${Aws.PARTITION}:kms:${source.env.region}:${source.env.account}:key/*`;
    const conditions: { [key: string]: any } = { StringEquals: viaS3(region) };
    if (bucket) conditions.StringLike = { 'kms:EncryptionContext:aws:s3:arn': [bucket.bucketArn, bucket.arnForObjects('*')] };
    out.push({
      statement: new iam.PolicyStatement({ sid: 'DecryptSourceModelData', actions: ['kms:Decrypt'], resources: [resource], conditions }),
      wildcardReason: known ? undefined : 'The artifact key of the source account, whose generated ID this app cannot name: decrypt only through S3, for objects of the source artifact bucket (kms:EncryptionContext:aws:s3:arn); the key policy names this role.',
    });
  }
  if (source.repository) {
    out.push({ statement: new iam.PolicyStatement({ sid: 'PullSourceImage', actions: PULL_ACTIONS, resources: [source.repository.repositoryArn] }) });
  }
  return out;
}
