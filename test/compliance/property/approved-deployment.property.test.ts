/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import fc from 'fast-check';
import { count, importedModel, mostly, name, optional, property, propCoverageTest, stringMap, Context } from './harness';
import { ApprovedModelDeployment, AsyncEndpoint, JobS3Location, ModelPackageGroup, ModelPromotion, RealtimeEndpoint, RetrainingOnNewData, RetrainingSchedule, SageMakerInstanceType } from '../../../lib';
import { measure } from '../prop-coverage';

/** Bad-input search (see harness.ts): the deploy workflow of approval-driven deployment, retraining triggers. */
const retryAttempts = optional(mostly(fc.integer({ min: 0, max: 185 }), fc.integer({ min: -5, max: 300 })));
/** The team's dead-letter queue, encrypted with a key of its own or not (imported: the packs judge queues the app defines). */
const queue = (c: Context, kind: string | undefined) => kind === undefined ? undefined
  : sqs.Queue.fromQueueAttributes(c.stack, 'TeamQueue', { queueArn: 'arn:aws:sqs:us-east-1:123456789012:team-dlq', keyArn: kind === 'own-key' ? c.key.keyArn : undefined });
/**
 * The models' VPC: with the construct's own group in the VPC's private subnets, or the team's subnets
 * or groups; refused: a public selection the VPC lacks, subnets or groups without the VPC.
 */
const modelNetwork = optional(fc.record({
  inVpc: mostly(fc.constant(true), fc.constant(false)),
  subnets: optional(mostly(fc.constantFrom('private', 'isolated'), fc.constant('public'))),
  ownGroups: optional(fc.constant(true)),
}));
const modelNetworkProps = (c: Context, n: typeof modelNetwork extends fc.Arbitrary<infer T> ? T : never) => ({
  vpc: n?.inVpc ? c.vpc : undefined,
  vpcSubnets: n?.subnets === 'private' ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : n?.subnets === 'isolated' ? { subnetGroupName: 'Isolated' }
    : n?.subnets === 'public' ? { subnetType: ec2.SubnetType.PUBLIC } : undefined,
  securityGroups: n?.ownGroups ? [c.securityGroup] : undefined,
});

describe('bad-input search', () => {
  test('ApprovedModelDeployment', () => {
    property(['endpoint', 'encryptionKey', 'logRetention', 'sampleContentType', 'samplePayload', 'modelNamePrefix', 'variantName', 'pollInterval', 'maxPolls', 'stateMachineName', 'maxPolls x pollInterval',
      'vpcSubnets', 'securityGroups'], fc.record({
      modelRole: optional(fc.constant(true)),
      network: modelNetwork,
      rollback: optional(fc.boolean()),
      modelNamePrefix: optional(name),
      variantName: optional(fc.constantFrom('AllTraffic', 'other')),
      payload: mostly(fc.constant('1.0,2.0,3.0'), fc.string({ maxLength: 5 })),
      contentType: optional(mostly(fc.constant('application/json'), fc.string({ maxLength: 3 }))),
      poll: optional(mostly(fc.integer({ min: 10, max: 3600 }), fc.integer({ min: 0, max: 5000 }))),
      maxPolls: optional(count),
      key: optional(fc.constantFrom('own', 'own', 'imported')),
      logGroup: optional(fc.constant(true)),
      topic: optional(fc.constant(true)),
      retention: optional(fc.constantFrom(logs.RetentionDays.ONE_YEAR, logs.RetentionDays.INFINITE, logs.RetentionDays.TEN_YEARS)),
      stateMachineName: optional(mostly(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-_]{0,30}$/), fc.string({ maxLength: 90 }))),
      endpointKind: fc.constantFrom('defined', 'defined', 'imported', 'async'),
      // Staged promotion (issue 25): a first stage, or one after it with a wait.
      promotion: optional(fc.constantFrom('first', 'after')),
      machineRole: optional(fc.constant(true)),
    }), (c, v) => {
      const group = ModelPackageGroup.fromModelPackageGroupName(c.stack, 'Group', 'churn');
      // The endpoint: one of the app's, one defined elsewhere, or an asynchronous one (refused: no InvokeEndpoint smoke test).
      const endpoint = v.endpointKind === 'imported'
        ? RealtimeEndpoint.fromEndpointAttributes(c.stack, 'Endpoint', { endpointName: 'team', variants: [{ variantName: 'AllTraffic', instanceType: SageMakerInstanceType.ML_M5_LARGE }] })
        : v.endpointKind === 'async'
          ? new AsyncEndpoint(c.stack, 'Endpoint', { model: importedModel(c, true), outputLocation: JobS3Location.inBucket(c.bucket, 'out') })
          : new RealtimeEndpoint(c.stack, 'Endpoint', { variants: [{ model: importedModel(c, true) }] });
      new ApprovedModelDeployment(c.stack, 'Deployment', measure('ApprovedModelDeploymentProps', {
        modelPackageGroup: group,
        endpoint,
        samplePayload: v.payload,
        modelRole: v.modelRole ? c.role : undefined,
        modelNamePrefix: v.modelNamePrefix,
        ...modelNetworkProps(c, v.network),
        rollbackOnSmokeTestFailure: v.rollback,
        variantName: v.variantName,
        sampleContentType: v.contentType,
        pollInterval: v.poll === undefined ? undefined : Duration.seconds(v.poll),
        maxPolls: v.maxPolls,
        encryptionKey: v.key === 'imported' ? c.importedKey : v.key ? c.key : undefined,
        logGroup: v.logGroup ? c.logGroup : undefined,
        failureTopic: v.topic ? new sns.Topic(c.stack, 'TeamTopic', { masterKey: c.key, enforceSSL: true }) : undefined,
        logRetention: v.retention,
        stateMachineName: v.stateMachineName,
        promotion: v.promotion === 'first' ? ModelPromotion.first() : v.promotion === 'after' ? ModelPromotion.after(ModelPromotion.first(), { wait: Duration.minutes(30) }) : undefined,
        stateMachineRole: v.machineRole ? new iam.Role(c.stack, 'MachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') }) : undefined,
      }));
    });
  });

  test('RetrainingSchedule and RetrainingOnNewData', () => {
    property(['description', 'retryAttempts', 'schedule', 'prefix', 'suffix', 'objectKeyField', 'objectUriField', 'objectKeyField and objectUriField'], fc.record({
      schedule: mostly(fc.constantFrom('rate(7 days)', 'cron(0 3 ? * MON *)', 'rate(1 hour)'), fc.string({ maxLength: 20 })),
      input: optional(stringMap),
      enabled: optional(fc.boolean()),
      description: optional(fc.string({ maxLength: 600 })),
      key: optional(fc.constant(true)),
      dlq: optional(fc.constantFrom('plain', 'own-key')),
      retryAttempts,
      prefix: optional(mostly(fc.constantFrom('incoming/churn/', 'data'), fc.string({ maxLength: 8 }))),
      suffix: optional(mostly(fc.constant('_SUCCESS'), fc.string({ maxLength: 8 }))),
      keyField: optional(mostly(fc.constant('key'), fc.string({ maxLength: 6 }))),
      uriField: optional(mostly(fc.constant('uri'), fc.string({ maxLength: 6 }))),
      dataInput: optional(mostly(fc.constant({ mode: 'retrain' }), stringMap)),
      dataEnabled: optional(fc.boolean()),
      dataRetries: retryAttempts,
    }), (c, v) => {
      const machine = sfn.StateMachine.fromStateMachineArn(c.stack, 'Training', 'arn:aws:states:us-east-1:123456789012:stateMachine:training');
      const dlq = queue(c, v.dlq);
      new RetrainingSchedule(c.stack, 'Weekly', measure('RetrainingScheduleProps', {
        stateMachine: machine,
        schedule: scheduler.ScheduleExpression.expression(v.schedule),
        input: v.input,
        enabled: v.enabled,
        description: v.description,
        encryptionKey: v.key ? c.key : undefined,
        deadLetterQueue: dlq,
        retryAttempts: v.retryAttempts,
      }));
      new RetrainingOnNewData(c.stack, 'OnNewData', measure('RetrainingOnNewDataProps', {
        stateMachine: machine,
        bucket: c.bucket,
        prefix: v.prefix,
        suffix: v.suffix,
        input: v.dataInput,
        objectKeyField: v.keyField,
        objectUriField: v.uriField,
        enabled: v.dataEnabled,
        deadLetterQueue: dlq,
        retryAttempts: v.dataRetries,
      }));
    });
  });

});

propCoverageTest({});
