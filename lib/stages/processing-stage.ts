import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stageTaskProps } from './private/stage-props';
import { WorkflowStage } from './workflow-stage';
import { JobS3Location } from '../data/job-s3-location';
import { ProcessingJobStep, ProcessingJobStepProps } from '../jobs/processing-job-step';
import { constructNamePrefix } from '../private/names';
import { fail, validateIn } from '../private/validate';

/**
 * Properties of a ProcessingStage: those of the processing job. Of the task-state props, the
 * stage honours `resultPath`, `stateName`, `comment`, `inputPath` and the timeouts, and
 * refuses `resultSelector` and `outputPath`.
 */
export interface ProcessingStageProps extends ProcessingJobStepProps {}

/**
 * A stage that runs a SageMaker processing job (`createProcessingJob.sync`):
 * preprocessing, feature engineering, or any job whose outputs later stages read.
 *
 * Results at `resultPath` (`$.results.<id>`): `{ ProcessingJobName, ProcessingJobArn }`.
 */
export class ProcessingStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The processing job task. */
  public readonly task: ProcessingJobStep;
  /** The processing job's name (a `JsonPath` token). */
  public readonly processingJobName: string;
  /** The processing job's ARN (a `JsonPath` token). */
  public readonly processingJobArn: string;
  private readonly outputs: Map<string, JobS3Location>;

  constructor(scope: Construct, id: string, props: ProcessingStageProps) {
    super(scope, id, { resultPath: props.resultPath });
    this.task = new ProcessingJobStep(this, 'Job', {
      ...props,
      // Named after the stage, distinct per construct path: 'train-1a2b3c4d'.
      jobNamePrefix: props.jobNamePrefix ?? constructNamePrefix(this, id),
      ...stageTaskProps(this, props),
      resultSelector: { 'ProcessingJobName.$': '$.ProcessingJobName', 'ProcessingJobArn.$': '$.ProcessingJobArn' },
    });
    this.catchFailures(this.task);
    this.outputs = new Map((props.processingOutputs ?? []).map(o => [o.outputName, o.destination]));
    this.processingJobName = this.resultValue('ProcessingJobName');
    this.processingJobArn = this.resultValue('ProcessingJobArn');
    this.startState = this.task;
    this.endStates = [this.task];
  }

  /**
   * Where the job uploads an output (inside the execution's folder for a per-execution
   * destination): pass it, or a `child()` of it, as an input of a later stage.
   */
  public output(outputName: string): JobS3Location {
    const location = this.outputs.get(outputName);
    if (!location) {
      return validateIn(this, () => fail(`output('${outputName}') must name an output of the stage; outputs: ${[...this.outputs.keys()].join(', ') || 'none'}`));
    }
    return location;
  }
}
