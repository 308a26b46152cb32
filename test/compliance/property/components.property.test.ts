/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import { Duration, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import fc from 'fast-check';
import { Context, count, endpointInstanceType, importedModel, inMachine, mostly, name, optional, property, propCoverageTest, seconds } from './harness';
import { SageMakerInstanceType } from '../../../lib/compute/sagemaker-instance-type';
import { JobS3Location } from '../../../lib/data/job-s3-location';
import { ComponentEndpoint } from '../../../lib/hosting/component-endpoint';
import { InferenceComponent } from '../../../lib/hosting/inference-component';
import { ComponentBatchSize } from '../../../lib/hosting/inference-component-options';
import { RoutingStrategy } from '../../../lib/hosting/realtime-endpoint-options';
import { CreateModelStep } from '../../../lib/jobs/create-model-step';
import { ModelPackageGroup } from '../../../lib/registry/model-package-group';
import { DeployComponentStage } from '../../../lib/stages/deploy-component-stage';
import { ApprovedComponentDeployment } from '../../../lib/workflows/approved-component-deployment';
import { measure } from '../prop-coverage';

/** Bad-input search (see harness.ts): component endpoints, inference components and their deployment stage. */
const timeout = optional(mostly(fc.integer({ min: 60, max: 3600 }).map(s => Duration.seconds(s)), seconds));
/** Mostly the instance types of the resource table (whose limits are checked), sometimes any. */
const componentInstanceType = fc.oneof(
  { arbitrary: fc.constantFrom('ml.g5.xlarge', 'ml.g5.12xlarge', 'ml.g6.2xlarge', 'ml.p4d.24xlarge', 'ml.m5.large', 'ml.c5.xlarge').map(t => SageMakerInstanceType.of(t)), weight: 6 },
  { arbitrary: endpointInstanceType, weight: 4 },
);
const memoryMiB = fc.oneof({ arbitrary: fc.integer({ min: 128, max: 16_384 }), weight: 8 }, { arbitrary: fc.integer({ min: 0, max: 2_000_000 }), weight: 2 });
const cores = fc.oneof({ arbitrary: fc.constantFrom(0.25, 0.5, 1, 2, 4), weight: 8 }, { arbitrary: fc.double({ noNaN: false }), weight: 2 });
const batch = fc.oneof(fc.integer({ min: -2, max: 12 }).map(n => ['copies', n] as const), fc.integer({ min: -5, max: 120 }).map(n => ['percent', n] as const));
const batchSize = (b: readonly [string, number]) => b[0] === 'copies' ? ComponentBatchSize.copies(b[1]) : ComponentBatchSize.percent(b[1]);

const endpointArb = fc.record({
  instanceType: componentInstanceType,
  min: optional(mostly(fc.integer({ min: 0, max: 2 }), count)),
  max: optional(count),
  initial: optional(count),
  variantName: optional(name),
  endpointName: optional(name),
  ownRole: optional(fc.constant(true)),
  key: optional(fc.constant(true)),
  routing: optional(fc.constantFrom(RoutingStrategy.LEAST_OUTSTANDING_REQUESTS, RoutingStrategy.RANDOM)),
});
const componentArb = fc.record({
  memory: memoryMiB,
  maxMemory: optional(memoryMiB),
  cpu: optional(cores),
  gpus: optional(mostly(fc.integer({ min: 1, max: 8 }), fc.oneof(fc.integer({ min: -1, max: 100 }), fc.double({ noNaN: false })))),
  name: optional(name),
  copies: optional(mostly(fc.integer({ min: 0, max: 3 }), count)),
  download: timeout,
  startup: timeout,
  scaling: optional(fc.record({
    minCopies: mostly(fc.integer({ min: 0, max: 2 }), count),
    maxCopies: mostly(fc.integer({ min: 1, max: 4 }), count),
    metric: fc.constantFrom('invocations', 'concurrent', 'both', 'none'),
    target: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 100 }), weight: 8 }, { arbitrary: fc.double({ noNaN: false }), weight: 2 }),
    scaleInCooldown: optional(seconds),
    scaleOutCooldown: optional(seconds),
  })),
  deployment: optional(fc.record({
    batch: optional(batch),
    rollbackBatch: optional(batch),
    wait: optional(mostly(fc.integer({ min: 0, max: 3600 }).map(s => Duration.seconds(s)), seconds)),
    timeout: optional(mostly(fc.integer({ min: 600, max: 28_800 }).map(s => Duration.seconds(s)), seconds)),
    ownAlarm: optional(fc.constant(true)),
    maxModelLatency: timeout,
  })),
});

function define(c: Context, e: any, v: any): InferenceComponent {
  const endpoint = new ComponentEndpoint(c.stack, 'Endpoint', measure('ComponentEndpointProps', {
    instanceType: e.instanceType,
    minInstanceCount: e.min,
    maxInstanceCount: e.max,
    initialInstanceCount: e.initial,
    variantName: e.variantName,
    endpointName: e.endpointName,
    role: e.ownRole ? c.role : undefined,
    encryptionKey: e.key ? c.key : undefined,
    routingStrategy: e.routing,
  }));
  const s = v.scaling;
  const d = v.deployment;
  return new InferenceComponent(c.stack, 'Component', measure('InferenceComponentProps', {
    endpoint,
    model: importedModel(c, true),
    computeResources: {
      minMemory: Size.mebibytes(v.memory),
      maxMemory: v.maxMemory === undefined ? undefined : Size.mebibytes(v.maxMemory),
      cpuCores: v.cpu,
      acceleratorDevices: v.gpus,
    },
    inferenceComponentName: v.name,
    copyCount: v.copies,
    modelDataDownloadTimeout: v.download,
    containerStartupHealthCheckTimeout: v.startup,
    autoScaling: s === undefined ? undefined : measure('ComponentAutoScalingOptions', {
      minCopies: s.minCopies,
      maxCopies: s.maxCopies,
      targetInvocationsPerCopy: s.metric === 'invocations' || s.metric === 'both' ? s.target : undefined,
      targetConcurrentRequestsPerCopy: s.metric === 'concurrent' || s.metric === 'both' ? s.target : undefined,
      scaleInCooldown: s.scaleInCooldown,
      scaleOutCooldown: s.scaleOutCooldown,
    }),
    deployment: d === undefined ? undefined : measure('ComponentDeploymentOptions', {
      batchSize: d.batch === undefined ? undefined : batchSize(d.batch),
      rollbackBatchSize: d.rollbackBatch === undefined ? undefined : batchSize(d.rollbackBatch),
      waitInterval: d.wait,
      maximumExecutionTimeout: d.timeout,
      rollbackAlarms: d.ownAlarm ? [cloudwatch.Alarm.fromAlarmArn(c.stack, 'TeamAlarm', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:team-errors')] : undefined,
      maxModelLatency: d.maxModelLatency,
    }),
  }));
}

describe('bad-input search', () => {
  test('ComponentEndpoint and InferenceComponent', () => {
    property(['instanceType', 'minInstanceCount', 'maxInstanceCount', 'initialInstanceCount', 'routingStrategy', 'encryptionKey', 'variantName', 'endpointName', 'computeResources', 'inferenceComponentName', 'copyCount', 'autoScaling', 'deployment', 'modelDataDownloadTimeout', 'containerStartupHealthCheckTimeout', 'copies', 'percent'],
      fc.record({ endpoint: endpointArb, component: componentArb }), (c, v) => define(c, v.endpoint, v.component));
  });

  test('DeployComponentStage', () => {
    property(['component.computeResources', 'modelStep', 'modelDefinedBy', 'pollInterval', 'maxPolls', 'deployment', 'version', 'rollbackOnSmokeTestFailure'], fc.record({
      imported: mostly(fc.constant(false), fc.constant(true)),
      timeout: optional(mostly(fc.integer({ min: 600, max: 28_800 }).map(t => Duration.seconds(t)), seconds)),
      step: mostly(fc.constantFrom('none', 'step', 'definedBy'), fc.constant('both')),
      literal: fc.boolean(),
      poll: optional(mostly(fc.integer({ min: 10, max: 3600 }), fc.integer({ min: 0, max: 5000 }))),
      maxPolls: optional(mostly(fc.integer({ min: 200, max: 2000 }), count)),
      version: optional(mostly(fc.constantFrom('path', 'v1', 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3'), fc.string({ maxLength: 300 }))),
      smokeTest: optional(fc.constant(true)),
      rollback: optional(fc.boolean()),
    }), (c, v) => {
      const endpoint = new ComponentEndpoint(c.stack, 'Endpoint', { instanceType: SageMakerInstanceType.ML_G5_XLARGE });
      const component = v.imported
        ? InferenceComponent.fromInferenceComponentAttributes(c.stack, 'Component', { inferenceComponentName: 'chat', endpoint })
        : new InferenceComponent(c.stack, 'Component', {
          endpoint,
          model: importedModel(c, true),
          computeResources: { minMemory: Size.gibibytes(4), acceleratorDevices: 1 },
          deployment: v.timeout === undefined ? undefined : { maximumExecutionTimeout: v.timeout },
        });
      const model = v.step === 'none' ? undefined : new CreateModelStep(c.stack, 'NewModel', { image: c.image, modelData: JobS3Location.inBucket(c.bucket, 'models/model.tar.gz'), resultPath: '$.results.NewModel' });
      const stage = new DeployComponentStage(c.stack, 'deploy', measure('DeployComponentStageProps', {
        component,
        modelName: v.literal && v.step === 'none' ? 'glm' : sfn.JsonPath.stringAt('$.results.NewModel.ModelName'),
        modelStep: v.step === 'step' || v.step === 'both' ? model : undefined,
        modelDefinedBy: v.step === 'definedBy' || v.step === 'both' ? model : undefined,
        pollInterval: v.poll === undefined ? undefined : Duration.seconds(v.poll),
        maxPolls: v.maxPolls,
        version: v.version === 'path' ? sfn.JsonPath.stringAt('$.version') : v.version,
        smokeTest: v.smokeTest ? new tasks.CallAwsService(c.stack, 'SmokeTest', {
          service: 'sagemakerruntime',
          action: 'invokeEndpoint',
          iamResources: [endpoint.endpointArn, component.inferenceComponentArn],
          parameters: { EndpointName: endpoint.endpointName, InferenceComponentName: component.inferenceComponentName, Body: '1' },
        }) : undefined,
        rollbackOnSmokeTestFailure: v.rollback,
      }));
      inMachine(c, v.step === 'definedBy' && model ? sfn.Chain.start(model).next(stage) : stage);
    });
  });

  test('ApprovedComponentDeployment', () => {
    property(['modelNamePrefix', 'pollInterval', 'maxPolls', 'encryptionKey', 'logRetention', 'stateMachineName', 'component.computeResources', 'samplePayload', 'sampleContentType', 'rollbackOnSmokeTestFailure'], fc.record({
      imported: mostly(fc.constant(false), fc.constant(true)),
      modelRole: optional(fc.constant(true)),
      modelNamePrefix: optional(name),
      poll: optional(mostly(fc.integer({ min: 10, max: 3600 }), fc.integer({ min: 0, max: 5000 }))),
      maxPolls: optional(mostly(fc.integer({ min: 200, max: 2000 }), count)),
      key: optional(fc.constantFrom('own', 'own', 'imported')),
      logGroup: optional(fc.constant(true)),
      topic: optional(fc.constant(true)),
      retention: optional(fc.constantFrom(logs.RetentionDays.ONE_YEAR, logs.RetentionDays.INFINITE, logs.RetentionDays.TEN_YEARS)),
      stateMachineName: optional(mostly(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-_]{0,30}$/), fc.string({ maxLength: 90 }))),
      samplePayload: optional(mostly(fc.constantFrom('1.0,2.0', '{"inputs": "hello"}'), fc.string({ maxLength: 20 }))),
      sampleContentType: optional(mostly(fc.constantFrom('text/csv', 'application/json'), fc.string({ maxLength: 1100 }))),
      rollback: optional(fc.boolean()),
    }), (c, v) => {
      const endpoint = new ComponentEndpoint(c.stack, 'Endpoint', { instanceType: SageMakerInstanceType.ML_G5_XLARGE });
      const component = v.imported
        ? InferenceComponent.fromInferenceComponentAttributes(c.stack, 'Component', { inferenceComponentName: 'chat', endpoint })
        : new InferenceComponent(c.stack, 'Component', { endpoint, model: importedModel(c, true), computeResources: { minMemory: Size.gibibytes(4), acceleratorDevices: 1 } });
      new ApprovedComponentDeployment(c.stack, 'Deployment', measure('ApprovedComponentDeploymentProps', {
        modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(c.stack, 'Group', 'churn'),
        component,
        modelRole: v.modelRole ? c.role : undefined,
        modelNamePrefix: v.modelNamePrefix,
        pollInterval: v.poll === undefined ? undefined : Duration.seconds(v.poll),
        maxPolls: v.maxPolls,
        encryptionKey: v.key === 'imported' ? c.importedKey : v.key ? c.key : undefined,
        logGroup: v.logGroup ? c.logGroup : undefined,
        failureTopic: v.topic ? new sns.Topic(c.stack, 'TeamTopic', { masterKey: c.key, enforceSSL: true }) : undefined,
        logRetention: v.retention,
        stateMachineName: v.stateMachineName,
        samplePayload: v.samplePayload,
        sampleContentType: v.sampleContentType,
        rollbackOnSmokeTestFailure: v.rollback,
      }));
    });
  });
});

propCoverageTest({});
