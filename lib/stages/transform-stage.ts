import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WorkflowStage } from './workflow-stage';
import { TransformJobStep, TransformJobStepProps } from '../jobs/transform-job-step';
import { constructNamePrefix } from '../private/names';
import { JobS3Location } from '../data/job-s3-location';

/**
 * Properties of a TransformStage: those of the batch transform job.
 */
export interface TransformStageProps extends TransformJobStepProps {}

/**
 * A stage that runs a SageMaker batch transform job (`createTransformJob.sync`).
 *
 * Results at `$.results.<id>`: `{ TransformJobName, TransformJobArn }`.
 */
export class TransformStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The transform job step. */
  public readonly job: TransformJobStep;
  /** Where the results are written. */
  public readonly output: JobS3Location;
  /** The transform job's name, as a JSONPath into the execution state. */
  public readonly transformJobName: string;

  constructor(scope: Construct, id: string, props: TransformStageProps) {
    super(scope, id);
    this.job = new TransformJobStep(this, 'Job', {
      ...props,
      // Named after the stage, distinct per construct path: 'train-1a2b3c4d'.
      jobNamePrefix: props.jobNamePrefix ?? constructNamePrefix(this, id),
      stateName: props.stateName ?? id,
      resultPath: this.resultPath,
      resultSelector: { 'TransformJobName.$': '$.TransformJobName', 'TransformJobArn.$': '$.TransformJobArn' },
    });
    this.catchFailures(this.job);
    this.output = props.output;
    this.transformJobName = this.resultField('TransformJobName');
    this.startState = this.job;
    this.endStates = [this.job];
  }
}
