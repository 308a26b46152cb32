import * as path from 'path';
import { CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  AsyncEndpoint, AsyncEndpointProps, JobS3Location, MlDataStore, ModelData, ProductionVariantOptions, RealtimeEndpoint, RealtimeEndpointProps,
  SageMakerImage, SageMakerInstanceType, SageMakerModel, ServerlessEndpoint, ServerlessEndpointProps, TrafficRouting,
} from '../../lib';
import { createEndpointRequest, runtimeConfigRequest, updateEndpointRequest } from '../../lib/hosting/private/deployment';
import { iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(IMAGE_DIR, 'sample', 'model.tar.gz');

function setup(): { stack: Stack; store: MlDataStore; model: SageMakerModel } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  return { stack, store, model };
}

function policyStatements(stack: Stack, rolePrefix: string): any[] {
  return Object.values<any>(iamPolicies(stack))
    .filter(p => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('SageMakerModel', () => {
  test('defines a model with its image, data and a least-privilege role that it waits for', () => {
    const { stack } = setup();
    const t = Template.fromStack(stack);
    const [id, model] = Object.entries<any>(t.findResources('AWS::SageMaker::Model'))[0];
    expect(model.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ModelRole/), 'Arn'] });
    // The asset keeps the archive's last extension; SageMaker reads it as a gzipped tar whatever its name.
    expect(model.Properties.PrimaryContainer.ModelDataUrl).toMatch(/^s3:\/\/cdk-hnb659fds-assets-123456789012-us-east-1\/[a-f0-9]{64}\.gz$/);
    // One managed policy per execution role (the container statements first, then the grants).
    expect(model.DependsOn).toEqual([expect.stringMatching(/^ModelRoleGrantsPolicy/)]);
    expect(id).toMatch(/^Model/);
    expect(policyStatements(stack, 'ModelRole')).toContainEqual(expect.objectContaining({ Action: 's3:GetObject', Resource: expect.not.stringContaining('*') }));
  });

  test('reads model data from a bucket key, exactly that object', () => {
    const { stack, store } = setup();
    new SageMakerModel(stack, 'Trained', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromBucket(store.artifactsBucket, 'models/train-1/output/model.tar.gz') });
    expect(policyStatements(stack, 'TrainedRole')).toContainEqual({
      Action: 's3:GetObject',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreArtifactsBucket/), 'Arn'] }, '/models/train-1/output/model.tar.gz']] },
    });
  });

  test.each([
    [() => ModelData.fromAsset('model.zip'), /ModelData.fromAsset needs a '.tar.gz' archive, got 'model.zip'/],
    [() => ModelData.fromBucket(setup().store.artifactsBucket, '/models/model.tar.gz'), /key must be an object key of a '.tar.gz' archive, without a leading '\/', got '\/models\/model.tar.gz'/],
    [() => new SageMakerModel(testStack(), 'M', { image: SageMakerImage.fromAsset(IMAGE_DIR), environment: { 'A-B': '1' } }), /environment key must be a variable name/],
  ])('rejects bad input %#', (make, error) => {
    expect(make).toThrow(error);
  });
});

describe('RealtimeEndpoint', () => {
  test('renders variants with weights, a fixed endpoint name and a generated config name', () => {
    const { stack, model } = setup();
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
      endpointName: 'pricing',
      variants: [
        {
          model,
          variantName: 'Blue',
          instanceType: SageMakerInstanceType.ML_C5_XLARGE,
          initialInstanceCount: 2,
          initialVariantWeight: 3,
          volumeSize: Size.gibibytes(20),
          modelDataDownloadTimeout: Duration.minutes(10),
          containerStartupHealthCheckTimeout: Duration.minutes(5),
        },
        { model, variantName: 'Green', initialVariantWeight: 1 },
      ],
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      EndpointConfigName: Match.absent(),
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointKey'), 'Arn'] },
      ProductionVariants: [
        {
          VariantName: 'Blue',
          ModelName: Match.anyValue(),
          InstanceType: 'ml.c5.xlarge',
          InitialInstanceCount: 2,
          InitialVariantWeight: 3,
          VolumeSizeInGB: 20,
          ModelDataDownloadTimeoutInSeconds: 600,
          ContainerStartupHealthCheckTimeoutInSeconds: 300,
        },
        { VariantName: 'Green', ModelName: Match.anyValue(), InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
      ],
    });
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'pricing' });
    expect(endpoint.endpointArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:endpoint/pricing');
    expect(endpoint.variantNames).toEqual(['Blue', 'Green']);
  });

  test('blue/green updates roll back on default 5xx and latency alarms of every variant', () => {
    const { stack, model } = setup();
    new RealtimeEndpoint(stack, 'Endpoint', {
      variants: [{ model }, { model }],
      deployment: {
        trafficRouting: TrafficRouting.linear(25, Duration.minutes(2)),
        terminationWait: Duration.minutes(10),
        maximumExecutionTimeout: Duration.hours(1),
        maxModelLatency: Duration.millis(250),
      },
    });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', ExtendedStatistic: 'p99', Threshold: 250000, Dimensions: Match.arrayWith([{ Name: 'VariantName', Value: 'Variant2' }]) });
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 120, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 } },
          TerminationWaitInSeconds: 600,
          MaximumExecutionTimeoutInSeconds: 3600,
        },
        AutoRollbackConfiguration: { Alarms: Match.arrayWith([{ AlarmName: { Ref: Match.stringLikeRegexp('^EndpointVariant2Latency') } }]) },
      },
    });
  });

  test('uses the rollback alarms it is given instead', () => {
    const { stack, model } = setup();
    const alarm = new cloudwatch.Alarm(stack, 'Mine', { metric: new cloudwatch.Metric({ namespace: 'X', metricName: 'Y' }), threshold: 1, evaluationPeriods: 1 });
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model }], deployment: { rollbackAlarms: [alarm], trafficRouting: TrafficRouting.allAtOnce() } });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { DeploymentConfig: { AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: Match.stringLikeRegexp('^Mine') } }] } } });
  });

  test('autoscales on invocations per instance with the service-linked role', () => {
    const { stack, model } = setup();
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { endpointName: 'pricing', variants: [{ model, autoScaling: { minCapacity: 2, maxCapacity: 6, targetInvocationsPerInstance: 70 } }] });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/pricing/variant/AllTraffic',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 2,
      MaxCapacity: 6,
      RoleARN: Match.absent(),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' }, TargetValue: 70, ScaleInCooldown: 300, ScaleOutCooldown: 60 },
    });
    expect(endpoint.scalableTarget('AllTraffic')).toBeDefined();
  });

  test('captures data to a prefix the model role may write, encrypted with the bucket key', () => {
    const { stack, store, model } = setup();
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model }], dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture'), samplingPercentage: 30, captureResponse: false } });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 30,
        CaptureOptions: [{ CaptureMode: 'Input' }],
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^StoreArtifactsBucket') }, '/capture/']] },
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
      },
    });
    expect(JSON.stringify(policyStatements(stack, 'ModelRole'))).toContain('/capture/*');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('defines no volume key for NVMe-only instance types', () => {
    const { stack, model } = setup();
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model, instanceType: SageMakerInstanceType.ML_G5_XLARGE }] });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
  });

  test('grants invoke and exposes metrics per variant', () => {
    const { stack, model } = setup();
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { endpointName: 'pricing', variants: [{ model }] });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    endpoint.grantInvoke(caller);
    expect(policyStatements(stack, 'Caller')).toEqual([{ Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/pricing' }]);
    expect(stack.resolve(endpoint.metricModelLatency().dimensions)).toEqual({ EndpointName: 'pricing', VariantName: 'AllTraffic' });
    expect(endpoint.metricInvocation5XXErrors().metricName).toBe('Invocation5XXErrors');
    const imported = RealtimeEndpoint.fromEndpointName(stack, 'Imported', 'Other-Endpoint');
    expect(imported.endpointArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:endpoint/other-endpoint');
  });

  describe('rejects bad input', () => {
    const cases: Array<[string, (m: SageMakerModel, s: Stack) => RealtimeEndpointProps, RegExp]> = [
      ['no variants', () => ({ variants: [] }), /variants must have at least one production variant, got none/],
      ['weight 0', m => ({ variants: [{ model: m, initialVariantWeight: 0 }] }), /variants\[0\].initialVariantWeight must be/],
      ['count 0', m => ({ variants: [{ model: m, initialInstanceCount: 0 }] }), /variants\[0\].initialInstanceCount must be an integer between 1 and 1000, got 0/],
      ['min above max', m => ({ variants: [{ model: m, autoScaling: { minCapacity: 5, maxCapacity: 2, targetInvocationsPerInstance: 10 } }] }),
        /variants\[0\].autoScaling.minCapacity must be at most maxCapacity \(2\), got 5/],
      ['burstable autoscaling', m => ({ variants: [{ model: m, instanceType: SageMakerInstanceType.of('ml.t2.medium'), autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 10 } }] }),
        /variants\[0\].autoScaling cannot scale burstable instance type 'ml.t2.medium'/],
      ['duplicate variant names', m => ({ variants: [{ model: m, variantName: 'A' }, { model: m, variantName: 'A' }] }), /variants\[\].variantName must be unique, got 'A' more than once/],
      ['EC2 instance type', m => ({ variants: [{ model: m, instanceType: { name: 'c5.large' } as SageMakerInstanceType }] }), /variants\[0\].instanceType must be a SageMaker instance type/],
      ['a key on an NVMe-only instance', (m, s) => ({ variants: [{ model: m, instanceType: SageMakerInstanceType.ML_P4D_24XLARGE }], encryptionKey: new kms.Key(s, 'K') }),
        /encryptionKey cannot be used with instance types whose only storage is local NVMe \(ml.p4d.24xlarge\)/],
      ['a canary over 50%', m => ({ variants: [{ model: m }], deployment: { trafficRouting: TrafficRouting.canary(51) } }),
        /canary percent must be an integer between 1 and 50, got 51/],
      ['a linear step under 10%', m => ({ variants: [{ model: m }], deployment: { trafficRouting: TrafficRouting.linear(5) } }),
        /linear percent must be an integer between 10 and 50, got 5/],
      ['a linear step over 50%', m => ({ variants: [{ model: m }], deployment: { trafficRouting: TrafficRouting.linear(60) } }),
        /linear percent must be an integer between 10 and 50, got 60/],
      ['a timeout over 8 hours', m => ({ variants: [{ model: m }], deployment: { maximumExecutionTimeout: Duration.hours(9) } }),
        /Test\/Endpoint: deployment.maximumExecutionTimeout must be a whole number of seconds between 600 and 28800 \(8 hours\), got 9 hours/],
      ['a timeout within the waits', m => ({ variants: [{ model: m }], deployment: { trafficRouting: TrafficRouting.linear(20, Duration.minutes(10)), maximumExecutionTimeout: Duration.minutes(50) } }),
        /Test\/Endpoint: deployment.maximumExecutionTimeout must be longer than the deployment's waits \(5 x 600s of traffic routing \+ 300s termination wait = 3300s\), got 3000s/],
      ['an uppercase run-time config prefix', m => ({ variants: [{ model: m }], runtimeConfigNamePrefix: 'Pricing' }),
        /Test\/Endpoint: runtimeConfigNamePrefix must be lowercase letters, digits and single hyphens, got 'Pricing'/],
      ['a run-time config prefix over 26 characters', m => ({ variants: [{ model: m }], runtimeConfigNamePrefix: 'a'.repeat(27) }),
        /runtimeConfigNamePrefix must be between 1 and 26 characters long, got 27 characters/],
      ['a token instance type with autoscaling', (m, s) => ({
        variants: [{ model: m, instanceType: SageMakerInstanceType.of(new CfnParameter(s, 'Type').valueAsString), autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 10 } }],
      }), /Test\/Endpoint: variants\[0\].instanceType must be a literal when autoScaling is set, got a token: SageMaker refuses an update that changes the instance type of an autoscaled variant/],
      ['sampling over 100%', (m, s) => ({ variants: [{ model: m }], dataCapture: { destination: JobS3Location.inBucket(new MlDataStore(s, 'S2').artifactsBucket, 'c'), samplingPercentage: 150 } }),
        /dataCapture.samplingPercentage must be a number between 0 and 100, got 150/],
      ['capture of nothing', (m, s) => ({ variants: [{ model: m }], dataCapture: { destination: JobS3Location.inBucket(new MlDataStore(s, 'S2').artifactsBucket, 'c'), captureRequest: false, captureResponse: false } }),
        /dataCapture must capture requests, responses or both/],
      ['a bad endpoint name', m => ({ endpointName: 'my_endpoint', variants: [{ model: m }] }), /endpointName must be letters, digits and single hyphens, got 'my_endpoint'/],
      ['a download timeout under a minute', m => ({ variants: [{ model: m, modelDataDownloadTimeout: Duration.seconds(30) }] }),
        /variants\[0\].modelDataDownloadTimeout must be a whole number of seconds between 60 and 3600/],
    ];
    test.each(cases)('%s', (_name, make, error) => {
      const { stack, model } = setup();
      expect(() => new RealtimeEndpoint(stack, 'Endpoint', make(model, stack))).toThrow(error);
    });
  });
});

describe('RealtimeEndpoint updates and run-time deployments', () => {
  function deployable(stack: Stack, model: SageMakerModel, store: MlDataStore, extra: Partial<RealtimeEndpointProps> = {}): RealtimeEndpoint {
    return new RealtimeEndpoint(stack, 'Endpoint', {
      endpointName: 'pricing',
      variants: [
        {
          model,
          variantName: 'Blue',
          instanceType: SageMakerInstanceType.ML_C5_XLARGE,
          initialInstanceCount: 2,
          initialVariantWeight: 3,
          volumeSize: Size.gibibytes(20),
          modelDataDownloadTimeout: Duration.minutes(10),
          containerStartupHealthCheckTimeout: Duration.minutes(5),
          autoScaling: { minCapacity: 2, maxCapacity: 6, targetInvocationsPerInstance: 70 },
        },
        { model, variantName: 'Green', autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 70 } },
      ],
      dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture'), samplingPercentage: 30 },
      deployment: {
        trafficRouting: TrafficRouting.canary(50, Duration.minutes(3)),
        terminationWait: Duration.minutes(2),
        maximumExecutionTimeout: Duration.hours(8),
      },
      ...extra,
    });
  }

  test('the CloudFormation endpoint keeps autoscaled instance counts and applies the weights of the code', () => {
    const { stack, store, model } = setup();
    deployable(stack, model, store);
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Endpoint', {
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
      DeploymentConfig: Match.objectLike({
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 180, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 } },
          TerminationWaitInSeconds: 120,
          MaximumExecutionTimeoutInSeconds: 28800,
        },
      }),
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('realtime-endpoint-mixed-scaling'))).toEqual([]);
  });

  test('without autoscaling the code decides instance counts too', () => {
    const { stack, model } = setup();
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model, initialInstanceCount: 3 }] });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Endpoint', {
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }, { VariantPropertyType: 'DesiredInstanceCount' }],
    });
  });

  test('warns that fixed variants beside autoscaled ones keep their counts on update', () => {
    const { stack, model } = setup();
    new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model, autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 9 } }, { model, variantName: 'Fixed' }] });
    Annotations.fromStack(stack).hasWarning('/Test/Endpoint', Match.stringLikeRegexp('variants Fixed have no autoScaling but share the endpoint with autoscaled variants'));
  });

  test('a run-time configuration has the same variants, key and data capture as the endpoint, for another model', () => {
    const { stack, store, model } = setup();
    const endpoint = deployable(stack, model, store);
    const request = stack.resolve(sfn.FieldUtils.renderObject(runtimeConfigRequest(stack, endpoint, {
      endpointConfigName: sfn.JsonPath.format(`${endpoint.runtimeConfigNamePrefix}-{}`, sfn.JsonPath.uuid()),
      modelName: sfn.JsonPath.stringAt('$.results.model.ModelName'),
      modelRole: model,
    })));
    const config = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::EndpointConfig'))[0].Properties;
    const withoutModel = (variants: any[]) => variants.map(({ 'ModelName': _m, 'ModelName.$': _p, ...rest }) => rest);
    expect(withoutModel(request.ProductionVariants)).toEqual(withoutModel(config.ProductionVariants));
    expect(request.ProductionVariants.map((v: any) => v['ModelName.$'])).toEqual(['$.results.model.ModelName', '$.results.model.ModelName']);
    expect(request.ProductionVariants[0]).toEqual(expect.objectContaining({ InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2, InitialVariantWeight: 3, VolumeSizeInGB: 20 }));
    expect(request.KmsKeyId).toEqual(config.KmsKeyId);
    expect(request.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EndpointKey/), 'Arn'] });
    expect(request.DataCaptureConfig).toEqual(config.DataCaptureConfig);
    expect(request.DataCaptureConfig).toEqual(expect.objectContaining({ EnableCapture: true, InitialSamplingPercentage: 30 }));
    expect(request['EndpointConfigName.$']).toBe(`States.Format('${endpoint.runtimeConfigNamePrefix}-{}', States.UUID())`);
  });

  test('a run-time configuration can replace the model of one variant only', () => {
    const { stack, store, model } = setup();
    const endpoint = deployable(stack, model, store);
    const request = stack.resolve(runtimeConfigRequest(stack, endpoint, { endpointConfigName: `${endpoint.runtimeConfigNamePrefix}-1`, modelName: 'candidate', variantName: 'Green', modelRole: model }));
    expect(request.ProductionVariants.map((v: any) => v.ModelName)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^Model/), 'ModelName'] }, 'candidate']);
    expect(request.Tags).toBeUndefined();
  });

  test('no key and no capture where the endpoint has none', () => {
    const { stack, model } = setup();
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { variants: [{ model, instanceType: SageMakerInstanceType.ML_G5_XLARGE }] });
    const request = runtimeConfigRequest(stack, endpoint, { endpointConfigName: '$.name', modelName: 'm' });
    expect(Object.keys(request).sort()).toEqual(['EndpointConfigName', 'ProductionVariants']);
  });

  test('the run-time update uses the endpoint\'s deployment config and alarms, keeping autoscaled counts', () => {
    const { stack, store, model } = setup();
    const endpoint = deployable(stack, model, store);
    const update = stack.resolve(updateEndpointRequest(endpoint, 'pricing-config-1'));
    const cfn = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::Endpoint'))[0].Properties;
    expect(update).toEqual({
      EndpointName: 'pricing',
      EndpointConfigName: 'pricing-config-1',
      DeploymentConfig: cfn.DeploymentConfig,
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
    });
    expect(update.DeploymentConfig.AutoRollbackConfiguration.Alarms).toHaveLength(4);
    expect(stack.resolve(createEndpointRequest(endpoint, 'pricing-config-1'))).toEqual({ EndpointName: 'pricing', EndpointConfigName: 'pricing-config-1', DeploymentConfig: cfn.DeploymentConfig });
  });

  test('grantDeploy allows exactly what a deployment through the endpoint needs', () => {
    const { stack, store, model } = setup();
    const endpoint = deployable(stack, model, store, { runtimeConfigNamePrefix: 'pricing-runtime' });
    const deployer = new iam.Role(stack, 'Deployer', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    endpoint.grantDeploy(deployer);
    const statements = stack.resolve(policyStatements(stack, 'Deployer'));
    const configs = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/pricing-runtime-*';
    const alarms = stack.resolve(endpoint.rollbackAlarms.map(a => a.alarmArn));
    const keyArn = { 'Fn::GetAtt': [expect.stringMatching(/^EndpointKey/), 'Arn'] };
    expect(statements).toEqual([
      { Action: ['sagemaker:AddTags', 'sagemaker:CreateEndpointConfig', 'sagemaker:ListTags'], Effect: 'Allow', Resource: configs },
      {
        Action: ['sagemaker:CreateEndpoint', 'sagemaker:DescribeEndpoint', 'sagemaker:ListTags', 'sagemaker:UpdateEndpoint'],
        Effect: 'Allow',
        // CloudFormation's own configuration too (by its Ref, the ARN): a rollback may move the endpoint back to it.
        Resource: [configs, 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/pricing', { Ref: expect.stringMatching(/^EndpointConfig/) }],
      },
      { Action: 'kms:DescribeKey', Effect: 'Allow', Resource: keyArn },
      { Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } }, Effect: 'Allow', Resource: keyArn },
      { Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: alarms },
    ]);
    expect(alarms).toHaveLength(4);
    // The prefix wildcard is acknowledged on the deployer's policy; only the test role's inline policy is left to its author.
    expect(nagFindings(stack).filter(f => !f.includes('IAMNoInlinePolicy'))).toEqual([]);
  });

  test('a model deployed at run time may write the data capture', () => {
    const { stack, store, model } = setup();
    const endpoint = deployable(stack, model, store);
    const other = new iam.Role(stack, 'CandidateRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    runtimeConfigRequest(stack, endpoint, { endpointConfigName: 'c', modelName: 'm', modelRole: other });
    expect(JSON.stringify(policyStatements(stack, 'CandidateRole'))).toContain('/capture/*');
  });

  test('default run-time config prefixes are lowercase, fit SageMaker\'s names and differ per endpoint', () => {
    const { stack, model } = setup();
    const a = new RealtimeEndpoint(stack, 'ScoringEndpointForTheTeamWithALongName', { variants: [{ model }] });
    const b = new RealtimeEndpoint(stack, 'ScoringEndpointForTheTeamWithALongName2', { variants: [{ model }] });
    for (const prefix of [a.runtimeConfigNamePrefix, b.runtimeConfigNamePrefix]) {
      expect(prefix).toMatch(/^[a-z0-9](-*[a-z0-9])*$/);
      expect(`${prefix}-${'x'.repeat(36)}`.length).toBeLessThanOrEqual(63);
    }
    expect(a.runtimeConfigNamePrefix).not.toEqual(b.runtimeConfigNamePrefix);
  });

  test.each<[string, (e: RealtimeEndpoint) => unknown, RegExp]>([
    ['an unknown variant', e => runtimeConfigRequest(e, e, { endpointConfigName: 'n', modelName: 'm', variantName: 'Red', modelRole: new iam.Role(e, 'R', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }) }),
      /variantName must be one of Blue, Green, got 'Red' \(the variants of endpoint 'Test\/Endpoint'\)/],
    ['no model role where the endpoint captures data', e => runtimeConfigRequest(e, e, { endpointConfigName: 'n', modelName: 'm' }),
      /modelRole is required: endpoint 'Test\/Endpoint' captures data/],
  ])('refuses a run-time configuration with %s', (_name, use, error) => {
    const { stack, store, model } = setup();
    expect(() => use(deployable(stack, model, store, { runtimeConfigNamePrefix: 'pricing-rt' }))).toThrow(error);
  });
});

describe('ServerlessEndpoint', () => {
  test('renders a serverless variant with no instance type, encrypted with a rotating key of its own', () => {
    const { stack, model } = setup();
    new ServerlessEndpoint(stack, 'Endpoint', { model, memorySizeInMB: 4096, maxConcurrency: 50, provisionedConcurrency: 5 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointKey'), 'Arn'] },
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: Match.anyValue(), ServerlessConfig: { MemorySizeInMB: 4096, MaxConcurrency: 50, ProvisionedConcurrency: 5 } }],
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: "Encrypts the serverless endpoint's copy of its image" });
    // No acknowledgement: the configuration has its key.
    expect(JSON.stringify(template.toJSON())).not.toContain('SageMakerEndpointConfigurationKMSKeyConfigured');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('uses the key it is given', () => {
    const { stack, model } = setup();
    const key = new kms.Key(stack, 'Given');
    new ServerlessEndpoint(stack, 'Endpoint', { model, encryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Given'), 'Arn'] } });
    expect(Object.keys(template.findResources('AWS::KMS::Key')).filter(id => id.startsWith('Endpoint'))).toEqual([]);
  });

  test.each<[Partial<ServerlessEndpointProps>, RegExp]>([
    [{ memorySizeInMB: 1500 }, /memorySizeInMB must be a multiple of 1024 between 1024 and 6144, got 1500/],
    [{ memorySizeInMB: 7168 }, /memorySizeInMB must be a multiple of 1024 between 1024 and 6144, got 7168/],
    [{ maxConcurrency: 0 }, /maxConcurrency must be an integer between 1 and 200, got 0/],
    [{ maxConcurrency: 201 }, /maxConcurrency must be an integer between 1 and 200, got 201/],
    [{ maxConcurrency: 10, provisionedConcurrency: 11 }, /provisionedConcurrency must be at most maxConcurrency \(10\), got 11/],
  ])('rejects %p', (override, error) => {
    const { stack, model } = setup();
    expect(() => new ServerlessEndpoint(stack, 'Endpoint', { model, ...override })).toThrow(error);
  });
});

describe('AsyncEndpoint', () => {
  function asyncProps(store: MlDataStore, model: SageMakerModel): AsyncEndpointProps {
    return { model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'async/output') };
  }

  test('writes responses to S3 and notifies encrypted topics the model role may publish to', () => {
    const { stack, store, model } = setup();
    const endpoint = new AsyncEndpoint(stack, 'Endpoint', {
      ...asyncProps(store, model),
      failureLocation: JobS3Location.inBucket(store.artifactsBucket, 'async/failures'),
      maxConcurrentInvocationsPerInstance: 4,
      includeResponseInNotifications: true,
    });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    endpoint.grantInvoke(caller);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      AsyncInferenceConfig: {
        ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 },
        OutputConfig: {
          S3OutputPath: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^StoreArtifactsBucket') }, '/async/output/']] },
          S3FailurePath: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^StoreArtifactsBucket') }, '/async/failures/']] },
          KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreKey'), 'Arn'] },
          NotificationConfig: {
            SuccessTopic: { Ref: Match.stringLikeRegexp('^EndpointSuccessTopic') },
            ErrorTopic: { Ref: Match.stringLikeRegexp('^EndpointErrorTopic') },
            IncludeInferenceResponseIn: ['SUCCESS_NOTIFICATION_TOPIC', 'ERROR_NOTIFICATION_TOPIC'],
          },
        },
      },
    });
    t.resourcePropertiesCountIs('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointNotificationKey'), 'Arn'] } }, 2);
    expect(policyStatements(stack, 'ModelRole')).toContainEqual(expect.objectContaining({ Action: 'sns:Publish' }));
    expect(policyStatements(stack, 'Caller')[0].Action).toEqual(['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync']);
    // Only the test's own caller role (an inline policy) is left to its author.
    expect(nagFindings(stack).sort()).toEqual(['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map(p => `${p}-IAMNoInlinePolicy Test/Caller/DefaultPolicy/Resource`));
  });

  test('scales to zero on the backlog and back from zero when requests wait', () => {
    const { stack, store, model } = setup();
    new AsyncEndpoint(stack, 'Endpoint', { ...asyncProps(store, model), endpointName: 'scoring', autoScaling: { maxCapacity: 3, targetBacklogPerInstance: 2 } });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 3, ResourceId: 'endpoint/scoring/variant/AllTraffic' });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 2,
        CustomizedMetricSpecification: Match.objectLike({ MetricName: 'ApproximateBacklogSizePerInstance', Namespace: 'AWS/SageMaker', Dimensions: [{ Name: 'EndpointName', Value: 'scoring' }] }),
      }),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: Match.objectLike({ AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] }),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HasBacklogWithoutCapacity', Threshold: 1, AlarmActions: [{ Ref: Match.stringLikeRegexp('^EndpointScaleFromZero') }] });
  });

  test('subscribes an encrypted queue with a dead-letter queue to both topics', () => {
    const { stack, store, model } = setup();
    new AsyncEndpoint(stack, 'Endpoint', { ...asyncProps(store, model), notificationQueue: true });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Subscription', 2);
    t.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
    expect(nagFindings(stack)).toEqual([]);
  });

  test.each<[string, (s: MlDataStore, m: SageMakerModel) => AsyncEndpointProps, RegExp]>([
    ['no output location', (_s, m) => ({ model: m } as unknown as AsyncEndpointProps), /outputLocation is required: asynchronous endpoints write every response to S3/],
    ['a per-execution output', (s, m) => ({ model: m, outputLocation: JobS3Location.perExecution(s.artifactsBucket, 'out') }), /outputLocation and failureLocation must be fixed locations/],
    ['min above max', (s, m) => ({ ...asyncProps(s, m), autoScaling: { minCapacity: 3, maxCapacity: 1 } }), /autoScaling.minCapacity must be at most maxCapacity \(1\), got 3/],
    ['zero max', (s, m) => ({ ...asyncProps(s, m), autoScaling: { maxCapacity: 0 } }), /autoScaling.maxCapacity must be an integer between 1 and 1000, got 0/],
    ['burstable autoscaling', (s, m) => ({ ...asyncProps(s, m), instanceType: SageMakerInstanceType.ML_T3_MEDIUM, autoScaling: { maxCapacity: 2 } }), /autoScaling cannot scale burstable instance type 'ml.t3.medium'/],
    ['concurrency 0', (s, m) => ({ ...asyncProps(s, m), maxConcurrentInvocationsPerInstance: 0 }), /maxConcurrentInvocationsPerInstance must be an integer between 1 and 1000, got 0/],
  ])('rejects %s', (_name, make, error) => {
    const { stack, store, model } = setup();
    expect(() => new AsyncEndpoint(stack, 'Endpoint', make(store, model))).toThrow(error);
  });
});

// ProductionVariantOptions is part of the public API: keep it referenced.
export type { ProductionVariantOptions };
