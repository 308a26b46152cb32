import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from '../private/managed-policy-role';

import { fail, validateInteger, validateLength, validatePattern, validateIn } from '../private/validate';

/**
 * Properties of a RetrainingOnNewData trigger.
 */
export interface RetrainingOnNewDataProps {
  /** The workflow started for each object that lands (a training workflow's state machine). */
  readonly stateMachine: sfn.IStateMachine;

  /**
   * The bucket data lands in. It must send its events to EventBridge: `MlDataStore`'s buckets
   * do; a `s3.Bucket` of your own needs `eventBridgeEnabled: true`; for an imported bucket,
   * turn EventBridge notifications on in its account (`aws s3api
   * put-bucket-notification-configuration --notification-configuration '{"EventBridgeConfiguration": {}}'`).
   */
  readonly bucket: s3.IBucket;

  /**
   * The key prefix that new data lands under, e.g. `'incoming/churn/'`.
   *
   * @default - any key of the bucket
   */
  readonly prefix?: string;

  /**
   * The key suffix of the objects that start a run, e.g. a marker such as `'_SUCCESS'`
   * written after a batch of files: each matching object starts one run, so a suffix
   * keeps a batch of a hundred files from starting a hundred trainings.
   *
   * @default - every object under the prefix
   */
  readonly suffix?: string;

  /**
   * Fixed fields of the execution input, beside the object's fields.
   *
   * @default - none
   */
  readonly input?: { [key: string]: any };

  /**
   * The input field that receives the object's key.
   *
   * @default 'objectKey'
   */
  readonly objectKeyField?: string;

  /**
   * The input field that receives the object's `s3://bucket/key` URI.
   *
   * @default 'objectUri'
   */
  readonly objectUriField?: string;

  /**
   * Whether the rule starts runs.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Where events that could not start the workflow go after the retries.
   *
   * @default - none: they are dropped
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * How many times EventBridge retries a start that failed (0 to 185).
   *
   * @default 3
   */
  readonly retryAttempts?: number;
}

/**
 * Starts a workflow when new data lands under a prefix of a bucket (S3 "Object Created"
 * events through EventBridge), with the object's key and URI in the execution input.
 * The rule's role may start that one state machine and nothing else.
 */
export class RetrainingOnNewData extends Construct {
  /** The EventBridge rule. */
  public readonly rule: events.Rule;
  /** The role EventBridge assumes to start the workflow. */
  public readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: RetrainingOnNewDataProps) {
    super(scope, id);
    const keyField = props.objectKeyField ?? 'objectKey';
    const uriField = props.objectUriField ?? 'objectUri';
    validateIn(this, () => {
      for (const [prop, value] of [['prefix', props.prefix], ['suffix', props.suffix]] as const) {
        validateLength(prop, value, 1, 1024);
        // EventBridge wildcard patterns (used when both are given) treat * and \ as syntax.
        validatePattern(prop, value, /^[^*\\]*$/, 'an S3 key part without \'*\' or \'\\\'');
      }
      validatePattern('prefix', props.prefix, /^[^/]/, 'a key prefix without a leading \'/\' (S3 keys do not start with one)');
      validateInteger('retryAttempts', props.retryAttempts, 0, 185);
      for (const [prop, field] of [['objectKeyField', keyField], ['objectUriField', uriField]] as const) {
        validatePattern(prop, field, /^[A-Za-z_][A-Za-z0-9_]*$/, 'a JSON field name of letters, digits and underscores');
        if (props.input && field in props.input) fail(`${prop} '${field}' is also a key of input; the object's field would replace it: rename one`);
      }
      if (keyField === uriField) fail(`objectKeyField and objectUriField must differ, got '${keyField}' for both`);
    });
    this.node.addValidation({ validate: () => eventBridgeProblems(props.bucket, this) });

    const stack = Stack.of(this);
    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Starts ${props.stateMachine.node.path} when data lands in ${props.bucket.node.path}`,
    });

    const keyMatch = props.prefix !== undefined && props.suffix !== undefined
      ? events.Match.wildcard(`${props.prefix}*${props.suffix}`)
      : props.prefix !== undefined ? events.Match.prefix(props.prefix)
        : props.suffix !== undefined ? events.Match.suffix(props.suffix) : undefined;

    // S3's "Object Created" event on EventBridge (Amazon S3 user guide, "EventBridge event
    // message structure", https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html):
    // source aws.s3, detail.bucket.name, detail.object.key.
    this.rule = new events.Rule(this, 'Resource', {
      description: `Retraining: starts ${props.stateMachine.node.path} on new objects${props.prefix ? ` under ${props.prefix}` : ''}`,
      enabled: props.enabled ?? true,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          ...(keyMatch ? { object: { key: keyMatch } } : {}),
        },
      },
    });
    this.rule.addTarget(new targets.SfnStateMachine(props.stateMachine, {
      role: this.role,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 3,
      input: events.RuleTargetInput.fromObject({
        ...props.input,
        [keyField]: events.EventField.fromPath('$.detail.object.key'),
        [uriField]: `s3://${events.EventField.fromPath('$.detail.bucket.name')}/${events.EventField.fromPath('$.detail.object.key')}`,
      }),
    }));
  }
}

/** A bucket of this app must send its events to EventBridge; an imported one is the user's to check. */
function eventBridgeProblems(bucket: s3.IBucket, scope: Construct): string[] {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket)) {
    Annotations.of(scope).addWarningV2('cdk-sagemaker-ml:importedBucketEvents',
      `bucket '${bucket.node.path}' is imported: make sure it sends its events to EventBridge (EventBridgeConfiguration), or the rule never fires`);
    return [];
  }
  const config = Stack.of(cfn).resolve(cfn.notificationConfiguration);
  const viaL1 = config?.eventBridgeConfiguration?.eventBridgeEnabled === true || config?.EventBridgeConfiguration?.EventBridgeEnabled === true;
  // The L2's `eventBridgeEnabled` is applied by its notifications custom resource.
  const viaL2 = (bucket as any).eventBridgeEnabled === true;
  if (viaL1 || viaL2 || Token.isUnresolved(cfn.notificationConfiguration)) return [];
  return [`bucket '${bucket.node.path}' does not send its events to EventBridge, so no run would start: define it with eventBridgeEnabled: true (or use MlDataStore's buckets)`];
}
