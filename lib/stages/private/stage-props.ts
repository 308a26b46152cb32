import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { fail, validateIn } from '../../private/validate';
import { WorkflowStage } from '../workflow-stage';

/**
 * The task-state props a stage's task takes from the stage's props. A stage honours
 * `resultPath` (its results and outputs live there), `stateName`, `comment`, `inputPath` and
 * the timeouts; it refuses the props that would reshape or drop its results, which later
 * stages read (`resultSelector`, `outputPath`, JSONata `outputs`).
 */
export function stageTaskProps(stage: WorkflowStage, props: sfn.TaskStateBaseProps): { stateName: string; resultPath: string } {
  validateIn(stage, () => {
    const refused: Array<[string, unknown, string]> = [
      ['resultSelector', props.resultSelector, 'the stage selects the fields its outputs read'],
      ['outputPath', props.outputPath, 'it would drop the state later stages read'],
      ['outputs', props.outputs, 'a stage renders JSONPath states'],
    ];
    for (const [prop, value, why] of refused) {
      if (value !== undefined) fail(`${prop} must not be set on a stage (${why}), got ${JSON.stringify(value)}; use resultPath to choose where the stage writes its results`);
    }
  });
  return { stateName: props.stateName ?? stage.stageName, resultPath: stage.resultPath };
}
