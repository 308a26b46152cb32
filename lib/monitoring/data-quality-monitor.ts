import { Duration, Names, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DataQualityBaseline } from './data-quality-baseline';
import { FeatureDriftAlarm } from './feature-drift-alarm';
import { MonitoringEngine } from './monitoring-engine';
import { modelMonitorImageUriFor } from './private/model-monitor-registries';
import { defineModelMonitorSchedule } from './private/model-monitor-schedule';
import { DATA_QUALITY_METRICS_NAMESPACE, allowAlarmsToUseTopicKey, captureProblems, defineAlarmTopic, validateMonitorProps } from './private/monitor-checks';
import { defineProcessingMonitor, processingEngineVariant, validateProcessingEngine } from './private/processing-monitor';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { ICapturingEndpoint } from '../hosting/deployable-endpoint';
import { fail, validateIn } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';

// The baseline was defined in this module first: its importers keep it.
export { DataQualityBaseline } from './data-quality-baseline';


/**
 * How often the captured traffic is analyzed.
 */
export enum MonitoringFrequency {
  /** At the start of every hour, over the previous hour's captures. */
  HOURLY = 'HOURLY',
  /** Once a day at 00:00 UTC, over the previous day's captures. */
  DAILY = 'DAILY',
}

const SCHEDULE_EXPRESSIONS: Record<MonitoringFrequency, string> = {
  [MonitoringFrequency.HOURLY]: 'cron(0 * ? * * *)',
  [MonitoringFrequency.DAILY]: 'cron(0 0 ? * * *)',
};

/**
 * Properties of a DataQualityMonitor.
 */
export interface DataQualityMonitorProps {
  /**
   * The endpoint whose captured traffic is monitored: a `RealtimeEndpoint` with
   * `dataCapture`, or one defined elsewhere (`RealtimeEndpoint.fromEndpointAttributes` with
   * its `dataCapture`, or any endpoint with `captureDestination`).
   */
  readonly endpoint: ICapturingEndpoint;

  /**
   * The location the endpoint captures to: the `dataCapture.destination` given to the
   * endpoint. The monitoring job reads it.
   *
   * @default - the endpoint's `dataCapture.destination`
   */
  readonly captureDestination?: JobS3Location;

  /** The baseline the traffic is compared with. */
  readonly baseline: DataQualityBaseline;

  /** Where the monitoring reports (statistics, violations) are written, e.g. in the artifacts bucket. */
  readonly output: JobS3Location;

  /**
   * How often the traffic is analyzed.
   *
   * @default MonitoringFrequency.HOURLY
   */
  readonly frequency?: MonitoringFrequency;

  /**
   * The monitoring schedule's name (1 to 63 letters, digits and hyphens).
   *
   * @default - a name unique to this construct, generated at synth
   */
  readonly monitoringScheduleName?: string;

  /**
   * The instance type of each monitoring run.
   *
   * @default SageMakerInstanceType.ML_M5_XLARGE
   */
  readonly instanceType?: SageMakerInstanceType;

  /**
   * The number of instances of each run.
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * The storage volume of each instance (1 to 16384 GiB).
   *
   * @default Size.gibibytes(20)
   */
  readonly volumeSize?: Size;

  /**
   * The key that encrypts the instances' storage volumes. Not with instance types whose only
   * storage is local NVMe (ml.m5d, ml.g5, ml.p4d, …): SageMaker rejects a volume key there.
   *
   * @default - AWS managed encryption
   */
  readonly volumeEncryptionKey?: kms.IKey;

  /**
   * The key the captured traffic is encrypted with (the endpoint's
   * `dataCapture.encryptionKey`), when it differs from the capture bucket's key: the role is
   * granted `kms:Decrypt` on it.
   *
   * @default - the endpoint's `dataCapture.encryptionKey`, if any
   */
  readonly captureEncryptionKey?: kms.IKey;

  /**
   * The key that encrypts the reports.
   *
   * @default - the output bucket's key, if it has one
   */
  readonly outputEncryptionKey?: kms.IKey;

  /**
   * The longest a run may take. A run must end before the next one starts: at most an hour
   * for an hourly schedule.
   *
   * @default Duration.hours(1)
   */
  readonly maxRuntime?: Duration;

  /**
   * The execution role of the monitoring runs.
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly role?: iam.IRole;

  /**
   * The VPC the runs are placed in: the one of the endpoint's model, if it has one.
   *
   * @default - no VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of the runs.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the runs.
   *
   * @default - with a VPC, a security group that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Whether the runs have no network access.
   *
   * @default false
   */
  readonly enableNetworkIsolation?: boolean;

  /**
   * Alarms on the drift of given features, notified to `alarmTopic`.
   *
   * @default - none
   */
  readonly driftAlarms?: FeatureDriftAlarm[];

  /**
   * What runs the analysis: SageMaker Model Monitor, or the library's processing job for
   * accounts without Model Monitor (closed to new AWS customers since 2026-07-30).
   *
   * @default MonitoringEngine.modelMonitor()
   */
  readonly engine?: MonitoringEngine;

  /**
   * The topic the alarms notify.
   *
   * @default - with drift alarms, an encrypted topic is defined
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Data-quality monitoring of a real-time endpoint's captured traffic: hourly or daily runs that
 * compare the traffic with a baseline, reports in S3, and CloudWatch alarms on the drift of
 * chosen features, notified through SNS. The `engine` runs the analysis: SageMaker Model
 * Monitor (a `DataQualityJobDefinition` with the Region's analyzer image and a
 * `MonitoringSchedule`; the default, for accounts that have Model Monitor), or the library's
 * analysis script in a processing job started by a Step Functions workflow on an EventBridge
 * Scheduler schedule (`MonitoringEngine.processingJob()`, for new accounts: Model Monitor is
 * closed to new AWS customers since 2026-07-30), with the same metrics and alarms.
 */
export class DataQualityMonitor extends Construct {
  /** The CloudWatch namespace of the monitoring jobs' per-feature metrics (`emit_metrics`). */
  public static readonly METRICS_NAMESPACE = DATA_QUALITY_METRICS_NAMESPACE;

  /** The monitoring schedule's name. */
  public readonly monitoringScheduleName: string;
  /** The monitoring schedule's ARN (an EventBridge Scheduler schedule with `MonitoringEngine.processingJob()`). */
  public readonly monitoringScheduleArn: string;
  /**
   * The workflow that runs the analysis (engine `MonitoringEngine.processingJob()`).
   *
   * @default - none: Model Monitor runs it
   */
  public readonly stateMachine?: sfn.IStateMachine;
  /**
   * The ARN of the topic that failed runs are notified to (engine `MonitoringEngine.processingJob()`).
   *
   * @default - none: Model Monitor runs it
   */
  public readonly failureTopicArn?: string;
  /** The role of the monitoring runs. */
  public readonly role: iam.IRole;
  /** The drift alarms. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The topic the alarms notify, if there are alarms. */
  public readonly alarmTopic?: sns.ITopic;
  /** The number of monitoring runs in a 30-day month, for cost estimates. */
  public readonly runsPerMonth: number;
  private readonly endpointName: string;
  private readonly period: Duration;
  private _jobDefinitionName?: string;

  constructor(scope: Construct, id: string, props: DataQualityMonitorProps) {
    super(scope, id);
    const frequency = props.frequency ?? MonitoringFrequency.HOURLY;
    this.period = frequency === MonitoringFrequency.HOURLY ? Duration.hours(1) : Duration.days(1);
    this.runsPerMonth = frequency === MonitoringFrequency.HOURLY ? 720 : 30;
    // In a region-agnostic stack the analyzer's registry account is looked up at deploy time.
    const engine = props.engine ?? MonitoringEngine.modelMonitor();
    const processing = engine.isProcessingJob;
    const imageUri = validateIn(this, () => {
      validateMonitorProps(props, frequency === MonitoringFrequency.HOURLY);
      if (processing) validateProcessingEngine(engine.processingJobOptions ?? {});
      return processing ? undefined : modelMonitorImageUriFor(this);
    });
    this.monitoringScheduleName = props.monitoringScheduleName
      ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).replace(/-+/g, '-').replace(/^-|-$/g, '');
    this.endpointName = props.endpoint.endpointName;

    const executionRole = props.role ? undefined : new SageMakerExecutionRole(this, 'Role', {
      description: `Runs the data-quality monitoring of ${props.endpoint.node.path}`,
      vpcAccess: props.vpc !== undefined,
    });
    this.role = props.role ?? executionRole!.role;

    const captureDestination = props.captureDestination ?? props.endpoint.dataCapture?.destination;
    if (!captureDestination) {
      validateIn(this, () => fail(`endpoint '${props.endpoint.node.path}' has no dataCapture, so there is no traffic to monitor: give it dataCapture (the monitor reads its destination)`));
    }
    const capture = validateIn(this, () => captureDestination!.bind(this, this.role, S3AccessMode.READ));
    // The captured objects are encrypted with the endpoint's capture key (DataCaptureConfig.KmsKeyId),
    // which may differ from the bucket's: reading an SSE-KMS object needs kms:Decrypt on its key
    // (S3 user guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)": "To upload or
    // download an object encrypted with an AWS KMS key ... you need kms:GenerateDataKey and
    // kms:Decrypt permissions on the key"; a download needs only kms:Decrypt).
    const captureKey = props.captureEncryptionKey ?? props.endpoint.dataCapture?.encryptionKey;
    captureKey?.grantDecrypt(this.role);
    this.node.addValidation({ validate: () => captureProblems(props.endpoint, capture.uri) });
    const output = validateIn(this, () => props.output.bind(this, this.role, S3AccessMode.WRITE));
    if (output.isExpression || capture.isExpression) {
      validateIn(this, () => fail('captureDestination and output must be fixed locations (JobS3Location.inBucket): monitoring runs outside any workflow execution'));
    }
    const outputKey = props.outputEncryptionKey ?? output.encryptionKey;
    props.outputEncryptionKey?.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    props.volumeEncryptionKey?.grant(this.role, 'kms:CreateGrant', 'kms:GenerateDataKey', 'kms:Decrypt');
    const baseline = validateIn(this, () => props.baseline.bind(this, this.role));

    const hourly = frequency === MonitoringFrequency.HOURLY;
    if (processing) {
      const options = engine.processingJobOptions ?? {};
      const variantName = validateIn(this, () => processingEngineVariant(props.endpoint, options.variantName));
      if (!baseline.location) {
        validateIn(this, () => fail('baseline must be a key prefix of a bucket (DataQualityBaseline.fromBucket(bucket, \'monitoring/baseline\')) with engine MonitoringEngine.processingJob(): the job downloads that folder, got a baseline at the root of its bucket'));
      }
      const run = defineProcessingMonitor(this, {
        props,
        role: this.role,
        endpointName: this.endpointName,
        monitoringScheduleName: this.monitoringScheduleName,
        hourly,
        variantName,
        captureDelay: options.captureDelay ?? Duration.minutes(5),
        enabled: options.enabled ?? true,
        capture: captureDestination!,
        baselineFolder: baseline.location!,
      });
      this.monitoringScheduleArn = run.schedule.scheduleArn;
      this.stateMachine = run.stateMachine;
      this.failureTopicArn = run.failureTopicArn;
    } else {
      const mm = defineModelMonitorSchedule(this, {
        props,
        imageUri: imageUri!,
        role: this.role,
        executionRole,
        endpointName: this.endpointName,
        monitoringScheduleName: this.monitoringScheduleName,
        scheduleExpression: SCHEDULE_EXPRESSIONS[frequency],
        baseline,
        outputUri: output.uri,
        outputKey,
      });
      this._jobDefinitionName = mm.jobDefinitionName;
      this.monitoringScheduleArn = mm.scheduleArn;
    }

    if (props.driftAlarms?.length) {
      this.alarmTopic = props.alarmTopic ?? defineAlarmTopic(this);
      if (props.alarmTopic) allowAlarmsToUseTopicKey(this, props.alarmTopic);
      props.driftAlarms.forEach((a, i) => {
        const alarm = new cloudwatch.Alarm(this, `DriftAlarm${i + 1}`, {
          alarmDescription: `Baseline drift of feature '${a.featureName}' on endpoint ${props.endpoint.node.path} above ${a.threshold ?? 0.1}`,
          metric: this.metricFeatureBaselineDrift(a.featureName),
          threshold: a.threshold ?? 0.1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // No run, no datapoint: no traffic is not drift.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic!));
        this.alarms.push(alarm);
      });
    }
  }

  /** The job definition's name (generated: the definition is replaced on every change). Model Monitor only. */
  public get jobDefinitionName(): string {
    if (this._jobDefinitionName === undefined) {
      return validateIn(this, () => fail('jobDefinitionName: this monitor runs its analysis as a processing job (engine MonitoringEngine.processingJob()), which has no Model Monitor job definition; use stateMachine'));
    }
    return this._jobDefinitionName;
  }

  /**
   * A metric the analyzer publishes for this schedule, e.g. `feature_baseline_drift_<feature>`
   * or `feature_non_null_<feature>`.
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: DATA_QUALITY_METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { Endpoint: this.endpointName, MonitoringSchedule: this.monitoringScheduleName },
      period: this.period,
      statistic: 'Maximum',
      ...props,
    });
  }

  /** The distance of a feature's distribution from the baseline (`feature_baseline_drift_<feature>`, maximum). */
  public metricFeatureBaselineDrift(featureName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(`feature_baseline_drift_${featureName}`, props);
  }

  /** The completeness of a feature, the share of non-null values (`feature_non_null_<feature>`, minimum). */
  public metricFeatureNonNull(featureName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(`feature_non_null_${featureName}`, { statistic: 'Minimum', ...props });
  }

}
