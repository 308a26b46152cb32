/**
 * CloudWatch as the local runtime needs it: `PutMetricData` (the AWS SDK integration) records
 * datapoints, and every `AWS::CloudWatch::Alarm` of the app on a single metric is evaluated
 * against the datapoints just put. An alarm whose datapoint breaches its threshold goes to
 * ALARM once and notifies its SNS alarm actions with CloudWatch's alarm message (SNS developer
 * guide / CloudWatch user guide "Alarm events and EventBridge": AlarmName, NewStateValue,
 * NewStateReason, Trigger { MetricName, Namespace, Dimensions, Threshold, ComparisonOperator }).
 * Only the newest datapoint of a period is compared (one evaluation period), which is what the
 * library's alarms on scheduled runs use; missing data never breaches.
 */

/** One datapoint put. */
export interface LocalDatapoint {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly value: number;
  readonly timestamp: string;
}

/** An alarm of the app, as the runtime reads it from the templates. */
export interface LocalAlarm {
  readonly logicalId: string;
  readonly alarmName: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly threshold: number;
  readonly comparisonOperator: string;
  readonly alarmActions: string[];
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
}

const COMPARE: Record<string, (v: number, t: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/** The alarms of a template's resources (already resolved), single-metric ones only. */
export function alarmsOf(resources: Array<[string, any, (v: any) => any]>): LocalAlarm[] {
  return resources.filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm').flatMap(([id, r, resolve]) => {
    let p: any;
    try {
      p = resolve(r.Properties ?? {});
    } catch {
      // An alarm on a value the emulation cannot resolve is never evaluated (it keeps no state).
      return [];
    }
    if (!p.MetricName || !p.Namespace) return [];
    return [{
      logicalId: id,
      alarmName: p.AlarmName ?? id,
      namespace: p.Namespace,
      metricName: p.MetricName,
      dimensions: Object.fromEntries((p.Dimensions ?? []).map((d: any) => [d.Name, String(d.Value)])),
      threshold: Number(p.Threshold),
      comparisonOperator: p.ComparisonOperator,
      alarmActions: p.AlarmActions ?? [],
      state: 'INSUFFICIENT_DATA' as const,
    }];
  });
}

/** A message to publish to a topic. */
export interface AlarmNotification {
  readonly topicArn: string;
  readonly subject: string;
  readonly message: string;
  readonly alarm: string;
}

export class LocalCloudWatch {
  /** Every datapoint put, in order. */
  public readonly datapoints: LocalDatapoint[] = [];
  public readonly alarms: LocalAlarm[];

  constructor(alarms: LocalAlarm[], private readonly region: string) {
    this.alarms = alarms;
  }

  /** `PutMetricData`: records the datapoints and returns the notifications of the alarms it raised. */
  public putMetricData(request: any): { result: any; notifications: AlarmNotification[] } {
    const now = new Date().toISOString();
    const points: LocalDatapoint[] = (request.MetricData ?? []).map((m: any) => ({
      namespace: request.Namespace,
      metricName: m.MetricName,
      dimensions: Object.fromEntries((m.Dimensions ?? []).map((d: any) => [d.Name, String(d.Value)])),
      value: Number(m.Value),
      timestamp: m.Timestamp ?? now,
    }));
    this.datapoints.push(...points);
    const notifications: AlarmNotification[] = [];
    for (const alarm of this.alarms) {
      const point = [...points].reverse()
        .find(p => p.namespace === alarm.namespace && p.metricName === alarm.metricName && sameDimensions(p.dimensions, alarm.dimensions));
      if (!point) continue;
      const compare = COMPARE[alarm.comparisonOperator];
      const breached = compare ? compare(point.value, alarm.threshold) : false;
      const state = breached ? 'ALARM' : 'OK';
      if (state === alarm.state) continue;
      alarm.state = state;
      if (state !== 'ALARM') continue;
      const message = JSON.stringify({
        AlarmName: alarm.alarmName,
        NewStateValue: 'ALARM',
        NewStateReason: `Threshold Crossed: 1 datapoint [${point.value}] was ${alarm.comparisonOperator.replace(/Threshold$/, '')} the threshold (${alarm.threshold}).`,
        Region: this.region,
        Trigger: {
          MetricName: alarm.metricName,
          Namespace: alarm.namespace,
          Dimensions: Object.entries(alarm.dimensions).map(([name, value]) => ({ name, value })),
          Threshold: alarm.threshold,
          ComparisonOperator: alarm.comparisonOperator,
        },
      });
      for (const topicArn of alarm.alarmActions) notifications.push({ topicArn, subject: `ALARM: "${alarm.alarmName}" in ${this.region}`, message, alarm: alarm.alarmName });
    }
    return { result: {}, notifications };
  }
}

function sameDimensions(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
