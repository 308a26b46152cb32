import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ObservableStateMachine } from './private/observable-state-machine';
import { durationBudget, executionInputDefaultStates, validateExecutionInputDefaults } from './private/workflow-helpers';
import { WorkflowOptions } from './workflow-options';
import { validateIn, validateLength, validatePattern } from '../private/validate';

/**
 * Properties of a SageMakerWorkflow.
 */
export interface SageMakerWorkflowProps extends WorkflowOptions {
  /**
   * The sequence of stages (and any other states) the workflow runs, e.g.
   * `train.next(evaluate).next(model)`.
   */
  readonly definition: sfn.IChainable;

  /**
   * What the workflow does, for the state machine's comment and the failure messages.
   *
   * @default 'SageMaker workflow'
   */
  readonly description?: string;

  /**
   * The execution's output: names mapped to stage outputs (`JsonPath` tokens such as
   * `model.modelName`, rendered as paths) or literal strings (kept as they are).
   *
   * @default - the final state of the execution (every stage's results under `results`)
   */
  readonly outputs?: { [key: string]: string };
}

/**
 * A Step Functions standard workflow built from stages: it adds what every SageMaker
 * workflow needs around them.
 *
 * - Execution-input defaults merged under the input.
 * - A timeout that covers the stages' jobs, retries and waits (checked at synth).
 * - An encrypted log group (level ALL) and X-Ray tracing.
 * - An encrypted topic notified, once, of every execution that fails, times out or is
 *   aborted, by an EventBridge rule on the execution's status change; the message carries
 *   the execution ARN, status, error and cause (a stage's `Fail` state puts the job's
 *   failure reason or the gate's metric there).
 */
export class SageMakerWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic notified of unsuccessful executions. */
  public readonly failureTopic: sns.ITopic;
  /** The execution log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The longest the stages can take; the timeout is at least this. */
  public readonly maxDuration: Duration;

  constructor(scope: Construct, id: string, props: SageMakerWorkflowProps) {
    super(scope, id);
    const description = props.description ?? 'SageMaker workflow';
    validateIn(this, () => {
      validateLength('description', description, 1, 200);
      validateExecutionInputDefaults(props.executionInputDefaults);
      for (const key of Object.keys(props.outputs ?? {})) {
        validatePattern('outputs key', key, /^[A-Za-z_][A-Za-z0-9_]*$/, 'an identifier');
      }
    });
    const plumbing = new ObservableStateMachine(this, { ...props, description });
    this.failureTopic = plumbing.failureTopic;
    this.logGroup = plumbing.logGroup;

    let chain = sfn.Chain.start(props.definition);
    const defaults = executionInputDefaultStates(this, props.executionInputDefaults);
    if (defaults) chain = defaults.next(props.definition);
    if (props.outputs && chain.endStates.length > 0) {
      // The Pass state renders tokens as '<key>.$' paths and literals as they are.
      chain = chain.next(new sfn.Pass(this, 'Output', { parameters: { ...props.outputs } }));
    }

    const budget = durationBudget(props.definition.startState);
    this.maxDuration = budget.total;
    this.stateMachine = plumbing.finish(chain, budget.total, budget.parts.join(', '));
  }
}
