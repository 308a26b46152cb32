import { Duration, Size, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AsyncInferenceSettings, DeployableVariant, IDeployableEndpoint } from './deployable-endpoint';
import { IInferenceEndpoint, InferenceEndpointBase } from './inference-endpoint';
import { grantDeploy, renderAsyncInference, runtimeConfigNamePrefix } from './private/deployment';
import { endpointArnOf } from './private/endpoint-arn';
import { ImportedDeployableEndpoint, ImportedEndpoint } from './private/imported-endpoint';
import { variantScalableTarget } from './private/scaling';
import { acknowledgeNoKeyForInstanceStorage, generatedEndpointName, renderVariant, validateVariant, volumeKeyFor } from './private/variants';
import { ISageMakerModel } from './sagemaker-model';
import { SageMakerInstanceType } from '../compute/sagemaker-instance-type';
import { JobS3Location, S3AccessMode } from '../data/job-s3-location';
import { isBurstable } from '../private/instance-types';
import { acknowledge } from '../private/nag';
import { fail, requireModelRole, validateIn, validateInteger, validateNumber } from '../private/validate';

/**
 * Autoscaling of an asynchronous endpoint on its queue, down to zero instances.
 */
export interface AsyncAutoScalingOptions {
  /**
   * The fewest instances; 0 lets the endpoint scale to zero when the queue is empty.
   *
   * @default 0
   */
  readonly minCapacity?: number;
  /** The most instances. */
  readonly maxCapacity: number;
  /**
   * The queued requests per instance to hold (`ApproximateBacklogSizePerInstance`).
   *
   * @default 5
   */
  readonly targetBacklogPerInstance?: number;
  /**
   * How long to wait after a scale-in.
   *
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * How long to wait after a scale-out.
   *
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}

/**
 * Properties of an AsyncEndpoint.
 */
export interface AsyncEndpointProps {
  /** The model served. */
  readonly model: ISageMakerModel;

  /** Where responses are written. */
  readonly outputLocation: JobS3Location;

  /**
   * Where failed requests' errors are written.
   *
   * @default - failures are only notified
   */
  readonly failureLocation?: JobS3Location;

  /**
   * Where callers upload requests; the model's role may read them.
   *
   * @default - the caller grants the model's role read access to its inputs
   */
  readonly inputLocation?: JobS3Location;

  /**
   * The instance type.
   *
   * @default SageMakerInstanceType.ML_M5_LARGE
   */
  readonly instanceType?: SageMakerInstanceType;

  /**
   * The number of instances at creation (at least 1; autoscaling may then go to zero).
   *
   * @default 1
   */
  readonly initialInstanceCount?: number;

  /**
   * The ML storage volume of each instance.
   *
   * @default - SageMaker's default
   */
  readonly volumeSize?: Size;

  /**
   * The most requests an instance handles at once.
   *
   * @default - SageMaker chooses
   */
  readonly maxConcurrentInvocationsPerInstance?: number;

  /**
   * The topic notified of successful requests.
   *
   * @default - an encrypted topic is defined
   */
  readonly successTopic?: sns.ITopic;

  /**
   * The topic notified of failed requests.
   *
   * @default - an encrypted topic is defined
   */
  readonly errorTopic?: sns.ITopic;

  /**
   * Whether notifications carry the response body (small responses only).
   *
   * @default false
   */
  readonly includeResponseInNotifications?: boolean;

  /**
   * An SQS queue subscribed to both topics, for consumers that poll.
   *
   * @default false
   */
  readonly notificationQueue?: boolean;

  /**
   * The key that encrypts storage volumes and responses.
   *
   * @default - a key when the instance type takes one
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Autoscaling on the queue, to zero.
   *
   * @default - a fixed instance count
   */
  readonly autoScaling?: AsyncAutoScalingOptions;

  /**
   * The endpoint's name.
   *
   * @default - a name unique to this construct, generated at synth
   */
  readonly endpointName?: string;

  /**
   * The name prefix of the endpoint configurations that workflows define at run time to
   * deploy a new model to this endpoint (`<prefix>-<uuid>`; lowercase letters, digits and
   * single hyphens, at most 26 characters): `grantDeploy` allows those only.
   *
   * @default - derived from the construct's path, unique to this endpoint
   */
  readonly runtimeConfigNamePrefix?: string;
}

/**
 * An asynchronous endpoint defined elsewhere that workflows of this app deploy to.
 */
export interface AsyncEndpointAttributes {
  /** The endpoint's name. */
  readonly endpointName: string;

  /** The endpoint's variant: each deployment's configuration gets the same fleet. */
  readonly variant: DeployableVariant;

  /** Where responses go and who is notified, which every configuration carries. */
  readonly asyncInference: AsyncInferenceSettings;

  /**
   * The key of the instances' storage volumes.
   *
   * @default - none
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The name prefix of configurations workflows define at run time (`<prefix>-<uuid>`).
   *
   * @default - derived from the endpoint's name
   */
  readonly runtimeConfigNamePrefix?: string;

  /**
   * The configuration the endpoint serves now: a rollback of the first deployment through
   * this app may return to it.
   *
   * @default - unknown: rollbacks may return to run-time configurations only
   */
  readonly endpointConfigName?: string;
}

/**
 * An asynchronous (queue-based) endpoint: callers upload requests to S3 and call
 * `InvokeEndpointAsync`; responses land in S3 and SNS tells of each success and error.
 * It can scale to zero while the queue is empty and back from zero when requests arrive.
 */
export class AsyncEndpoint extends InferenceEndpointBase implements IDeployableEndpoint {
  /** Imports an asynchronous endpoint by name, for its metrics and invoke grants. */
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): IInferenceEndpoint {
    return new ImportedEndpoint(scope, id, endpointName, true);
  }

  /** Imports an asynchronous endpoint defined elsewhere that workflows of this app deploy to. */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: AsyncEndpointAttributes): IDeployableEndpoint {
    return new ImportedDeployableEndpoint(scope, id, { ...attrs, variants: [attrs.variant] });
  }

  public readonly endpointName: string;
  public readonly endpointArn: string;
  /** The endpoint configuration's name (generated). */
  public readonly endpointConfigName: string;
  /** The topic notified of successes. */
  public readonly successTopic: sns.ITopic;
  /** The topic notified of errors. */
  public readonly errorTopic: sns.ITopic;
  /** The queue subscribed to both topics, if any. */
  public readonly notificationQueue?: sqs.IQueue;
  /** The scalable target, when autoscaled. */
  public readonly scalableTarget?: appscaling.ScalableTarget;
  /** The variant as a run-time configuration gets it. */
  public readonly variants: DeployableVariant[];
  /** The name prefix of configurations defined at run time (`<prefix>-<uuid>`), which `grantDeploy` is scoped to. */
  public readonly runtimeConfigNamePrefix: string;
  /** The key of the instances' storage volumes and the responses, if any. */
  public readonly encryptionKey?: kms.IKey;
  /** Where responses go and who is notified. */
  public readonly asyncInference?: AsyncInferenceSettings;
  /** None: updates use SageMaker's default. */
  public readonly deploymentConfig?: sagemaker.CfnEndpoint.DeploymentConfigProperty;
  /** None. */
  public readonly rollbackAlarms: cloudwatch.IAlarm[] = [];
  /** The ARN of CloudFormation's configuration (its `Ref`). */
  public readonly definedConfigArn?: string;
  protected readonly defaultVariantName = 'AllTraffic';
  protected readonly invokeActions = ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync'];

  constructor(scope: Construct, id: string, props: AsyncEndpointProps) {
    super(scope, id);
    validateIn(this, () => {
      if (!props.outputLocation) {
        fail('outputLocation is required: asynchronous endpoints write every response to S3');
      }
      validateVariant('variant', {
        model: props.model, instanceType: props.instanceType, initialInstanceCount: props.initialInstanceCount, volumeSize: props.volumeSize,
      });
      validateInteger('maxConcurrentInvocationsPerInstance', props.maxConcurrentInvocationsPerInstance, 1, 1000);
    });
    this.endpointName = generatedEndpointName(this, props.endpointName);
    this.endpointArn = endpointArnOf(this, this.endpointName);
    const kind = props.endpointName !== undefined && !Token.isUnresolved(props.endpointName) ? props.endpointName : id;
    this.runtimeConfigNamePrefix = validateIn(this, () => runtimeConfigNamePrefix(this, kind, props.runtimeConfigNamePrefix));
    const instanceType = props.instanceType ?? SageMakerInstanceType.ML_M5_LARGE;
    const volumeKey = volumeKeyFor(this, [instanceType.name], props.encryptionKey);
    this.encryptionKey = volumeKey;
    const variant = { instanceType, initialInstanceCount: props.initialInstanceCount, volumeSize: props.volumeSize };
    const autoScaled = props.autoScaling !== undefined;
    this.variants = [{ ...variant, variantName: this.defaultVariantName, modelName: props.model.modelName, autoScaled }];

    let notificationKey: kms.IKey | undefined;
    const topic = (id2: string, given?: sns.ITopic): sns.ITopic => {
      if (given) return given;
      notificationKey ??= new kms.Key(this, 'NotificationKey', { description: 'Encrypts the asynchronous endpoint\'s notifications', enableKeyRotation: true });
      return new sns.Topic(this, id2, { masterKey: notificationKey, enforceSSL: true });
    };
    this.successTopic = topic('SuccessTopic', props.successTopic);
    this.errorTopic = topic('ErrorTopic', props.errorTopic);
    const settings: AsyncInferenceSettings = {
      outputLocation: props.outputLocation,
      failureLocation: props.failureLocation,
      outputEncryptionKey: props.encryptionKey,
      successTopic: this.successTopic,
      errorTopic: this.errorTopic,
      includeResponseInNotifications: props.includeResponseInNotifications,
      maxConcurrentInvocationsPerInstance: props.maxConcurrentInvocationsPerInstance,
    };
    this.asyncInference = settings;
    // SageMaker reads requests, writes responses and publishes notifications with the model's role.
    const asyncInferenceConfig = validateIn(this, () => {
      requireModelRole('model', props.model);
      props.inputLocation?.bind(this, props.model, S3AccessMode.READ);
      return renderAsyncInference(this, settings, props.model);
    });

    if (props.notificationQueue) {
      this.notificationQueue = this.defineQueue();
      const topics = this.successTopic === this.errorTopic ? [this.successTopic] : [this.successTopic, this.errorTopic];
      for (const t of topics) t.addSubscription(new subscriptions.SqsSubscription(this.notificationQueue));
    }

    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: [renderVariant({ ...variant, model: props.model }, 'AllTraffic')],
      kmsKeyId: volumeKey?.keyArn,
      asyncInferenceConfig,
    });
    acknowledgeNoKeyForInstanceStorage(config, [instanceType.name], volumeKey);
    this.endpointConfigName = config.attrEndpointConfigName;
    this.definedConfigArn = config.ref;
    const endpoint = new sagemaker.CfnEndpoint(this, 'Resource', { endpointName: this.endpointName, endpointConfigName: config.attrEndpointConfigName });

    if (props.autoScaling) {
      this.scalableTarget = this.autoScale(props.autoScaling, instanceType.name);
      this.scalableTarget.node.addDependency(endpoint);
    }
  }

  public grantDeploy(grantee: iam.IGrantable): iam.Grant {
    return grantDeploy(this, grantee);
  }

  /** Requests queued per instance (`ApproximateBacklogSizePerInstance`, average). */
  public metricApproximateBacklogSizePerInstance(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.endpointMetric('ApproximateBacklogSizePerInstance', { statistic: 'Average', ...props });
  }

  /** 1 while requests wait and no instance runs (`HasBacklogWithoutCapacity`, maximum). */
  public metricHasBacklogWithoutCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.endpointMetric('HasBacklogWithoutCapacity', { statistic: 'Maximum', ...props });
  }

  private endpointMetric(metricName: string, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    // The queue metrics have only the endpoint dimension.
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker', metricName, dimensionsMap: { EndpointName: this.endpointName }, period: Duration.minutes(1), ...props,
    });
  }

  private defineQueue(): sqs.IQueue {
    // Its own key: the subscription lets SNS use the queue's key for these topics, which
    // would make a key shared with the topics depend on them, and them on it.
    const key = new kms.Key(this, 'QueueKey', { description: 'Encrypts the asynchronous endpoint\'s notification queue', enableKeyRotation: true });
    const encryption = { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key };
    const deadLetters = new sqs.Queue(this, 'NotificationDeadLetters', { ...encryption, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(deadLetters.node.defaultChild!, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue of the notification queue.');
    return new sqs.Queue(this, 'NotificationQueue', {
      ...encryption,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
  }

  private autoScale(scaling: AsyncAutoScalingOptions, instanceType: string): appscaling.ScalableTarget {
    const min = scaling.minCapacity ?? 0;
    validateIn(this, () => {
      validateInteger('autoScaling.minCapacity', min, 0, 1000);
      validateInteger('autoScaling.maxCapacity', scaling.maxCapacity, 1, 1000);
      if (!Token.isUnresolved(min) && !Token.isUnresolved(scaling.maxCapacity) && min > scaling.maxCapacity) {
        fail(`autoScaling.minCapacity must be at most maxCapacity (${scaling.maxCapacity}), got ${min}`);
      }
      validateNumber('autoScaling.targetBacklogPerInstance', scaling.targetBacklogPerInstance, 0.1, 1e6);
      if (!Token.isUnresolved(instanceType) && isBurstable(instanceType)) {
        fail(`autoScaling cannot scale burstable instance type '${instanceType}': Application Auto Scaling does not scale ml.t* endpoints`);
      }
    });
    const target = variantScalableTarget(this, 'Scaling', { endpointName: this.endpointName, variantName: 'AllTraffic', minCapacity: min, maxCapacity: scaling.maxCapacity });
    target.scaleToTrackMetric('Backlog', {
      customMetric: this.metricApproximateBacklogSizePerInstance(),
      targetValue: scaling.targetBacklogPerInstance ?? 5,
      scaleInCooldown: scaling.scaleInCooldown ?? Duration.minutes(5),
      scaleOutCooldown: scaling.scaleOutCooldown ?? Duration.minutes(1),
    });
    if (min === 0) {
      // Target tracking cannot leave zero (no instance reports a backlog per instance):
      // a step policy adds one instance while requests wait without capacity.
      const fromZero = new appscaling.StepScalingAction(this, 'ScaleFromZero', {
        scalingTarget: target,
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: scaling.scaleOutCooldown ?? Duration.minutes(1),
        metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      });
      fromZero.addAdjustment({ adjustment: 1, lowerBound: 0 });
      new cloudwatch.Alarm(this, 'BacklogWithoutCapacity', {
        alarmDescription: 'Requests wait and no instance runs: scale from zero',
        metric: this.metricHasBacklogWithoutCapacity(),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new cwActions.ApplicationScalingAction(fromZero));
    }
    return target;
  }
}
