/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import fc from 'fast-check';
import { count, endpointInstanceType, inMachine, instanceTypeFor, importedModel, mostly, name, optional, processingInstanceType, property, propCoverageTest, seconds, Context } from './harness';
import {
  BaselineDatasetFormat, DataQualityBaseline, DataQualityBaselineStep, DataQualityMonitor, DeployOnApproval, JobS3Location,
  ModelApprovalStatus, MlDataStore, ModelPackageGroup, ModelPromotion, MonitoringFrequency, RealtimeEndpoint, RegisterModelStage, TeamDomain,
} from '../../../lib';
import { measure } from '../prop-coverage';

/** Bad-input search (see harness.ts): the model registry, deploy-on-approval rules, monitoring (approved-deployment.property.test.ts has the deploy workflow). */
const retryAttempts = optional(mostly(fc.integer({ min: 0, max: 185 }), fc.integer({ min: -5, max: 300 })));
/** The team's dead-letter queue, encrypted with a key of its own or not (imported: the packs judge queues the app defines). */
const queue = (c: Context, kind: string | undefined) => kind === undefined ? undefined
  : sqs.Queue.fromQueueAttributes(c.stack, 'TeamQueue', { queueArn: 'arn:aws:sqs:us-east-1:123456789012:team-dlq', keyArn: kind === 'own-key' ? c.key.keyArn : undefined });

// Model Monitor's job definitions take fewer instance types than processing jobs: CloudFormation's
// schema refuses e.g. ml.p3.16xlarge in us-east-1 (E3640) though SageMaker's ProcessingInstanceType
// lists it; the library checks the form only, so valid draws come from types the schema takes.
const monitorInstanceType = instanceTypeFor(['ml.m5.large', 'ml.m5.xlarge', 'ml.m5.4xlarge', 'ml.c5.xlarge', 'ml.c5.4xlarge', 'ml.r5.large', 'ml.t3.medium']);

describe('bad-input search', () => {
  test('ModelPackageGroup, RegisterModelStage and DeployOnApproval', () => {
    property(['modelPackageGroupName', 'description', 'contentTypes', 'responseContentTypes', 'realtimeInstanceTypes', 'evaluationReport', 'retryAttempts', 'eventBus', 'resultPath'], fc.record({
      groupName: optional(name),
      groupDescription: optional(fc.string({ maxLength: 1100 })),
      contentTypes: optional(mostly(fc.constant<string[]>(['text/csv']), fc.array(fc.string({ maxLength: 10 }), { maxLength: 11 }))),
      responseContentTypes: optional(mostly(fc.constant<string[]>(['application/json']), fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }))),
      instanceTypes: optional(fc.array(endpointInstanceType, { minLength: 1, maxLength: 2 })),
      // Where the stage writes its results: a field of the state, or one that would replace the state (refused).
      resultPath: optional(mostly(fc.constantFrom('$.registered', '$.results.version'), fc.constantFrom('$', 'results', '$.a-b'))),
      stateName: optional(fc.constantFrom('Register the model', 'register')),
      // An evaluation stage's report (its object's key is checked where it is made: JobS3Location.objectKey).
      report: optional(fc.record({ fileName: fc.constantFrom('evaluation.json', 'reports/metrics.json'), contentType: optional(mostly(fc.constant('application/json'), fc.constant(''))) })),
      approval: optional(fc.constantFrom(ModelApprovalStatus.APPROVED, ModelApprovalStatus.PENDING_MANUAL_APPROVAL)),
      description: optional(fc.string({ maxLength: 1100 })),
      bus: optional(fc.constant(true)),
      enabled: optional(fc.boolean()),
      dlq: optional(fc.constantFrom('plain', 'own-key')),
      retryAttempts,
      // A stage after staging (issue 25): the rule matches only versions staging recorded as passed.
      promotion: optional(fc.constant(true)),
    }), (c, v) => {
      const group = new ModelPackageGroup(c.stack, 'Group', measure('ModelPackageGroupProps', { modelPackageGroupName: v.groupName, description: v.groupDescription }));
      const register = new RegisterModelStage(c.stack, 'Register', measure('RegisterModelStageProps', {
        modelPackageGroup: group,
        image: c.image,
        modelData: JobS3Location.inBucket(c.bucket, 'models/model.tar.gz'),
        contentTypes: v.contentTypes,
        responseContentTypes: v.responseContentTypes,
        realtimeInstanceTypes: v.instanceTypes,
        resultPath: v.resultPath,
        stateName: v.stateName,
        evaluationReport: v.report ? { object: JobS3Location.perExecution(c.bucket, 'eval').objectKey(v.report.fileName), contentType: v.report.contentType } : undefined,
        approvalStatus: v.approval,
        description: v.description,
      }));
      const machine = inMachine(c, register);
      new DeployOnApproval(c.stack, 'OnApproval', measure('DeployOnApprovalProps', {
        modelPackageGroup: group,
        deployWorkflow: machine,
        eventBus: v.bus ? events.EventBus.fromEventBusName(c.stack, 'TeamBus', 'team-bus') : undefined,
        enabled: v.enabled,
        deadLetterQueue: queue(c, v.dlq),
        retryAttempts: v.retryAttempts,
        promotion: v.promotion ? ModelPromotion.after(ModelPromotion.first()) : undefined,
      }));
    });
  });

  test('DataQualityMonitor and DataQualityBaselineStep', () => {
    property(['monitoringScheduleName', 'instanceType', 'instanceCount', 'volumeSize (GiB)', 'maxRuntime', 'vpcSubnets', 'driftAlarms', 'alarmTopic', 'keyPrefix',
      'captureDestination', 'volumeSize', 'jobNamePrefix', 'vpc', 'volumeEncryptionKey', 'securityGroups', 'enableNetworkIsolation'], fc.record({
      frequency: optional(fc.constantFrom(MonitoringFrequency.HOURLY, MonitoringFrequency.DAILY)),
      scheduleName: optional(name),
      instanceType: optional(monitorInstanceType),
      instanceCount: optional(count),
      volume: optional(fc.integer({ min: 0, max: 20000 })),
      volumeKey: optional(fc.constant(true)),
      outputKey: optional(fc.constant(true)),
      maxRuntime: optional(mostly(fc.integer({ min: 60, max: 3600 }).map(s => Duration.seconds(s)), seconds)),
      role: optional(fc.constant(true)),
      network: optional(fc.constantFrom('private', 'own-groups', 'subnets-only')),
      isolation: optional(fc.boolean()),
      alarms: optional(fc.array(fc.record({ featureName: mostly(fc.stringMatching(/^[a-z_]{1,10}$/), fc.string({ maxLength: 4 })), threshold: optional(mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.double())) }), { minLength: 1, maxLength: 3 })),
      topic: optional(fc.constant(true)),
      capture: optional(fc.constantFrom('same', 'other')),
      // The key of the captured objects, when not the bucket's: the team's, an imported one, or the bucket's own.
      captureKey: optional(fc.constantFrom('own', 'imported', 'bucket')),
      baselinePrefix: mostly(fc.constant('baseline/churn'), fc.string({ maxLength: 8 })),
      step: fc.record({
        instanceType: optional(processingInstanceType),
        instanceCount: optional(count),
        volume: optional(fc.integer({ min: 0, max: 20000 })),
        volumeKey: optional(fc.constant(true)),
        maxRuntime: optional(seconds),
        role: optional(fc.constant(true)),
        vpc: optional(fc.constantFrom('private', 'isolated')),
        jobNamePrefix: optional(name),
        format: fc.constantFrom('csv', 'json'),
      }),
    }), (c, v) => {
      const destination = JobS3Location.inBucket(c.bucket, 'capture');
      const endpoint = new RealtimeEndpoint(c.stack, 'Endpoint', { variants: [{ model: importedModel(c, true) }], dataCapture: { destination, samplingPercentage: 20 } });
      new DataQualityMonitor(c.stack, 'Monitor', measure('DataQualityMonitorProps', {
        endpoint,
        baseline: DataQualityBaseline.fromBucket(c.bucket, v.baselinePrefix),
        output: JobS3Location.inBucket(c.bucket, 'monitoring'),
        captureDestination: v.capture === 'same' ? destination : v.capture === 'other' ? JobS3Location.inBucket(c.bucket, 'elsewhere') : undefined,
        frequency: v.frequency,
        monitoringScheduleName: v.scheduleName,
        instanceType: v.instanceType,
        instanceCount: v.instanceCount,
        volumeSize: v.volume === undefined ? undefined : Size.gibibytes(v.volume),
        volumeEncryptionKey: v.volumeKey ? c.key : undefined,
        outputEncryptionKey: v.outputKey ? c.key : undefined,
        captureEncryptionKey: v.captureKey === 'own' ? c.key : v.captureKey === 'imported' ? c.importedKey : v.captureKey === 'bucket' ? c.bucket.encryptionKey : undefined,
        maxRuntime: v.maxRuntime,
        role: v.role ? c.role : undefined,
        vpc: v.network && v.network !== 'subnets-only' ? c.vpc : undefined,
        vpcSubnets: v.network === 'private' || v.network === 'subnets-only' ? { subnetGroupName: 'Private' } : undefined,
        securityGroups: v.network === 'own-groups' ? [c.securityGroup] : undefined,
        enableNetworkIsolation: v.isolation,
        driftAlarms: v.alarms,
        alarmTopic: v.topic ? sns.Topic.fromTopicArn(c.stack, 'TeamAlarms', 'arn:aws:sns:us-east-1:123456789012:team-alarms') : undefined,
      }));
      const s = v.step;
      inMachine(c, new DataQualityBaselineStep(c.stack, 'Baseline', measure('DataQualityBaselineStepProps', {
        baselineDataset: JobS3Location.inBucket(c.bucket, 'train'),
        datasetFormat: s.format === 'csv' ? BaselineDatasetFormat.csv() : BaselineDatasetFormat.json(),
        output: JobS3Location.inBucket(c.bucket, 'baseline/churn'),
        instanceType: s.instanceType,
        instanceCount: s.instanceCount,
        volumeSize: s.volume === undefined ? undefined : Size.gibibytes(s.volume),
        volumeEncryptionKey: s.volumeKey ? c.key : undefined,
        maxRuntime: s.maxRuntime,
        role: s.role ? c.role : undefined,
        vpc: s.vpc ? c.vpc : undefined,
        vpcSubnets: s.vpc === 'isolated' ? { subnetGroupName: 'Isolated' } : undefined,
        jobNamePrefix: s.jobNamePrefix,
      })));
    });
  });

  // The team's SageMaker domain (not lifecycle, but the lightest file to carry it): the team's
  // VPC (private and isolated subnets), its data store's buckets, images, user profiles, keys.
  test('TeamDomain', () => {
    property(['domainName', 'userProfiles[]', 'vpcSubnets', 'vpcEndpoints', 'images'], fc.record({
      // A VPC imported without its route tables cannot take the S3 gateway endpoint (refused, naming vpcEndpoints).
      withoutRouteTables: mostly(fc.constant(false), fc.constant(true)),
      subnets: optional(fc.constantFrom('private', 'isolated', 'none')),
      images: optional(fc.constant(true)),
      userProfiles: optional(fc.array(mostly(fc.stringMatching(/^[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,5})?$/), fc.string({ maxLength: 70 })), { maxLength: 4 })),
      key: optional(fc.constantFrom('own', 'imported')),
      domainName: optional(name),
      vpcEndpoints: optional(fc.boolean()),
    }), (c, v) => {
      const vpc = v.withoutRouteTables ? ec2.Vpc.fromVpcAttributes(c.stack, 'BareVpc', {
        vpcId: 'vpc-0a1b2c3d4e5f60799', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60791'],
      }) : c.vpc;
      new TeamDomain(c.stack, 'Domain', measure('TeamDomainProps', {
        vpc,
        vpcSubnets: v.subnets === 'private' ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : v.subnets === 'isolated' ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }
          : v.subnets === 'none' ? { subnetType: ec2.SubnetType.PUBLIC } : undefined,
        dataStore: MlDataStore.fromBuckets(c.stack, 'Store', { dataBucket: c.bucket, artifactsBucket: c.bucket }),
        images: v.images ? [c.image] : undefined,
        userProfiles: v.userProfiles,
        encryptionKey: v.key === 'imported' ? c.importedKey : v.key ? c.key : undefined,
        domainName: v.domainName,
        vpcEndpoints: v.vpcEndpoints,
      }));
    });
  });
});

propCoverageTest({
  'DataQualityBaselineStepProps.tags': 'SageMakerTaskProps: searched with the job steps (jobs.property.test.ts)',
  'DataQualityBaselineStepProps.retryOnServiceErrors': 'SageMakerTaskProps: searched with the job steps (jobs.property.test.ts)',
  'DataQualityBaselineStepProps.capacityRetries': 'SageMakerTaskProps: searched with the job steps (jobs.property.test.ts)',
  'DataQualityMonitorProps.engine': 'MonitoringEngine.processingJob(): searched in monitoring.property.test.ts',
  'DataQualityBaselineStepProps.engine': 'MonitoringEngine.processingJob(): searched in monitoring.property.test.ts',
});
