import { validateAsl, validateAslUncompiled } from './asl';

// asl-validator with its schemas compiled once must answer as asl-validator itself does.
const task = (extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
  Parameters: { 'TrainingJobName.$': "States.Format('t-{}', States.UUID())" },
  ResultPath: '$.results.train',
  Next: 'Gate',
  ...extra,
});
const valid = () => ({
  StartAt: 'Train',
  TimeoutSeconds: 3600,
  States: {
    Train: task({ Retry: [{ ErrorEquals: ['SageMaker.AmazonSageMakerException'], MaxAttempts: 2 }], Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }] }),
    Gate: { Type: 'Choice', Choices: [{ Variable: '$.metric', NumericLessThan: 1, Next: 'Wait' }], Default: 'Failed' },
    Wait: { Type: 'Wait', SecondsPath: '$.poll', Next: 'Fan' },
    Fan: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'One', States: { One: { Type: 'Pass', End: true } } },
      ResultPath: null,
      Next: 'Both',
    },
    Both: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Succeed' } } }], Next: 'Done' },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', Error: 'QualityGateFailed', Cause: 'the metric is not below the threshold' },
  },
});

const cases: Record<string, (d: any) => void> = {
  'a valid definition': () => undefined,
  'no StartAt': d => delete d.StartAt,
  'a StartAt naming no state': d => d.StartAt = 'Nowhere',
  'a Next naming no state': d => d.States.Wait.Next = 'Nowhere',
  'an unreachable state': d => d.States.Orphan = { Type: 'Pass', End: true },
  'a state with both Next and End': d => d.States.Wait.End = true,
  'a Wait with two durations': d => d.States.Wait.Seconds = 5,
  'a malformed ResultPath': d => d.States.Train.ResultPath = '$$.[bad',
  'a malformed JSONPath parameter': d => d.States.Train.Parameters['X.$'] = 'not a path',
  'a resource that is no ARN': d => d.States.Train.Resource = 'sagemaker:createTrainingJob',
  'an unknown state type': d => d.States.Wait.Type = 'Sleep',
  'an unknown field': d => d.States.Done.Colour = 'green',
  'a Fail state with Cause and CausePath': d => d.States.Failed.CausePath = '$.cause',
  'a JSONata state with a broken expression': d => Object.assign(d.States.Fan, { QueryLanguage: 'JSONata', Items: '{% $states.input.items[ %}' }, { ItemsPath: undefined }),
  'a valid definition with a JSONata state': d => {
    d.States.Done = { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.a %}', End: true };
  },
};

test.each(Object.keys(cases))('%s: the same answer as asl-validator', name => {
  const compiled = valid();
  const uncompiled = valid();
  cases[name](compiled);
  cases[name](uncompiled);
  const fast = validateAsl(JSON.parse(JSON.stringify(compiled)));
  const reference = validateAslUncompiled(JSON.parse(JSON.stringify(uncompiled)));
  expect({ isValid: fast.isValid, errors: fast.errorsText() }).toEqual({ isValid: reference.isValid, errors: reference.errorsText() });
  expect(fast.isValid).toBe(name.startsWith('a valid'));
});
