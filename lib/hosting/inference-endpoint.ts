import { Duration, IResource, Resource } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';

/**
 * A SageMaker endpoint in any hosting mode. It is an aws-cdk-lib `aws_sagemaker.IEndpoint`, so
 * it goes wherever one is taken (e.g. `apigateway.SagemakerIntegration`).
 */
export interface IInferenceEndpoint extends IResource, sagemaker.IEndpoint {
  // endpointName, endpointArn and grantInvoke come from sagemaker.IEndpoint (jsii refuses to
  // re-declare them: C# cannot express it). grantInvoke also grants `InvokeEndpointAsync` on
  // asynchronous endpoints.

  /** A metric of the endpoint's (first) variant in the `AWS/SageMaker` namespace. */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** The number of requests (`Invocations`, sum). */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** The time the model took to answer, in microseconds (`ModelLatency`, average). */
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Requests the model answered with a 5xx (`Invocation5XXErrors`, sum). */
  metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Requests the model answered with a 4xx (`Invocation4XXErrors`, sum). */
  metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * A metric of the instances of the endpoint's (first) variant, in the `/aws/sagemaker/Endpoints`
   * namespace (instance-based endpoints).
   */
  metricInstance(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** CPU use of the instances, in percent of one core times the cores (`CPUUtilization`, average). */
  metricCPUUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Memory use of the instances, in percent (`MemoryUtilization`, average). */
  metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** GPU use of the instances, in percent of one GPU times the GPUs (`GPUUtilization`, average). */
  metricGPUUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** GPU memory use of the instances, in percent (`GPUMemoryUtilization`, average). */
  metricGPUMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Disk use of the instances, in percent (`DiskUtilization`, average). */
  metricDiskUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * What all endpoints share: metrics, invoke grants.
 */
export abstract class InferenceEndpointBase extends Resource implements IInferenceEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly endpointArn: string;
  /** The variant that metrics describe by default. */
  protected abstract readonly defaultVariantName: string;
  /** The invoke actions this kind of endpoint accepts. */
  protected readonly invokeActions: string[] = ['sagemaker:InvokeEndpoint'];

  public get endpointRef(): sagemaker.EndpointReference {
    return { endpointArn: this.endpointArn };
  }

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: this.invokeActions, resourceArns: [this.endpointArn] });
  }

  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.defaultVariantName },
      period: Duration.minutes(1),
      ...props,
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

  public metricInstance(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: '/aws/sagemaker/Endpoints',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.defaultVariantName },
      period: Duration.minutes(1),
      statistic: 'Average',
      ...props,
    });
  }

  public metricCPUUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricInstance('CPUUtilization', props);
  }

  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricInstance('MemoryUtilization', props);
  }

  public metricGPUUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricInstance('GPUUtilization', props);
  }

  public metricGPUMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricInstance('GPUMemoryUtilization', props);
  }

  public metricDiskUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricInstance('DiskUtilization', props);
  }
}
