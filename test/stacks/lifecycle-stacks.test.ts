import * as fs from 'fs';
import * as path from 'path';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { SageMakerRealtimeStack } from '../../bin/stacks/hosting-stacks';
import { SageMakerLifecycleStack } from '../../bin/stacks/lifecycle-stacks';
import { SageMakerTrainingStack } from '../../bin/stacks/training-stack';
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

  // Issue 23: the training jobs read a 'train' channel nothing wrote and had no 'config' channel.
  test('the tuning job\'s training jobs read the shipped sample data and the configuration file, both assets', () => {
    const tuning = definitionOf(stack, 'Workflow').States.tune.Parameters.TrainingJobDefinition;
    expect(tuning.InputDataConfig.map((c: any) => [c.ChannelName, c.ContentType])).toEqual([['train', 'text/csv'], ['config', 'application/json']]);
    expect(tuning.InputDataConfig[0].DataSource.S3DataSource.S3Uri).toMatch(/^s3:\/\/cdk-[a-z0-9]+-assets-.*\.csv$/);
    expect(tuning.InputDataConfig[1].DataSource.S3DataSource.S3Uri).toMatch(/^s3:\/\/cdk-[a-z0-9]+-assets-.*\.json$/);
    expect(JSON.stringify(tuning)).not.toContain('processed/current');
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

describe('the lifecycle in region-agnostic stacks (cdk synth without an AWS Region)', () => {
  const app = testApp();
  const training = new SageMakerTrainingStack(app, 'Training', {});
  const realtime = new SageMakerRealtimeStack(app, 'Realtime', { dataStore: training.dataStore, modelPackageGroup: training.modelPackageGroup });

  test('the real-time stack deploys on approval and is monitored, its analysis image looked up per Region at deploy time', () => {
    const t = Template.fromStack(realtime);
    t.resourceCountIs('AWS::Scheduler::Schedule', 1);
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ 'detail-type': ['SageMaker Model Package State Change'] }) });
    const monitor = definitionOf(realtime, 'DataQualityMonitorStateMachine');
    const analyze = Object.values<any>(monitor.States).find(s => s.Resource?.includes('createProcessingJob.sync'));
    // The definition renders the mapping lookup inside its substitution: ${FindInMap:<mapping>.${AWS::Region}.account}.
    expect(JSON.stringify(analyze.Parameters.AppSpecification.ImageUri)).toContain('FindInMap:ScikitLearnContainerRegistries.${AWS::Region}.account');
    expect(Object.keys(Template.fromStack(realtime).toJSON().Mappings)).toContain('ScikitLearnContainerRegistries');
  });

  test('policy review as cdk synth runs it (the packs as validation plugins): the wildcards on the training stack\'s buckets, imported across stacks, are acknowledged; no warning or info', () => {
    const synthApp = testApp();
    Validations.of(synthApp).addPlugins(
      new AwsSolutionsChecks(synthApp), new HIPAASecurityChecks(synthApp), new NIST80053R5Checks(synthApp), new PCIDSS321Checks(synthApp));
    const store = new SageMakerTrainingStack(synthApp, 'Training', {});
    const monitored = new SageMakerRealtimeStack(synthApp, 'Realtime', { dataStore: store.dataStore, modelPackageGroup: store.modelPackageGroup });
    const assembly = synthApp.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((r: any) => r.violations
      .flatMap((v: any) => v.violatingConstructs.map((c: any) => `${v.ruleName} ${c.constructPath}`)));
    expect(violations).toEqual([]);
    Annotations.fromStack(monitored).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(monitored).hasNoInfo('*', Match.anyValue());
    expect(nagFindings(realtime)).toEqual([]);
  });
});
