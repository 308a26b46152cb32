import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerTask, SageMakerTaskProps } from '../../lib';
import { iamPolicies, renderState, testStack } from '../util';

interface TuningLikeProps extends SageMakerTaskProps {
  readonly prefix?: string;
}

/** A task whose names SageMaker limits to 32 characters, as hyperparameter tuning jobs. */
class TuningLike extends SageMakerTask {
  constructor(scope: Construct, id: string, props: TuningLikeProps = {}) {
    super(scope, id, props, {
      api: 'createHyperParameterTuningJob',
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      resourceType: 'hyper-parameter-tuning-job',
      actions: ['sagemaker:CreateHyperParameterTuningJob', 'sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:StopHyperParameterTuningJob'],
      nameField: 'HyperParameterTuningJobName',
      namePrefix: props.prefix,
      namePrefixProp: 'prefix',
      defaultNamePrefix: 'tuning',
      maxNameLength: 32,
      eventRule: 'StepFunctionsGetEventsForSageMakerTuningJobsRule',
      startsCompute: true,
    });
  }

  /** @internal */
  protected _renderRequest(): { [key: string]: any } {
    return { Strategy: 'Bayesian' };
  }

  /** @internal */
  protected _runDuration(): Duration {
    return Duration.hours(3);
  }
}

describe('SageMakerTask', () => {
  test('a subclass declares a shorter name limit: a 20-digit random suffix within 32 characters', () => {
    const stack = testStack();
    const task = new TuningLike(stack, 'Tune', { prefix: 'hpo-glm' });
    const state = renderState(stack, task);
    expect(state.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createHyperParameterTuningJob.sync');
    expect(state.QueryLanguage).toBe('JSONPath');
    expect(state.Parameters).toEqual({
      'HyperParameterTuningJobName.$': "States.Format('hpo-glm-{}{}', States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0), "
        + "States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 4))",
      'Strategy': 'Bayesian',
    });
    // 'hpo-glm' + '-' + 8 + 12 hexadecimal digits = 28 characters.
    expect('hpo-glm'.length + 1 + 8 + 12).toBeLessThanOrEqual(32);
    // 3 h + 10 capacity retries in each of 6 entries (the service-error loop's) + its waits.
    expect(task.maxDuration.toSeconds()).toBe(3 * 3600 + 6 * 600 + 465);
    const json = JSON.stringify(iamPolicies(stack));
    expect(json).toContain('hyper-parameter-tuning-job/hpo-glm-*');
  });

  test('refuses a prefix that leaves no room for the suffix, naming the prop and the limit', () => {
    const stack = testStack();
    expect(() => new TuningLike(stack, 'Tune', { prefix: 'a'.repeat(12) })).toThrow(/^Test\/Tune: prefix must be between 1 and 11 characters long, got 12 characters/);
    // The default keeps the 8-digit path hash and shortens the kind to fit: 'tu-1a2b3c4d'.
    expect(new TuningLike(stack, 'Default').namePrefix).toMatch(/^tu-[0-9a-f]{8}$/);
  });
});
