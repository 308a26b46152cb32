/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import { Duration, Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import fc from 'fast-check';
import { count, endpointInstanceType, importedModel, mostly, name, optional, property, propCoverageTest, seconds, stringMap } from './harness';
import {
  AsyncEndpoint, JobS3Location, MlDataStore, MlflowTrackingServer, MlflowTrackingServerSize, ModelData, RealtimeEndpoint, RoutingStrategy, SageMakerModel,
  ServerlessEndpoint, TrafficRouting,
} from '../../../lib';
import { measure } from '../prop-coverage';

/** Bad-input search (see harness.ts): models, the hosting modes, the data store and the tracking server. */
const timeout = optional(mostly(fc.integer({ min: 60, max: 3600 }).map(s => Duration.seconds(s)), seconds));

describe('bad-input search', () => {
  test('RealtimeEndpoint', () => {
    property(['variants', 'endpointName', 'encryptionKey', 'canary percent', 'deployment', 'dataCapture', 'runtimeConfigNamePrefix', 'maximumExecutionTimeout', 'shadowVariant'], fc.record({
      instanceType: endpointInstanceType,
      count: optional(count),
      weight: optional(fc.double({ noNaN: false })),
      names: fc.array(optional(name), { minLength: 1, maxLength: 2 }),
      scaling: optional(fc.record({ minCapacity: count, maxCapacity: count, targetInvocationsPerInstance: fc.double(), scaleInCooldown: optional(seconds), scaleOutCooldown: optional(seconds) })),
      volume: optional(fc.integer({ min: 0, max: 600 })),
      download: timeout,
      startup: timeout,
      routing: optional(fc.constantFrom(RoutingStrategy.LEAST_OUTSTANDING_REQUESTS, RoutingStrategy.RANDOM)),
      // A shadow variant: SageMaker copies 1 to 100 percent of the requests; one production variant beside it.
      shadow: optional(fc.record({
        withRole: mostly(fc.constant(true), fc.constant(false)),
        variantName: optional(name),
        samplingPercentage: optional(mostly(fc.integer({ min: 1, max: 100 }), fc.oneof(fc.integer({ min: -5, max: 150 }), fc.double({ noNaN: false })))),
        instanceType: optional(endpointInstanceType),
        count: optional(count),
        volume: optional(fc.integer({ min: 0, max: 600 })),
        download: timeout,
        startup: timeout,
        routing: optional(fc.constantFrom(RoutingStrategy.LEAST_OUTSTANDING_REQUESTS, RoutingStrategy.RANDOM)),
      })),
      endpointName: optional(name),
      runtimeConfigNamePrefix: optional(mostly(fc.stringMatching(/^[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,4}){0,2}$/), fc.string({ maxLength: 40 }))),
      // SageMaker takes a canary of at most 50% of capacity (CapacitySize); 51 to 99 are refused.
      canary: optional(mostly(fc.integer({ min: 1, max: 50 }), fc.integer({ min: -5, max: 120 }))),
      sampling: optional(mostly(fc.integer({ min: 0, max: 100 }), fc.integer({ min: -10, max: 150 }))),
      withRole: mostly(fc.constant(true), fc.constant(false)),
      key: optional(fc.constant(true)),
      capture: fc.record({ request: optional(fc.boolean()), response: optional(fc.boolean()), key: optional(fc.constant(true)) }),
      rollout: fc.record({
        terminationWait: optional(mostly(fc.integer({ min: 0, max: 3600 }).map(s => Duration.seconds(s)), seconds)),
        maximumExecutionTimeout: optional(mostly(fc.integer({ min: 3600, max: 28_800 }).map(s => Duration.seconds(s)), seconds)),
        maxModelLatency: optional(timeout),
        ownAlarm: optional(fc.constant(true)),
      }),
    }), (c, v) => {
      const m = importedModel(c, v.withRole);
      new RealtimeEndpoint(c.stack, 'Endpoint', measure('RealtimeEndpointProps', {
        endpointName: v.endpointName,
        runtimeConfigNamePrefix: v.runtimeConfigNamePrefix,
        variants: v.names.map(variantName => measure('ProductionVariantOptions', {
          model: m,
          variantName,
          instanceType: v.instanceType,
          initialInstanceCount: v.count,
          initialVariantWeight: v.weight,
          autoScaling: v.scaling ? measure('VariantAutoScalingOptions', v.scaling) : undefined,
          volumeSize: v.volume === undefined ? undefined : Size.gibibytes(v.volume),
          modelDataDownloadTimeout: v.download,
          containerStartupHealthCheckTimeout: v.startup,
          routingStrategy: v.routing,
        })),
        shadowVariant: v.shadow === undefined ? undefined : measure('ShadowVariantOptions', {
          model: SageMakerModel.fromModelAttributes(c.stack, 'Candidate', {
            modelName: 'candidate', role: v.shadow.withRole ? iam.Role.fromRoleArn(c.stack, 'CandidateRole', 'arn:aws:iam::123456789012:role/candidate', { mutable: false }) : undefined,
          }),
          variantName: v.shadow.variantName,
          samplingPercentage: v.shadow.samplingPercentage,
          instanceType: v.shadow.instanceType,
          initialInstanceCount: v.shadow.count,
          volumeSize: v.shadow.volume === undefined ? undefined : Size.gibibytes(v.shadow.volume),
          modelDataDownloadTimeout: v.shadow.download,
          containerStartupHealthCheckTimeout: v.shadow.startup,
          routingStrategy: v.shadow.routing,
        }),
        deployment: v.canary === undefined ? undefined : measure('EndpointDeploymentOptions', {
          trafficRouting: TrafficRouting.canary(v.canary),
          terminationWait: v.rollout.terminationWait,
          maximumExecutionTimeout: v.rollout.maximumExecutionTimeout,
          maxModelLatency: v.rollout.maxModelLatency,
          rollbackAlarms: v.rollout.ownAlarm ? [cloudwatch.Alarm.fromAlarmArn(c.stack, 'TeamAlarm', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:team-errors')] : undefined,
        }),
        dataCapture: v.sampling === undefined ? undefined : measure('DataCaptureOptions', {
          destination: JobS3Location.inBucket(c.bucket, 'capture'),
          samplingPercentage: v.sampling,
          captureRequest: v.capture.request,
          captureResponse: v.capture.response,
          encryptionKey: v.capture.key ? c.key : undefined,
        }),
        encryptionKey: v.key ? c.key : undefined,
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
    property(['model', 'variant', 'maxConcurrentInvocationsPerInstance', 'autoScaling', 'endpointName', 'encryptionKey', 'successTopic', 'errorTopic', 'runtimeConfigNamePrefix'], fc.record({
      withRole: fc.boolean(),
      instanceType: endpointInstanceType,
      count: optional(count),
      concurrency: optional(count),
      endpointName: optional(name),
      scaling: optional(fc.record({ minCapacity: optional(count), maxCapacity: count, targetBacklogPerInstance: optional(fc.double()), scaleInCooldown: optional(seconds), scaleOutCooldown: optional(seconds) })),
      queue: fc.boolean(),
      key: optional(fc.constant(true)),
      failure: optional(fc.constant(true)),
      input: optional(fc.constant(true)),
      includeResponse: optional(fc.boolean()),
      volume: optional(fc.integer({ min: 0, max: 600 })),
      // The team's topics: one it defines with its own key, or one it imports.
      success: optional(fc.constantFrom('own-key', 'imported')),
      error: optional(fc.constantFrom('own-key', 'imported')),
      runtimeConfigNamePrefix: optional(mostly(fc.stringMatching(/^[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,4}){0,2}$/), fc.string({ maxLength: 40 }))),
    }), (c, v) => {
      const topic = (kind: string | undefined, id: string) => kind === 'own-key' ? new sns.Topic(c.stack, id, { masterKey: c.key, enforceSSL: true })
        : kind === 'imported' ? sns.Topic.fromTopicArn(c.stack, id, `arn:aws:sns:us-east-1:123456789012:${id.toLowerCase()}`) : undefined;
      new AsyncEndpoint(c.stack, 'Endpoint', measure('AsyncEndpointProps', {
        model: importedModel(c, v.withRole),
        outputLocation: JobS3Location.inBucket(c.bucket, 'out'),
        instanceType: v.instanceType,
        initialInstanceCount: v.count,
        maxConcurrentInvocationsPerInstance: v.concurrency,
        endpointName: v.endpointName,
        autoScaling: v.scaling ? measure('AsyncAutoScalingOptions', v.scaling) : undefined,
        notificationQueue: v.queue,
        encryptionKey: v.key ? c.key : undefined,
        failureLocation: v.failure ? JobS3Location.inBucket(c.bucket, 'failed') : undefined,
        inputLocation: v.input ? JobS3Location.inBucket(c.bucket, 'in') : undefined,
        includeResponseInNotifications: v.includeResponse,
        volumeSize: v.volume === undefined ? undefined : Size.gibibytes(v.volume),
        successTopic: topic(v.success, 'TeamSuccess'),
        errorTopic: topic(v.error, 'TeamErrors'),
        runtimeConfigNamePrefix: v.runtimeConfigNamePrefix,
      }));
    });
  });

  test('SageMakerModel, MlDataStore and MlflowTrackingServer', () => {
    property(['environment', 'noncurrentVersionExpiration', 'accessLogsRetention', 'trackingServerName', 'mlflowVersion', 'weeklyMaintenanceWindowStart', 'key',
      'vpc', 'vpcSubnets', 'securityGroups', 'role', 'enableNetworkIsolation', 'artifactsBucketName'], fc.record({
      environment: optional(stringMap),
      expiration: optional(mostly(fc.integer({ min: 1, max: 400 }).map(d => Duration.days(d)), seconds)),
      serverName: optional(name),
      version: optional(mostly(fc.constant('2.16.2'), fc.string({ maxLength: 8 }))),
      window: optional(mostly(fc.constant('Tue:03:30'), fc.string({ maxLength: 10 }))),
      modelKey: mostly(fc.constant('models/a/model.tar.gz'), fc.string({ maxLength: 20 })),
      logs: optional(mostly(fc.integer({ min: 1, max: 400 }).map(d => Duration.days(d)), seconds)),
      storeKey: optional(fc.constant(true)),
      // The artifacts bucket named for other accounts' policies (issue 25).
      storeBucketName: optional(mostly(fc.constantFrom('ml-artifacts-123456789012', 'team.ml-artifacts'), fc.string({ maxLength: 70 }))),
      registration: optional(fc.boolean()),
      network: optional(fc.constantFrom('private', 'isolated', 'default', 'own-groups', 'subnets-only')),
      modelRole: optional(fc.constant(true)),
      isolation: optional(fc.boolean()),
    }), (c, v) => {
      const store = new MlDataStore(c.stack, 'Store', measure('MlDataStoreProps', {
        noncurrentVersionExpiration: v.expiration, accessLogsRetention: v.logs, encryptionKey: v.storeKey ? c.key : undefined, artifactsBucketName: v.storeBucketName,
      }));
      new SageMakerModel(c.stack, 'Model', measure('SageMakerModelProps', {
        image: c.image,
        environment: v.environment,
        modelData: ModelData.fromBucket(store.artifactsBucket, v.modelKey),
        // 'subnets-only': subnets without a VPC, which the model must refuse.
        vpc: v.network && v.network !== 'subnets-only' ? c.vpc : undefined,
        vpcSubnets: v.network === 'private' || v.network === 'subnets-only' ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : v.network === 'isolated' ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : undefined,
        securityGroups: v.network === 'own-groups' ? [c.securityGroup] : undefined,
        role: v.modelRole ? c.role : undefined,
        enableNetworkIsolation: v.isolation,
      }));
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
});

propCoverageTest({
  'MlDataStoreProps.removalPolicy': 'an enum the CDK applies as it is; nothing the library validates or derives',
});
