import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SageMakerTrainingStack } from '../../bin/stacks';
import { sagemakerContractViolations } from '../compliance/sagemaker-contract';
import { ENV, definitionOf, iamPolicies, nagFindings, snapshotOf, testApp } from '../util';

// One synthesis shared by the read-only assertions below: synthesis is what tests wait on.
// Without schema validation (about 6 CPU seconds a file): test/compliance/reference-app.test.ts validates
// this stack as bin/reference-app.ts defines it (with a description).
const app = testApp();
const stack = new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
const template = Template.fromStack(stack);
const definition = definitionOf(stack);
const tasks = Object.entries<any>(definition.States).filter(([, s]) => s.Type === 'Task');
const jobs = tasks.filter(([, s]) => /sagemaker:create(Training|Processing)Job\.sync$/.test(s.Resource));

describe('SageMakerTrainingStack', () => {
  test('matches the snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });

  test('policy review: no unacknowledged AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('runs preprocess, train and evaluate as .sync SageMaker jobs, then gate, model and register', () => {
    expect(definition.StartAt).toBe('InputDefaults');
    const order: string[] = [];
    let name: string | undefined = definition.StartAt;
    while (name) {
      order.push(name);
      const state: any = definition.States[name];
      name = state.Type === 'Choice' ? state.Choices[0].Next : state.Next;
    }
    expect(order).toEqual([
      'InputDefaults', 'MergeInput', 'Preprocess', 'Train', 'Evaluate', 'Evaluate read report', 'Evaluate gate', 'Evaluate gate passed', 'CreateModel', 'Register', 'Output',
    ]);
    expect(definition.States.Preprocess.Resource).toMatch(/:states:::sagemaker:createProcessingJob\.sync$/);
    expect(definition.States.Train.Resource).toMatch(/:states:::sagemaker:createTrainingJob\.sync$/);
    expect(definition.States.Evaluate.Resource).toMatch(/:states:::sagemaker:createProcessingJob\.sync$/);
    expect(jobs).toHaveLength(3);
  });

  test('every job is named per execution, never with a fixed name', () => {
    for (const [id, state] of jobs) {
      const params = state.Parameters;
      const nameKey = Object.keys(params).find(k => /JobName/.test(k));
      expect({ id, nameKey }).toEqual({ id, nameKey: expect.stringMatching(/JobName\.\$$/) });
      // Named after the stage and a hash of its construct path: distinct per workflow.
      expect(params[nameKey!]).toMatch(new RegExp(`^States\\.Format\\('${id.toLowerCase()}-[0-9a-f]{8}-\\{\\}', States\\.UUID\\(\\)\\)$`));
    }
    expect(definition.States.CreateModel.Parameters['ModelName.$']).toMatch(/^States\.Format\('createmodel-[0-9a-f]{8}-\{\}', States\.UUID\(\)\)$/);
  });

  test('every task fails fast on refused requests, retries transient errors by their cause, and catches into its stage Fail state', () => {
    for (const [id, state] of tasks) {
      const stage = id.split(' ')[0];
      // SageMaker's generic error (validation, access, throttling alike): the optimized integrations'
      // and the AWS SDK integration's names.
      const generic = /:states:::sagemaker:/.test(state.Resource) ? 'SageMaker.AmazonSageMakerException'
        : /:states:::aws-sdk:sagemaker:/.test(state.Resource) ? 'SageMaker.SageMakerException' : undefined;
      if (generic) {
        // It goes to a Choice on its Cause first.
        expect({ id, catch: state.Catch }).toEqual({
          id,
          catch: [
            { ErrorEquals: [generic], ResultPath: '$.error', Next: `${id}: transient?` },
            expect.objectContaining({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${stage} failed` }),
          ],
        });
        expect(definition.States[`${id}: transient?`].Type).toBe('Choice');
        expect(JSON.stringify(state.Retry ?? [])).not.toContain(generic);
      } else {
        expect({ id, retries: state.Retry?.length > 0 }).toEqual({ id, retries: true });
        expect({ id, catch: state.Catch.slice(-1) }).toEqual({ id, catch: [expect.objectContaining({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${stage} failed` })] });
      }
      expect(definition.States[`${stage} failed`]).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    }
    for (const [, state] of jobs) {
      // Capacity errors keep their retrier; nothing else is retried by name.
      expect(state.Retry).toEqual([{ ErrorEquals: ['SageMaker.ResourceLimitExceededException'], IntervalSeconds: 60, MaxAttempts: 10, BackoffRate: 1 }]);
      expect(JSON.stringify(state.Retry)).not.toContain('States.TaskFailed');
    }
    expect(JSON.stringify(definition)).not.toContain('sns:publish');
  });

  test('every unsuccessful execution is notified once, by one of two execution status rules that never both match', () => {
    const rules = Object.values<any>(template.findResources('AWS::Events::Rule'))
      .filter(r => r.Properties.EventPattern.source[0] === 'aws.states');
    // One for events with every field the message names, one for events that lack any of them.
    expect(rules).toHaveLength(2);
    const fields = ['executionArn', 'error', 'cause', 'stopDate'];
    const [complete, incomplete] = [rules.find(r => !r.Properties.EventPattern.detail.$or), rules.find(r => r.Properties.EventPattern.detail.$or)];
    for (const f of fields) expect(complete.Properties.EventPattern.detail[f]).toEqual([{ exists: true }]);
    expect(incomplete.Properties.EventPattern.detail.$or).toEqual(fields.map(f => ({ [f]: [{ exists: false }] })));
    for (const rule of rules) {
      expect(rule.Properties.EventPattern.detail.status).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
      expect(rule.Properties.Targets[0].Arn).toEqual({ Ref: expect.stringMatching(/^TrainingWorkflowFailureTopic/) });
    }
  });

  test('the timeout covers the jobs: preprocess 1 h, train 2 h, evaluate 1 h, their retries, registration and an hour', () => {
    // Each job: 10 capacity retries of 60 s on each of its 6 entries (the first and 5 transient-error
    // re-entries, which restart the retrier) and the transient backoff (15 + 30 + 60 + 120 + 240 s).
    expect(definition.TimeoutSeconds).toBe(4 * 3600 + 3 * (6 * 600 + 465) + 60 + 155 + (5 + 10 + 20 + 60) + 3600);
  });

  test('training reads the per-execution preprocessed data and the config channel, writes under models/', () => {
    const train = definition.States.Train.Parameters;
    expect(train.InputDataConfig.map((c: any) => c.ChannelName)).toEqual(['train', 'config']);
    expect(train.InputDataConfig[0].DataSource.S3DataSource['S3Uri.$'])
      .toBe("States.Format('s3://${DataStoreDataBucketB6FEB4CE}/processed/{}/train/', $$.Execution.Name)");
    expect(train.InputDataConfig[1].DataSource.S3DataSource.S3Uri).toMatch(/^s3:\/\/cdk-[a-z0-9]+-assets-.*\.json$/);
    expect(train.OutputDataConfig.S3OutputPath).toBe('s3://${DataStoreArtifactsBucket1D5896E7}/models/');
    // {"max_iter": 50} in the execution input works: the value is formatted as a string.
    expect(train.HyperParameters).toEqual({ 'max_iter.$': "States.Format('{}', $.max_iter)", 'tol.$': "States.Format('{}', $.tol)" });
    expect(definition.States.InputDefaults.Result).toEqual({ max_iter: '100', tol: '1e-8' });
  });

  test('the quality gate reads the evaluation report with the S3 SDK integration, no Lambda', () => {
    expect(definition.States['Evaluate read report'].Resource).toMatch(/:states:::aws-sdk:s3:getObject$/);
    expect(definition.States['Evaluate read report'].Parameters['Key.$']).toBe("States.Format('evaluation/{}/evaluation.json', $$.Execution.Name)");
    expect(definition.States['Evaluate gate'].Choices[0].And[2]).toEqual({ Variable: '$.results.Evaluate.read.report.metrics.deviance_explained', NumericGreaterThanEquals: 0.2 });
    // The evaluation job gets the trained model from the training stage's result.
    expect(definition.States.Evaluate.Parameters.ProcessingInputs[0].S3Input['S3Uri.$']).toBe('$.results.Train.ModelArtifacts.S3ModelArtifacts');
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('the model data location and model name are the execution output', () => {
    expect(definition.States.Output.Parameters).toEqual({
      'modelName.$': '$.results.CreateModel.ModelName',
      'modelArn.$': '$.results.CreateModel.ModelArn',
      'modelDataUrl.$': '$.results.Train.ModelArtifacts.S3ModelArtifacts',
      'trainingJobName.$': '$.results.Train.TrainingJobName',
      'evaluation.$': '$.results.Evaluate.read.report',
      'modelPackageArn.$': '$.results.Register.ModelPackageArn',
    });
  });

  test('registers each model that passed the gate in the group, pending approval, with its evaluation report', () => {
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 1);
    expect(stack.modelPackageGroup.node.path).toBe('SageMakerMlTraining/Models');
    const register = definition.States.Register;
    expect(definition.States.CreateModel.Next).toBe('Register');
    expect(register.Resource).toMatch(/:states:::aws-sdk:sagemaker:createModelPackage$/);
    expect(register.Parameters.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(register.Parameters.ModelPackageGroupName).toMatch(/models/i);
    expect(register.Parameters.InferenceSpecification.Containers[0]['ModelDataUrl.$']).toBe('$.results.Train.ModelArtifacts.S3ModelArtifacts');
    expect(register.Parameters.InferenceSpecification.SupportedContentTypes).toEqual(['text/csv']);
    expect(register.Parameters.ModelMetrics.ModelQuality.Statistics['S3Uri.$'])
      .toBe("States.Format('s3://${DataStoreArtifactsBucket1D5896E7}/{}', States.Format('evaluation/{}/evaluation.json', $$.Execution.Name))");
    expect(sagemakerContractViolations(definition)).toEqual([]);
    template.hasOutput('ModelPackageGroupName', {});
  });

  test('retrains weekly on a schedule that is disabled by default, and on new data under incoming/', () => {
    const schedules = Object.values<any>(template.findResources('AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(1);
    expect(schedules[0].Properties).toEqual(expect.objectContaining({ State: 'DISABLED', ScheduleExpression: 'cron(0 3 ? * MON *)' }));
    expect(schedules[0].Properties.Target.Arn).toEqual({ Ref: 'TrainingWorkflowStateMachineDFF36538' });
    expect(stack.retrainingSchedule.runsPerMonth).toBeGreaterThanOrEqual(4);
    const rule = Object.values<any>(template.findResources('AWS::Events::Rule')).find(r => r.Properties.EventPattern.source[0] === 'aws.s3');
    expect(rule.Properties.EventPattern.detail).toEqual({
      bucket: { name: [{ Ref: 'DataStoreDataBucketB6FEB4CE' }] },
      object: { key: [{ wildcard: 'incoming/*_SUCCESS' }] },
    });
    expect(rule.Properties.Targets[0].Arn).toEqual({ Ref: 'TrainingWorkflowStateMachineDFF36538' });
    // The data bucket sends its events to EventBridge, so the rule fires.
    template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    // Each trigger's role may start that one state machine and nothing else.
    const policies = iamPolicies(stack);
    for (const role of ['WeeklyRetrainingRole', 'RetrainOnNewDataRole']) {
      const statements = Object.entries<any>(policies).filter(([id]) => id.startsWith(role))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      const startOnly = expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: 'TrainingWorkflowStateMachineDFF36538' } });
      expect({ role, statements }).toEqual({ role, statements: [startOnly] });
    }
  });

  test('the weekly schedule is enabled by weeklyRetraining or the context value of that name; a bad prefix is an error', () => {
    const enabled = (app2: App, props = {}) => Template.fromStack(new SageMakerTrainingStack(app2, 'T', { env: ENV, ...props }))
      .findResources('AWS::Scheduler::Schedule');
    const byProp = testApp();
    expect(Object.values<any>(enabled(byProp, { weeklyRetraining: true }))[0].Properties.State).toBe('ENABLED');
    const byContext = testApp();
    byContext.node.setContext('weeklyRetraining', 'true');
    expect(Object.values<any>(enabled(byContext))[0].Properties.State).toBe('ENABLED');
    expect(() => new SageMakerTrainingStack(testApp(), 'Bad', { env: ENV, newDataPrefix: '/incoming' })).toThrow(/prefix.*leading '\/'/);
  });

  test('exposes what a user needs to start an execution', () => {
    for (const output of ['StateMachineArn', 'DataBucketName', 'ArtifactsBucketName', 'FailureTopicArn', 'ModelPackageGroupName', 'RetrainingScheduleName']) {
      template.hasOutput(output, {});
    }
  });

  test('uses no AmazonSageMakerFullAccess and conditions every iam:PassRole', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/AmazonSageMakerFullAccess/);
    const policies = iamPolicies(stack);
    for (const policy of Object.values<any>(policies)) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if ([statement.Action].flat().includes('iam:PassRole')) {
          expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
        }
      }
    }
  });
});
