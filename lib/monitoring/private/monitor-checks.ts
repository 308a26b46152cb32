import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SageMakerInstanceType } from '../../compute/sagemaker-instance-type';
import { ICapturingEndpoint } from '../../hosting/deployable-endpoint';
import { hasOnlyInstanceStorage, instanceTypeName } from '../../private/instance-types';
import { selectPrivateSubnets } from '../../private/subnets';
import { fail, validateCount, validateDuration, validateInteger, validateLength, validateNumber, validatePattern, validateUnique } from '../../private/validate';
import type { DataQualityMonitorProps } from '../data-quality-monitor';

/**
 * The CloudWatch namespace in which Model Monitor's analyzer publishes the per-feature
 * metrics of a real-time endpoint's monitoring runs (dimensions `Endpoint` and
 * `MonitoringSchedule`), when the baseline constraints have `emit_metrics` enabled (the
 * default of a suggested baseline).
 *
 * Sources, which word it differently: "CloudWatch Metrics for Bias Drift Analysis"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-cw.html:
 * `aws/sagemaker/Endpoints/bias-metrics`, dimensions `Endpoint` and `MonitoringSchedule`, the
 * same scheme for each monitoring type), "CloudWatch Metrics for Bring Your Own Containers"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-cloudwatch.html:
 * dimensions `Endpoint` and `MonitoringSchedule` for real-time endpoints) and the Model
 * Monitor example notebook (`aws/sagemaker/Endpoints/data-metrics`). The "CloudWatch Metrics"
 * page of Model Monitor (model-monitor-interpreting-cloudwatch.html) writes
 * `/aws/sagemaker/Endpoints/data-metric` with `EndpointName` and `ScheduleName`, which no
 * other page or example uses. Its metric names are the ones used here:
 * `feature_baseline_drift_<feature>`, `feature_non_null_<feature>` and
 * `feature_data_<feature>` (numerical features).
 */
export const DATA_QUALITY_METRICS_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

/**
 * The key-policy statement CloudWatch needs to publish alarms to a topic encrypted with a
 * customer managed key (SNS developer guide, sns-key-management.html, "Enable compatibility
 * between event sources from AWS services and encrypted topics": the event source Amazon
 * CloudWatch, `cloudwatch.amazonaws.com`, needs `kms:GenerateDataKey*` and `kms:Decrypt`; the
 * `aws:SourceAccount` condition is the guide's step 3).
 */
export function cloudWatchUsesTopicKey(scope: Construct): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
  });
}

export function validateMonitorProps(props: DataQualityMonitorProps, hourly: boolean): void {
  if (props.monitoringScheduleName !== undefined) {
    validateLength('monitoringScheduleName', props.monitoringScheduleName, 1, 63);
    validatePattern('monitoringScheduleName', props.monitoringScheduleName, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and hyphens, starting and ending with a letter or digit');
  }
  // ProcessingClusterConfig.VolumeKmsKeyId (SageMaker API reference): "You can't request a
  // VolumeKmsKeyId when using an instance type with local storage": as jobs and endpoints do.
  const instanceType = instanceTypeName('instanceType', props.instanceType, SageMakerInstanceType.ML_M5_XLARGE);
  if (props.volumeEncryptionKey && !Token.isUnresolved(instanceType) && hasOnlyInstanceStorage(instanceType)) {
    fail(`volumeEncryptionKey must not be set for instanceType '${instanceType}': its storage is local NVMe instance storage, which SageMaker encrypts itself and for which it rejects a volume key; remove volumeEncryptionKey or use an instance type with EBS storage (e.g. 'ml.m5.xlarge')`);
  }
  validateInteger('instanceCount', props.instanceCount, 1, 100);
  validateInteger('volumeSize (GiB)', props.volumeSize?.toGibibytes(), 1, 16384);
  const longest = hourly ? Duration.hours(1) : Duration.days(1);
  validateDuration(`maxRuntime (with a ${hourly ? 'hourly' : 'daily'} schedule)`, props.maxRuntime, Duration.seconds(1), longest);
  if ((props.vpcSubnets || props.securityGroups) && !props.vpc) fail('vpcSubnets and securityGroups need a vpc, got no vpc');
  const alarms = props.driftAlarms ?? [];
  validateCount('driftAlarms', alarms.length, 50);
  alarms.forEach((a, i) => {
    validateLength(`driftAlarms[${i}].featureName`, a.featureName, 1, 200);
    validateNumber(`driftAlarms[${i}].threshold`, a.threshold, 0, 1);
  });
  validateUnique('driftAlarms[].featureName', alarms.map(a => a.featureName));
  if (props.alarmTopic && !alarms.length) fail('alarmTopic needs driftAlarms to notify, got none');
}

/** The monitored endpoint must capture its traffic, where this monitor reads it. */
export function captureProblems(endpoint: ICapturingEndpoint, captureUri: string): string[] {
  const config = endpoint.node.tryFindChild('Config');
  if (!(config instanceof sagemaker.CfnEndpointConfig)) return [];
  const stack = Stack.of(config);
  const capture = stack.resolve(config.dataCaptureConfig);
  if (!capture) {
    return [`endpoint '${endpoint.node.path}' has no dataCapture, so there is no traffic to monitor: give it dataCapture with destination set to this monitor's captureDestination`];
  }
  const captured = JSON.stringify(capture.destinationS3Uri ?? capture.DestinationS3Uri);
  const read = JSON.stringify(stack.resolve(captureUri));
  if (captured !== read) {
    return [`captureDestination must be the endpoint's dataCapture.destination, got ${read} while '${endpoint.node.path}' captures to ${captured}`];
  }
  return [];
}

export function defineAlarmTopic(scope: Construct): sns.ITopic {
  const key = new kms.Key(scope, 'AlarmTopicKey', { description: 'Encrypts the data-quality alarm topic', enableKeyRotation: true });
  key.addToResourcePolicy(cloudWatchUsesTopicKey(scope));
  return new sns.Topic(scope, 'AlarmTopic', { masterKey: key, enforceSSL: true, displayName: 'Data-quality alarms' });
}

/**
 * A team's topic encrypted with its own key: CloudWatch can publish the alarms only if the key
 * policy lets it use the key. The statement is added to a key this app defines; an imported
 * key's policy cannot be changed here, so the synth warns, naming the statement it needs.
 */
export function allowAlarmsToUseTopicKey(scope: Construct, topic: sns.ITopic): void {
  const key = topic.masterKey;
  if (!key) return;
  const added = key.addToResourcePolicy(cloudWatchUsesTopicKey(scope)).statementAdded;
  if (!added) {
    Annotations.of(scope).addWarningV2('cdk-sagemaker-ml:alarmTopicKeyPolicy',
      `alarmTopic '${topic.node.path}' is encrypted with a key whose policy this app cannot change: unless it lets cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey*, CloudWatch cannot publish the drift alarms to the topic`);
  }
}

export function renderNetwork(scope: Construct, props: DataQualityMonitorProps): sagemaker.CfnDataQualityJobDefinition.NetworkConfigProperty {
  let vpcConfig: sagemaker.CfnDataQualityJobDefinition.VpcConfigProperty | undefined;
  if (props.vpc) {
    const subnets = selectPrivateSubnets(scope, props.vpc, props.vpcSubnets, 'a monitoring job');
    const groups = props.securityGroups ?? [new ec2.SecurityGroup(scope, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Data-quality monitoring runs',
      allowAllOutbound: true,
    })];
    vpcConfig = { subnets: subnets.subnetIds, securityGroupIds: groups.map(g => g.securityGroupId) };
  }
  return {
    enableNetworkIsolation: props.enableNetworkIsolation ?? false,
    enableInterContainerTrafficEncryption: true,
    vpcConfig,
  };
}
