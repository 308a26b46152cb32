import { Template } from 'aws-cdk-lib/assertions';
import { SageMakerLifecycleStack } from '../../lib/stacks/lifecycle-stacks';
import { sagemakerContractViolations, sagemakerTaskCount } from '../compliance/sagemaker-contract';
import { ENV, definitionOf, nagFindings, snapshotOf, testApp } from '../util';

describe('SageMakerLifecycleStack', () => {
  const stack = new SageMakerLifecycleStack(testApp(), 'Lifecycle', { env: ENV });

  test('tunes, registers pending approval, and retrains weekly (disabled) and on new data', () => {
    const definition = definitionOf(stack, 'Workflow');
    expect(definition.StartAt).toBe('tune');
    expect(definition.States.tune.Next).toBe('tune: read the best training job');
    expect(definition.States['tune: read the best training job'].Next).toBe('register');
    expect(definition.States.register.Parameters.ModelApprovalStatus).toBe('PendingManualApproval');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'DISABLED', ScheduleExpression: 'cron(0 3 ? * MON *)' });
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { object: { key: [{ wildcard: 'incoming/*_SUCCESS' }] } } } });
    t.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 1);
  });

  test('weekly retraining is turned on by the prop or the context value, and its schedule is an output', () => {
    Template.fromStack(stack).hasOutput('RetrainingScheduleName', {});
    const enabled = new SageMakerLifecycleStack(testApp(), 'On', { env: ENV, weeklyRetraining: true });
    Template.fromStack(enabled).hasResourceProperties('AWS::Scheduler::Schedule', { State: 'ENABLED' });
    const app = testApp();
    app.node.setContext('weeklyRetraining', 'true');
    Template.fromStack(new SageMakerLifecycleStack(app, 'FromContext', { env: ENV })).hasResourceProperties('AWS::Scheduler::Schedule', { State: 'ENABLED' });
  });

  test('the tuning, describe and register requests match SageMaker\'s API model', () => {
    const definition = definitionOf(stack, 'Workflow');
    expect(sagemakerTaskCount(definition)).toBe(3);
    expect(sagemakerContractViolations(definition)).toEqual([]);
  });

  test('policy review: no unacknowledged finding in the four packs', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });
});
