import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import { registerWildcardResource } from './nag';

/**
 * The errors a SageMaker service integration raises for throttling and transient
 * service faults. Step Functions reports SageMaker's "Rate exceeded" throttling as
 * `SageMaker.AmazonSageMakerException`. A failed job (`States.TaskFailed`) is not retried:
 * rerunning a job that failed on its own code costs money and fails again.
 */
export const SAGEMAKER_TRANSIENT_ERRORS = [
  'SageMaker.AmazonSageMakerException',
  'SageMaker.ThrottlingException',
  'SageMaker.InternalFailure',
  'SageMaker.ServiceUnavailable',
];

/** The retrier every SageMaker step gets. */
export function retryTransientErrors(state: sfn.TaskStateBase, interval: Duration): void {
  state.addRetry({ errors: SAGEMAKER_TRANSIENT_ERRORS, interval, maxAttempts: 5, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
}

/**
 * What the state machine needs to run a `.sync` SageMaker job named `<prefix>-<uuid>`.
 */
export function syncJobPolicies(scope: IConstruct, opts: {
  readonly actionNoun: string;
  readonly resourceType: string;
  readonly eventRule: string;
  readonly namePrefix: string;
  readonly passRole?: iam.IRole;
  readonly tagged: boolean;
}): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  // SageMaker lowercases names in ARNs; the UUID suffix is unknown until run time.
  const jobs = stack.formatArn({ service: 'sagemaker', resource: opts.resourceType, resourceName: `${opts.namePrefix.toLowerCase()}-*` });
  registerWildcardResource(scope, jobs,
    `Each execution names its ${opts.resourceType} '${opts.namePrefix}-<uuid>' at run time; the policy is limited to that name prefix.`);
  const statements = [
    new iam.PolicyStatement({
      actions: [`sagemaker:Create${opts.actionNoun}`, `sagemaker:Describe${opts.actionNoun}`, `sagemaker:Stop${opts.actionNoun}`,
        ...(opts.tagged ? ['sagemaker:AddTags'] : [])],
      resources: [jobs],
    }),
    new iam.PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: opts.eventRule, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
    }),
  ];
  if (opts.passRole) statements.push(passRoleToSageMaker(opts.passRole));
  return statements;
}

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
 * attaches encrypted ML storage volumes through a grant made in the role's name.
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
