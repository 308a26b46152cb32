import { Duration, Fn, Names, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FeatureDriftAlarm } from './feature-drift-alarm';
import { modelMonitorImageUriFor } from './private/model-monitor-registries';
import { DATA_QUALITY_METRICS_NAMESPACE, allowAlarmsToUseTopicKey, captureProblems, defineAlarmTopic, renderNetwork, validateMonitorProps } from './private/monitor-checks';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { ICapturingEndpoint } from '../hosting/deployable-endpoint';
import { fail, validateIn, validatePattern } from '../private/validate';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';


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
 * The statistics and constraints that captured traffic is compared with: the output of a
 * baseline job (`statistics.json` and `constraints.json`) run on the training data.
 */
export abstract class DataQualityBaseline {
  /**
   * A baseline written under a key prefix of a bucket, e.g. by a `DataQualityBaselineStep`
   * whose output is `JobS3Location.inBucket(bucket, keyPrefix)`.
   */
  public static fromBucket(bucket: s3.IBucket, keyPrefix: string): DataQualityBaseline {
    return new BucketBaseline(bucket, keyPrefix);
  }

  /** Renders the baseline for a job definition, granting `grantee` read access to both files. */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): DataQualityBaselineConfig;
}

/**
 * Where the baseline's files are.
 */
export interface DataQualityBaselineConfig {
  /** The S3 URI of `statistics.json`. */
  readonly statisticsUri: string;
  /** The S3 URI of `constraints.json`. */
  readonly constraintsUri: string;
}

class BucketBaseline extends DataQualityBaseline {
  private readonly prefix: string;

  constructor(private readonly bucket: s3.IBucket, keyPrefix: string) {
    super();
    validatePattern('keyPrefix', keyPrefix, /^[^/][A-Za-z0-9!_.\/-]*$|^$/, 'a key prefix of letters, digits and ! _ . / -, without a leading \'/\'');
    this.prefix = keyPrefix.replace(/\/+$/, '');
  }

  public bind(_scope: Construct, grantee: iam.IGrantable): DataQualityBaselineConfig {
    const key = (file: string) => this.prefix ? `${this.prefix}/${file}` : file;
    // Exactly the two objects: the CDK's grantRead would add wildcard actions.
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [this.bucket.arnForObjects(key('statistics.json')), this.bucket.arnForObjects(key('constraints.json'))],
    }));
    this.bucket.encryptionKey?.grantDecrypt(grantee);
    return {
      statisticsUri: `s3://${this.bucket.bucketName}/${key('statistics.json')}`,
      constraintsUri: `s3://${this.bucket.bucketName}/${key('constraints.json')}`,
    };
  }
}

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
   * The topic the alarms notify.
   *
   * @default - with drift alarms, an encrypted topic is defined
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Data-quality monitoring of a real-time endpoint's captured traffic with SageMaker Model
 * Monitor: a `DataQualityJobDefinition` with the Region's analyzer image, a
 * `MonitoringSchedule` (hourly or daily) on the endpoint, reports in S3, and CloudWatch
 * alarms on the drift of chosen features, notified through SNS.
 */
export class DataQualityMonitor extends Construct {
  /** The CloudWatch namespace of the monitoring jobs' per-feature metrics (`emit_metrics`). */
  public static readonly METRICS_NAMESPACE = DATA_QUALITY_METRICS_NAMESPACE;

  /** The monitoring schedule's name. */
  public readonly monitoringScheduleName: string;
  /** The monitoring schedule's ARN. */
  public readonly monitoringScheduleArn: string;
  /** The job definition's name (generated: the definition is replaced on every change). */
  public readonly jobDefinitionName: string;
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

  constructor(scope: Construct, id: string, props: DataQualityMonitorProps) {
    super(scope, id);
    const frequency = props.frequency ?? MonitoringFrequency.HOURLY;
    this.period = frequency === MonitoringFrequency.HOURLY ? Duration.hours(1) : Duration.days(1);
    this.runsPerMonth = frequency === MonitoringFrequency.HOURLY ? 720 : 30;
    // In a region-agnostic stack the analyzer's registry account is looked up at deploy time.
    const imageUri = validateIn(this, () => {
      validateMonitorProps(props, frequency === MonitoringFrequency.HOURLY);
      return modelMonitorImageUriFor(this);
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

    const network = renderNetwork(this, props);
    const definition = new sagemaker.CfnDataQualityJobDefinition(this, 'JobDefinition', {
      endpointName: this.endpointName,
      roleArn: this.role.roleArn,
      dataQualityAppSpecification: {
        imageUri,
        environment: { publish_cloudwatch_metrics: 'Enabled' },
      },
      dataQualityBaselineConfig: {
        statisticsResource: { s3Uri: baseline.statisticsUri },
        constraintsResource: { s3Uri: baseline.constraintsUri },
      },
      dataQualityJobInput: {
        endpointInput: {
          endpointName: this.endpointName,
          localPath: '/opt/ml/processing/input/endpoint',
          s3InputMode: 'File',
          s3DataDistributionType: 'FullyReplicated',
        },
      },
      dataQualityJobOutputConfig: {
        kmsKeyId: outputKey?.keyArn,
        monitoringOutputs: [{ s3Output: { s3Uri: output.uri, localPath: '/opt/ml/processing/output', s3UploadMode: 'EndOfJob' } }],
      },
      jobResources: {
        clusterConfig: {
          instanceType: (props.instanceType ?? SageMakerInstanceType.ML_M5_XLARGE).name,
          instanceCount: props.instanceCount ?? 1,
          volumeSizeInGb: (props.volumeSize ?? Size.gibibytes(20)).toGibibytes(),
          volumeKmsKeyId: props.volumeEncryptionKey?.keyArn,
        },
      },
      networkConfig: network,
      stoppingCondition: { maxRuntimeInSeconds: (props.maxRuntime ?? Duration.hours(1)).toSeconds() },
    });
    // The definition waits for its role's permissions, or its first run could fail on access.
    definition.node.addDependency(this.role);
    if (executionRole) definition.node.addDependency(executionRole);
    // Job definitions are immutable and replaced on every change, so their name is left to
    // CloudFormation and read back from the ARN ('...:data-quality-job-definition/<name>').
    this.jobDefinitionName = Fn.select(1, Fn.split('/', definition.attrJobDefinitionArn));

    const schedule = new sagemaker.CfnMonitoringSchedule(this, 'Resource', {
      monitoringScheduleName: this.monitoringScheduleName,
      endpointName: this.endpointName,
      monitoringScheduleConfig: {
        monitoringJobDefinitionName: this.jobDefinitionName,
        monitoringType: 'DataQuality',
        scheduleConfig: { scheduleExpression: SCHEDULE_EXPRESSIONS[frequency] },
      },
    });
    schedule.node.addDependency(props.endpoint);
    this.monitoringScheduleArn = schedule.attrMonitoringScheduleArn;

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
