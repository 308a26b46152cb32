import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  ApprovedModelDeployment, AsyncEndpoint, CreateModelStep, DataQualityBaseline, DataQualityMonitor, DeployStage, IDeployableEndpoint, JobS3Location,
  MlDataStore, ModelData, ModelPackageGroup, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType, SageMakerModel, SageMakerWorkflow,
  ServerlessEndpoint,
} from '../../lib';
import { definitionOf, iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(IMAGE_DIR, 'sample', 'model.tar.gz');
const MODEL_NAME = sfn.JsonPath.stringAt('$.results.model.ModelName');

function setup(): { stack: Stack; store: MlDataStore; model: SageMakerModel } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  return { stack, store, model };
}

function imported(stack: Stack, store: MlDataStore, extra: { rollbackAlarms?: cloudwatch.IAlarm[] } = {}): IDeployableEndpoint {
  return RealtimeEndpoint.fromEndpointAttributes(stack, 'Team', {
    endpointName: 'Team-Forecast',
    variants: [{ variantName: 'Blue', instanceType: SageMakerInstanceType.ML_C5_XLARGE, modelName: 'team-model-v1' }, { variantName: 'Green', instanceType: SageMakerInstanceType.ML_C5_XLARGE, initialInstanceCount: 2 }],
    encryptionKey: new kms.Key(stack, 'TeamKey', { enableKeyRotation: true }),
    dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'team-capture') },
    endpointConfigName: 'Team-Forecast-v1',
    runtimeConfigNamePrefix: 'team-rt',
    ...extra,
  });
}

function statementsOf(stack: Stack, roleId: string): any[] {
  return stack.resolve(Object.values<any>(iamPolicies(stack))
    .filter(p => JSON.stringify(p.Properties.Roles ?? []).includes(roleId))
    .flatMap(p => p.Properties.PolicyDocument.Statement));
}

describe('imports of endpoints', () => {
  test('each concrete class imports by name; an asynchronous import may be invoked asynchronously', () => {
    const stack = testStack();
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    RealtimeEndpoint.fromEndpointName(stack, 'Realtime', 'rt').grantInvoke(caller);
    ServerlessEndpoint.fromEndpointName(stack, 'Serverless', 'sl').grantInvoke(caller);
    AsyncEndpoint.fromEndpointName(stack, 'Async', 'as').grantInvoke(caller);
    const statements = statementsOf(stack, 'Caller');
    const resourcesOf = (action: string) => statements.filter(st => [st.Action].flat().includes(action)).flatMap(st => [st.Resource].flat()).sort();
    expect(resourcesOf('sagemaker:InvokeEndpoint')).toEqual(['as', 'rt', 'sl'].map(n => `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${n}`));
    expect(resourcesOf('sagemaker:InvokeEndpointAsync')).toEqual(['arn:aws:sagemaker:us-east-1:123456789012:endpoint/as']);
  });

  test('a deployable import states its variants; its metrics describe the first', () => {
    const { stack, store } = setup();
    const endpoint = imported(stack, store);
    expect(endpoint.variants.map(v => v.variantName)).toEqual(['Blue', 'Green']);
    expect(endpoint.runtimeConfigNamePrefix).toBe('team-rt');
    expect(endpoint.endpointArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:endpoint/team-forecast');
    expect(stack.resolve(endpoint.metricInvocations().dimensions)).toEqual({ EndpointName: 'Team-Forecast', VariantName: 'Blue' });
  });

  test.each<[string, () => unknown, RegExp]>([
    ['no variants', () => RealtimeEndpoint.fromEndpointAttributes(testStack(), 'E', { endpointName: 'e', variants: [] }),
      /Test\/E: variants must state the endpoint's production variants/],
    ['a bad instance type', () => RealtimeEndpoint.fromEndpointAttributes(testStack(), 'E', { endpointName: 'e', variants: [{ variantName: 'A', instanceType: { name: 'm5.large' } as SageMakerInstanceType }] }),
      /Test\/E: variants\[0\].instanceType/],
    ['two variants of one name', () => RealtimeEndpoint.fromEndpointAttributes(testStack(), 'E', {
      endpointName: 'e', variants: [{ variantName: 'A', instanceType: SageMakerInstanceType.ML_M5_LARGE }, { variantName: 'A', instanceType: SageMakerInstanceType.ML_M5_LARGE }],
    }), /Test\/E: variants\[\].variantName must be unique/],
    ['a bad endpoint name', () => RealtimeEndpoint.fromEndpointAttributes(testStack(), 'E', { endpointName: 'no_underscores', variants: [{ variantName: 'A', instanceType: SageMakerInstanceType.ML_M5_LARGE }] }),
      /Test\/E: endpointName must be letters, digits and single hyphens/],
    ['an uppercase run-time prefix', () => RealtimeEndpoint.fromEndpointAttributes(testStack(), 'E', {
      endpointName: 'e', variants: [{ variantName: 'A', instanceType: SageMakerInstanceType.ML_M5_LARGE }], runtimeConfigNamePrefix: 'Team',
    }), /Test\/E: runtimeConfigNamePrefix must be lowercase letters, digits and single hyphens/],
  ])('refuses an import with %s', (_name, make, error) => {
    expect(make).toThrow(error);
  });
});

describe('grantDeploy', () => {
  test.each<[string, (stack: Stack, store: MlDataStore, model: SageMakerModel) => IDeployableEndpoint]>([
    ['a RealtimeEndpoint', (stack, _store, model) => new RealtimeEndpoint(stack, 'E', { endpointName: 'e', variants: [{ model }] })],
    ['an AsyncEndpoint', (stack, store, model) => new AsyncEndpoint(stack, 'E', { model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out') })],
    ['an import', (stack, store) => imported(stack, store, { rollbackAlarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'A', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:team')] })],
  ])('of %s returns the whole grant: every statement it adds is in it', (_name, make) => {
    const { stack, store, model } = setup();
    const endpoint = make(stack, store, model);
    const deployer = new iam.Role(stack, 'Deployer', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    const grant = endpoint.grantDeploy(deployer);
    expect(grant.success).toBe(true);
    const granted = stack.resolve(grant.principalStatements.map(s => s.toStatementJson()));
    const inPolicy = statementsOf(stack, 'Deployer');
    const key = (s: any) => JSON.stringify([[s.Action].flat().sort(), [s.Resource].flat().map(r => JSON.stringify(r)).sort(), s.Condition]);
    expect(inPolicy.map(key).sort()).toEqual(granted.map(key).sort());
    expect(inPolicy.some((s: any) => s.Condition?.Bool?.['kms:GrantIsForAWSResource'] === 'true')).toBe(endpoint.encryptionKey !== undefined);
  });

  test('of an import may roll back to the configuration the endpoint was defined with', () => {
    const { stack, store } = setup();
    const deployer = new iam.Role(stack, 'Deployer', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    imported(stack, store).grantDeploy(deployer);
    expect(JSON.stringify(statementsOf(stack, 'Deployer'))).toContain('endpoint-config/team-forecast-v1');
  });
});

describe('DeployStage through the interface', () => {
  test('to an import: the configuration carries the stated variants, key and capture; the model step\'s role writes the capture', () => {
    const { stack, store } = setup();
    const endpoint = imported(stack, store);
    const modelStep = new CreateModelStep(stack, 'CreateModel', {
      image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: JobS3Location.inBucket(store.artifactsBucket, 'models'), resultPath: '$.results.model',
    });
    // No modelRole: it is the model step's.
    const stage = new DeployStage(stack, 'Deploy', { endpoint, modelStep, modelName: MODEL_NAME, version: sfn.JsonPath.stringAt('$.version'), variantName: 'Green' });
    new SageMakerWorkflow(stack, 'Workflow', { definition: stage });
    const config = definitionOf(stack).States['Deploy define endpoint configuration'];
    expect(config.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createEndpointConfig');
    expect(config.Parameters.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'Blue', ModelName: 'team-model-v1', InstanceType: 'ml.c5.xlarge' }),
      expect.objectContaining({ 'VariantName': 'Green', 'ModelName.$': '$.results.model.ModelName', 'InitialInstanceCount': 2 }),
    ]);
    expect(config.Parameters.DataCaptureConfig).toEqual(expect.objectContaining({ EnableCapture: true }));
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('team-capture');
    expect(JSON.stringify(statementsOf(stack, 'CreateModelRole'))).toContain('/team-capture/*');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('to an asynchronous endpoint: the configuration carries its asynchronous inference config', () => {
    const { stack, store, model } = setup();
    const endpoint = new AsyncEndpoint(stack, 'Async', { model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out'), runtimeConfigNamePrefix: 'async-rt' });
    const candidate = new iam.Role(stack, 'CandidateRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    new SageMakerWorkflow(stack, 'Workflow', { definition: new DeployStage(stack, 'Deploy', { endpoint, modelName: MODEL_NAME, modelRole: candidate }) });
    const states = definitionOf(stack).States;
    expect(states['Deploy define endpoint configuration'].Parameters.AsyncInferenceConfig.OutputConfig).toEqual(expect.objectContaining({
      NotificationConfig: expect.objectContaining({ SuccessTopic: expect.anything(), ErrorTopic: expect.anything() }),
    }));
    // No blue/green config of its own: SageMaker's default.
    expect(states['Deploy update endpoint'].Parameters.DeploymentConfig).toBeUndefined();
    // The candidate may write responses and publish the notifications.
    const granted = JSON.stringify(statementsOf(stack, 'CandidateRole'));
    expect(granted).toContain('/out/*');
    expect(granted).toContain('sns:Publish');
    expect(nagFindings(stack).filter(f => !f.includes('IAMNoInlinePolicy'))).toEqual([]);
  });

  test.each<[string, (e: IDeployableEndpoint) => Partial<ConstructorParameters<typeof DeployStage>[2]>, RegExp]>([
    ['a variant whose neighbours\' models are unknown', () => ({ variantName: 'Blue' }),
      /Test\/Deploy: variantName 'Blue' keeps the other variants' models, but the models of Green of endpoint 'Test\/Team' are unknown/],
    ['no model role for an endpoint that captures', () => ({ modelRole: undefined }), /Test\/Deploy: modelRole is required: endpoint 'Test\/Team' captures data/],
  ])('refuses %s', (_name, make, error) => {
    const { stack, store } = setup();
    const endpoint = imported(stack, store);
    const modelRole = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    expect(() => new DeployStage(stack, 'Deploy', { endpoint, modelName: MODEL_NAME, modelRole, ...make(endpoint) })).toThrow(error);
  });

  test('ApprovedModelDeployment deploys to an import, and refuses an asynchronous endpoint it cannot smoke-test', () => {
    const { stack, store, model } = setup();
    const modelPackageGroup = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'team' });
    new ApprovedModelDeployment(stack, 'Deploy', { modelPackageGroup, endpoint: imported(stack, store), samplePayload: '1,2,3' });
    expect(definitionOf(stack).States['Deploy define endpoint configuration'].Parameters.DataCaptureConfig).toBeDefined();
    expect(nagFindings(stack)).toEqual([]);
    const asynchronous = new AsyncEndpoint(stack, 'Async', { model, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'out') });
    expect(() => new ApprovedModelDeployment(stack, 'DeployAsync', { modelPackageGroup, endpoint: asynchronous, samplePayload: '1' }))
      .toThrow(/Test\/DeployAsync: endpoint must be real-time: the smoke test sends samplePayload with InvokeEndpoint/);
  });
});

describe('DataQualityMonitor through the interface', () => {
  test('monitors an imported endpoint by the capture it states', () => {
    const { stack, store } = setup();
    const endpoint = imported(stack, store);
    const monitor = new DataQualityMonitor(stack, 'Monitor', {
      endpoint,
      baseline: DataQualityBaseline.fromBucket(store.artifactsBucket, 'baselines/team'),
      output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/team'),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::MonitoringSchedule', { EndpointName: 'Team-Forecast' });
    expect(JSON.stringify(statementsOf(stack, 'MonitorRole'))).toContain('/team-capture/*');
    expect(monitor.metricFeatureBaselineDrift('age').dimensions).toEqual({ Endpoint: 'Team-Forecast', MonitoringSchedule: monitor.monitoringScheduleName });
    expect(nagFindings(stack)).toEqual([]);
  });

  test('an endpoint known by name only needs captureDestination', () => {
    const { stack, store } = setup();
    const props = {
      baseline: DataQualityBaseline.fromBucket(store.artifactsBucket, 'b'),
      output: JobS3Location.inBucket(store.artifactsBucket, 'o'),
    };
    expect(() => new DataQualityMonitor(stack, 'Bare', { ...props, endpoint: RealtimeEndpoint.fromEndpointName(stack, 'ByName', 'team') }))
      .toThrow(/Test\/Bare: endpoint 'Test\/ByName' has no dataCapture/);
    expect(() => new DataQualityMonitor(stack, 'Given', {
      ...props, endpoint: RealtimeEndpoint.fromEndpointName(stack, 'ByName2', 'team'), captureDestination: JobS3Location.inBucket(store.artifactsBucket, 'c'),
    })).not.toThrow();
  });
});
