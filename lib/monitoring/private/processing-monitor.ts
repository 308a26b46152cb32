// MonitoringEngine.processingJob(): the data-quality analysis as a processing job in a
// Step Functions workflow on an EventBridge Scheduler schedule (no Model Monitor).
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CODE_FOLDER, ScikitLearnProcessingImage, analysisEntrypoint, analysisScriptAsset } from './analysis-job';
import { DATA_QUALITY_METRICS_NAMESPACE } from './monitor-checks';
import { SageMakerInstanceType } from '../../compute/sagemaker-instance-type';
import { JobS3Location, JobS3LocationConfig, S3AccessMode } from '../../data/job-s3-location';
import { ICapturingEndpoint, IDeployableEndpoint } from '../../hosting/deployable-endpoint';
import { ProcessingJobStep } from '../../jobs/processing-job-step';
import { ManagedPolicyRole } from '../../private/managed-policy-role';
import { acknowledge, registerWildcardResource } from '../../private/nag';
import { fail, validateDuration, validatePattern } from '../../private/validate';
import { ObservableStateMachine } from '../../workflows/private/observable-state-machine';
import type { DataQualityMonitorProps } from '../data-quality-monitor';
import type { ProcessingJobEngineOptions } from '../monitoring-engine';

/** A location whose grants the monitor made already, rendered as a States Language expression. */
class ExpressionLocation extends JobS3Location {
  constructor(private readonly expression: string) {
    super();
  }
  public bind(_scope: Construct, _grantee: iam.IGrantable, mode: S3AccessMode): JobS3LocationConfig {
    return this.render(mode);
  }
  public render(_mode: S3AccessMode): JobS3LocationConfig {
    return { uri: this.expression, isExpression: true };
  }
}

/** The bucket and key prefix (without a trailing '/') of a fixed location. */
export function bucketAndPrefix(location: JobS3Location): { bucket: s3.IBucket; prefix: string } {
  const { bucket, key } = location.objectKey('x');
  return { bucket, prefix: key.slice(0, -1).replace(/\/$/, '') };
}

function join(...parts: string[]): string {
  return parts.filter(p => p !== '').join('/');
}

export interface ProcessingMonitorConfig {
  readonly props: DataQualityMonitorProps;
  readonly role: iam.IRole;
  readonly endpointName: string;
  readonly monitoringScheduleName: string;
  readonly hourly: boolean;
  readonly variantName: string;
  readonly captureDelay: Duration;
  readonly enabled: boolean;
  readonly capture: JobS3Location;
  readonly baselineFolder: JobS3Location;
}

export interface ProcessingMonitor {
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.Schedule;
  readonly failureTopicArn: string;
}

/** Scheduler cron expressions (minutes hours day-of-month month day-of-week year), UTC. */
const SCHEDULER_EXPRESSIONS = { hourly: 'cron(0 * * * ? *)', daily: 'cron(0 0 * * ? *)' };

/**
 * Each run starts at the start of a period (the hour or the UTC day), derives that period's
 * capture folder from the execution's start time (SageMaker writes captures under
 * `<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/`), waits for the period's end plus
 * `captureDelay`, skips a period without captures (SageMaker refuses a processing input with
 * no objects), runs the analysis and publishes the metrics file it wrote.
 */
export function defineProcessingMonitor(scope: Construct, config: ProcessingMonitorConfig): ProcessingMonitor {
  const { props, role } = config;
  const capture = bucketAndPrefix(config.capture);
  const output = bucketAndPrefix(props.output);
  const captureFolder = join(capture.prefix, config.endpointName, config.variantName);
  const periodPath = config.hourly ? "States.Format('{}/{}/{}/{}', States.ArrayGetItem($.period.date, 0), States.ArrayGetItem($.period.date, 1), States.ArrayGetItem($.period.date, 2), States.ArrayGetItem($.period.time, 0))"
    : "States.Format('{}/{}/{}', States.ArrayGetItem($.period.date, 0), States.ArrayGetItem($.period.date, 1), States.ArrayGetItem($.period.date, 2))";

  const workflow = new ObservableStateMachine(scope, {
    description: `Data-quality monitoring of ${props.endpoint.node.path} (${config.monitoringScheduleName})`,
  });
  const split = (index: number, separator: string) => `States.StringSplit(States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), ${index}), '${separator}')`;
  const period = new sfn.Pass(scope, 'Period', {
    comment: 'The period this run analyzes: the hour (or UTC day) the execution started in',
    parameters: { 'date.$': split(0, '-'), 'time.$': split(1, ':') },
    resultPath: '$.period',
  });
  const folder = new sfn.Pass(scope, 'PeriodFolder', {
    parameters: { 'date.$': '$.period.date', 'time.$': '$.period.time', 'path.$': periodPath },
    resultPath: '$.period',
  });
  const periodSeconds = config.hourly ? 3600 : 86400;
  const wait = new sfn.Wait(scope, 'WaitForPeriodEnd', {
    comment: 'Until the period ends and SageMaker has written its last captures',
    time: sfn.WaitTime.duration(Duration.seconds(periodSeconds + config.captureDelay.toSeconds())),
  });

  const list = sdkTask(scope, 'FindCaptures', 's3:listObjectsV2', {
    'Bucket': capture.bucket.bucketName,
    'Prefix.$': `States.Format('${captureFolder}/{}/', $.period.path)`,
    'MaxKeys': 1,
  }, { 'count.$': '$.KeyCount' }, '$.captures');
  // Only the monitored variant's captures (ListObjectsV2 is authorized by s3:ListBucket).
  const listGrant = new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [capture.bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${captureFolder}/*`] } },
  });

  const image = new ScikitLearnProcessingImage();
  const asset = analysisScriptAsset(scope);
  const reportUri = `States.Format('s3://${output.bucket.bucketName}/${join(output.prefix, '{}')}/', $.period.path)`;
  const job = new ProcessingJobStep(scope, 'Analyze', {
    image,
    role,
    instanceType: props.instanceType ?? SageMakerInstanceType.ML_M5_XLARGE,
    instanceCount: props.instanceCount,
    volumeSize: props.volumeSize,
    volumeEncryptionKey: props.volumeEncryptionKey,
    maxRuntime: props.maxRuntime ?? Duration.hours(1),
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
    securityGroups: props.securityGroups,
    enableNetworkIsolation: props.enableNetworkIsolation ?? false,
    enableInterContainerTrafficEncryption: true,
    outputEncryptionKey: props.outputEncryptionKey,
    containerEntrypoint: analysisEntrypoint(asset, 'analyze'),
    environment: {
      dataset_source: '/opt/ml/processing/input/endpoint',
      baseline_statistics: '/opt/ml/processing/baseline/statistics.json',
      baseline_constraints: '/opt/ml/processing/baseline/constraints.json',
      output_path: '/opt/ml/processing/output',
      sagemaker_endpoint_name: config.endpointName,
      sagemaker_monitoring_schedule_name: config.monitoringScheduleName,
    },
    processingInputs: [
      { inputName: 'code', source: JobS3Location.fromAsset(asset), localPath: CODE_FOLDER },
      { inputName: 'baseline', source: config.baselineFolder, localPath: '/opt/ml/processing/baseline' },
      {
        inputName: 'endpoint',
        source: new ExpressionLocation(`States.Format('s3://${capture.bucket.bucketName}/${captureFolder}/{}/', $.period.path)`),
        localPath: '/opt/ml/processing/input/endpoint',
      },
    ],
    processingOutputs: [{ outputName: 'report', destination: new ExpressionLocation(reportUri), localPath: '/opt/ml/processing/output' }],
    resultPath: sfn.JsonPath.DISCARD,
  });

  const metricsKey = `${join(output.prefix, '{}')}/cloudwatch_metrics.json`;
  const metricsFiles = output.bucket.arnForObjects(join(output.prefix, '*', 'cloudwatch_metrics.json'));
  registerWildcardResource(scope, metricsFiles, 'The workflow reads the metrics file each run writes under its period\'s folder (yyyy/mm/dd[/hh]) of the monitoring output; only files named cloudwatch_metrics.json.');
  const read = new tasks.CallAwsService(scope, 'ReadMetrics', {
    service: 's3',
    action: 'getObject',
    parameters: { Bucket: output.bucket.bucketName, Key: sfn.JsonPath.format(metricsKey, sfn.JsonPath.stringAt('$.period.path')) },
    iamResources: [metricsFiles],
    resultSelector: { 'data.$': 'States.StringToJson($.Body)' },
    resultPath: '$.metrics',
  });
  const publish = sdkTask(scope, 'PublishMetrics', 'cloudwatch:putMetricData', {
    'Namespace': DATA_QUALITY_METRICS_NAMESPACE,
    'MetricData.$': '$.metrics.data',
  }, undefined, null);
  for (const task of [list, publish]) {
    task.addRetry({ errors: ['S3.S3Exception', 'CloudWatch.CloudWatchException'], interval: Duration.seconds(5), maxAttempts: 3, backoffRate: 2 });
    task.addCatch(workflow.failState, { errors: ['States.ALL'], resultPath: '$.error' });
  }
  read.addRetry({ errors: ['S3.S3Exception'], interval: Duration.seconds(5), maxAttempts: 3, backoffRate: 2 });
  workflow.onError(read);
  workflow.onError(job);
  const done = new sfn.Succeed(scope, 'Analyzed');
  const definition = period.next(folder).next(wait).next(list).next(new sfn.Choice(scope, 'AnyCaptures')
    .when(sfn.Condition.numberEquals('$.captures.count', 0), new sfn.Succeed(scope, 'NoCapturedTraffic', { comment: 'No traffic is not drift: no run, no datapoint' }))
    .otherwise(job.next(read).next(new sfn.Choice(scope, 'AnyMetrics')
      .when(sfn.Condition.isPresent('$.metrics.data[0]'), publish.next(done))
      .otherwise(new sfn.Succeed(scope, 'NoMetrics')))));
  const stateMachine = workflow.finish(definition, Duration.seconds(periodSeconds).plus(config.captureDelay).plus(job.maxDuration));
  stateMachine.addToRolePolicy(listGrant);
  // The report is encrypted with the output key (ProcessingOutputConfig.KmsKeyId) or the bucket's.
  (props.outputEncryptionKey ?? output.bucket.encryptionKey)?.grantDecrypt(stateMachine.role);
  allowPutMetricData(stateMachine);

  const stack = Stack.of(scope);
  const scheduleRole = new ManagedPolicyRole(scope, 'ScheduleRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
        },
      },
    }),
    description: `Starts the data-quality monitoring of ${props.endpoint.node.path}`,
  });
  const schedule = new scheduler.Schedule(scope, 'Resource', {
    scheduleName: config.monitoringScheduleName,
    schedule: scheduler.ScheduleExpression.expression(config.hourly ? SCHEDULER_EXPRESSIONS.hourly : SCHEDULER_EXPRESSIONS.daily),
    description: `Data-quality monitoring of ${props.endpoint.node.path} (${config.monitoringScheduleName})`,
    enabled: config.enabled,
    target: new schedulerTargets.StepFunctionsStartExecution(stateMachine, {
      role: scheduleRole,
      input: scheduler.ScheduleTargetInput.fromObject({}),
      retryAttempts: 3,
      // A start later than the period it was for would analyze the next period.
      maxEventAge: Duration.minutes(30),
    }),
  });
  return { stateMachine, schedule, failureTopicArn: workflow.failureTopic.topicArn };
}

/** An AWS SDK integration task whose permissions the caller grants itself. */
function sdkTask(scope: Construct, id: string, api: string, parameters: { [key: string]: any },
  resultSelector: { [key: string]: string } | undefined, resultPath: string | null): sfn.CustomState {
  const [service, action] = api.split(':');
  return new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:${service}:${action}`,
      Parameters: parameters,
      ...(resultSelector ? { ResultSelector: resultSelector } : {}),
      ResultPath: resultPath,
    },
  });
}

/**
 * PutMetricData supports no resource types; the `cloudwatch:namespace` condition keeps the
 * workflow to the data-quality namespace (Service Authorization Reference, "Actions, resources,
 * and condition keys for Amazon CloudWatch").
 */
function allowPutMetricData(stateMachine: sfn.StateMachine): void {
  stateMachine.addToRolePolicy(new iam.PolicyStatement({
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': DATA_QUALITY_METRICS_NAMESPACE } },
  }));
  const policy = stateMachine.role.node.tryFindChild('GrantsPolicy') ?? stateMachine.role.node.tryFindChild('DefaultPolicy');
  if (policy) {
    acknowledge(policy.node.defaultChild ?? policy, 'AwsSolutions-IAM5[Resource::*]',
      'X-Ray (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets), CloudWatch Logs delivery (logs:CreateLogDelivery, …) '
      + 'and cloudwatch:PutMetricData support no resource-level permissions; Step Functions needs the first two for tracing and logging, and the '
      + 'data-quality workflow publishes its metrics with PutMetricData, limited to the aws/sagemaker/Endpoints/data-metrics namespace by a cloudwatch:namespace condition.');
  }
}

/** Checks the engine's own options. */
export function validateProcessingEngine(options: ProcessingJobEngineOptions): void {
  validateDuration('engine captureDelay', options.captureDelay, Duration.seconds(0), Duration.minutes(60));
  if (options.variantName !== undefined) {
    validatePattern('engine variantName', options.variantName, /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'a production variant name (1 to 63 letters, digits and hyphens)');
  }
}

/** The variant whose captures are analyzed: the option, else the endpoint's first variant. */
export function processingEngineVariant(endpoint: ICapturingEndpoint, variantName: string | undefined): string {
  if (variantName !== undefined) return variantName;
  const variants = (endpoint as Partial<IDeployableEndpoint>).variants;
  const first = variants?.[0]?.variantName;
  if (!first) {
    fail(`engine variantName is required for endpoint '${endpoint.node.path}', which names no variants: MonitoringEngine.processingJob({ variantName }) (captures are written per variant)`);
  }
  return first;
}
