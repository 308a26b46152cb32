import { ArnFormat, Aws } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SageMakerExecutionRole } from '../../lib';
import { MANAGED_POLICY_SIZE_LIMIT, ManagedPolicyRole, statementSizeBound } from '../../lib/private/managed-policy-role';
import { iamPolicies, nagFindings, testStack } from '../util';

/** A policy document's characters once deployed, whitespace not counted (IAM's measure), with each reference counted as a 100-character ARN. */
function deployedSize(document: any): number {
  return JSON.stringify(document, (_key, value) => (value && typeof value === 'object' && ('Ref' in value || 'Fn::GetAtt' in value) ? 'x'.repeat(100) : value)).length;
}

describe('one managed policy per role', () => {
  test('a SageMaker execution role has one managed policy: the container\'s own statements first, then the grants', () => {
    const stack = testStack();
    const role = new SageMakerExecutionRole(stack, 'Role');
    const bucket = new s3.Bucket(stack, 'Bucket');
    bucket.grantRead(role, 'data/*');
    const policies = Object.entries<any>(iamPolicies(stack));
    expect(policies.map(([id]) => id)).toEqual([expect.stringMatching(/^RoleGrantsPolicy/)]);
    const statements = policies[0][1].Properties.PolicyDocument.Statement;
    expect(statements.slice(0, 3).map((s: any) => s.Sid)).toEqual(['WriteSageMakerLogs', 'PublishSageMakerMetrics', 'AuthenticateToEcr']);
    expect(JSON.stringify(statements.slice(3))).toContain('s3:GetObject');
    // The public runtimePolicy is that policy, and the role is attached to it once.
    expect(stack.resolve((role.runtimePolicy.node.defaultChild as iam.CfnManagedPolicy).roles)).toEqual([{ Ref: expect.stringMatching(/^Role/) }]);
  });

  test('the packs find nothing to say of the merged policy: its one acknowledgement covers the container\'s wildcard statements', () => {
    const stack = testStack();
    const role = new SageMakerExecutionRole(stack, 'Role');
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::team-bucket/data/file.csv'] }));
    expect(Object.keys(iamPolicies(stack))).toEqual([expect.stringMatching(/^RoleGrantsPolicy/)]);
    expect(nagFindings(stack)).toEqual([]);
  });

  test('a second policy only when the statements could exceed IAM\'s 6,144 characters, each part within it', () => {
    const stack = testStack();
    const role = new ManagedPolicyRole(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const bucket = new s3.Bucket(stack, 'Bucket');
    const statement = (i: number) => new iam.PolicyStatement({ sid: `Read${i}`, actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`prefix-${i}/*`)] });
    // Few statements: one policy.
    for (let i = 0; i < 5; i++) role.addToPrincipalPolicy(statement(i));
    expect(role.node.children.filter(c => c instanceof iam.ManagedPolicy)).toHaveLength(1);
    // Many: as many parts as the bound needs, each attached to the role, each within the limit.
    const added = 5 + Math.ceil((2 * MANAGED_POLICY_SIZE_LIMIT) / statementSizeBound(statement(0)));
    for (let i = 5; i < added; i++) role.addToPrincipalPolicy(statement(i));
    const policies = Object.entries<any>(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
    expect(policies.length).toBeGreaterThanOrEqual(3);
    expect(policies.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['RoleGrantsPolicy', ...policies.slice(1).map((_, i) => `RoleGrantsPolicy${i + 2}`)].sort());
    for (const [, policy] of policies) {
      expect(policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^Role/) }]);
      expect(deployedSize(policy.Properties.PolicyDocument)).toBeLessThanOrEqual(MANAGED_POLICY_SIZE_LIMIT);
    }
    // Every statement is in exactly one part.
    const sids = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement.map((s: any) => s.Sid));
    expect(sids.sort()).toEqual(Array.from({ length: added }, (_, i) => `Read${i}`).sort());
  });

  test('the size bound counts a pseudo parameter at its longest value, not as an ARN', () => {
    const stack = testStack();
    const logs = new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME, partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID })] });
    const json = JSON.stringify(logs.toStatementJson());
    expect(json).toMatch(/AWS\.Partition/);
    // Partition and Region at most 20 characters each, the account ID 12 (a bucket's ARN token would count 256).
    const literal = json.replace(/\$\{Token\[[^\]]*\]\}/g, '').length + 1;
    expect(statementSizeBound(logs)).toBe(literal + 20 + 20 + 12);
  });

  test('a statement the policy already holds adds nothing to its size: repeated grants stay in one policy', () => {
    const stack = testStack();
    const role = new ManagedPolicyRole(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const bucket = new s3.Bucket(stack, 'Bucket');
    const same = () => new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('data/*')] });
    const times = 3 * Math.ceil(MANAGED_POLICY_SIZE_LIMIT / statementSizeBound(same()));
    for (let i = 0; i < times; i++) role.addToPrincipalPolicy(same());
    const policies = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toHaveLength(1);
  });

  test('the size bound counts an unresolved reference as far longer than its token', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const literal = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/k'] });
    const referenced = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('k')] });
    expect(statementSizeBound(literal)).toBe(JSON.stringify(literal.toStatementJson()).length + 1);
    expect(statementSizeBound(referenced)).toBeGreaterThan(256);
  });
});
