/**
 * cdk-nag findings on resources the library defines whose cause is in lib/jobs (branch
 * `stages`, which owns the fix). The composition test keeps them visible with it.failing; the
 * bad-input search, which now sets vpc and volumeEncryptionKey on job steps, skips exactly these.
 */
export const KNOWN_ELSEWHERE: { finding: RegExp; cause: string }[] = [
  {
    finding: /^AwsSolutions-IAM5\[Action::kms:(GenerateDataKey|ReEncrypt)\*\] \S+\/Resource\/GrantsPolicy\/Resource$/,
    cause: "the volume key grant (volumeEncryptionKey.grantEncryptDecrypt) adds GenerateDataKey*/ReEncrypt*; SageMaker needs kms:CreateGrant (stages: 'volume-key CreateGrant')",
  },
  {
    finding: /-EC2RestrictedCommonPorts \S+\/SecurityGroup\/from \S+:ALL TRAFFIC$/,
    cause: "the job security group's self-referencing all-traffic ingress includes ports 20, 21, 3306, 3389, 4333 (stages: scope it to what distributed jobs use)",
  },
];
