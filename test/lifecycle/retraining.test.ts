import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { MlDataStore } from '../../lib';
import { runsPerMonth } from '../../lib/private/schedule-expressions';
import { RetrainingOnNewData } from '../../lib/triggers/retraining-on-new-data';
import { RetrainingSchedule } from '../../lib/triggers/retraining-schedule';
import { iamPolicies, nagFindings, testStack } from '../util';

function machine(stack: Stack, id = 'Workflow'): sfn.StateMachine {
  return new sfn.StateMachine(stack, id, { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, `${id}Start`)) });
}

/** The statements of the policies attached to roles whose logical id starts with `prefix`. */
function statementsOf(stack: Stack, prefix: string): any[] {
  return Object.values<any>(iamPolicies(stack))
    .filter(p => JSON.stringify(p.Properties.Roles ?? []).includes(prefix))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('RetrainingSchedule', () => {
  test('starts the workflow weekly with a fixed input, disabled until turned on', () => {
    // GIVEN
    const stack = testStack();
    const workflow = machine(stack);
    // WHEN
    const trigger = new RetrainingSchedule(stack, 'Weekly', {
      stateMachine: workflow,
      schedule: scheduler.ScheduleExpression.rate(Duration.days(7)),
      input: { trainingData: 's3://bucket/train/' },
    });
    // THEN
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(7 days)',
      State: 'DISABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { Ref: Match.stringLikeRegexp('^Workflow') },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WeeklyRole'), 'Arn'] },
        Input: JSON.stringify({ trainingData: 's3://bucket/train/' }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012', 'aws:SourceArn': 'arn:aws:scheduler:us-east-1:123456789012:schedule-group/default' } },
        }],
      },
    });
    // The role may start this one state machine, nothing else.
    expect(statementsOf(stack, 'WeeklyRole')).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^Workflow/) } }]);
    expect(trigger.runsPerMonth).toBe(4);
    expect(nagFindings(stack).filter(f => f.includes('/Weekly'))).toEqual([]);
  });

  test('enabled: true turns the schedule on; a cron expression is accepted', () => {
    const stack = testStack();
    new RetrainingSchedule(stack, 'Nightly', {
      stateMachine: machine(stack), enabled: true, schedule: scheduler.ScheduleExpression.expression('cron(0 3 ? * MON-FRI *)'),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 3 ? * MON-FRI *)', State: 'ENABLED', Target: { Input: '{}' } });
  });

  test.each([
    ['rate(5 minutes)', 8640],
    ['rate(1 hour)', 720],
    ['rate(1 day)', 30],
    ['cron(0 3 * * ? *)', 31],
    ['cron(0 3 ? * MON *)', 5],
    ['cron(0 */6 ? * MON-FRI *)', 92],
    ['cron(15 10 1 JAN,JUL ? 2027)', 1],
    ['at(2027-01-01T00:00:00)', 1],
    ['cron(0 3 ? * L *)', 5],
    ['cron(0 3 ? * 6L *)', 5],
    ['cron(0 3 ? * 2#5 *)', 1],
    ['cron(0 3 ? * MON#1 *)', 1],
    ['at(2028-02-29T23:59:59)', 1],
  ])('counts the runs per month of %s', (expression, runs) => {
    expect(runsPerMonth('schedule', expression)).toBe(runs);
  });

  test.each([
    ['rate(1 week)', /Test\/T: schedule must be rate\(<n> minute\(s\)\|hour\(s\)\|day\(s\)\), cron\(.*\) or at\(yyyy-mm-ddThh:mm:ss\), got 'rate\(1 week\)'/],
    ['rate(0 days)', /Test\/T: schedule rate must be a positive number of days, got 'rate\(0 days\)'/],
    ['rate(1 days)', /Test\/T: schedule rate unit must be singular for 1 and plural above \('rate\(1 day\)', 'rate\(2 days\)'\), got 'rate\(1 days\)'/],
    ['rate(5 hour)', /schedule rate unit must be singular for 1 and plural above \('rate\(1 hour\)', 'rate\(5 hours\)'\), got 'rate\(5 hour\)'/],
    ['cron(0 3 * * ? 2300)', /schedule cron year field must be .* between 1970 and 2199, got '2300'/],
    ['cron(0 3 * * *)', /Test\/T: schedule cron expression must have 6 fields .*got 5 in 'cron\(0 3 \* \* \*\)'/],
    ['cron(0 25 * * ? *)', /schedule cron hours field must be .* between 0 and 23, got '25'/],
    ['cron(0 3 * * MON *)', /schedule cron expression must have '\?' in exactly one of day-of-month and day-of-week, got 'cron\(0 3 \* \* MON \*\)'/],
    ['every week', /schedule must be rate.*got 'every week'/],
    // Impossible dates and times, and an n-th weekday a month never has.
    ['at(2026-13-45T25:61:00)', /Test\/T: schedule at expression must name a real date and time .*: month 13 does not exist, got 'at\(2026-13-45T25:61:00\)'/],
    ['at(2026-02-29T03:00:00)', /schedule at expression must name a real date and time .*: 2026-02 has days 01-28, not 29, got 'at\(2026-02-29T03:00:00\)'/],
    ['at(2026-04-31T03:00:00)', /2026-04 has days 01-30, not 31/],
    ['at(2026-00-10T03:00:00)', /month 0 does not exist/],
    ['at(2026-06-10T24:00:00)', /hour 24 does not exist/],
    ['at(2026-06-10T03:60:00)', /minute 60 does not exist/],
    ['at(2026-06-10T03:00:60)', /second 60 does not exist/],
    ['cron(0 3 ? * 2#6 *)', /Test\/T: schedule cron day-of-week '#' must be one '<day>#<n>' with day 1-7 \(SUN-SAT\) and n 1-5 .*got '2#6' in 'cron\(0 3 \? \* 2#6 \*\)'/],
    ['cron(0 3 ? * MON#0 *)', /day-of-week '#' must be one '<day>#<n>'.*got '2#0'/],
    ['cron(0 3 ? * 8#1 *)', /day-of-week '#' must be one '<day>#<n>'.*got '8#1'/],
    ['cron(0 3 ? * 3#1,6#3 *)', /day-of-week '#' must be one '<day>#<n>'.*got '3#1,6#3'/],
  ])('rejects the schedule expression %s', (expression, error) => {
    const stack = testStack();
    expect(() => new RetrainingSchedule(stack, 'T', { stateMachine: machine(stack), schedule: scheduler.ScheduleExpression.expression(expression) })).toThrow(error);
  });

  test('rejects retryAttempts out of range', () => {
    const stack = testStack();
    expect(() => new RetrainingSchedule(stack, 'T', { stateMachine: machine(stack), schedule: scheduler.ScheduleExpression.rate(Duration.days(1)), retryAttempts: 200 }))
      .toThrow(/Test\/T: retryAttempts must be an integer between 0 and 185, got 200/);
  });
});

describe('RetrainingOnNewData', () => {
  test('starts the workflow when an object lands under the prefix, with its key and URI in the input', () => {
    // GIVEN
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    const workflow = machine(stack);
    // WHEN
    new RetrainingOnNewData(stack, 'OnData', { stateMachine: workflow, bucket: store.dataBucket, prefix: 'incoming/churn/', input: { mode: 'full' } });
    // THEN
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: Match.stringLikeRegexp('^StoreDataBucket') }] }, object: { key: [{ prefix: 'incoming/churn/' }] } },
      },
      Targets: [{
        Arn: { Ref: Match.stringLikeRegexp('^Workflow') },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OnDataRole'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 3 },
        InputTransformer: {
          InputPathsMap: { 'detail-object-key': '$.detail.object.key', 'detail-bucket-name': '$.detail.bucket.name' },
          InputTemplate: '{"mode":"full","objectKey":<detail-object-key>,"objectUri":"s3://<detail-bucket-name>/<detail-object-key>"}',
        },
      }],
    });
    expect(statementsOf(stack, 'OnDataRole')).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^Workflow/) } }]);
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }] },
    });
    expect(nagFindings(stack).filter(f => f.includes('/OnData'))).toEqual([]);
  });

  test('a prefix and a suffix together match with a wildcard; field names can be chosen', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Bucket', { eventBridgeEnabled: true });
    new RetrainingOnNewData(stack, 'OnData', { stateMachine: machine(stack), bucket, prefix: 'incoming/', suffix: '_SUCCESS', objectKeyField: 'marker', objectUriField: 'markerUri', enabled: false });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', {
      State: 'DISABLED',
      EventPattern: { detail: { object: { key: [{ wildcard: 'incoming/*_SUCCESS' }] } } },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputTemplate: '{"marker":<detail-object-key>,"markerUri":"s3://<detail-bucket-name>/<detail-object-key>"}' }) })],
    });
  });

  test('refuses a bucket of the app that does not send events to EventBridge, and warns for an imported one', () => {
    const stack = testStack();
    new RetrainingOnNewData(stack, 'OnData', { stateMachine: machine(stack), bucket: new s3.Bucket(stack, 'Plain') });
    expect(() => Template.fromStack(stack)).toThrow(/Test\/OnData.*bucket 'Test\/Plain' does not send its events to EventBridge, so no run would start: define it with eventBridgeEnabled: true/);

    const other = testStack();
    new RetrainingOnNewData(other, 'OnData', { stateMachine: machine(other), bucket: s3.Bucket.fromBucketName(other, 'Lake', 'data-lake') });
    const { Annotations } = jest.requireActual('aws-cdk-lib/assertions');
    Annotations.fromStack(other).hasWarning('/Test/OnData', Match.stringLikeRegexp("bucket 'Test/Lake' is imported: make sure it sends its events to EventBridge"));
  });

  test.each([
    [{ prefix: '/incoming/' }, /Test\/T: prefix must be a key prefix without a leading '\/'.*got '\/incoming\/'/],
    [{ prefix: 'in*coming/' }, /Test\/T: prefix must be an S3 key part without '\*' or '\\'.*got 'in\*coming\/'/],
    [{ suffix: '' }, /Test\/T: suffix must be between 1 and 1024 characters long, got 0/],
    [{ objectKeyField: 'object-key' }, /Test\/T: objectKeyField must be a JSON field name of letters, digits and underscores, got 'object-key'/],
    [{ input: { objectKey: 'x' } }, /Test\/T: objectKeyField 'objectKey' is also a key of input/],
    [{ objectKeyField: 'k', objectUriField: 'k' }, /Test\/T: objectKeyField and objectUriField must differ, got 'k' for both/],
    [{ retryAttempts: -1 }, /Test\/T: retryAttempts must be an integer between 0 and 185, got -1/],
  ])('rejects bad input %#', (props, error) => {
    const stack = testStack();
    const store = new MlDataStore(stack, 'Store');
    expect(() => new RetrainingOnNewData(stack, 'T', { stateMachine: machine(stack), bucket: store.dataBucket, ...props })).toThrow(error);
  });
});
