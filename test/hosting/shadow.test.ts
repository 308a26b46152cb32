import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  DeployStage, JobS3Location, MlDataStore, ModelData, PromoteShadowStage, RealtimeEndpoint, RealtimeEndpointProps, SageMakerImage,
  SageMakerInstanceType, SageMakerModel,
  SageMakerWorkflow, ShadowVariantOptions,
} from '../../lib';
import { runtimeConfigNeedsSdk, runtimeConfigRequest } from '../../lib/hosting/private/deployment';
import { definitionOf, iamPolicies, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(IMAGE_DIR, 'sample', 'model.tar.gz');

function setup() {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const image = SageMakerImage.fromAsset(IMAGE_DIR);
  const production = new SageMakerModel(stack, 'Production', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const candidate = new SageMakerModel(stack, 'Candidate', { image, modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = (shadow: Partial<ShadowVariantOptions> = {}, props: Partial<RealtimeEndpointProps> = {}) => new RealtimeEndpoint(stack, 'Endpoint', {
    variants: [{ model: production, instanceType: SageMakerInstanceType.ML_C5_XLARGE }],
    shadowVariant: { model: candidate, instanceType: SageMakerInstanceType.ML_C5_XLARGE, ...shadow },
    ...props,
  });
  return { stack, store, production, candidate, endpoint };
}

function configOf(stack: Stack): any {
  return Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::EndpointConfig'))[0].Properties;
}

describe('RealtimeEndpoint shadowVariant', () => {
  test('renders one shadow variant whose weight copies samplingPercentage of the production variant\'s requests', () => {
    const { stack, endpoint } = setup();
    endpoint({ samplingPercentage: 25, initialInstanceCount: 2 });
    const config = configOf(stack);
    expect(config.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'AllTraffic', InitialVariantWeight: 1 })]);
    expect(config.ShadowProductionVariants).toEqual([{
      VariantName: 'Shadow',
      ModelName: { 'Fn::GetAtt': [expect.stringMatching(/^Candidate/), 'ModelName'] },
      InstanceType: 'ml.c5.xlarge',
      InitialInstanceCount: 2,
      InitialVariantWeight: 0.25,
    }]);
  });

  test('the shadow weight follows the production variant\'s own weight; 100% by default', () => {
    const { stack, production, candidate } = setup();
    new RealtimeEndpoint(stack, 'Weighted', {
      variants: [{ model: production, initialVariantWeight: 3 }],
      shadowVariant: { model: candidate, variantName: 'candidate-v2', samplingPercentage: 10 },
    });
    new RealtimeEndpoint(stack, 'Full', { variants: [{ model: production }], shadowVariant: { model: candidate } });
    const configs = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::EndpointConfig')).map(c => c.Properties.ShadowProductionVariants[0]);
    expect(configs).toEqual([
      expect.objectContaining({ VariantName: 'candidate-v2', InitialVariantWeight: 0.3 }),
      expect.objectContaining({ VariantName: 'Shadow', InitialVariantWeight: 1 }),
    ]);
  });

  test('data capture covers the shadow variant: its model\'s role may write the captures', () => {
    const { stack, store, endpoint } = setup();
    endpoint({}, { dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture') } });
    const candidatePolicies = Object.values<any>(iamPolicies(stack)).filter(p => JSON.stringify(p.Properties.Roles).includes('CandidateRole'));
    const actions = candidatePolicies.flatMap(p => p.Properties.PolicyDocument.Statement).flatMap((s: any) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObject']));
    expect(configOf(stack).DataCaptureConfig).toBeDefined();
  });

  test('the volume key covers the shadow fleet: a shadow on instance storage only means no key', () => {
    const { stack, endpoint } = setup();
    const e = endpoint({ instanceType: SageMakerInstanceType.ML_G5_2XLARGE });
    expect(e.encryptionKey).toBeUndefined();
    expect(configOf(stack).KmsKeyId).toBeUndefined();
  });

  test('metrics of the shadow variant are under its own VariantName', () => {
    const { stack, endpoint } = setup();
    const e = endpoint({ variantName: 'Candidate' });
    const metric = e.metricShadowVariant('ModelLatency', { statistic: 'p99' });
    expect(stack.resolve(metric.dimensions)).toEqual({ EndpointName: stack.resolve(e.endpointName), VariantName: 'Candidate' });
    expect(e.shadowVariantName).toBe('Candidate');
    expect(e.metricForVariant('Candidate', 'Invocations').metricName).toBe('Invocations');
  });

  test('a run-time configuration (DeployStage) keeps the shadow test and goes through the AWS SDK integration', () => {
    const { stack, endpoint } = setup();
    const e = endpoint({ samplingPercentage: 40 });
    expect(runtimeConfigNeedsSdk(e)).toBe(true);
    const request = runtimeConfigRequest(stack, e, { endpointConfigName: 'x', modelName: 'new-production' });
    expect(request.ProductionVariants).toEqual([expect.objectContaining({ ModelName: 'new-production' })]);
    expect(request.ShadowProductionVariants).toEqual([expect.objectContaining({ VariantName: 'Shadow', InitialVariantWeight: 0.4, InstanceType: 'ml.c5.xlarge' })]);
  });

  test('a DeployStage through the endpoint defines its configurations with the shadow variant, through the AWS SDK integration', () => {
    const { stack, endpoint } = setup();
    const e = endpoint();
    new SageMakerWorkflow(stack, 'Workflow', { definition: new DeployStage(stack, 'deploy', { endpoint: e, modelName: 'new-production' }) });
    const define = definitionOf(stack).States['deploy define endpoint configuration'];
    expect(define.Resource).toMatch(/:states:::aws-sdk:sagemaker:createEndpointConfig$/);
    expect(define.Parameters.ShadowProductionVariants).toEqual([expect.objectContaining({ VariantName: 'Shadow', InitialVariantWeight: 1 })]);
  });

  test.each([
    [{ samplingPercentage: 0 }, /shadowVariant\.samplingPercentage must be a whole number from 1 to 100, got 0/],
    [{ samplingPercentage: 101 }, /shadowVariant\.samplingPercentage must be an integer between 1 and 100, got 101/],
    [{ samplingPercentage: 12.5 }, /shadowVariant\.samplingPercentage must be an integer between 1 and 100, got 12\.5/],
    [{ variantName: 'AllTraffic' }, /shadowVariant\.variantName must differ from the production variant's name, got 'AllTraffic'/],
    [{ variantName: 'bad_name' }, /shadowVariant\.variantName must be letters, digits and single hyphens/],
    [{ initialInstanceCount: 0 }, /shadowVariant\.initialInstanceCount must be an integer between 1 and 1000, got 0/],
  ])('refuses %j', (shadow, error) => {
    const { endpoint } = setup();
    expect(() => endpoint(shadow)).toThrow(error);
  });

  test('refuses a shadow variant beside two production variants (SageMaker: one production variant with a shadow)', () => {
    const { stack, production, candidate } = setup();
    expect(() => new RealtimeEndpoint(stack, 'Two', {
      variants: [{ model: production }, { model: production }],
      shadowVariant: { model: candidate },
    })).toThrow(/shadowVariant needs exactly one production variant .* got 2 variants \(AllTraffic, Variant2\)/);
  });

  test('refuses metricShadowVariant on an endpoint without a shadow variant', () => {
    const { stack, production } = setup();
    const e = new RealtimeEndpoint(stack, 'Plain', { variants: [{ model: production }] });
    expect(() => e.metricShadowVariant('Invocations')).toThrow(/metricShadowVariant needs a shadowVariant, and the endpoint has none/);
  });
});

describe('PromoteShadowStage', () => {
  test('defines the promoted configuration through the AWS SDK integration, and updates with the endpoint\'s deployment config', () => {
    const { stack, endpoint } = setup();
    const e = endpoint();
    new SageMakerWorkflow(stack, 'Workflow', { definition: new PromoteShadowStage(stack, 'promote', { endpoint: e, pollInterval: Duration.seconds(30) }) });
    const states = definitionOf(stack).States;
    expect(states['promote define endpoint configuration'].Resource).toMatch(/:states:::aws-sdk:sagemaker:createEndpointConfig$/);
    expect(states['promote define endpoint configuration'].Parameters.ProductionVariants).toEqual([expect.objectContaining({
      'VariantName': 'AllTraffic', 'ModelName.$': '$.results.promote.shadow.ModelName', 'InstanceType': 'ml.c5.xlarge',
    })]);
    expect(states['promote define endpoint configuration'].Parameters.ShadowProductionVariants).toBeUndefined();
    expect(states['promote update endpoint'].Parameters.DeploymentConfig.AutoRollbackConfiguration.Alarms).toHaveLength(2);
    expect(states['promote read configuration'].Resource).toMatch(/:states:::aws-sdk:sagemaker:describeEndpointConfig$/);
    const actions = Object.values<any>(iamPolicies(stack)).flatMap(p => p.Properties.PolicyDocument.Statement).flatMap((s: any) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['sagemaker:DescribeEndpointConfig', 'sagemaker:CreateEndpointConfig', 'sagemaker:UpdateEndpoint', 'sagemaker:DeleteEndpointConfig']));
  });

  test('refuses an endpoint without a shadow variant', () => {
    const { stack, production } = setup();
    const plain = new RealtimeEndpoint(stack, 'Plain', { variants: [{ model: production }] });
    expect(() => new PromoteShadowStage(stack, 'promote', { endpoint: plain }))
      .toThrow(/endpoint must have a shadowVariant to promote .*got 'Test\/Plain' without one/);
  });

  test('refuses promoting onto an autoscaled production variant of another instance type', () => {
    const { stack, production, candidate } = setup();
    const e = new RealtimeEndpoint(stack, 'Scaled', {
      variants: [{
        model: production,
        instanceType: SageMakerInstanceType.ML_C5_XLARGE,
        autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 10 },
      }],
      shadowVariant: { model: candidate, instanceType: SageMakerInstanceType.ML_C5_2XLARGE },
    });
    expect(() => new PromoteShadowStage(stack, 'promote', { endpoint: e }))
      .toThrow(/production variant 'AllTraffic' is autoscaled on ml\.c5\.xlarge, and the shadow variant runs on ml\.c5\.2xlarge/);
  });

  test('refuses maxPolls that do not cover the endpoint\'s deployment timeout', () => {
    const { endpoint } = setup();
    const e = endpoint({}, { deployment: { maximumExecutionTimeout: Duration.hours(1) } });
    expect(() => new PromoteShadowStage(e.stack, 'promote', { endpoint: e, pollInterval: Duration.minutes(1), maxPolls: 10 }))
      .toThrow(/maxPolls x pollInterval \(10 x 60s\) must cover the endpoint's deployment\.maximumExecutionTimeout \(3600s\)/);
  });

  test('the stage\'s outputs are JSONPath tokens for later steps', () => {
    const { stack, endpoint } = setup();
    const stage = new PromoteShadowStage(stack, 'promote', { endpoint: endpoint() });
    expect(stack.resolve(sfn.JsonPath.isEncodedJsonPath(stage.promotedModelName))).toBe(true);
    expect(stage.maxDuration.toSeconds()).toBeGreaterThan(2 * 120 * 60);
  });
});
