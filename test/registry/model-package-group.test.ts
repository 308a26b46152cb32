import { Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { nagFindings, testStack } from '../util';

describe('ModelPackageGroup', () => {
  test('defines a group with its name, description and tags, and no policy until something is shared', () => {
    // GIVEN
    const stack = testStack();
    // WHEN
    const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'churn-model', description: 'Churn classifier versions' });
    Tags.of(group).add('team', 'ml');
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::ModelPackageGroup', {
      ModelPackageGroupName: 'churn-model',
      ModelPackageGroupDescription: 'Churn classifier versions',
      ModelPackageGroupPolicy: Match.absent(),
      Tags: [{ Key: 'team', Value: 'ml' }],
    });
    expect(stack.resolve(group.modelPackageGroupArn)).toEqual('arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn-model');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('generates a valid lowercase name when none is given', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Models_Of.Team');
    expect(group.modelPackageGroupName).toMatch(/^[a-z0-9](-?[a-z0-9])*$/);
    expect(group.modelPackageGroupName.length).toBeLessThanOrEqual(63);
    expect(group.modelPackageGroupArns).toEqual([group.modelPackageGroupArn]);
  });

  test('a name with capitals: version ARNs lowercase (as SageMaker writes them), the group ARN in both spellings', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'ChurnModel' });
    expect(stack.resolve(group.modelPackageArns)).toEqual('arn:aws:sagemaker:us-east-1:123456789012:model-package/churnmodel/*');
    expect(stack.resolve(group.modelPackageGroupArns)).toEqual([
      'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/ChurnModel',
      'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churnmodel',
    ]);
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    group.grantRead(role);
    group.grantApprove(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages'],
            Resource: [
              'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/ChurnModel',
              'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churnmodel',
              'arn:aws:sagemaker:us-east-1:123456789012:model-package/churnmodel/*',
            ],
          }),
          Match.objectLike({ Resource: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churnmodel/*' }),
        ],
      },
    });
    // Imported by ARN: the same rule.
    const imported = ModelPackageGroup.fromModelPackageGroupArn(stack, 'Shared', 'arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/SharedModel');
    expect(stack.resolve(imported.modelPackageArns)).toEqual('arn:aws:sagemaker:eu-west-1:111122223333:model-package/sharedmodel/*');
  });

  test('grants in the same account go to the identity policy: read, register, approve', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'churn-model' });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    group.grantRegister(role);
    group.grantApprove(role);
    const t = Template.fromStack(stack);
    const packages = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/*';
    const groupArn = 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn-model';
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackageGroup'], Effect: 'Allow', Resource: [groupArn, packages] },
          { Action: ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'], Effect: 'Allow', Resource: packages },
        ],
      },
    });
    t.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupPolicy: Match.absent() });
  });

  test('grants to another account go to the resource policy, naming the group and its versions', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'churn-model' });
    group.grantRead(new iam.AccountPrincipal('111122223333'));
    group.grantRegister(new iam.AccountPrincipal('444455556666'));
    const policy = Template.fromStack(stack).findResources('AWS::SageMaker::ModelPackageGroup');
    const document = Object.values<any>(policy)[0].Properties.ModelPackageGroupPolicy;
    expect(document.Statement).toEqual([
      expect.objectContaining({
        Action: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages'],
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Resource: [
          'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn-model',
          'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/*',
        ],
      }),
      expect.objectContaining({
        Action: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:CreateModelPackage'],
        Principal: { AWS: 'arn:aws:iam::444455556666:root' },
      }),
    ]);
  });

  test('imports by name and by ARN, with the ARN of their versions', () => {
    const stack = testStack();
    const byName = ModelPackageGroup.fromModelPackageGroupName(stack, 'ByName', 'churn-model');
    const byArn = ModelPackageGroup.fromModelPackageGroupArn(stack, 'ByArn', 'arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/shared-model');
    expect(byArn.modelPackageGroupName).toEqual('shared-model');
    expect(byArn.env.account).toEqual('111122223333');
    expect(stack.resolve(byArn.modelPackageArns)).toEqual('arn:aws:sagemaker:eu-west-1:111122223333:model-package/shared-model/*');
    expect(stack.resolve(byName.modelPackageGroupArn)).toEqual('arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn-model');
    // An imported group's resource policy is its owner's to write: only the identity side is granted here.
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    expect(byArn.addToResourcePolicy(new iam.PolicyStatement({ actions: ['sagemaker:*'], principals: [new iam.AnyPrincipal()] })).statementAdded).toBe(false);
    byArn.grantRead(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Resource: Match.arrayWith(['arn:aws:sagemaker:eu-west-1:111122223333:model-package/shared-model/*']) })] },
    });
  });

  test.each([
    [(s: Stack) => new ModelPackageGroup(s, 'G', { modelPackageGroupName: 'churn_model' }), /Test\/G: modelPackageGroupName must be letters, digits and hyphens, starting and ending with a letter or digit, got 'churn_model'/],
    [(s: Stack) => new ModelPackageGroup(s, 'G', { modelPackageGroupName: '-churn' }), /modelPackageGroupName must be letters, digits and hyphens.*got '-churn'/],
    [(s: Stack) => new ModelPackageGroup(s, 'G', { modelPackageGroupName: 'a'.repeat(64) }), /Test\/G: modelPackageGroupName must be between 1 and 63 characters long, got 64/],
    [(s: Stack) => new ModelPackageGroup(s, 'G', { description: 'd'.repeat(1025) }), /Test\/G: description must be between 0 and 1024 characters long, got 1025/],
    [(s: Stack) => ModelPackageGroup.fromModelPackageGroupName(s, 'G', 'no spaces'), /modelPackageGroupName must be letters, digits and hyphens.*got 'no spaces'/],
    [(s: Stack) => ModelPackageGroup.fromModelPackageGroupArn(s, 'G', 'arn:aws:sagemaker:us-east-1:123456789012:model-package/m/1'), /modelPackageGroupArn must be the ARN of a model package group .*got 'arn:aws:sagemaker:us-east-1:123456789012:model-package\/m\/1'/],
  ])('rejects bad input %#', (make, error) => {
    expect(() => make(testStack())).toThrow(error);
  });
});
