// MonitoringEngine.modelMonitor(): a Model Monitor DataQualityJobDefinition and MonitoringSchedule.
import { Duration, Fn, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { renderNetwork } from './monitor-checks';
import { SageMakerInstanceType } from '../../compute/sagemaker-instance-type';
import type { DataQualityBaselineConfig } from '../data-quality-baseline';
import type { DataQualityMonitorProps } from '../data-quality-monitor';

export interface ModelMonitorScheduleConfig {
  readonly props: DataQualityMonitorProps;
  readonly imageUri: string;
  readonly role: iam.IRole;
  readonly executionRole?: Construct;
  readonly endpointName: string;
  readonly monitoringScheduleName: string;
  readonly scheduleExpression: string;
  readonly baseline: DataQualityBaselineConfig;
  readonly outputUri: string;
  readonly outputKey?: kms.IKey;
}

/** Defines the job definition and the schedule in `scope` (ids 'JobDefinition' and 'Resource'). */
export function defineModelMonitorSchedule(scope: Construct, config: ModelMonitorScheduleConfig): { jobDefinitionName: string; scheduleArn: string } {
  const { props, baseline } = config;
  const network = renderNetwork(scope, props);
  const definition = new sagemaker.CfnDataQualityJobDefinition(scope, 'JobDefinition', {
    endpointName: config.endpointName,
    roleArn: config.role.roleArn,
    dataQualityAppSpecification: {
      imageUri: config.imageUri,
      environment: { publish_cloudwatch_metrics: 'Enabled' },
    },
    dataQualityBaselineConfig: {
      statisticsResource: { s3Uri: baseline.statisticsUri },
      constraintsResource: { s3Uri: baseline.constraintsUri },
    },
    dataQualityJobInput: {
      endpointInput: {
        endpointName: config.endpointName,
        localPath: '/opt/ml/processing/input/endpoint',
        s3InputMode: 'File',
        s3DataDistributionType: 'FullyReplicated',
      },
    },
    dataQualityJobOutputConfig: {
      kmsKeyId: config.outputKey?.keyArn,
      monitoringOutputs: [{ s3Output: { s3Uri: config.outputUri, localPath: '/opt/ml/processing/output', s3UploadMode: 'EndOfJob' } }],
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
  definition.node.addDependency(config.role);
  if (config.executionRole) definition.node.addDependency(config.executionRole);
  // Job definitions are immutable and replaced on every change, so their name is left to
  // CloudFormation and read back from the ARN ('...:data-quality-job-definition/<name>').
  const jobDefinitionName = Fn.select(1, Fn.split('/', definition.attrJobDefinitionArn));

  const schedule = new sagemaker.CfnMonitoringSchedule(scope, 'Resource', {
    monitoringScheduleName: config.monitoringScheduleName,
    endpointName: config.endpointName,
    monitoringScheduleConfig: {
      monitoringJobDefinitionName: jobDefinitionName,
      monitoringType: 'DataQuality',
      scheduleConfig: { scheduleExpression: config.scheduleExpression },
    },
  });
  schedule.node.addDependency(props.endpoint);
  return { jobDefinitionName, scheduleArn: schedule.attrMonitoringScheduleArn };
}
