import { Aws, Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IDependable } from 'constructs';
import type { ComponentAutoScalingOptions } from '../inference-component-options';

/** What the scaling of a component produced. */
export interface ComponentScaling {
  readonly target: appscaling.ScalableTarget;
  /** The alarm that brings a copy back from zero (scale to zero only). */
  readonly scaleFromZeroAlarm?: cloudwatch.Alarm;
}

/**
 * The copy-count scaling of an inference component, as the SageMaker developer guide
 * ("Scale an endpoint to zero instances") sets it up: a scalable target on
 * `inference-component/<name>` / `sagemaker:inference-component:DesiredCopyCount`, a target
 * tracking policy on the chosen predefined metric, and, when the component may reach zero
 * copies, a step-scaling policy (ChangeInCapacity +1, Maximum aggregation, 60 s cooldown)
 * triggered by an alarm on `NoCapacityInvocationFailures` (AWS/SageMaker, InferenceComponentName,
 * Sum over 60 s): target tracking cannot scale out from zero copies.
 *
 * The target uses Application Auto Scaling's service-linked role for SageMaker (no `RoleARN`),
 * as the variant targets of this library do.
 */
export function componentScaling(scope: Construct, props: {
  readonly componentName: string;
  readonly options: ComponentAutoScalingOptions;
  readonly dependsOn: IDependable;
  readonly noCapacityMetric: cloudwatch.IMetric;
}): ComponentScaling {
  const o = props.options;
  const serviceLinkedRole = iam.Role.fromRoleArn(scope, 'ScalingServiceLinkedRole',
    `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`);
  const target = new appscaling.ScalableTarget(scope, 'Scaling', {
    serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
    resourceId: `inference-component/${props.componentName}`,
    scalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
    minCapacity: o.minCopies,
    maxCapacity: o.maxCopies,
    role: serviceLinkedRole,
  });
  (target.node.defaultChild as appscaling.CfnScalableTarget).addPropertyDeletionOverride('RoleARN');
  target.node.addDependency(props.dependsOn);

  const concurrent = o.targetConcurrentRequestsPerCopy !== undefined;
  target.scaleToTrackMetric(concurrent ? 'ConcurrentRequestsPerCopy' : 'InvocationsPerCopy', {
    predefinedMetric: concurrent
      ? appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_CONCURRENT_REQUESTS_PER_COPY_HIGH_RESOLUTION
      : appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
    targetValue: (concurrent ? o.targetConcurrentRequestsPerCopy : o.targetInvocationsPerCopy)!,
    scaleInCooldown: o.scaleInCooldown ?? Duration.minutes(5),
    scaleOutCooldown: o.scaleOutCooldown ?? Duration.minutes(1),
  });
  if (o.minCopies !== 0) return { target };

  const fromZero = new appscaling.StepScalingAction(scope, 'ScaleFromZero', {
    scalingTarget: target,
    adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
    metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
    cooldown: Duration.seconds(60),
  });
  fromZero.addAdjustment({ adjustment: 1, lowerBound: 0 });
  const alarm = new cloudwatch.Alarm(scope, 'ScaleFromZeroAlarm', {
    alarmDescription: `Requests to inference component ${props.componentName} found no copy to serve them: adds a copy (scale out from zero)`,
    metric: props.noCapacityMetric,
    // The guide's example alarms on Sum > 1; >= 1 wakes the component on the first refused request.
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new actions.ApplicationScalingAction(fromZero));
  return { target, scaleFromZeroAlarm: alarm };
}
