import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WorkflowStage } from './workflow-stage';
import { ProcessingJobStep, ProcessingJobStepProps } from '../jobs/processing-job-step';
import { constructNamePrefix } from '../private/names';
import { fail, validateIn } from '../private/validate';
import { JobS3Location } from '../data/job-s3-location';

/**
 * Properties of a ProcessingStage: those of the processing job.
 */
export interface ProcessingStageProps extends ProcessingJobStepProps {}

/**
 * A stage that runs a SageMaker processing job (`createProcessingJob.sync`):
 * preprocessing, feature engineering, or any job whose outputs later stages read.
 *
 * Results at `$.results.<id>`: `{ ProcessingJobName, ProcessingJobArn }`.
 */
export class ProcessingStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The processing job step. */
  public readonly job: ProcessingJobStep;
  /** The processing job's name, as a JSONPath into the execution state. */
  public readonly processingJobName: string;
  private readonly outputs: Map<string, JobS3Location>;

  constructor(scope: Construct, id: string, props: ProcessingStageProps) {
    super(scope, id);
    this.job = new ProcessingJobStep(this, 'Job', {
      ...props,
      // Named after the stage, distinct per construct path: 'train-1a2b3c4d'.
      jobNamePrefix: props.jobNamePrefix ?? constructNamePrefix(this, id),
      stateName: props.stateName ?? id,
      resultPath: this.resultPath,
      resultSelector: { 'ProcessingJobName.$': '$.ProcessingJobName', 'ProcessingJobArn.$': '$.ProcessingJobArn' },
    });
    this.catchFailures(this.job);
    this.outputs = new Map((props.processingOutputs ?? []).map(o => [o.outputName, o.destination]));
    this.processingJobName = this.resultField('ProcessingJobName');
    this.startState = this.job;
    this.endStates = [this.job];
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
