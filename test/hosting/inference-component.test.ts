import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SageMakerInstanceType } from '../../lib/compute/sagemaker-instance-type';
import { ComponentEndpoint, ComponentEndpointProps } from '../../lib/hosting/component-endpoint';
import { InferenceComponent, InferenceComponentProps } from '../../lib/hosting/inference-component';
import { ComponentBatchSize } from '../../lib/hosting/inference-component-options';
import { ModelData } from '../../lib/hosting/model-data';
import { RoutingStrategy } from '../../lib/hosting/realtime-endpoint-options';
import { SageMakerModel } from '../../lib/hosting/sagemaker-model';
import { SageMakerImage } from '../../lib/images/sagemaker-image';
import { iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(IMAGE_DIR, 'sample', 'model.tar.gz');

function setup(endpointProps: Partial<ComponentEndpointProps> = {}): { stack: Stack; model: SageMakerModel; endpoint: ComponentEndpoint } {
  const stack = testStack();
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = new ComponentEndpoint(stack, 'Endpoint', { instanceType: SageMakerInstanceType.ML_G5_XLARGE, ...endpointProps });
  return { stack, model, endpoint };
}

function component(endpointProps: Partial<ComponentEndpointProps>, props: Partial<InferenceComponentProps>) {
  const { stack, model, endpoint } = setup(endpointProps);
  const ic = new InferenceComponent(stack, 'Component', {
    endpoint, model, computeResources: { minMemory: Size.gibibytes(4), acceleratorDevices: 1 }, ...props,
  });
  return { stack, ic, endpoint, model };
}

describe('ComponentEndpoint', () => {
  test('GIVEN an instance type WHEN defined THEN its variant has no model, managed instance scaling and the endpoint role', () => {
    const { stack } = setup({ minInstanceCount: 0, maxInstanceCount: 3, routingStrategy: RoutingStrategy.LEAST_OUTSTANDING_REQUESTS });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ExecutionRoleArn: Match.anyValue(),
      ProductionVariants: [{
        VariantName: 'AllTraffic',
        InstanceType: 'ml.g5.xlarge',
        InitialInstanceCount: 1,
        ModelName: Match.absent(),
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 3 },
        RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
      }],
      // ml.g5 has only NVMe instance storage: SageMaker refuses a volume key.
      KmsKeyId: Match.absent(),
    });
    t.resourceCountIs('AWS::SageMaker::Endpoint', 1);
  });

  test('GIVEN a CPU instance type THEN its volumes get a key with rotation', () => {
    const { stack } = setup({ instanceType: SageMakerInstanceType.ML_M5_LARGE });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.anyValue() });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test.each([
    [{ minInstanceCount: 3, maxInstanceCount: 2 }, /minInstanceCount must be at most maxInstanceCount \(2\), got 3/],
    [{ initialInstanceCount: 0 }, /initialInstanceCount must be an integer between 1 and 1000, got 0/],
    [{ minInstanceCount: -1 }, /minInstanceCount must be an integer between 0 and 1000, got -1/],
    [{ initialInstanceCount: 2, maxInstanceCount: 1 }, /initialInstanceCount must be at most maxInstanceCount \(1\), got 2/],
    [{ variantName: 'bad_name' }, /variantName must be letters, digits and single hyphens/],
  ])('refuses %j naming the prop', (props, error) => {
    expect(() => setup(props as Partial<ComponentEndpointProps>)).toThrow(error);
  });
});

describe('InferenceComponent', () => {
  test('GIVEN a reservation WHEN defined THEN the component names its model, reservation, copies and rolling deployment', () => {
    const { stack } = component({}, { copyCount: 2, modelDataDownloadTimeout: Duration.minutes(10) });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      VariantName: 'AllTraffic',
      Specification: {
        ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Model'), 'ModelName'] },
        ComputeResourceRequirements: { MinMemoryRequiredInMb: 4096, NumberOfAcceleratorDevicesRequired: 1 },
        StartupParameters: { ModelDataDownloadTimeoutInSeconds: 600 },
      },
      RuntimeConfig: { CopyCount: 2 },
      DeploymentConfig: {
        RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 1 }, WaitIntervalInSeconds: 120 },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: Match.anyValue() }, { AlarmName: Match.anyValue() }] },
      },
    });
    // The component waits for the endpoint it names.
    const [ic] = Object.values<any>(t.findResources('AWS::SageMaker::InferenceComponent'));
    expect(ic.DependsOn.some((d: string) => d.startsWith('Endpoint'))).toBe(true);
  });

  test('GIVEN autoScaling on invocations THEN a target on DesiredCopyCount tracks InvocationsPerCopy with the service-linked role', () => {
    const { stack } = component({}, { autoScaling: { minCopies: 1, maxCopies: 4, targetInvocationsPerCopy: 10 } });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ResourceId: Match.stringLikeRegexp('^inference-component/'),
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      MinCapacity: 1,
      MaxCapacity: 4,
      RoleARN: Match.absent(),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentInvocationsPerCopy' }, TargetValue: 10 },
    });
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
  });

  test('GIVEN scale to zero THEN step scaling on a NoCapacityInvocationFailures alarm brings a copy back', () => {
    const { stack, ic } = component({ minInstanceCount: 0 }, { autoScaling: { minCopies: 0, maxCopies: 2, targetConcurrentRequestsPerCopy: 4 } });
    expect(ic.scalesToZero).toBe(true);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 2 });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution' } },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        MetricAggregationType: 'Maximum',
        Cooldown: 60,
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'NoCapacityInvocationFailures',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'InferenceComponentName', Value: ic.inferenceComponentName }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('ScaleFromZero') }],
    });
  });

  test('GIVEN a grantee THEN grantInvoke allows InvokeEndpoint on the endpoint and the component only', () => {
    const { stack, ic } = component({}, {});
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    ic.grantInvoke(role);
    const statements = Object.values<any>(iamPolicies(stack)).flatMap(p => p.Properties.PolicyDocument.Statement)
      .filter(s => s.Action === 'sagemaker:InvokeEndpoint');
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(stack.resolve(statements[0].Resource))).toContain(`inference-component/${ic.inferenceComponentName.toLowerCase()}`);
    expect(statements[0].Resource).toHaveLength(2);
  });

  test('metrics name the component', () => {
    const { ic } = component({}, {});
    const m = ic.metricInvocations();
    expect(m.namespace).toBe('AWS/SageMaker');
    expect(m.dimensions).toEqual({ InferenceComponentName: ic.inferenceComponentName });
    expect(ic.metricModelLatency().statistic).toBe('Average');
    expect(ic.metricNoCapacityInvocationFailures().metricName).toBe('NoCapacityInvocationFailures');
  });

  test('GIVEN own rollback alarms and a batch size THEN the deployment config carries them', () => {
    const { stack } = setup();
    const alarm = cloudwatch.Alarm.fromAlarmName(stack, 'Mine', 'my-alarm');
    new InferenceComponent(stack, 'C', {
      endpoint: new ComponentEndpoint(stack, 'E2', { instanceType: SageMakerInstanceType.ML_M5_LARGE }),
      model: SageMakerModel.fromModelName(stack, 'M', 'existing'),
      computeResources: { minMemory: Size.mebibytes(1024), cpuCores: 1 },
      deployment: {
        rollbackAlarms: [alarm],
        batchSize: ComponentBatchSize.percent(50),
        maximumExecutionTimeout: Duration.minutes(30),
        rollbackBatchSize: ComponentBatchSize.copies(2),
      },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      DeploymentConfig: {
        RollingUpdatePolicy: { MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 50 }, MaximumExecutionTimeoutInSeconds: 1800, RollbackMaximumBatchSize: { Type: 'COPY_COUNT', Value: 2 } },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'my-alarm' }] },
      },
    });
  });

  test('GIVEN a reference stack shape THEN AwsSolutions has no unacknowledged finding', () => {
    const { stack } = component({ minInstanceCount: 0 }, { autoScaling: { minCopies: 0, maxCopies: 2, targetInvocationsPerCopy: 5 } });
    expect(nagFindings(stack)).toEqual([]);
  });

  test.each<[string, Partial<ComponentEndpointProps>, Partial<InferenceComponentProps>, RegExp]>([
    ['more GPUs than the instance', {}, { computeResources: { minMemory: Size.gibibytes(4), acceleratorDevices: 2 } },
      /computeResources.acceleratorDevices must fit the endpoint's instance type ml.g5.xlarge, which has 1 accelerator device\(s\), got 2/],
    ['a GPU on a CPU instance', { instanceType: SageMakerInstanceType.ML_M5_LARGE }, { computeResources: { minMemory: Size.gibibytes(1), acceleratorDevices: 1 } },
      /computeResources.acceleratorDevices must fit the endpoint's instance type ml.m5.large, which has 0/],
    ['more memory than the instance', {}, { computeResources: { minMemory: Size.gibibytes(32) } },
      /computeResources.minMemory must fit the endpoint's instance type ml.g5.xlarge, which has 16 GiB \(16384 MiB\), got 32768 MiB/],
    ['more CPU cores than the instance', {}, { computeResources: { minMemory: Size.gibibytes(1), cpuCores: 8 } },
      /computeResources.cpuCores must fit the endpoint's instance type ml.g5.xlarge, which has 4 vCPUs, got 8/],
    ['too little memory', {}, { computeResources: { minMemory: Size.mebibytes(64) } }, /computeResources.minMemory \(MiB\) must be an integer between 128/],
    ['maxMemory below minMemory', {}, { computeResources: { minMemory: Size.gibibytes(2), maxMemory: Size.gibibytes(1) } }, /computeResources.maxMemory must be at least minMemory/],
    ['minCopies above maxCopies', {}, { autoScaling: { minCopies: 3, maxCopies: 2, targetInvocationsPerCopy: 1 } }, /autoScaling.minCopies must be at most maxCopies \(2\), got 3/],
    ['a copy count outside the scaling range', {}, { copyCount: 5, autoScaling: { minCopies: 1, maxCopies: 2, targetInvocationsPerCopy: 1 } }, /copyCount must be between autoScaling.minCopies and maxCopies/],
    ['no scaling target', {}, { autoScaling: { minCopies: 1, maxCopies: 2 } }, /autoScaling must set exactly one of targetInvocationsPerCopy and targetConcurrentRequestsPerCopy, got neither/],
    ['two scaling targets', {}, { autoScaling: { minCopies: 1, maxCopies: 2, targetInvocationsPerCopy: 1, targetConcurrentRequestsPerCopy: 1 } }, /got both/],
    ['scale to zero on an endpoint that keeps an instance', {}, { autoScaling: { minCopies: 0, maxCopies: 2, targetInvocationsPerCopy: 1 } },
      /autoScaling.minCopies 0 \(scale to zero\) needs an endpoint that can reach zero instances.*minInstanceCount 1/],
    ['no copy and no scaling', {}, { copyCount: 0 }, /copyCount must be at least 1 without autoScaling/],
    ['a negative copy count', {}, { copyCount: -1 }, /copyCount must be an integer between 0 and 1000, got -1/],
    ['a bad name', {}, { inferenceComponentName: 'bad_name' }, /inferenceComponentName must be letters, digits and single hyphens/],
    ['a short wait', {}, { deployment: { maximumExecutionTimeout: Duration.minutes(5) } }, /deployment.maximumExecutionTimeout must be a whole number of seconds between 600 and 28800/],
    ['a short download timeout', {}, { modelDataDownloadTimeout: Duration.seconds(30) }, /modelDataDownloadTimeout must be a whole number of seconds between 60 and 3600/],
  ])('refuses %s naming the prop', (_what, endpointProps, props, error) => {
    expect(() => component(endpointProps, props)).toThrow(error);
  });

  test('an instance type the table does not list is not refused on resources', () => {
    expect(() => component({ instanceType: SageMakerInstanceType.of('ml.g6e.xlarge') }, { computeResources: { minMemory: Size.gibibytes(200), acceleratorDevices: 4 } })).not.toThrow();
  });

  test('GIVEN an import THEN grants and deployments use its name and reservation', () => {
    const stack = testStack();
    const endpoint = ComponentEndpoint.fromComponentEndpointAttributes(stack, 'E', { endpointName: 'shared', instanceType: SageMakerInstanceType.ML_G5_2XLARGE });
    const ic = InferenceComponent.fromInferenceComponentAttributes(stack, 'C', {
      inferenceComponentName: 'Chat', endpoint, computeResources: { minMemory: Size.gibibytes(8), acceleratorDevices: 1 },
    });
    expect(ic.inferenceComponentArn).toContain('inference-component/chat');
    expect(ic.endpoint.minInstanceCount).toBe(1);
    expect(() => InferenceComponent.fromInferenceComponentAttributes(stack, 'Bad', { inferenceComponentName: 'a_b', endpoint })).toThrow(/inferenceComponentName must be/);
  });
});
