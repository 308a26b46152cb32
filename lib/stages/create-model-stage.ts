import { Resource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stageTaskProps } from './private/stage-props';
import { WorkflowStage } from './workflow-stage';
import { ISageMakerModel } from '../hosting/sagemaker-model';
import { CreateModelStep, CreateModelStepProps } from '../jobs/create-model-step';
import { constructNamePrefix } from '../private/names';

/**
 * Properties of a CreateModelStage: those of the model, e.g. a training stage's
 * `trainedModel.modelArtifacts` as `modelData`. Of the task-state props, the stage honours
 * `resultPath`, `stateName`, `comment`, `inputPath` and the timeouts, and refuses
 * `resultSelector` and `outputPath`.
 */
export interface CreateModelStageProps extends CreateModelStepProps {}

/**
 * A stage that defines a SageMaker model (`createModel`) from artifacts an earlier stage
 * produced.
 *
 * Results at `resultPath` (`$.results.<id>`): `{ ModelName, ModelArn }`.
 */
export class CreateModelStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The create-model task. */
  public readonly task: CreateModelStep;
  /**
   * The model this execution defines, with its role: what a later step that serves or
   * transforms with it takes (a batch transform's `model`, a deployment's model). Its name
   * and ARN are `JsonPath` tokens, known at run time: give it to steps, not to resources.
   */
  public readonly model: ISageMakerModel;
  /** The model's name (a `JsonPath` token). */
  public readonly modelName: string;
  /** The model's ARN (a `JsonPath` token). */
  public readonly modelArn: string;

  constructor(scope: Construct, id: string, props: CreateModelStageProps) {
    super(scope, id, { resultPath: props.resultPath });
    const taskProps = stageTaskProps(this, props);
    this.task = new CreateModelStep(this, 'Step', {
      ...props,
      // Named after the stage, distinct per construct path: 'train-1a2b3c4d'.
      modelNamePrefix: props.modelNamePrefix ?? constructNamePrefix(this, id),
      ...taskProps,
    });
    this.catchFailures(this.task);
    this.modelName = this.resultValue('ModelName');
    this.modelArn = this.resultValue('ModelArn');
    this.model = new RunTimeModel(this, 'Model', this.modelName, this.modelArn, this.task.role);
    this.startState = this.task;
    this.endStates = [this.task];
  }
}

/** The model an execution defines: its name and ARN read from the stage's results. */
class RunTimeModel extends Resource implements ISageMakerModel {
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, public readonly modelName: string, public readonly modelArn: string, public readonly role: iam.IRole) {
    super(scope, id);
    this.grantPrincipal = role;
  }
}
