import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EvaluationReport } from './evaluation-report';
import { stageTaskProps } from './private/stage-props';
import { WorkflowStage } from './workflow-stage';
import { JobS3Location } from '../data/job-s3-location';
import { ProcessingInput, ProcessingJobStep, ProcessingJobStepProps } from '../jobs/processing-job-step';
import { registerWildcardResource } from '../private/nag';
import { constructNamePrefix } from '../private/names';
import { fail, validateFormatSafe, validateIn, validateLength, validateNumber, validatePattern } from '../private/validate';

/**
 * How the gate compares the evaluation metric to the threshold.
 */
export enum MetricComparison {
  /** metric < threshold (losses, errors). */
  LESS_THAN = 'LESS_THAN',
  /** metric <= threshold. */
  LESS_THAN_OR_EQUAL = 'LESS_THAN_OR_EQUAL',
  /** metric > threshold (accuracy, R², AUC). */
  GREATER_THAN = 'GREATER_THAN',
  /** metric >= threshold. */
  GREATER_THAN_OR_EQUAL = 'GREATER_THAN_OR_EQUAL',
}

/**
 * A quality gate on a metric of the evaluation report.
 */
export interface QualityGate {
  /** The metric's path in the report, e.g. `metrics.rmse`. */
  readonly metricPath: string;

  /** The threshold. */
  readonly threshold: number;

  /** How the metric must compare to the threshold for the model to pass. */
  readonly comparison: MetricComparison;
}

/**
 * Properties of an EvaluationStage: those of the processing job, and the report. Of the
 * task-state props, the stage honours `resultPath`, `stateName`, `comment`, `inputPath` and
 * the timeouts, and refuses `resultSelector` and `outputPath`.
 */
export interface EvaluationStageProps extends ProcessingJobStepProps {
  /**
   * The model artifacts to evaluate (e.g. a training or tuning stage's
   * `trainedModel.modelArtifacts`), mounted as
   * the input `model` at `modelLocalPath`.
   *
   * @default - no model input (give it in `processingInputs`)
   */
  readonly model?: JobS3Location;

  /**
   * Where the container finds the model artifacts.
   *
   * @default '/opt/ml/processing/model'
   */
  readonly modelLocalPath?: string;

  /** The output (of `processingOutputs`) the job writes its JSON report to. */
  readonly reportOutputName: string;

  /**
   * The report's file name in that output.
   *
   * @default 'evaluation.json'
   */
  readonly reportFileName?: string;

  /**
   * A gate on the report: a model that fails it ends the execution with
   * `QualityGateFailed` and the metric in the cause. The report output must be per
   * execution (`JobS3Location.perExecution`), so that concurrent executions never read
   * each other's report.
   *
   * @default - no gate
   */
  readonly gate?: QualityGate;
}

/**
 * A stage that evaluates a model with a processing job that writes a JSON report and,
 * optionally, gates on a metric of that report (read with the S3 SDK integration, no
 * Lambda).
 *
 * Results at `resultPath` (`$.results.<id>`): `{ ProcessingJobName, ProcessingJobArn }`, and
 * `read.report` (the parsed report) when gated.
 */
export class EvaluationStage extends WorkflowStage {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The evaluation job task. */
  public readonly task: ProcessingJobStep;
  /** The report this execution's job writes: give it to `RegisterModelStage`'s `evaluationReport`. */
  public readonly report: EvaluationReport;
  /** The processing job's name (a `JsonPath` token). */
  public readonly processingJobName: string;
  /**
   * The plain JSONPath of the parsed report in the execution state (gated stages only).
   * @internal
   */
  public readonly _reportPath?: string;

  constructor(scope: Construct, id: string, props: EvaluationStageProps) {
    super(scope, id, { resultPath: props.resultPath });
    const fileName = props.reportFileName ?? 'evaluation.json';
    const output = (props.processingOutputs ?? []).find(o => o.outputName === props.reportOutputName);
    validateIn(this, () => {
      if (!output) {
        fail(`reportOutputName must name one of processingOutputs, got '${props.reportOutputName}'; outputs: ${(props.processingOutputs ?? []).map(o => o.outputName).join(', ') || 'none'}`);
      }
      validateFormatSafe('reportFileName', fileName);
      // What JobS3Location.objectKey takes, checked here so that the error names this prop.
      validatePattern('reportFileName', fileName, /^[A-Za-z0-9!_.-][A-Za-z0-9!_.\/-]*$/, 'a relative object key of letters, digits and ! _ . / -');
      // The model input's localPath, as ProcessingJobStep checks it, under this prop's name.
      validateLength('modelLocalPath', props.modelLocalPath, 1, 256);
      validatePattern('modelLocalPath', props.modelLocalPath, /^\/opt\/ml\/processing\/[^\0]+$/, 'a path under /opt/ml/processing/');
      if (props.gate) {
        validatePattern('gate.metricPath', props.gate.metricPath, /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, "a dotted path of identifiers such as 'metrics.rmse'");
        validateNumber('gate.threshold', props.gate.threshold, -Number.MAX_VALUE, Number.MAX_VALUE);
      }
    });
    const report = validateIn(this, () => output!.destination.objectKey(fileName));
    this.report = { object: report };
    if (props.gate && !Token.isUnresolved(report.key)) {
      validateIn(this, () => fail(`gate needs a per-execution report: the output '${props.reportOutputName}' writes to the fixed key '${report.key}', which concurrent executions would overwrite and read; make its destination JobS3Location.perExecution(...)`));
    }

    const modelInput: ProcessingInput[] = props.model
      ? [{ inputName: 'model', source: props.model, localPath: props.modelLocalPath ?? '/opt/ml/processing/model' }]
      : [];
    this.task = new ProcessingJobStep(this, 'Job', {
      ...props,
      // Named after the stage, distinct per construct path: 'evaluate-1a2b3c4d'.
      jobNamePrefix: props.jobNamePrefix ?? constructNamePrefix(this, id),
      processingInputs: [...modelInput, ...(props.processingInputs ?? [])],
      ...stageTaskProps(this, props),
      resultSelector: { 'ProcessingJobName.$': '$.ProcessingJobName', 'ProcessingJobArn.$': '$.ProcessingJobArn' },
    });
    this.catchFailures(this.task);
    this.processingJobName = this.resultValue('ProcessingJobName');
    this.startState = this.task;

    if (!props.gate) {
      this.endStates = [this.task];
      return;
    }
    const gate = props.gate;
    // The read step's result is `{ report: <parsed JSON> }` (a ResultSelector must build an object), so
    // the report itself lies one level below the step's result path.
    const readPath = this.resultField('read');
    this._reportPath = `${readPath}.report`;
    const reportObjects = report.bucket.arnForObjects(report.keyPattern);
    registerWildcardResource(this, reportObjects,
      `The evaluation report of each execution lies under a folder named after the execution; the state machine may read only '${fileName}' files under the evaluation output prefix.`);
    const key = report.bucket.encryptionKey;
    const read = new tasks.CallAwsService(this, 'ReadReport', {
      stateName: `${id} read report`,
      service: 's3',
      action: 'getObject',
      parameters: { Bucket: report.bucket.bucketName, Key: report.key },
      iamResources: [reportObjects],
      iamAction: 's3:GetObject',
      additionalIamStatements: key ? [new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn] })] : undefined,
      resultSelector: { 'report.$': 'States.StringToJson($.Body)' },
      resultPath: readPath,
    });
    read.addRetry({ errors: ['S3.S3Exception', 'S3.SdkClientException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    this.catchFailures(read);

    const metric = `${this._reportPath}.${gate.metricPath}`;
    const compare = {
      [MetricComparison.LESS_THAN]: sfn.Condition.numberLessThan,
      [MetricComparison.LESS_THAN_OR_EQUAL]: sfn.Condition.numberLessThanEquals,
      [MetricComparison.GREATER_THAN]: sfn.Condition.numberGreaterThan,
      [MetricComparison.GREATER_THAN_OR_EQUAL]: sfn.Condition.numberGreaterThanEquals,
    }[gate.comparison];
    const requirement = `${gate.metricPath} ${gate.comparison.toLowerCase().replace(/_/g, ' ')} ${gate.threshold}`;
    const rejected = new sfn.Pass(this, 'Rejected', {
      stateName: `${id} gate rejected`,
      parameters: {
        'Error': 'QualityGateFailed',
        'Cause.$': `States.Format('the model does not meet ${requirement}; report: {}', States.JsonToString(${this._reportPath}))`,
      },
      resultPath: '$.error',
    });
    rejected.next(this.failState);
    const passed = new sfn.Pass(this, 'Passed', { stateName: `${id} gate passed`, comment: `the model meets ${requirement}` });
    const choice = new sfn.Choice(this, 'Gate', { stateName: `${id} gate`, comment: `pass when ${requirement}` })
      .when(sfn.Condition.and(sfn.Condition.isPresent(metric), sfn.Condition.isNumeric(metric), compare(metric, gate.threshold)), passed)
      .otherwise(rejected);
    this.task.next(read).next(choice);
    this.endStates = [passed];
  }

  /**
   * A value of the parsed report, e.g. `metric('metrics.rmse')`, as a `JsonPath` token any
   * later field takes (gated stages only: the gate reads the report into the state).
   */
  public metric(metricPath: string): string {
    return validateIn(this, () => {
      if (!this._reportPath) fail(`metric('${metricPath}') needs a gated stage: only a gate reads the report into the execution state`);
      validatePattern('metricPath', metricPath, /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, "a dotted path of identifiers such as 'metrics.rmse'");
      return sfn.JsonPath.stringAt(`${this._reportPath}.${metricPath}`);
    });
  }
}
