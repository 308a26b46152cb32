import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { DeployOnApproval } from '../../lib/triggers/deploy-on-approval';
import { iamPolicies, nagFindings, testStack } from '../util';

function deployWorkflow(stack: Stack): sfn.StateMachine {
  return new sfn.StateMachine(stack, 'Deploy', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'DeployStart')) });
}

describe('DeployOnApproval', () => {
  test('starts the deploy workflow when a version of the group is approved, with the version in the input', () => {
    // GIVEN
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'churn' });
    // WHEN
    new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: group, deployWorkflow: deployWorkflow(stack) });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        'source': ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        // Only versions SageMaker has finished validating: the event carries no previous status to narrow on.
        'detail': { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['Approved'], ModelPackageStatus: ['Completed'] },
      },
      Targets: [{
        Arn: { Ref: Match.stringLikeRegexp('^Deploy') },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OnApprovalRole'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 3 },
        Id: Match.anyValue(),
        InputTransformer: {
          InputPathsMap: { 'detail-ModelPackageArn': '$.detail.ModelPackageArn', 'detail-ModelPackageGroupName': '$.detail.ModelPackageGroupName', 'detail-ModelPackageVersion': '$.detail.ModelPackageVersion' },
          InputTemplate: '{"modelPackageArn":<detail-ModelPackageArn>,"modelPackageGroupName":<detail-ModelPackageGroupName>,"modelPackageVersion":<detail-ModelPackageVersion>}',
        },
      }],
    });
    const statements = Object.values<any>(iamPolicies(stack)).filter(p => JSON.stringify(p.Properties.Roles).includes('OnApprovalRole')).flatMap(p => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^Deploy/) } }]);
    expect(nagFindings(stack).filter(f => f.includes('/OnApproval/'))).toEqual([]);
  });

  test('a group name with capitals is matched in its lowercase spelling too', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'ChurnModel' });
    new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: group, deployWorkflow: deployWorkflow(stack) });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { ModelPackageGroupName: ['ChurnModel', 'churnmodel'], ModelApprovalStatus: ['Approved'] } }),
    });
  });

  test('a group of another account needs a bus that receives its events; the pattern then names that account', () => {
    const stack = testStack();
    const shared = ModelPackageGroup.fromModelPackageGroupArn(stack, 'Shared', 'arn:aws:sagemaker:us-east-1:111122223333:model-package-group/churn');
    expect(() => new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: shared, deployWorkflow: deployWorkflow(stack) }))
      .toThrow(/Test\/OnApproval: eventBus is needed for modelPackageGroup 'churn' of account 111122223333: its approval events reach that account's default bus, not this one \(123456789012\)/);

    const other = testStack();
    const group = ModelPackageGroup.fromModelPackageGroupArn(other, 'Shared', 'arn:aws:sagemaker:us-east-1:111122223333:model-package-group/churn');
    const bus = new events.EventBus(other, 'Bus');
    new DeployOnApproval(other, 'OnApproval', { modelPackageGroup: group, deployWorkflow: deployWorkflow(other), eventBus: bus });
    bus.addToResourcePolicy(new iam.PolicyStatement({ sid: 'ApprovalEvents', actions: ['events:PutEvents'], principals: [new iam.AccountPrincipal('111122223333')], resources: [bus.eventBusArn] }));
    Template.fromStack(other).hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^Bus') },
      EventPattern: Match.objectLike({ account: ['111122223333'] }),
    });
  });

  test('a bus of the app without a policy letting the group\'s account put events is refused at synth', () => {
    const stack = testStack();
    const group = ModelPackageGroup.fromModelPackageGroupArn(stack, 'Shared', 'arn:aws:sagemaker:us-east-1:111122223333:model-package-group/churn');
    const bus = new events.EventBus(stack, 'Bus');
    // A policy for another account does not count.
    bus.addToResourcePolicy(new iam.PolicyStatement({ sid: 'Other', actions: ['events:PutEvents'], principals: [new iam.AccountPrincipal('444455556666')], resources: [bus.eventBusArn] }));
    new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: group, deployWorkflow: deployWorkflow(stack), eventBus: bus });
    expect(() => Template.fromStack(stack))
      .toThrow(/Test\/OnApproval.*eventBus 'Test\/Bus' has no resource policy letting account 111122223333 \(the owner of modelPackageGroup 'churn'\) put events, so no approval would arrive/);
  });

  test('refuses a group of another Region, whose approval events never reach this Region\'s bus', () => {
    const stack = testStack();
    const group = ModelPackageGroup.fromModelPackageGroupArn(stack, 'Group', 'arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn');
    const workflow = deployWorkflow(stack);
    expect(() => new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: group, deployWorkflow: workflow }))
      .toThrow(/Test\/OnApproval: modelPackageGroup must be in this stack's Region \(us-east-1\), got 'churn' in eu-west-1: its approval events reach that Region's default bus, so this rule would never fire/);
    // A group of this Region, imported by ARN, is accepted.
    const local = ModelPackageGroup.fromModelPackageGroupArn(stack, 'Local', 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn');
    expect(() => new DeployOnApproval(stack, 'Here', { modelPackageGroup: local, deployWorkflow: workflow })).not.toThrow();
  });

  test('rejects retryAttempts out of range', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Group');
    expect(() => new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: group, deployWorkflow: deployWorkflow(stack), retryAttempts: 186 }))
      .toThrow(/Test\/OnApproval: retryAttempts must be an integer between 0 and 185, got 186/);
  });
});
