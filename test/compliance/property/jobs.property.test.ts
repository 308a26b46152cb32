/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import { Duration, Size } from 'aws-cdk-lib';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import fc from 'fast-check';
import {
  count, inMachine, importedModel, jobExtras, jobNetworkAndKeys, mostly, name, optional, processingInstanceType, property, propCoverageTest, seconds,
  stringMap, trainingInstanceType, transformInstanceType, Context,
} from './harness';
import {
  ChannelDataSource, DeepLearningContainerUse, DeepLearningFramework, JobS3Location, Processor, ProcessingJobStep, SageMakerImage,
  TrainingJobStep, TransformJobStep,
} from '../../../lib';
import { measure } from '../prop-coverage';

/** Bad-input search (see harness.ts): the SageMaker job steps and the Deep Learning Container images. */
describe('bad-input search', () => {
  test('TrainingJobStep', () => {
    property(['instanceType', 'instanceCount', 'volumeSize', 'maxRuntime', 'jobNamePrefix', 'capacityRetries', 'channels', 'hyperparameters', 'metricDefinitions',
      'spot', 'environment', 'tags', 'checkpointLocalPath', 'checkpointLocation', 'volumeEncryptionKey', 'vpcSubnets', 'vpc', 'securityGroups', 'enableNetworkIsolation'], fc.record({
      instanceType: trainingInstanceType,
      instanceCount: optional(count),
      volume: optional(fc.integer({ min: 0, max: 20000 })),
      maxRuntime: optional(seconds),
      jobNamePrefix: optional(name),
      channelName: name,
      inputMode: fc.constantFrom(tasks.InputMode.FILE, tasks.InputMode.PIPE, tasks.InputMode.FAST_FILE),
      hyperparameters: optional(stringMap),
      metric: optional(fc.record({ name: fc.string({ maxLength: 10 }), regex: fc.string({ maxLength: 10 }) })),
      // Spot's maxWait: mostly maxRuntime (default 1 day) plus up to a day, sometimes less than maxRuntime.
      spotExtra: optional(mostly(fc.integer({ min: 0, max: 86_400 }), fc.integer({ min: -86_400, max: -1 }))),
      environment: optional(stringMap),
      tags: optional(stringMap),
      jobs: jobNetworkAndKeys,
      checkpoint: optional(fc.constant(true)),
      checkpointLocalPath: optional(mostly(fc.constant('/opt/ml/checkpoints'), fc.string({ maxLength: 20 }))),
    }), (c, v) => inMachine(c, new TrainingJobStep(c.stack, 'Train', measure('TrainingJobStepProps', {
      image: c.image,
      outputLocation: JobS3Location.inBucket(c.bucket, 'models'),
      ...jobExtras(c, v.jobs),
      checkpointLocation: v.checkpoint ? JobS3Location.perExecution(c.bucket, 'checkpoints') : undefined,
      checkpointLocalPath: v.checkpointLocalPath,
      channels: [{ channelName: v.channelName, source: ChannelDataSource.s3(JobS3Location.perExecution(c.bucket, 'data')), inputMode: v.inputMode }],
      instanceType: v.instanceType,
      instanceCount: v.instanceCount,
      volumeSize: v.volume === undefined ? undefined : Size.gibibytes(v.volume),
      maxRuntime: v.maxRuntime,
      jobNamePrefix: v.jobNamePrefix,
      hyperparameters: v.hyperparameters,
      metricDefinitions: v.metric ? [v.metric] : undefined,
      spot: v.spotExtra === undefined ? undefined : { maxWait: Duration.seconds(Math.max(1, (v.maxRuntime?.toSeconds() ?? 86_400) + v.spotExtra)) },
      environment: v.environment,
      tags: v.tags,
    }))));
  });

  test('ProcessingJobStep', () => {
    property(['instanceType', 'instanceCount', 'maxRuntime', 'jobNamePrefix', 'capacityRetries', 'processingInputs', 'processingOutputs', 'containerEntrypoint',
      'containerArguments', 'environment', 'input and output localPath', 'keyPrefix', 'tags', 'volumeSize', 'volumeEncryptionKey', 'vpcSubnets', 'vpc',
      'securityGroups', 'enableNetworkIsolation'], fc.record({
      instanceType: processingInstanceType,
      instanceCount: optional(count),
      maxRuntime: optional(seconds),
      inputName: name,
      localPath: optional(mostly(fc.constant('/opt/ml/processing/in'), fc.string({ maxLength: 30 }))),
      entrypoint: optional(fc.array(mostly(fc.stringMatching(/^[a-z/]{1,10}$/), fc.string({ maxLength: 10 })), { maxLength: 3 })),
      args: optional(fc.array(mostly(fc.stringMatching(/^[a-z-]{1,10}$/), fc.string({ maxLength: 10 })), { maxLength: 3 })),
      environment: optional(stringMap),
      prefix: mostly(fc.constantFrom('data', 'raw/2026'), fc.string({ maxLength: 10 })),
      jobs: jobNetworkAndKeys,
      tags: optional(stringMap),
      volume: optional(fc.integer({ min: 0, max: 20000 })),
      jobNamePrefix: optional(name),
    }), (c, v) => inMachine(c, new ProcessingJobStep(c.stack, 'Prep', measure('ProcessingJobStepProps', {
      image: c.image,
      ...jobExtras(c, v.jobs),
      tags: v.tags,
      volumeSize: v.volume === undefined ? undefined : Size.gibibytes(v.volume),
      jobNamePrefix: v.jobNamePrefix,
      instanceType: v.instanceType,
      instanceCount: v.instanceCount,
      maxRuntime: v.maxRuntime,
      processingInputs: [{ inputName: v.inputName, source: JobS3Location.inBucket(c.bucket, v.prefix), localPath: v.localPath }],
      processingOutputs: [{ outputName: 'out', destination: JobS3Location.perExecution(c.bucket, 'out') }],
      containerEntrypoint: v.entrypoint,
      containerArguments: v.args,
      environment: v.environment,
    }))));
  });

  test('TransformJobStep', () => {
    property(['model', 'instanceType', 'instanceCount', 'maxPayload', 'maxConcurrentTransforms', 'invocationTimeout', 'invocationMaxRetries', 'jobNamePrefix', 'environment',
      'maxRuntime', 'capacityRetries', 'contentType', 'accept', 'tags', 'volumeEncryptionKey'], fc.record({
      withRole: mostly(fc.constant(true), fc.constant(false)),
      instanceType: transformInstanceType,
      instanceCount: optional(count),
      payload: optional(mostly(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 200 }))),
      concurrency: optional(count),
      timeout: optional(mostly(fc.integer({ min: 1, max: 3600 }).map(x => Duration.seconds(x)), seconds)),
      retries: optional(mostly(fc.integer({ min: 0, max: 3 }), count)),
      prefix: optional(name),
      strategy: optional(fc.constantFrom(tasks.BatchStrategy.MULTI_RECORD, tasks.BatchStrategy.SINGLE_RECORD)),
      maxRuntime: optional(seconds),
      retry: optional(fc.boolean()),
      capacityRetries: optional(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 20 }), weight: 16 }, { arbitrary: fc.integer({ min: -3, max: 1200 }), weight: 1 })),
      contentType: optional(mostly(fc.constantFrom('text/csv', 'application/jsonlines', 'application/x-recordio-protobuf'), fc.string({ maxLength: 300 }))),
      accept: optional(mostly(fc.constantFrom('text/csv', 'application/json'), fc.string({ maxLength: 300 }))),
      splitType: optional(fc.constantFrom(tasks.SplitType.NONE, tasks.SplitType.LINE, tasks.SplitType.RECORD_IO, tasks.SplitType.TF_RECORD)),
      compressionType: optional(fc.constantFrom(tasks.CompressionType.NONE, tasks.CompressionType.GZIP)),
      assembleWith: optional(fc.constantFrom(tasks.AssembleWith.NONE, tasks.AssembleWith.LINE)),
      environment: optional(stringMap),
      tags: optional(stringMap),
      volumeKey: optional(fc.constant(true)),
      outputKey: optional(fc.constant(true)),
    }), (c, v) => {
      inMachine(c, new TransformJobStep(c.stack, 'Transform', measure('TransformJobStepProps', {
        model: importedModel(c, v.withRole),
        input: JobS3Location.inBucket(c.bucket, 'in'),
        output: JobS3Location.perExecution(c.bucket, 'out'),
        instanceType: v.instanceType,
        instanceCount: v.instanceCount,
        maxPayload: v.payload === undefined ? undefined : Size.mebibytes(v.payload),
        maxConcurrentTransforms: v.concurrency,
        invocationTimeout: v.timeout,
        invocationMaxRetries: v.retries,
        jobNamePrefix: v.prefix,
        batchStrategy: v.strategy,
        maxRuntime: v.maxRuntime,
        retryOnServiceErrors: v.retry,
        capacityRetries: v.capacityRetries,
        contentType: v.contentType,
        accept: v.accept,
        splitType: v.splitType,
        compressionType: v.compressionType,
        assembleWith: v.assembleWith,
        environment: v.environment,
        tags: v.tags,
        volumeEncryptionKey: v.volumeKey ? c.key : undefined,
        outputEncryptionKey: v.outputKey ? c.key : undefined,
      })));
    });
  });

  test('SageMakerImage.fromDeepLearningContainer', () => {
    property(['frameworkVersion', 'pythonVersion', 'cudaVersion', 'osVersion', 'tag', 'SageMakerImage.fromDeepLearningContainer'], fc.record({
      version: mostly(fc.constantFrom('2.3.0', '2.16'), fc.string({ maxLength: 8 })),
      python: mostly(fc.constantFrom('py311', 'py310'), fc.string({ maxLength: 6 })),
      processor: fc.constantFrom(Processor.CPU, Processor.GPU),
      cuda: optional(mostly(fc.constant('cu121'), fc.string({ maxLength: 6 }))),
      region: fc.constantFrom('us-east-1', 'eu-south-1', 'ap-east-1', 'ca-west-1', 'mx-central-1', 'xx-none-1'),
      os: optional(mostly(fc.constant('ubuntu22.04'), fc.string({ maxLength: 8 }))),
      tag: optional(mostly(fc.constant('2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04'), fc.string({ maxLength: 12 }))),
    }), (_c, v) => {
      const regional = new Context(v.region);
      const image = SageMakerImage.fromDeepLearningContainer(measure('DeepLearningContainerOptions', {
        framework: DeepLearningFramework.PYTORCH, use: DeepLearningContainerUse.TRAINING, frameworkVersion: v.version, processor: v.processor, pythonVersion: v.python, cudaVersion: v.cuda, osVersion: v.os, tag: v.tag,
      }));
      inMachine(regional, new TrainingJobStep(regional.stack, 'Train', { image, outputLocation: JobS3Location.inBucket(regional.bucket, 'models') }));
      return regional.stack;
    });
  });
});

propCoverageTest({});
