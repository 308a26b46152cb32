import * as path from 'path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SageMakerExecutionRole, SageMakerImage, SageMakerModel } from '../../lib';
import { iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

describe('SageMakerExecutionRole', () => {
  test('is assumed only by SageMaker for this account, with no managed policies', () => {
    const stack = testStack();
    new SageMakerExecutionRole(stack, 'Role');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'sagemaker.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        }],
      },
    });
    const role = Object.values<any>(t.findResources('AWS::IAM::Role'))[0];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('grants logs under /aws/sagemaker/*, metrics in SageMaker namespaces, ECR auth', () => {
    const stack = testStack();
    new SageMakerExecutionRole(stack, 'Role');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Sid: 'WriteSageMakerLogs',
            Effect: 'Allow',
            Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
            Resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/*',
          },
          {
            Sid: 'PublishSageMakerMetrics',
            Effect: 'Allow',
            Action: 'cloudwatch:PutMetricData',
            Resource: '*',
            Condition: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
          },
          { Sid: 'AuthenticateToEcr', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ],
      },
    });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('adds network interface permissions once for VPC jobs', () => {
    const stack = testStack();
    const role = new SageMakerExecutionRole(stack, 'Role', { vpcAccess: true });
    role.addVpcAccess();
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::IAM::ManagedPolicy', 2);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [{
          Sid: 'ManageJobNetworkInterfaces',
          Effect: 'Allow',
          Action: [
            'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
            'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs',
            'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
          ].sort(),
          Resource: '*',
        }],
      },
    });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('addVpcAccess adds to the role\'s own policy and returns it, the same one on a second call', () => {
    const stack = testStack();
    const role = new SageMakerExecutionRole(stack, 'Role');
    const policy = role.addVpcAccess();
    expect(policy).toBeInstanceOf(iam.ManagedPolicy);
    expect(policy.document.toJSON().Statement.map((st: any) => st.Sid)).toEqual(['ManageJobNetworkInterfaces']);
    expect(role.addVpcAccess()).toBe(policy);
    // A resource that must wait for the VPC access depends on the policy.
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}') });
    fn.node.addDependency(policy);
    const fnResource = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
    expect(fnResource.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^RoleVpcAccessPolicy/)]));
  });

  test('is an iam.IRole: a model takes it as its role and waits for its policies', () => {
    const stack = testStack();
    const role = new SageMakerExecutionRole(stack, 'Role', { description: 'Team model role' });
    const asRole: iam.IRole = role;
    new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), role: asRole });
    const t = Template.fromStack(stack);
    const [model] = Object.values<any>(t.findResources('AWS::SageMaker::Model'));
    expect(model.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Role/), 'Arn'] });
    // One managed policy per role: the container's own statements and the grants.
    expect(model.DependsOn).toEqual([expect.stringMatching(/^RoleGrantsPolicy/)]);
    // No second role: the model's grants (ECR pull) went to the role's managed grants policy.
    t.resourceCountIs('AWS::IAM::Role', 1);
    expect(JSON.stringify(Object.entries(iamPolicies(stack)).filter(([id]) => id.startsWith('RoleGrantsPolicy')))).toContain('ecr:BatchGetImage');
  });

  test('delegates the iam.IRole members to its role', () => {
    const stack = testStack();
    const role = new SageMakerExecutionRole(stack, 'Role');
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    expect(role.grantPassRole(caller).success).toBe(true);
    expect(role.grant(caller, 'iam:GetRole').success).toBe(true);
    expect(stack.resolve(role.roleArn)).toEqual(stack.resolve(role.role.roleArn));
    expect(stack.resolve(role.roleName)).toEqual(stack.resolve(role.role.roleName));
    expect(stack.resolve(role.roleRef.roleArn)).toEqual(stack.resolve(role.role.roleArn));
    expect(role.assumeRoleAction).toBe('sts:AssumeRole');
    expect(stack.resolve(role.policyFragment.principalJson)).toEqual({ AWS: [stack.resolve(role.roleArn)] });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::team-bucket/data/*'] }));
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSageMakerCanvasFullAccess'));
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['iam:GetRole', 'iam:PassRole'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Role'), 'Arn'] } })]) },
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 's3:GetObject', Effect: 'Allow', Resource: 'arn:aws:s3:::team-bucket/data/*' }]) },
    });
    t.hasResource('AWS::IAM::Role', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ ManagedPolicyArns: Match.anyValue() }) });
  });
});
