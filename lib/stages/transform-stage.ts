import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stageTaskProps } from './private/stage-props';
import { WorkflowStage } from './workflow-stage';
import { JobS3Location } from '../data/job-s3-location';
import { TransformJobStep, TransformJobStepProps } from '../jobs/transform-job-step';
import { constructNamePrefix } from '../private/names';

/**
 * Properties of a TransformStage: those of the batch transform job (its `model` may be a
 * `CreateModelStage`'s `model`). Of the task-state props, the
 * stage honours `resultPath`, `stateName`, `comment`, `inputPath` and the timeouts, and
 * refuses `resultSelector` and `outputPath`.
 */
export interface TransformStageProps extends TransformJobStepProps {}

/**
 * A stage that runs a SageMaker batch transform job (`createTransformJob.sync`).
 *
 * Results at `resultPath` (`$.results.<id>`): `{ TransformJobName, TransformJobArn }`.
 */
export class TransformStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The transform job task. */
  public readonly task: TransformJobStep;
  /** Where the results are written. */
  public readonly output: JobS3Location;
  /** The transform job's name (a `JsonPath` token). */
  public readonly transformJobName: string;
  /** The transform job's ARN (a `JsonPath` token). */
  public readonly transformJobArn: string;

  constructor(scope: Construct, id: string, props: TransformStageProps) {
    super(scope, id, { resultPath: props.resultPath });
    this.task = new TransformJobStep(this, 'Job', {
      ...props,
      // Named after the stage, distinct per construct path: 'train-1a2b3c4d'.
      jobNamePrefix: props.jobNamePrefix ?? constructNamePrefix(this, id),
      ...stageTaskProps(this, props),
      resultSelector: { 'TransformJobName.$': '$.TransformJobName', 'TransformJobArn.$': '$.TransformJobArn' },
    });
    this.catchFailures(this.task);
    this.output = props.output;
    this.transformJobName = this.resultValue('TransformJobName');
    this.transformJobArn = this.resultValue('TransformJobArn');
    this.startState = this.task;
    this.endStates = [this.task];
  }
}
