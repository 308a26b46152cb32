import { Duration, IResource, Names, Resource, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { ComponentEndpoint, IComponentEndpoint } from './component-endpoint';
import { ComponentAutoScalingOptions, ComponentBatchSize, ComponentComputeResources, ComponentDeploymentOptions } from './inference-component-options';
import { componentScaling } from './private/component-scaling';
import { renderComputeResources, validateComponent } from './private/component-validation';
import { rollbackAlarms } from './private/rollback-alarms';
import { ISageMakerModel } from './sagemaker-model';
import { validateIn, validateLength, validatePattern } from '../private/validate';

/**
 * An inference component: one model on the instances of a component endpoint, with its own
 * compute reservation, copies and scaling.
 */
export interface IInferenceComponent extends IResource {
  /**
   * The component's name.
   * @attribute
   */
  readonly inferenceComponentName: string;
  /**
   * The component's ARN.
   * @attribute
   */
  readonly inferenceComponentArn: string;
  /** The endpoint that hosts it. */
  readonly endpoint: IComponentEndpoint;
  /**
   * What a copy reserves: a deployment of another model renders the same.
   *
   * @default - unknown: a deployment to the component is refused
   */
  readonly computeResources?: ComponentComputeResources;
  /**
   * How long SageMaker may take to download a copy's model data.
   *
   * @default - SageMaker's default
   */
  readonly modelDataDownloadTimeout?: Duration;
  /**
   * How long a copy's container may take to pass its first `/ping`.
   *
   * @default - SageMaker's default
   */
  readonly containerStartupHealthCheckTimeout?: Duration;
  /**
   * The rolling update and rollback alarms a deployment uses.
   *
   * @default - SageMaker's default
   */
  readonly deploymentConfig?: sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty;
  /** The alarms that roll an update back (the caller of an update must be allowed to read them). */
  readonly rollbackAlarms: cloudwatch.IAlarm[];

  /** Lets `grantee` invoke the component (`sagemaker:InvokeEndpoint` on the endpoint and the component). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /** A metric of the component in the `AWS/SageMaker` namespace (dimension `InferenceComponentName`). */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** The number of requests (`Invocations`, sum). */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** The time the model took to answer, in microseconds (`ModelLatency`, average). */
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests the model answered with a 5xx (`Invocation5XXErrors`, sum). */
  metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests the model answered with a 4xx (`Invocation4XXErrors`, sum). */
  metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests per copy (`InvocationsPerCopy`, sum), the metric of invocation-based scaling. */
  metricInvocationsPerCopy(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests refused because the component had no copy (`NoCapacityInvocationFailures`, sum). */
  metricNoCapacityInvocationFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * Attributes of an inference component defined elsewhere.
 */
export interface InferenceComponentAttributes {
  /** The component's name. */
  readonly inferenceComponentName: string;
  /** The endpoint that hosts it. */
  readonly endpoint: IComponentEndpoint;
  /**
   * What a copy reserves, which a deployment of another model renders again.
   *
   * @default - unknown: a deployment to the component is refused
   */
  readonly computeResources?: ComponentComputeResources;
  /**
   * Alarms that roll an update back (all copies at once, after 2 minutes).
   *
   * @default - none
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];
}

/**
 * Properties of an InferenceComponent.
 */
export interface InferenceComponentProps {
  /** The endpoint whose instances host the component. */
  readonly endpoint: IComponentEndpoint;
  /** The model served. */
  readonly model: ISageMakerModel;
  /** What one copy reserves on an instance; it must fit the endpoint's instance type. */
  readonly computeResources: ComponentComputeResources;
  /**
   * The component's name (it names the scalable target and the ARN `grantInvoke` scopes).
   *
   * @default - a name unique to this construct, generated at synth
   */
  readonly inferenceComponentName?: string;
  /**
   * The copies the component starts with (0 only with `autoScaling.minCopies: 0`).
   *
   * @default 1
   */
  readonly copyCount?: number;
  /**
   * Autoscaling of the copy count; `minCopies: 0` scales the component to zero.
   *
   * @default - a fixed copy count
   */
  readonly autoScaling?: ComponentAutoScalingOptions;
  /**
   * How a change of the model reaches the copies.
   *
   * @default - rolling, one copy at a time with a 2-minute bake, rolled back on the default alarms
   */
  readonly deployment?: ComponentDeploymentOptions;
  /**
   * How long SageMaker may take to download a copy's model data (60 s to 1 hour).
   *
   * @default - SageMaker's default
   */
  readonly modelDataDownloadTimeout?: Duration;
  /**
   * How long a copy's container may take to pass its first `/ping` (60 s to 1 hour).
   *
   * @default - SageMaker's default
   */
  readonly containerStartupHealthCheckTimeout?: Duration;
}

/** What every component shares: ARN-scoped invoke grants and the component's metrics. */
export abstract class InferenceComponentBase extends Resource implements IInferenceComponent {
  public abstract readonly inferenceComponentName: string;
  public abstract readonly inferenceComponentArn: string;
  public abstract readonly endpoint: IComponentEndpoint;
  public abstract readonly rollbackAlarms: cloudwatch.IAlarm[];
  public readonly computeResources?: ComponentComputeResources;
  public readonly modelDataDownloadTimeout?: Duration;
  public readonly containerStartupHealthCheckTimeout?: Duration;
  public readonly deploymentConfig?: sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty;

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    // InvokeEndpoint with InferenceComponentName authorizes the endpoint (required) and the
    // component (Service Authorization Reference, Amazon SageMaker AI: InvokeEndpoint).
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpoint.endpointArn, this.inferenceComponentArn] });
  }

  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker', metricName, dimensionsMap: { InferenceComponentName: this.inferenceComponentName }, period: Duration.minutes(1), ...props,
    });
  }

  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: 'Sum', ...props });
  }

  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: 'Average', ...props });
  }

  public metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: 'Sum', ...props });
  }

  public metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', { statistic: 'Sum', ...props });
  }

  public metricInvocationsPerCopy(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('InvocationsPerCopy', { statistic: 'Sum', ...props });
  }

  public metricNoCapacityInvocationFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('NoCapacityInvocationFailures', { statistic: 'Sum', ...props });
  }
}

function componentArn(scope: Construct, name: string): string {
  // SageMaker lowercases names in ARNs.
  return Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'inference-component', resourceName: Token.isUnresolved(name) ? name : name.toLowerCase() });
}

/**
 * A model hosted as an inference component of a `ComponentEndpoint`: a compute reservation per
 * copy (accelerators, CPU cores, memory) that must fit the endpoint's instance type, a copy
 * count, autoscaling on the component's own metric, and scale to zero (`autoScaling.minCopies:
 * 0` on an endpoint with `minInstanceCount: 0`, with the step-scaling policy and alarm that bring
 * a copy back on the first request). A change of its model rolls through the copies and rolls
 * back on alarms, from CloudFormation and from a `DeployComponentStage`.
 */
export class InferenceComponent extends InferenceComponentBase {
  /** Imports a component defined elsewhere: its invoke grants and metrics, and deployments to it. */
  public static fromInferenceComponentAttributes(scope: Construct, id: string, attrs: InferenceComponentAttributes): IInferenceComponent {
    class Import extends InferenceComponentBase {
      public readonly inferenceComponentName = attrs.inferenceComponentName;
      public readonly inferenceComponentArn = componentArn(scope, attrs.inferenceComponentName);
      public readonly endpoint = attrs.endpoint;
      public readonly computeResources = attrs.computeResources;
      public readonly rollbackAlarms = attrs.rollbackAlarms ?? [];
      public readonly deploymentConfig = attrs.rollbackAlarms?.length ? {
        rollingUpdatePolicy: { maximumBatchSize: { type: 'CAPACITY_PERCENT', value: 100 }, waitIntervalInSeconds: 120 },
        autoRollbackConfiguration: { alarms: attrs.rollbackAlarms.map(alarm => ({ alarmName: alarm.alarmName })) },
      } : undefined;
    }
    const imported = new Import(scope, id);
    validateIn(imported, () => validateComponentName(attrs.inferenceComponentName));
    return imported;
  }

  public readonly inferenceComponentName: string;
  public readonly inferenceComponentArn: string;
  public readonly endpoint: IComponentEndpoint;
  // Declared as the interface declares them (jsii: an override keeps the type and optionality).
  public readonly computeResources?: ComponentComputeResources;
  public readonly modelDataDownloadTimeout?: Duration;
  public readonly containerStartupHealthCheckTimeout?: Duration;
  public readonly deploymentConfig?: sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty;
  public readonly rollbackAlarms: cloudwatch.IAlarm[];
  /** The model the component was defined with. */
  public readonly model: ISageMakerModel;
  /** The alarm that brings a copy back from zero, when the component scales to zero. */
  public readonly scaleFromZeroAlarm?: cloudwatch.IAlarm;
  private readonly target?: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: InferenceComponentProps) {
    super(scope, id);
    validateIn(this, () => validateComponent(props));
    this.endpoint = props.endpoint;
    this.model = props.model;
    this.computeResources = props.computeResources;
    this.modelDataDownloadTimeout = props.modelDataDownloadTimeout;
    this.containerStartupHealthCheckTimeout = props.containerStartupHealthCheckTimeout;
    this.inferenceComponentName = validateIn(this, () => {
      if (props.inferenceComponentName === undefined) {
        return Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).replace(/[^a-zA-Z0-9-]/g, '').replace(/-+/g, '-').replace(/^-|-$/g, '');
      }
      validateComponentName(props.inferenceComponentName);
      return props.inferenceComponentName;
    });
    this.inferenceComponentArn = componentArn(this, this.inferenceComponentName);

    const deployment = props.deployment ?? {};
    this.rollbackAlarms = deployment.rollbackAlarms ?? this.defaultAlarms(deployment.maxModelLatency ?? Duration.seconds(1));
    const batch = deployment.batchSize ?? ComponentBatchSize.copies(1);
    this.deploymentConfig = {
      rollingUpdatePolicy: {
        maximumBatchSize: { type: batch.type, value: batch.value },
        waitIntervalInSeconds: (deployment.waitInterval ?? Duration.minutes(2)).toSeconds(),
        maximumExecutionTimeoutInSeconds: deployment.maximumExecutionTimeout?.toSeconds(),
        rollbackMaximumBatchSize: deployment.rollbackBatchSize
          ? { type: deployment.rollbackBatchSize.type, value: deployment.rollbackBatchSize.value } : undefined,
      },
      autoRollbackConfiguration: this.rollbackAlarms.length
        ? { alarms: this.rollbackAlarms.map(alarm => ({ alarmName: alarm.alarmName })) } : undefined,
    };

    const resource = new sagemaker.CfnInferenceComponent(this, 'Resource', {
      inferenceComponentName: this.inferenceComponentName,
      endpointName: props.endpoint.endpointName,
      variantName: props.endpoint.variantName,
      specification: {
        modelName: props.model.modelName,
        computeResourceRequirements: renderComputeResources(props.computeResources),
        startupParameters: props.modelDataDownloadTimeout || props.containerStartupHealthCheckTimeout ? {
          modelDataDownloadTimeoutInSeconds: props.modelDataDownloadTimeout?.toSeconds(),
          containerStartupHealthCheckTimeoutInSeconds: props.containerStartupHealthCheckTimeout?.toSeconds(),
        } : undefined,
      },
      runtimeConfig: { copyCount: props.copyCount ?? 1 },
      deploymentConfig: this.deploymentConfig,
    });
    // The endpoint is named, not referenced: wait for it to exist.
    if (props.endpoint instanceof ComponentEndpoint) resource.node.addDependency(props.endpoint);

    if (props.autoScaling) {
      const scaling = componentScaling(this, {
        componentName: this.inferenceComponentName,
        options: props.autoScaling,
        dependsOn: resource,
        noCapacityMetric: this.metricNoCapacityInvocationFailures({ period: Duration.minutes(1) }),
      });
      this.target = scaling.target;
      this.scaleFromZeroAlarm = scaling.scaleFromZeroAlarm;
    }
  }

  /** Whether the component may scale to zero copies. */
  public get scalesToZero(): boolean {
    return this.scaleFromZeroAlarm !== undefined;
  }

  /**
   * The scalable target of the copy count (for policies of your own).
   *
   * @returns the target, or undefined without `autoScaling`
   */
  public get scalableTarget(): appscaling.ScalableTarget | undefined {
    return this.target;
  }

  private defaultAlarms(maxLatency: Duration): cloudwatch.IAlarm[] {
    return rollbackAlarms(this, {
      idPrefix: '',
      description: `inference component ${this.inferenceComponentName}`,
      rollsBack: 'an update',
      guardedUpdate: 'a component update',
      errors: this.metricInvocation5XXErrors(),
      latency: this.metricModelLatency({ statistic: 'p99' }),
    }, maxLatency);
  }
}

function validateComponentName(name: string): void {
  validateLength('inferenceComponentName', name, 1, 63);
  validatePattern('inferenceComponentName', name, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens');
}
