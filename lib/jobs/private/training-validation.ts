import { Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { fail, validateCount, validateDuration, validateLength, validatePattern, validateStringMap, validateUnique } from '../../private/validate';
import type { TrainingJobStepProps } from '../training-job-step';

/** SageMaker lets a training job run for at most 28 days. */
export const MAX_TRAINING_RUNTIME = Duration.days(28);

/** Validates what a TrainingJobStep adds to the job step props. */
export function validateTrainingProps(_scope: Construct, props: TrainingJobStepProps): void {
  const channels = props.channels ?? [];
  validateCount('channels', channels.length, 20);
  for (const channel of channels) {
    validateLength('channels[].channelName', channel.channelName, 1, 64);
    validatePattern('channels[].channelName', channel.channelName, /^[A-Za-z0-9.\-_]+$/, "letters, digits and the characters . - _ (SageMaker's channel name pattern)");
    validateLength(`channels['${channel.channelName}'].contentType`, channel.contentType, 0, 256);
  }
  validateUnique('channels[].channelName', channels.map(c => c.channelName));

  validateStringMap('hyperparameters', props.hyperparameters, {
    maxEntries: 100,
    keyPattern: /^.+$/,
    keyAllowed: 'a non-empty string',
    maxKeyLength: 256,
    maxValueLength: 2500,
  });

  const metrics = props.metricDefinitions ?? [];
  validateCount('metricDefinitions', metrics.length, 40);
  for (const metric of metrics) {
    validateLength('metricDefinitions[].name', metric.name, 1, 255);
    validateLength(`metricDefinitions['${metric.name}'].regex`, metric.regex, 1, 500);
    if (!Token.isUnresolved(metric.regex)) {
      try {
        new RegExp(metric.regex);
      } catch (e) {
        fail(`metricDefinitions['${metric.name}'].regex must be a valid regular expression, got '${metric.regex}': ${(e as Error).message}`);
      }
    }
  }
  validateUnique('metricDefinitions[].name', metrics.map(m => m.name));

  validatePattern('checkpointLocalPath', props.checkpointLocalPath, /^\/.{0,4095}$/, "an absolute path such as '/opt/ml/checkpoints'");
  if (props.checkpointLocalPath && !props.checkpointLocation) {
    fail('checkpointLocalPath requires checkpointLocation');
  }
  if (props.spot) {
    validateDuration('spot.maxWait', props.spot.maxWait, Duration.seconds(1), MAX_TRAINING_RUNTIME);
    const maxRuntime = props.maxRuntime ?? Duration.days(1);
    if (!Token.isUnresolved(props.spot.maxWait.toSeconds()) && !Token.isUnresolved(maxRuntime.toSeconds())
        && props.spot.maxWait.toSeconds() < maxRuntime.toSeconds()) {
      fail(`spot.maxWait must be at least maxRuntime (${maxRuntime.toHumanString()}), got ${props.spot.maxWait.toHumanString()}`);
    }
  }
}
