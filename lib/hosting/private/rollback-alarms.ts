import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { acknowledgeInCompliancePacks } from '../../private/nag';

/** What one pair of default rollback alarms watches. */
export interface RollbackAlarmTarget {
  /** The id prefix of the two alarms in `scope` ('' gives `Errors` and `Latency`). */
  readonly idPrefix: string;
  /** What the alarms watch, in their descriptions: `variant AllTraffic`, `inference component chat`. */
  readonly description: string;
  /** What an alarm rolls back, in its description: `an endpoint update`, `an update`. */
  readonly rollsBack: string;
  /** What the guardrail rolls back, in the acknowledgement's reason: `an update`, `a component update`. */
  readonly guardedUpdate: string;
  /** The 5xx errors metric (Sum). */
  readonly errors: cloudwatch.IMetric;
  /** The model latency metric (p99). */
  readonly latency: cloudwatch.IMetric;
}

/**
 * The default rollback alarms of a deployment (a variant's or an inference component's): 5xx
 * errors at least once, and p99 model latency above `maxLatency`, each in two consecutive
 * minutes. SageMaker's deployment guardrail reads their state; they have no action of their own,
 * which HIPAA and NIST 800-53's CloudWatchAlarmAction is acknowledged for.
 */
export function rollbackAlarms(scope: Construct, target: RollbackAlarmTarget, maxLatency: Duration): cloudwatch.Alarm[] {
  const common = {
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
  const alarms = [
    new cloudwatch.Alarm(scope, `${target.idPrefix}Errors`, {
      alarmDescription: `5xx errors of ${target.description}: rolls back ${target.rollsBack}`,
      metric: target.errors,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...common,
    }),
    new cloudwatch.Alarm(scope, `${target.idPrefix}Latency`, {
      alarmDescription: `p99 model latency of ${target.description} above ${maxLatency.toHumanString()}: rolls back ${target.rollsBack}`,
      metric: target.latency,
      // ModelLatency is reported in microseconds.
      threshold: maxLatency.toMilliseconds() * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      ...common,
    }),
  ];
  for (const alarm of alarms) {
    acknowledgeInCompliancePacks(alarm.node.defaultChild!, 'CloudWatchAlarmAction',
      `SageMaker's deployment guardrail reads this alarm's state (AutoRollbackConfiguration) to roll ${target.guardedUpdate} back; it needs no action of its own.`,
      ['HIPAA.Security', 'NIST.800.53.R5']);
  }
  return alarms;
}
