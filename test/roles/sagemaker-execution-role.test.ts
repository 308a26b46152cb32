import { Template } from 'aws-cdk-lib/assertions';
import { SageMakerExecutionRole } from '../../lib';
import { nagFindings, testStack } from '../util';

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
    role.grantVpcAccess();
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
});
