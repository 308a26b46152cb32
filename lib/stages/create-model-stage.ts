import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WorkflowStage } from './workflow-stage';
import { CreateModelStep, CreateModelStepProps } from '../jobs/create-model-step';
import { constructNamePrefix } from '../private/names';

/**
 * Properties of a CreateModelStage: those of the model, e.g. a training stage's
 * `modelArtifacts` as `modelData`.
 */
export interface CreateModelStageProps extends CreateModelStepProps {}

/**
 * A stage that defines a SageMaker model (`createModel`) from artifacts an earlier stage
 * produced.
 *
 * Results at `$.results.<id>`: `{ ModelName, ModelArn }`.
 */
export class CreateModelStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The create-model step. */
  public readonly step: CreateModelStep;
  /** The model's name, as a JSONPath into the execution state. */
  public readonly modelName: string;
  /** The model's ARN, as a JSONPath into the execution state. */
  public readonly modelArn: string;

  constructor(scope: Construct, id: string, props: CreateModelStageProps) {
    super(scope, id);
    this.step = new CreateModelStep(this, 'Step', {
      ...props,
      // Named after the stage, distinct per construct path: 'train-1a2b3c4d'.
      modelNamePrefix: props.modelNamePrefix ?? constructNamePrefix(this, id),
      stateName: props.stateName ?? id,
      resultPath: this.resultPath,
    });
    this.catchFailures(this.step);
    this.modelName = this.resultField('ModelName');
    this.modelArn = this.resultField('ModelArn');
    this.startState = this.step;
    this.endStates = [this.step];
  }
}
