import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ModelMonitorImage } from './model-monitor-image';
import { MonitoringEngine } from './monitoring-engine';
import { CODE_FOLDER, ScikitLearnProcessingImage, analysisEntrypoint, analysisScriptAsset } from './private/analysis-job';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { JobS3Location } from '../data/job-s3-location';
import { ProcessingJobStep } from '../jobs/processing-job-step';
import { SageMakerTaskProps } from '../jobs/sagemaker-task';

/**
 * The format of the dataset a baseline is computed from, as Model Monitor's analyzer
 * reads its `dataset_format`.
 */
export abstract class BaselineDatasetFormat {
  /** CSV, with or without a header row. */
  public static csv(header: boolean = true): BaselineDatasetFormat {
    return new Format({ csv: { header, output_columns_position: 'START' } });
  }

  /** JSON, one record per line or one document. */
  public static json(lines: boolean = true): BaselineDatasetFormat {
    return new Format({ json: { lines } });
  }

  /** The analyzer's `dataset_format` value. */
  public abstract render(): string;
}

class Format extends BaselineDatasetFormat {
  constructor(private readonly format: object) {
    super();
  }

  public render(): string {
    return JSON.stringify(this.format);
  }
}

/**
 * Properties of a DataQualityBaselineStep.
 */
export interface DataQualityBaselineStepProps extends SageMakerTaskProps {
  /** The dataset the baseline describes: the training data, in the endpoint's input format. */
  readonly baselineDataset: JobS3Location;

  /** The dataset's format. */
  readonly datasetFormat: BaselineDatasetFormat;

  /**
   * Where `statistics.json` and `constraints.json` are written: a fixed location
   * (`JobS3Location.inBucket(bucket, prefix)`) that a `DataQualityMonitor` reads with
   * `DataQualityBaseline.fromBucket(bucket, prefix)`.
   */
  readonly output: JobS3Location;

  /**
   * The instance type.
   *
   * @default SageMakerInstanceType.ML_M5_XLARGE
   */
  readonly instanceType?: SageMakerInstanceType;

  /**
   * The number of instances.
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * The storage volume of each instance.
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * The key that encrypts the storage volumes.
   *
   * @default - AWS managed encryption
   */
  readonly volumeEncryptionKey?: kms.IKey;

  /**
   * The longest the job may run.
   *
   * @default Duration.days(1)
   */
  readonly maxRuntime?: Duration;

  /**
   * The job's execution role.
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly role?: iam.IRole;

  /**
   * The VPC the job runs in.
   *
   * @default - no VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The job's subnets.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * What computes the baseline: Model Monitor's analyzer image, or the library's analysis
   * script in AWS's SageMaker scikit-learn container (for accounts without Model Monitor).
   * Both write `statistics.json` and `constraints.json` in the analyzer's formats, which
   * either engine of a `DataQualityMonitor` reads.
   *
   * @default MonitoringEngine.modelMonitor()
   */
  readonly engine?: MonitoringEngine;

  /**
   * The prefix of the per-execution job name.
   *
   * @default - derived from the construct path
   */
  readonly jobNamePrefix?: string;
}

/**
 * A processing job (`createProcessingJob.sync`) that computes a data-quality baseline: the
 * statistics and suggested constraints of a dataset, which a `DataQualityMonitor` compares
 * captured traffic with. Model Monitor's analyzer image for the Region by default; the
 * library's analysis script in the SageMaker scikit-learn container with
 * `engine: MonitoringEngine.processingJob()`.
 */
export class DataQualityBaselineStep extends ProcessingJobStep {
  constructor(scope: Construct, id: string, props: DataQualityBaselineStepProps) {
    const script = props.engine?.isProcessingJob ? analysisScriptAsset(scope) : undefined;
    super(scope, id, {
      ...props,
      image: script ? new ScikitLearnProcessingImage() : new ModelMonitorImage(),
      containerEntrypoint: script ? analysisEntrypoint(script, 'baseline') : undefined,
      environment: {
        dataset_format: props.datasetFormat.render(),
        dataset_source: '/opt/ml/processing/input/baseline_dataset_input',
        output_path: '/opt/ml/processing/output',
        publish_cloudwatch_metrics: 'Disabled',
      },
      processingInputs: [
        ...(script ? [{ inputName: 'code', source: JobS3Location.fromAsset(script), localPath: CODE_FOLDER }] : []),
        { inputName: 'baseline_dataset_input', source: props.baselineDataset },
      ],
      processingOutputs: [{ outputName: 'monitoring_output', destination: props.output, localPath: '/opt/ml/processing/output' }],
    });
  }
}
