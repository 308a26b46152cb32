/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import * as sm from '@aws-sdk/client-sagemaker';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
// eslint-disable-next-line import/no-extraneous-dependencies
// eslint-disable-next-line import/no-extraneous-dependencies
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import fc from 'fast-check';
import { validateAsl } from './asl';
import { coverage, measure } from './prop-coverage';
import { sagemakerContractViolations } from './sagemaker-contract';
import {
  AsyncEndpoint, ChannelDataSource, DeepLearningContainerUse, DeepLearningFramework, JobS3Location, MetricComparison, MlDataStore,
  MlflowTrackingServer, MlflowTrackingServerSize, ModelData, Processor, ProcessingJobStep, RealtimeEndpoint, SageMakerImage, SageMakerModel,
  ServerlessEndpoint, TrafficRouting, TrainingJobStep, TrainingWorkflow, TransformJobStep,
} from '../../lib';
import { ENV } from '../util';

/**
 * Bad-input search: generated prop sets, valid and invalid mixed. Each case either
 * synthesizes a template with no undefined or null values, whose state machines are valid
 * ASL, send SageMaker requests that match SageMaker's API model and leave no finding of the
 * four cdk-nag packs, or throws a plain Error whose message starts with the name of a prop.
 * Never a TypeError, never a broken template. (cfn-guard, a binary per run, checks the
 * reference stacks.)
 * At least 500 cases per construct in CI; fewer locally (FC_RUNS overrides).
 */
const RUNS = Number(process.env.FC_RUNS ?? (process.env.CI ? 500 : 60));
// A fixed seed makes every run reproducible (a failure is replayed exactly); FC_SEED explores others.
const SEED = Number(process.env.FC_SEED ?? 20261122);

// Mostly valid values, so cases reach synthesis, with invalid ones mixed in. The library
// checks an instance type's form ('ml.<family>.<size>'); which types a job kind accepts is
// SageMaker's list, so valid draws come from the SDK's enum for the kind.
const instanceTypeFor = (valid: string[]) => fc.oneof(
  { arbitrary: fc.constantFrom(...valid), weight: 8 },
  { arbitrary: fc.constantFrom('m5.large', 'ml.', 'ML.M5.LARGE', ''), weight: 1 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 1 },
);
const trainingInstanceType = instanceTypeFor(Object.values(sm.TrainingInstanceType));
const processingInstanceType = instanceTypeFor(Object.values(sm.ProcessingInstanceType));
const transformInstanceType = instanceTypeFor(Object.values(sm.TransformInstanceType));
const endpointInstanceType = instanceTypeFor(Object.values(sm.ProductionVariantInstanceType));
const count = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 10 }), weight: 8 }, { arbitrary: fc.integer({ min: -3, max: 1200 }), weight: 1 }, { arbitrary: fc.double({ noNaN: false }), weight: 1 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const seconds = fc.oneof({ arbitrary: fc.integer({ min: 60, max: 86_400 }), weight: 8 }, { arbitrary: fc.integer({ min: 0, max: 3_000_000 }), weight: 2 }).map(s => Duration.seconds(s));
const name = fc.oneof({ arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,12}(-[a-z0-9]{1,6}){0,2}$/), weight: 8 }, { arbitrary: fc.string({ maxLength: 70 }), weight: 2 });
const stringMap = fc.dictionary(
  fc.oneof({ arbitrary: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), weight: 8 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 }),
  fc.string({ maxLength: 40 }), { maxKeys: 4 });

/** The job props every SageMaker job step shares, beyond the kind's own. */
const jobNetworkAndKeys = fc.record({
  network: optional(fc.constantFrom('private', 'isolated', 'default', 'own-groups')),
  volumeKey: optional(fc.constant(true)),
  outputKey: optional(fc.constant(true)),
  teamRole: optional(fc.constant(true)),
  isolation: optional(fc.boolean()),
  interContainer: optional(fc.boolean()),
  retry: optional(fc.boolean()),
  // Valid only here (training cases are refused often enough already); the transform case draws
  // bad values too, and all job kinds share the check (SageMakerTask).
  capacityRetries: optional(fc.integer({ min: 0, max: 20 })),
});
type JobNetworkAndKeys = typeof jobNetworkAndKeys extends fc.Arbitrary<infer T> ? T : never;

function jobExtras(c: Context, v: JobNetworkAndKeys) {
  return {
    vpc: v.network ? c.vpc : undefined,
    vpcSubnets: v.network === 'private' ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : v.network === 'isolated' ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : undefined,
    securityGroups: v.network === 'own-groups' ? [ec2.SecurityGroup.fromSecurityGroupId(c.stack, 'TeamGroup', 'sg-0a1b2c3d4e5f60719')] : undefined,
    volumeEncryptionKey: v.volumeKey ? c.key : undefined,
    outputEncryptionKey: v.outputKey ? c.key : undefined,
    role: v.teamRole ? c.role : undefined,
    enableNetworkIsolation: v.isolation,
    enableInterContainerTrafficEncryption: v.interContainer,
    retryOnServiceErrors: v.retry,
    capacityRetries: v.capacityRetries,
  };
}

interface Context {
  readonly stack: Stack;
  readonly bucket: s3.IBucket;
  readonly image: SageMakerImage;
  /** The team's VPC (imported): private subnets with egress and isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** A key the team defines. */
  readonly key: kms.IKey;
  /** A role the team brings. */
  readonly role: iam.IRole;
}

function context(region: string = ENV.region): Context {
  // Template schema findings fail synth (as in the reference app's cdk.json).
  const stack = new Stack(new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } }), 'Case', { env: { account: ENV.account, region } });
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'Bucket', { bucketName: 'ml-bucket', encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
  const image = SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'glm'), 'v1');
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
    isolatedSubnetIds: ['subnet-0a1b2c3d4e5f60721', 'subnet-0a1b2c3d4e5f60722'],
  });
  const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
  const role = iam.Role.fromRoleArn(stack, 'TeamRole', 'arn:aws:iam::123456789012:role/team-job', { mutable: false });
  return { stack, bucket, image, vpc, key, role };
}

function deployedDefinition(stack: Stack, raw: any): any {
  const resolve = (v: any): string => typeof v === 'string' ? v : v['Fn::Join'] ? v['Fn::Join'][1].map(resolve).join('') : 'REF';
  const text = resolve(raw).replace(/REF/g, 'x');
  void stack;
  return JSON.parse(text.replace(/arn:x:/g, 'arn:aws:'));
}

const PACKS = [new AwsSolutionsChecks(), new HIPAASecurityChecks(), new NIST80053R5Checks(), new PCIDSS321Checks()];

function checkTemplate(stack: Stack): void {
  const template = Template.fromStack(stack).toJSON();
  // Every policy pack, on everything the library defined (the harness's bare state machine,
  // `Machine`, is test code without logging or tracing).
  const findings = PACKS.flatMap(pack => pack.validateScope(stack).violations.flatMap((v: any) =>
    v.violatingResources.map((r: any) => `${v.ruleName} ${r.constructPath}`)))
    .filter(f => !/ [^/]+\/Machine\//.test(f));
  expect(findings).toEqual([]);
  // NaN and Infinity serialize as null; a forgotten value as 'undefined' in a string.
  const bad: string[] = [];
  const walk = (v: any, at: string): void => {
    if (v === null) bad.push(`${at} is null`);
    else if (typeof v === 'string' && /\bundefined\b|\bNaN\b/.test(v)) bad.push(`${at} holds '${v}'`);
    else if (typeof v === 'object') Object.entries(v).forEach(([k, x]) => walk(x, `${at}.${k}`));
  };
  walk(template.Resources, 'Resources');
  expect(bad).toEqual([]);
  for (const machine of Object.values<any>(template.Resources).filter(r => r.Type === 'AWS::StepFunctions::StateMachine')) {
    const definition = deployedDefinition(stack, machine.Properties.DefinitionString);
    const { isValid, errorsText } = validateAsl(definition);
    expect(isValid ? '' : errorsText()).toBe('');
    expect(sagemakerContractViolations(definition)).toEqual([]);
  }
}

/** Runs `build`; a thrown error must be a plain Error naming the construct path, then one of `props`. */
function property<T>(props: string[], arb: fc.Arbitrary<T>, build: (c: Context, value: T) => Stack | void): void {
  const outcomes = { built: 0, refused: 0 };
  fc.assert(fc.property(arb, value => {
    const c = context();
    let built: Stack | void;
    try {
      built = build(c, value);
    } catch (e) {
      // A construct's error starts with its construct path and carries `detail`, the message
      // without the path, which names the prop. A factory's (JobS3Location.inBucket,
      // TrafficRouting.canary) has no construct, so no path: its message names the prop.
      // (Some constructors still throw unscoped errors too: see the report of the compose2 branch.)
      const { message, constructPath, detail } = e as Error & { constructPath?: string; detail?: string };
      const scoped = typeof constructPath === 'string';
      const text = scoped ? detail ?? '' : message;
      expect({
        kind: (e as Error).constructor?.name,
        message,
        withPath: !scoped || (constructPath.startsWith('Case/') && message === `${constructPath}: ${detail}`),
        namesProp: props.some(p => text.startsWith(p)),
      }).toEqual({ kind: 'Error', message, withPath: true, namesProp: true });
      outcomes.refused++;
      return;
    }
    checkTemplate(built ?? c.stack);
    outcomes.built++;
  }), { numRuns: RUNS, seed: SEED });
  // Both paths must be exercised, or the search proves little.
  expect(outcomes.built).toBeGreaterThan(RUNS / 20);
  expect(outcomes.refused).toBeGreaterThan(0);
}

function model(c: Context, withRole: boolean) {
  const role = withRole ? iam.Role.fromRoleArn(c.stack, 'ModelRole', 'arn:aws:iam::123456789012:role/model', { mutable: false }) : undefined;
  return SageMakerModel.fromModelAttributes(c.stack, 'Model', { modelName: 'glm', role });
}

function inMachine(c: Context, state: sfn.IChainable): void {
  new sfn.StateMachine(c.stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(state) });
}

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
      spotExtra: optional(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 86_400 }), weight: 8 }, { arbitrary: fc.integer({ min: -86_400, max: -1 }), weight: 1 })),
      environment: optional(stringMap),
      tags: optional(stringMap),
      jobs: jobNetworkAndKeys,
      checkpoint: optional(fc.constant(true)),
      checkpointLocalPath: optional(fc.oneof({ arbitrary: fc.constant('/opt/ml/checkpoints'), weight: 8 }, { arbitrary: fc.string({ maxLength: 20 }), weight: 1 })),
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
      localPath: optional(fc.oneof({ arbitrary: fc.constant('/opt/ml/processing/in'), weight: 8 }, { arbitrary: fc.string({ maxLength: 30 }), weight: 1 })),
      entrypoint: optional(fc.array(fc.oneof({ arbitrary: fc.stringMatching(/^[a-z/]{1,10}$/), weight: 8 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 }), { maxLength: 3 })),
      args: optional(fc.array(fc.oneof({ arbitrary: fc.stringMatching(/^[a-z-]{1,10}$/), weight: 8 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 }), { maxLength: 3 })),
      environment: optional(stringMap),
      prefix: fc.oneof({ arbitrary: fc.constantFrom('data', 'raw/2026'), weight: 8 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 }),
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
    property(['model', 'instanceType', 'instanceCount', 'maxPayload', 'maxConcurrentTransforms', 'invocationTimeout', 'invocationMaxRetries', 'jobNamePrefix', 'environment', 'maxRuntime', 'capacityRetries'], fc.record({
      withRole: fc.oneof({ arbitrary: fc.constant(true), weight: 8 }, { arbitrary: fc.constant(false), weight: 1 }),
      instanceType: transformInstanceType,
      instanceCount: optional(count),
      payload: optional(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 100 }), weight: 8 }, { arbitrary: fc.integer({ min: 0, max: 200 }), weight: 1 })),
      concurrency: optional(count),
      timeout: optional(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3600 }).map(x => Duration.seconds(x)), weight: 8 }, { arbitrary: seconds, weight: 1 })),
      retries: optional(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 }), weight: 8 }, { arbitrary: count, weight: 1 })),
      prefix: optional(name),
      strategy: optional(fc.constantFrom(tasks.BatchStrategy.MULTI_RECORD, tasks.BatchStrategy.SINGLE_RECORD)),
      maxRuntime: optional(seconds),
      retry: optional(fc.boolean()),
      capacityRetries: optional(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 20 }), weight: 16 }, { arbitrary: fc.integer({ min: -3, max: 1200 }), weight: 1 })),
    }), (c, v) => {
      inMachine(c, new TransformJobStep(c.stack, 'Transform', measure('TransformJobStepProps', {
        model: model(c, v.withRole),
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
      })));
    });
  });

  test('RealtimeEndpoint', () => {
    property(['variants', 'endpointName', 'encryptionKey', 'canary percent', 'deployment', 'dataCapture', 'runtimeConfigNamePrefix'], fc.record({
      instanceType: endpointInstanceType,
      count: optional(count),
      weight: optional(fc.double({ noNaN: false })),
      names: fc.array(fc.option(name, { nil: undefined, freq: 1 }), { minLength: 1, maxLength: 2 }),
      scaling: optional(fc.record({ minCapacity: count, maxCapacity: count, targetInvocationsPerInstance: fc.double() })),
      endpointName: optional(name),
      runtimeConfigNamePrefix: optional(fc.oneof({ arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,4}){0,2}$/), weight: 8 }, { arbitrary: fc.string({ maxLength: 40 }), weight: 2 })),
      // SageMaker takes a canary of at most 50% of capacity (CapacitySize); 51 to 99 are refused.
      canary: optional(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 50 }), weight: 8 }, { arbitrary: fc.integer({ min: -5, max: 120 }), weight: 1 })),
      sampling: optional(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 100 }), weight: 8 }, { arbitrary: fc.integer({ min: -10, max: 150 }), weight: 1 })),
      withRole: fc.oneof({ arbitrary: fc.constant(true), weight: 8 }, { arbitrary: fc.constant(false), weight: 1 }),
    }), (c, v) => {
      const m = model(c, v.withRole);
      new RealtimeEndpoint(c.stack, 'Endpoint', measure('RealtimeEndpointProps', {
        endpointName: v.endpointName,
        runtimeConfigNamePrefix: v.runtimeConfigNamePrefix,
        variants: v.names.map(variantName => ({ model: m, variantName, instanceType: v.instanceType, initialInstanceCount: v.count, initialVariantWeight: v.weight, autoScaling: v.scaling })),
        deployment: v.canary === undefined ? undefined : { trafficRouting: TrafficRouting.canary(v.canary) },
        dataCapture: v.sampling === undefined ? undefined : { destination: JobS3Location.inBucket(c.bucket, 'capture'), samplingPercentage: v.sampling },
      }));
    });
  });

  test('ServerlessEndpoint', () => {
    property(['memorySizeInMB', 'maxConcurrency', 'provisionedConcurrency', 'endpointName'], fc.record({
      memory: optional(fc.oneof(fc.constantFrom(1024, 2048, 6144), fc.integer({ min: -10, max: 10000 }))),
      max: optional(count),
      provisioned: optional(count),
      endpointName: optional(name),
      key: optional(fc.constant(true)),
    }), (c, v) => {
      new ServerlessEndpoint(c.stack, 'Endpoint', measure('ServerlessEndpointProps', {
        model: SageMakerModel.fromModelName(c.stack, 'Model', 'glm'),
        memorySizeInMB: v.memory,
        maxConcurrency: v.max,
        provisionedConcurrency: v.provisioned,
        endpointName: v.endpointName,
        encryptionKey: v.key ? c.key : undefined,
      }));
    });
  });

  test('AsyncEndpoint', () => {
    property(['model', 'variant', 'maxConcurrentInvocationsPerInstance', 'autoScaling', 'endpointName', 'encryptionKey'], fc.record({
      withRole: fc.boolean(),
      instanceType: endpointInstanceType,
      count: optional(count),
      concurrency: optional(count),
      endpointName: optional(name),
      scaling: optional(fc.record({ minCapacity: optional(count), maxCapacity: count, targetBacklogPerInstance: optional(fc.double()) })),
      queue: fc.boolean(),
      key: optional(fc.constant(true)),
      failure: optional(fc.constant(true)),
      input: optional(fc.constant(true)),
      includeResponse: optional(fc.boolean()),
      volume: optional(fc.integer({ min: 0, max: 600 })),
    }), (c, v) => {
      new AsyncEndpoint(c.stack, 'Endpoint', measure('AsyncEndpointProps', {
        model: model(c, v.withRole),
        outputLocation: JobS3Location.inBucket(c.bucket, 'out'),
        instanceType: v.instanceType,
        initialInstanceCount: v.count,
        maxConcurrentInvocationsPerInstance: v.concurrency,
        endpointName: v.endpointName,
        autoScaling: v.scaling,
        notificationQueue: v.queue,
        encryptionKey: v.key ? c.key : undefined,
        failureLocation: v.failure ? JobS3Location.inBucket(c.bucket, 'failed') : undefined,
        inputLocation: v.input ? JobS3Location.inBucket(c.bucket, 'in') : undefined,
        includeResponseInNotifications: v.includeResponse,
        volumeSize: v.volume === undefined ? undefined : Size.gibibytes(v.volume),
      }));
    });
  });

  test('SageMakerModel, MlDataStore and MlflowTrackingServer', () => {
    property(['environment', 'noncurrentVersionExpiration', 'accessLogsRetention', 'trackingServerName', 'mlflowVersion', 'weeklyMaintenanceWindowStart', 'key'], fc.record({
      environment: optional(stringMap),
      expiration: optional(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 400 }).map(d => Duration.days(d)), weight: 8 }, { arbitrary: seconds, weight: 1 })),
      serverName: optional(name),
      version: optional(fc.oneof({ arbitrary: fc.constant('2.16.2'), weight: 8 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 })),
      window: optional(fc.oneof({ arbitrary: fc.constant('Tue:03:30'), weight: 8 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 })),
      modelKey: fc.oneof({ arbitrary: fc.constant('models/a/model.tar.gz'), weight: 8 }, { arbitrary: fc.string({ maxLength: 20 }), weight: 1 }),
      logs: optional(fc.oneof({ arbitrary: fc.integer({ min: 1, max: 400 }).map(d => Duration.days(d)), weight: 8 }, { arbitrary: seconds, weight: 1 })),
      storeKey: optional(fc.constant(true)),
      registration: optional(fc.boolean()),
    }), (c, v) => {
      const store = new MlDataStore(c.stack, 'Store', measure('MlDataStoreProps', {
        noncurrentVersionExpiration: v.expiration, accessLogsRetention: v.logs, encryptionKey: v.storeKey ? c.key : undefined,
      }));
      new SageMakerModel(c.stack, 'Model', measure('SageMakerModelProps', { image: c.image, environment: v.environment, modelData: ModelData.fromBucket(store.artifactsBucket, v.modelKey) }));
      new MlflowTrackingServer(c.stack, 'Tracking', measure('MlflowTrackingServerProps', {
        artifactStore: JobS3Location.inBucket(store.artifactsBucket, 'mlflow'),
        trackingServerName: v.serverName,
        mlflowVersion: v.version,
        weeklyMaintenanceWindowStart: v.window,
        size: MlflowTrackingServerSize.SMALL,
        automaticModelRegistration: v.registration,
      }));
    });
  });

  test('TrainingWorkflow with a gate and a promotion', () => {
    property(['qualityGate', 'promote', 'pollInterval', 'timeout', 'experimentTracking'], fc.record({
      metricPath: fc.oneof(fc.constant('metrics.rmse'), fc.string({ maxLength: 12 })),
      threshold: fc.double(),
      outputName: fc.constantFrom('report', 'other'),
      promote: fc.boolean(),
      timeout: optional(seconds),
      poll: optional(fc.integer({ min: 1, max: 5000 })),
    }), (c, v) => {
      new TrainingWorkflow(c.stack, 'Workflow', measure('TrainingWorkflowProps', {
        timeout: v.timeout,
        train: { image: c.image, outputLocation: JobS3Location.inBucket(c.bucket, 'models') },
        evaluate: { image: c.image, processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(c.bucket, 'eval') }] },
        qualityGate: { outputName: v.outputName, metricPath: v.metricPath, threshold: v.threshold, comparison: MetricComparison.LESS_THAN },
        promote: v.promote ? {
          endpoint: new RealtimeEndpoint(c.stack, 'Endpoint', { variants: [{ model: new SageMakerModel(c.stack, 'Model', { image: c.image, modelData: ModelData.fromBucket(c.bucket, 'm/model.tar.gz') }) }] }),
          pollInterval: v.poll === undefined ? undefined : Duration.seconds(v.poll),
        } : undefined,
      }));
    });
  });

  test('SageMakerImage.fromDeepLearningContainer', () => {
    property(['frameworkVersion', 'pythonVersion', 'cudaVersion', 'osVersion', 'tag', 'SageMakerImage.fromDeepLearningContainer'], fc.record({
      version: fc.oneof({ arbitrary: fc.constantFrom('2.3.0', '2.16'), weight: 8 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 }),
      python: fc.oneof({ arbitrary: fc.constantFrom('py311', 'py310'), weight: 8 }, { arbitrary: fc.string({ maxLength: 6 }), weight: 1 }),
      processor: fc.constantFrom(Processor.CPU, Processor.GPU),
      cuda: optional(fc.oneof({ arbitrary: fc.constant('cu121'), weight: 8 }, { arbitrary: fc.string({ maxLength: 6 }), weight: 1 })),
      region: fc.constantFrom('us-east-1', 'eu-south-1', 'ap-east-1', 'ca-west-1', 'mx-central-1', 'xx-none-1'),
      os: optional(fc.oneof({ arbitrary: fc.constant('ubuntu22.04'), weight: 8 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 })),
      tag: optional(fc.oneof({ arbitrary: fc.constant('2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04'), weight: 8 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 })),
    }), (_c, v) => {
      const regional = context(v.region);
      const stack = regional.stack;
      const image = SageMakerImage.fromDeepLearningContainer(measure('DeepLearningContainerOptions', {
        framework: DeepLearningFramework.PYTORCH, use: DeepLearningContainerUse.TRAINING, frameworkVersion: v.version, processor: v.processor, pythonVersion: v.python, cudaVersion: v.cuda, osVersion: v.os, tag: v.tag,
      }));
      inMachine(regional, new TrainingJobStep(stack, 'Train', { image, outputLocation: JobS3Location.inBucket(regional.bucket, 'models') }));
      return stack;
    });
  });
});

/**
 * Every optional public prop of the constructs searched is set in a good share of the cases.
 * Props not generated yet are listed with why; the list is checked both ways (a prop on it
 * that the search now sets fails too, so that it leaves the list).
 */
const NOT_YET = 'not generated yet: the next coverage step (issue 13)';
const NOT_GENERATED: Record<string, string> = {
  'TransformJobStepProps.accept': NOT_YET,
  'TransformJobStepProps.assembleWith': NOT_YET,
  'TransformJobStepProps.compressionType': NOT_YET,
  'TransformJobStepProps.contentType': NOT_YET,
  'TransformJobStepProps.environment': NOT_YET,
  'TransformJobStepProps.modelNamePath': NOT_YET,
  'TransformJobStepProps.outputEncryptionKey': NOT_YET,
  'TransformJobStepProps.splitType': NOT_YET,
  'TransformJobStepProps.tags': NOT_YET,
  'TransformJobStepProps.volumeEncryptionKey': NOT_YET,
  'RealtimeEndpointProps.encryptionKey': NOT_YET,
  'AsyncEndpointProps.errorTopic': NOT_YET,
  'AsyncEndpointProps.successTopic': NOT_YET,
  'MlDataStoreProps.removalPolicy': 'an enum the CDK applies as it is; nothing the library validates or derives',
  'SageMakerModelProps.enableNetworkIsolation': NOT_YET,
  'SageMakerModelProps.role': NOT_YET,
  'SageMakerModelProps.securityGroups': NOT_YET,
  'SageMakerModelProps.vpc': NOT_YET,
  'SageMakerModelProps.vpcSubnets': NOT_YET,
  'TrainingWorkflowProps.encryptionKey': NOT_YET,
  'TrainingWorkflowProps.executionInputDefaults': NOT_YET,
  'TrainingWorkflowProps.experimentTracking': NOT_YET,
  'TrainingWorkflowProps.failureTopic': NOT_YET,
  'TrainingWorkflowProps.logGroup': NOT_YET,
  'TrainingWorkflowProps.logRetention': NOT_YET,
  'TrainingWorkflowProps.model': NOT_YET,
  'TrainingWorkflowProps.preprocess': NOT_YET,
  'TrainingWorkflowProps.register': NOT_YET,
  'TrainingWorkflowProps.stateMachineName': NOT_YET,
  'TrainingWorkflowProps.stateMachineRole': NOT_YET,
};

describe('prop coverage of the bad-input search', () => {
  test('each optional prop is set in at least 10% of the cases, or listed as not generated', () => {
    const rows = coverage();
    expect(rows.length).toBeGreaterThan(0);
    const missing = rows.filter(r => r.share === 0 && !NOT_GENERATED[`${r.interfaceName}.${r.prop}`]).map(r => `${r.interfaceName}.${r.prop}`);
    // A share is only meaningful over many cases (CI runs 500 per construct).
    const rare = rows.filter(r => RUNS >= 200 && r.share > 0 && r.share < 0.1).map(r => `${r.interfaceName}.${r.prop}: ${(100 * r.share).toFixed(1)}%`);
    const stale = rows.filter(r => r.share > 0 && NOT_GENERATED[`${r.interfaceName}.${r.prop}`]).map(r => `${r.interfaceName}.${r.prop}`);
    expect({ missing, rare, stale }).toEqual({ missing: [], rare: [], stale: [] });
  });
});
