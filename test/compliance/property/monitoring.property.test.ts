import { Duration, Size } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { count, importedModel, inMachine, instanceTypeFor, mostly, name, optional, property, propCoverageTest } from './harness';
import {
  BaselineDatasetFormat, DataQualityBaseline, DataQualityBaselineStep, DataQualityMonitor, JobS3Location, MonitoringEngine,
  MonitoringFrequency, RealtimeEndpoint,
} from '../../../lib';
import { measure } from '../prop-coverage';

/**
 * Bad-input search (see harness.ts) of the processing-job monitoring engine
 * (MonitoringEngine.processingJob()): its options on a DataQualityMonitor and a
 * DataQualityBaselineStep (their other props: lifecycle.property.test.ts).
 */
const instanceType = instanceTypeFor(['ml.m5.large', 'ml.m5.xlarge', 'ml.c5.xlarge', 'ml.r5.large', 'ml.t3.medium']);

describe('bad-input search', () => {
  test('MonitoringEngine.processingJob() on DataQualityMonitor and DataQualityBaselineStep', () => {
    property(['engine captureDelay', 'engine variantName', 'engine', 'baseline', 'instanceType', 'instanceCount', 'maxRuntime', 'keyPrefix', 'driftAlarms', 'monitoringScheduleName'], fc.record({
      variantName: optional(mostly(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}(-[a-z0-9]{1,4})?$/), fc.string({ maxLength: 70 }))),
      captureDelay: optional(mostly(fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 0, max: 20_000 })).map(s => Duration.seconds(s))),
      enabled: optional(fc.boolean()),
      frequency: optional(fc.constantFrom(MonitoringFrequency.HOURLY, MonitoringFrequency.DAILY)),
      baselinePrefix: mostly(fc.constant('baseline/churn'), fc.constantFrom('', 'b a d', 'ok/')),
      instanceType: optional(instanceType),
      instanceCount: optional(count),
      maxRuntime: optional(mostly(fc.integer({ min: 60, max: 3600 }), fc.integer({ min: 0, max: 200_000 })).map(s => Duration.seconds(s))),
      volume: optional(fc.integer({ min: 1, max: 100 })),
      isolation: optional(fc.boolean()),
      alarms: optional(fc.array(fc.record({ featureName: mostly(fc.stringMatching(/^[a-z_]{1,10}$/), fc.string({ maxLength: 4 })) }), { minLength: 1, maxLength: 2 })),
      scheduleName: optional(name),
      stepEngine: fc.boolean(),
    }), (c, v) => {
      const destination = JobS3Location.inBucket(c.bucket, 'capture');
      const endpoint = new RealtimeEndpoint(c.stack, 'Endpoint', { variants: [{ model: importedModel(c, true) }], dataCapture: { destination } });
      const engine = MonitoringEngine.processingJob(measure('ProcessingJobEngineOptions', {
        variantName: v.variantName,
        captureDelay: v.captureDelay,
        enabled: v.enabled,
      }));
      new DataQualityMonitor(c.stack, 'Monitor', {
        endpoint,
        baseline: DataQualityBaseline.fromBucket(c.bucket, v.baselinePrefix),
        output: JobS3Location.inBucket(c.bucket, 'monitoring'),
        engine,
        frequency: v.frequency,
        monitoringScheduleName: v.scheduleName,
        instanceType: v.instanceType,
        instanceCount: v.instanceCount,
        maxRuntime: v.maxRuntime,
        volumeSize: v.volume === undefined ? undefined : Size.gibibytes(v.volume),
        enableNetworkIsolation: v.isolation,
        driftAlarms: v.alarms,
      });
      inMachine(c, new DataQualityBaselineStep(c.stack, 'Baseline', {
        baselineDataset: JobS3Location.inBucket(c.bucket, 'train'),
        datasetFormat: BaselineDatasetFormat.csv(false),
        output: JobS3Location.inBucket(c.bucket, 'baseline/churn'),
        engine: v.stepEngine ? MonitoringEngine.processingJob() : MonitoringEngine.modelMonitor(),
      }));
    });
  });
});

propCoverageTest({});
