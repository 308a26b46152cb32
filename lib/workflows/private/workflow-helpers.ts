import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerTask } from '../../jobs/sagemaker-task';
import { fail, validateLength, validatePattern } from '../../private/validate';
import { WorkflowStage } from '../../stages/workflow-stage';

/** Validates defaults for the execution input: string values only. */
export function validateExecutionInputDefaults(defaults: { [key: string]: string } | undefined): void {
  for (const [key, value] of Object.entries(defaults ?? {})) {
    validatePattern('executionInputDefaults key', key, /^[A-Za-z_][A-Za-z0-9_]*$/, 'an identifier (it is read as $.<key>)');
    if (typeof value !== 'string') {
      fail(`executionInputDefaults['${key}'] must be a string (SageMaker hyperparameters and environment values are strings), got ${JSON.stringify(value)}`);
    }
    validateLength(`executionInputDefaults['${key}']`, value, 0, 2500);
  }
}

/** The two Pass states that merge the defaults under the execution input. */
export function executionInputDefaultStates(scope: Construct, defaults: { [key: string]: string } | undefined): sfn.Chain | undefined {
  if (!defaults) return undefined;
  return sfn.Chain.start(new sfn.Pass(scope, 'InputDefaults', { result: sfn.Result.fromObject(defaults), resultPath: '$.defaults' }))
    .next(new sfn.Pass(scope, 'MergeInput', {
      parameters: { 'merged.$': 'States.JsonMerge($.defaults, $$.Execution.Input, false)' },
      outputPath: '$.merged',
    }));
}

/**
 * The longest the states reachable from `start` can take: each stage's `maxDuration` once,
 * and each SageMaker task outside a stage (an upper bound: every branch is counted).
 */
export function durationBudget(start: sfn.State): { total: Duration; parts: string[] } {
  const stages = new Set<WorkflowStage>();
  const parts: string[] = [];
  let seconds = 0;
  for (const state of sfn.State.findReachableStates(start, { includeErrorHandlers: true })) {
    const stage = WorkflowStage.of(state);
    if (stage) {
      if (stages.has(stage)) continue;
      stages.add(stage);
      const d = stage.maxDuration;
      seconds += d.toSeconds();
      parts.push(`${stage.stageName} ${d.toHumanString()}`);
    } else if (state instanceof SageMakerTask) {
      const d = state.maxDuration;
      seconds += d.toSeconds();
      parts.push(`${state.node.id} ${d.toHumanString()}`);
    }
  }
  return { total: Duration.seconds(seconds), parts };
}
