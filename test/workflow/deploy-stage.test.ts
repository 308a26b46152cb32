import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import {
  CreateModelStage, DeployStage, DeployStageProps, JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerInstanceType,
  SageMakerModel, SageMakerWorkflow, TrafficRouting,
} from '../../lib';
import { definitionOf, iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(IMAGE_DIR, 'sample', 'model.tar.gz');
/** A model stage's output: the model's name read at run time. */
const MODEL_PATH = '$.results.model.ModelName';
const MODEL_NAME = sfn.JsonPath.stringAt(MODEL_PATH);

interface Fixture {
  readonly stack: Stack;
  readonly endpoint: RealtimeEndpoint;
  readonly modelRole: iam.Role;
}

function fixture(withCapture = true): Fixture {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(SAMPLE_MODEL) });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
    endpointName: 'pricing',
    runtimeConfigNamePrefix: 'pricing-rt',
    variants: [{
      model,
      instanceType: SageMakerInstanceType.ML_C5_XLARGE,
      initialInstanceCount: 2,
      autoScaling: { minCapacity: 2, maxCapacity: 4, targetInvocationsPerInstance: 50 },
    }],
    dataCapture: withCapture ? { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture'), samplingPercentage: 10 } : undefined,
    deployment: { trafficRouting: TrafficRouting.canary(10, Duration.minutes(5)), maximumExecutionTimeout: Duration.hours(2) },
  });
  const modelRole = new iam.Role(stack, 'CandidateRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  return { stack, endpoint, modelRole };
}

function deploy(f: Fixture, props: Partial<DeployStageProps> = {}): { stage: DeployStage; states: any; definition: any } {
  const stage = new DeployStage(f.stack, 'Deploy', { endpoint: f.endpoint, modelName: MODEL_NAME, modelRole: f.modelRole, ...props });
  new sfn.StateMachine(f.stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(stage) });
  const definition = definitionOf(f.stack);
  return { stage, states: definition.States, definition };
}

function machineStatements(stack: Stack): any[] {
  return Object.values<any>(iamPolicies(stack))
    .filter(p => JSON.stringify(p.Properties.Roles ?? []).includes('MachineRole'))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('DeployStage', () => {
  test('finds the endpoint through the SDK integration, retries only throttling and 5xx, and tells a missing endpoint from other errors by the cause', () => {
    const { states, definition } = deploy(fixture());
    expect(definition.StartAt).toBe('Deploy start');
    expect(states['Deploy start']).toEqual(expect.objectContaining({ Result: { Count: 0 }, ResultPath: '$.results.Deploy.settle', Next: 'Deploy find endpoint' }));
    const find = states['Deploy find endpoint'];
    expect(find.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:describeEndpoint');
    expect(find.Parameters).toEqual({ EndpointName: 'pricing' });
    expect(find.ResultPath).toBe('$.results.Deploy.current');
    // No Retry names SageMaker.SageMakerException: a ValidationException must not be retried.
    expect(JSON.stringify(find.Retry ?? [])).not.toContain('SageMaker.SageMakerException');
    expect(find.Catch).toEqual([
      { ErrorEquals: ['SageMaker.SageMakerException'], ResultPath: '$.error', Next: 'Deploy find endpoint: transient?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Deploy endpoint not found?' },
    ]);
    const transient = states['Deploy find endpoint: transient?'];
    expect(JSON.stringify(transient.Choices)).toContain('*Rate exceeded*');
    expect(JSON.stringify(transient.Choices)).toContain('*Status Code: 5*');
    expect(transient.Default).toBe('Deploy endpoint not found?');
    const notFound = states['Deploy endpoint not found?'];
    expect(notFound.Choices).toEqual([{ Variable: '$.error.Cause', StringMatches: '*Could not find endpoint*', Next: 'Deploy endpoint missing' }]);
    // Access denied, validation: the execution fails with SageMaker's own error and cause.
    expect(notFound.Default).toBe('Deploy failed');
    expect(states['Deploy failed']).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  test('acts on every endpoint status: waits while busy, recreates a Failed endpoint, refuses UpdateRollbackFailed and OutOfService at once', () => {
    const { states } = deploy(fixture(), { pollInterval: Duration.seconds(30) });
    const route = states['Deploy endpoint status?'];
    const names = (c: any): string[] => [c.StringEquals, ...(c.Or ?? []).map((o: any) => o.StringEquals)];
    const next = (status: string) => route.Choices.find((c: any) => names(c).includes(status))?.Next ?? route.Default;
    expect(next('Missing')).toBe('Deploy define endpoint configuration');
    expect(next('InService')).toBe('Deploy previous configuration is a run-time one?');
    expect(next('Failed')).toBe('Deploy delete failed endpoint');
    for (const busy of ['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']) expect(next(busy)).toBe('Deploy waits left?');
    for (const stuck of ['UpdateRollbackFailed', 'OutOfService']) expect(next(stuck)).toBe('Deploy not deployable');
    const remove = states['Deploy delete failed endpoint'];
    expect(remove.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:deleteEndpoint');
    expect(remove.Parameters).toEqual({ EndpointName: 'pricing' });
    expect(remove.Next).toBe('Deploy waits left?');
    // 2 hours of deployment timeout + 30 minutes, every 30 seconds.
    expect(states['Deploy waits left?'].Choices).toEqual([{ Variable: '$.results.Deploy.settle.Count', NumericGreaterThanEquals: 300, Next: 'Deploy not ready' }]);
    expect(states['Deploy wait for endpoint']).toEqual({ Type: 'Wait', Seconds: 30, Next: 'Deploy find endpoint' });
    expect(states['Deploy not ready'].Parameters.Error).toBe('EndpointNotReady');
    expect(states['Deploy not deployable'].Parameters.Error).toBe('EndpointNotDeployable');
    expect(states['Deploy not deployable'].Next).toBe('Deploy failed');
  });

  test('an endpoint in service with a configuration of the same version is not deployed again', () => {
    const { states } = deploy(fixture(), { version: sfn.JsonPath.stringAt('$.modelPackageArn') });
    expect(states['Deploy previous configuration is a run-time one?'].Choices).toEqual([
      { Variable: '$.results.Deploy.current.EndpointConfigName', StringMatches: 'pricing-rt-*', Next: 'Deploy read previous configuration' },
    ]);
    const tags = states['Deploy read previous configuration'];
    expect(tags.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:listTags');
    expect(tags.ResultSelector).toEqual({ 'Values.$': '$.Tags[*].Value', 'Replaces.$': "$.Tags[?(@.Key == 'cdk-sagemaker-ml:replaces')].Value" });
    expect(tags.Next).toBe('Deploy compare version');
    expect(states['Deploy compare version'].Parameters).toEqual({ 'InService.$': 'States.ArrayContains($.results.Deploy.previous.Values, $.modelPackageArn)' });
    expect(states['Deploy version in service?'].Choices).toEqual([{ Variable: '$.results.Deploy.sameVersion.InService', BooleanEquals: true, Next: 'Deploy already in service' }]);
    expect(states['Deploy version in service?'].Default).toBe('Deploy define endpoint configuration');
    expect(states['Deploy already in service']).toEqual(expect.objectContaining({ Result: 'AlreadyInService', ResultPath: '$.results.Deploy.outcome' }));
    expect(states['Deploy nothing to deploy']).toEqual(expect.objectContaining({ Parameters: { 'EndpointConfigName.$': '$.results.Deploy.current.EndpointConfigName' }, End: true }));
  });

  test('defines a run-time configuration with the endpoint\'s variants, key and data capture, tagged with the execution and version, through the SDK integration', () => {
    const f = fixture();
    const { states } = deploy(f);
    const config = states['Deploy define endpoint configuration'];
    const cfn = Object.values<any>(Template.fromStack(f.stack).findResources('AWS::SageMaker::EndpointConfig'))[0].Properties;
    // DataCaptureConfig is not a field of the optimized createEndpointConfig.
    expect(config.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createEndpointConfig');
    const { ProductionVariants: variants, KmsKeyId, DataCaptureConfig, Tags } = config.Parameters;
    expect(config.Parameters['EndpointConfigName.$']).toBe("States.Format('pricing-rt-{}', States.UUID())");
    expect(variants).toEqual([{ 'VariantName': 'AllTraffic', 'ModelName.$': MODEL_PATH, 'InstanceType': 'ml.c5.xlarge', 'InitialInstanceCount': 2, 'InitialVariantWeight': 1 }]);
    expect(cfn.ProductionVariants[0]).toEqual(expect.objectContaining({ InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2, InitialVariantWeight: 1, VariantName: 'AllTraffic' }));
    expect(KmsKeyId).toMatch(/^\$\{EndpointKey[A-Z0-9]+\.Arn\}$/);
    expect(DataCaptureConfig).toEqual(expect.objectContaining({ EnableCapture: true, InitialSamplingPercentage: 10, DestinationS3Uri: expect.stringMatching(/\/capture\/$/) }));
    expect(Tags).toEqual([
      { 'Key': 'cdk-sagemaker-ml:workflow', 'Value.$': '$$.StateMachine.Id' },
      { 'Key': 'cdk-sagemaker-ml:execution', 'Value.$': '$$.Execution.Id' },
      { 'Key': 'cdk-sagemaker-ml:version', 'Value.$': MODEL_PATH },
      { 'Key': 'cdk-sagemaker-ml:replaces', 'Value.$': '$.results.Deploy.current.EndpointConfigName' },
    ]);
    expect(config.ResultPath).toBe('$.results.Deploy.config');
    expect(config.Catch[config.Catch.length - 1]).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Deploy configuration defined?' });
  });

  test('without data capture the configuration goes through the optimized integration', () => {
    const { states } = deploy(fixture(false), { modelRole: undefined });
    expect(states['Deploy define endpoint configuration'].Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createEndpointConfig');
  });

  test('creates a missing endpoint, updates an existing one with the endpoint\'s deployment config and retained counts, through the SDK integration', () => {
    const f = fixture();
    const { states } = deploy(f);
    const cfn = Object.values<any>(Template.fromStack(f.stack).findResources('AWS::SageMaker::Endpoint'))[0].Properties;
    expect(states['Deploy endpoint exists?'].Choices).toEqual([{ Variable: '$.results.Deploy.current.EndpointStatus', StringEquals: 'Missing', Next: 'Deploy create endpoint' }]);
    const update = states['Deploy update endpoint'];
    // DeploymentConfig and the retained variant properties are not fields of the optimized updateEndpoint.
    expect(update.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:updateEndpoint');
    expect(update.Parameters).toEqual({
      'EndpointName': 'pricing',
      'EndpointConfigName.$': '$.results.Deploy.config.EndpointConfigName',
      'DeploymentConfig': expect.objectContaining({
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 300, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } },
          TerminationWaitInSeconds: 300,
          MaximumExecutionTimeoutInSeconds: 7200,
        },
      }),
      'RetainAllVariantProperties': true,
      'ExcludeRetainedVariantProperties': [{ VariantPropertyType: 'DesiredWeight' }],
    });
    const alarms = cfn.DeploymentConfig.AutoRollbackConfiguration.Alarms;
    expect(update.Parameters.DeploymentConfig.AutoRollbackConfiguration.Alarms).toHaveLength(alarms.length);
    // A new fleet refused for instance quota is tried again every minute; nothing else is retried by name.
    expect(update.Retry).toEqual([expect.objectContaining({ ErrorEquals: ['SageMaker.ResourceLimitExceededException'], IntervalSeconds: 60, BackoffRate: 1 })]);
    expect(update.Catch.map((c: any) => c.ErrorEquals)).toEqual([['SageMaker.SageMakerException'], ['States.ALL']]);
    expect(update.Catch[1].Next).toBe('Deploy configuration defined?');
    expect(update.Next).toBe('Deploy start polling');
    const create = states['Deploy create endpoint'];
    expect(create.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createEndpoint');
    expect(create.Parameters).toEqual(expect.objectContaining({ 'EndpointName': 'pricing', 'EndpointConfigName.$': '$.results.Deploy.config.EndpointConfigName' }));
  });

  test('waits in a bounded loop and tells success, rollback, failure and time-out apart; failures delete what the execution defined', () => {
    const { states, stage } = deploy(fixture(), { pollInterval: Duration.seconds(30) });
    expect(states['Deploy start polling']).toEqual(expect.objectContaining({ Result: { Count: 0 }, ResultPath: '$.results.Deploy.polls', Next: 'Deploy wait' }));
    expect(states['Deploy wait']).toEqual({ Type: 'Wait', Seconds: 30, Next: 'Deploy describe endpoint' });
    const check = states['Deploy deployed?'];
    expect(check.Choices[0]).toEqual({
      And: [
        { Variable: '$.results.Deploy.endpoint.EndpointStatus', StringEquals: 'InService' },
        { Variable: '$.results.Deploy.endpoint.EndpointConfigName', StringEqualsPath: '$.results.Deploy.config.EndpointConfigName' },
      ],
      Next: 'Deploy older configuration?',
    });
    expect(check.Choices[1]).toEqual({ Variable: '$.results.Deploy.endpoint.EndpointStatus', StringEquals: 'InService', Next: 'Deploy rolled back' });
    expect(check.Choices[2].Or.map((c: any) => c.StringEquals)).toEqual(['Failed', 'UpdateRollbackFailed', 'OutOfService', 'Deleting']);
    expect(check.Default).toBe('Deploy count polls');
    expect(states['Deploy checks left?'].Choices).toEqual([{ Variable: '$.results.Deploy.polls.Count', NumericGreaterThanEquals: 300, Next: 'Deploy timed out' }]);
    expect(states['Deploy rolled back'].Parameters).toEqual({
      'Error': 'EndpointDeploymentRolledBack',
      'Cause.$': "States.Format('endpoint pricing is in service with configuration {}, not the new {}: the update rolled back (a rollback alarm fired or the new fleet failed)', $.results.Deploy.endpoint.EndpointConfigName, $.results.Deploy.config.EndpointConfigName)",
    });
    for (const s of ['Deploy rolled back', 'Deploy failed with reason', 'Deploy failed without reason']) {
      expect({ s, next: states[s].Next }).toEqual({ s, next: 'Deploy configuration defined?' });
    }
    // A timed-out update may still run: its configuration is kept.
    expect(states['Deploy timed out'].Next).toBe('Deploy failed');
    expect(states['Deploy configuration defined?'].Choices).toEqual([{ Variable: '$.results.Deploy.config.EndpointConfigName', IsPresent: true, Next: 'Deploy delete unused configuration' }]);
    expect(states['Deploy delete unused configuration'].Next).toBe('Deploy failed');
    expect(stage.maxDuration.toSeconds()).toBeGreaterThanOrEqual(2 * 300 * 30);
  });

  test('after success deletes the configuration the previous one replaced, only among the endpoint\'s run-time configurations', () => {
    const { states } = deploy(fixture());
    expect(states['Deploy older configuration?'].Choices).toEqual([{
      And: [
        { Variable: '$.results.Deploy.previous.Replaces[0]', IsPresent: true },
        { Variable: '$.results.Deploy.previous.Replaces[0]', StringMatches: 'pricing-rt-*' },
      ],
      Next: 'Deploy delete replaced configuration',
    }]);
    const remove = states['Deploy delete replaced configuration'];
    expect(remove.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:deleteEndpointConfig');
    expect(remove.Parameters).toEqual({ 'EndpointConfigName.$': '$.results.Deploy.previous.Replaces[0]' });
    // Best effort: a failed cleanup does not fail a deployment that succeeded.
    expect(remove.Catch[remove.Catch.length - 1]).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.results.Deploy.cleanupError', Next: 'Deploy deployed' });
    expect(states['Deploy deployed']).toEqual(expect.objectContaining({ Result: 'Deployed', ResultPath: '$.results.Deploy.outcome', End: true }));
  });

  test('without cleanup the stage deletes no replaced configuration', () => {
    const { states } = deploy(fixture(), { cleanUp: false });
    expect(states['Deploy delete replaced configuration']).toBeUndefined();
    expect(states['Deploy deployed?'].Choices[0].Next).toBe('Deploy deployed');
  });

  test('with a smoke test, the replaced configuration is deleted only after it passed, and a failure rolls the endpoint back', () => {
    const f = fixture();
    const test = new tasks.CallAwsService(f.stack, 'SmokeTest', {
      stateName: 'smoke test',
      service: 'sagemakerruntime',
      action: 'invokeEndpoint',
      iamAction: 'sagemaker:InvokeEndpoint',
      iamResources: ['*'],
      parameters: { EndpointName: 'pricing', Body: '1' },
    });
    const { states } = deploy(f, { smokeTest: test });
    expect(states['Deploy deployed?'].Choices[0].Next).toBe('smoke test');
    expect(states['smoke test'].Next).toBe('Deploy older configuration?');
    expect(states['smoke test'].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.results.Deploy.smokeTestError', Next: 'Deploy previous configuration to roll back to?' }]);
    expect(states['Deploy previous configuration to roll back to?'].Choices).toEqual([{ Variable: '$.results.Deploy.current.EndpointStatus', StringEquals: 'InService', Next: 'Deploy roll back' }]);
    const back = states['Deploy roll back'];
    expect(back.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:updateEndpoint');
    expect(back.Parameters['EndpointConfigName.$']).toBe('$.results.Deploy.current.EndpointConfigName');
    expect(states['Deploy rollback deployed?'].Choices[0].Next).toBe('Deploy smoke test failed, rolled back');
    expect(states['Deploy smoke test failed, rolled back'].Parameters.Error).toBe('EndpointSmokeTestFailed');
    expect(states['Deploy smoke test failed, rolled back'].Next).toBe('Deploy configuration defined?');
    expect(states['Deploy rollback timed out'].Parameters.Error).toBe('EndpointRollbackFailed');
  });

  test('rollbackOnSmokeTestFailure false fails at once, leaving the endpoint on the new configuration', () => {
    const f = fixture();
    const test = new tasks.CallAwsService(f.stack, 'SmokeTest', {
      stateName: 'smoke test',
      service: 'sagemakerruntime',
      action: 'invokeEndpoint',
      iamAction: 'sagemaker:InvokeEndpoint',
      iamResources: ['*'],
      parameters: { EndpointName: 'pricing', Body: '1' },
    });
    const { states } = deploy(f, { smokeTest: test, rollbackOnSmokeTestFailure: false });
    expect(states['Deploy roll back']).toBeUndefined();
    expect(states['smoke test'].Catch[0].Next).toBe('Deploy smoke test failed');
    expect(states['Deploy smoke test failed'].Next).toBe('Deploy failed');
  });

  test('the state machine may do what the deployment needs, scoped to this endpoint and its run-time configurations', () => {
    const f = fixture();
    deploy(f);
    const statements = f.stack.resolve(machineStatements(f.stack));
    const configs = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/pricing-rt-*';
    const endpointArn = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/pricing';
    const allows = (action: string) => statements.filter((s: any) => [s.Action].flat().includes(action)).flatMap((s: any) => [s.Resource].flat());
    expect(allows('sagemaker:DescribeEndpoint')).toEqual(expect.arrayContaining([endpointArn]));
    expect(allows('sagemaker:CreateEndpointConfig')).toEqual([configs]);
    expect(allows('sagemaker:UpdateEndpoint')).toEqual(expect.arrayContaining([endpointArn, configs, expect.objectContaining({ Ref: expect.stringMatching(/^EndpointConfig/) })]));
    expect(allows('sagemaker:DeleteEndpoint')).toEqual([endpointArn]);
    expect(allows('sagemaker:CreateEndpoint')).toEqual(expect.arrayContaining([endpointArn, configs]));
    expect(allows('sagemaker:DeleteEndpointConfig')).toEqual([configs]);
    expect(allows('sagemaker:AddTags')).toEqual([configs]);
    expect(allows('kms:CreateGrant')).toEqual([expect.objectContaining({ 'Fn::GetAtt': [expect.stringMatching(/^EndpointKey/), 'Arn'] })]);
    expect(allows('cloudwatch:DescribeAlarms').length).toBeGreaterThan(0);
    // ListTags on every resource is what Step Functions' own templates grant (sagemaker-iam.html); nothing else of SageMaker is.
    expect(statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sagemaker:') && a !== 'sagemaker:ListTags') && [s.Resource].flat().includes('*'))).toEqual([]);
    expect(statements.find((s: any) => [s.Action].flat().includes('kms:CreateGrant')).Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    // The deployed model may write the endpoint's data capture.
    expect(JSON.stringify(f.stack.resolve(Object.values<any>(iamPolicies(f.stack)).filter(p => JSON.stringify(p.Properties.Roles ?? []).includes('CandidateRole'))))).toContain('/capture/*');
    // Only the test's own role policies and its bare state machine (no logging, no tracing) are left to their author:
    // the run-time configuration prefix is acknowledged on the state machine's policy.
    expect(nagFindings(f.stack).filter(x => !x.includes('IAMNoInlinePolicy') && !/^AwsSolutions-SF[12] Test\/Machine\/Resource$/.test(x))).toEqual([]);
  });

  test.each<[string, (f: Fixture) => Partial<DeployStageProps>, RegExp]>([
    ['no model role where the endpoint captures data', () => ({ modelRole: undefined }),
      /Test\/Deploy: modelRole is required: endpoint 'Test\/Endpoint' captures data, which SageMaker writes with the deployed model's role/],
    ['checks that do not cover the deployment timeout', () => ({ maxPolls: 10 }),
      /Test\/Deploy: maxPolls x pollInterval \(10 x 60s\) must cover the endpoint's deployment.maximumExecutionTimeout \(7200s\), got 10/],
    ['a poll interval under 10 seconds', () => ({ pollInterval: Duration.seconds(5) }), /Test\/Deploy: pollInterval must be a whole number of seconds between 10 and 3600/],
    ['a variant the endpoint does not have', () => ({ variantName: 'Blue' }), /Test\/Deploy: variantName must be one of AllTraffic, got 'Blue'/],
    // A path written as a string is a literal now, and '$' is no tag-value character.
    ['a version written as a path string', () => ({ version: '$.modelPackageArn' }),
      /^Test\/Deploy: version must be a value read at run time \(sfn.JsonPath.stringAt\(...\), a stage's output\) or a tag value .*, got '\$.modelPackageArn'$/],
    ['a version SageMaker refuses as a tag value', () => ({ version: "it's" }), /^Test\/Deploy: version must be .*, got 'it's'$/],
    ['a version over 256 characters', () => ({ version: 'v'.repeat(257) }), /^Test\/Deploy: version must be .* of at most 256 /],
  ])('refuses %s', (_name, make, error) => {
    const f = fixture();
    expect(() => new DeployStage(f.stack, 'Deploy', { endpoint: f.endpoint, modelName: MODEL_NAME, modelRole: f.modelRole, ...make(f) })).toThrow(error);
  });

  test('takes a literal version SageMaker accepts as a tag value', () => {
    const f = fixture();
    expect(() => new DeployStage(f.stack, 'Deploy', { endpoint: f.endpoint, modelName: MODEL_NAME, modelRole: f.modelRole, version: 'churn-2026.12/v3 @blue' })).not.toThrow();
  });

  test('needs no model role where the endpoint captures nothing', () => {
    const f = fixture(false);
    expect(() => new DeployStage(f.stack, 'Deploy', { endpoint: f.endpoint, modelName: MODEL_NAME })).not.toThrow();
  });

  test('composes with the stages engineer\'s model stage in a SageMakerWorkflow whose timeout covers the deployment', () => {
    const f = fixture();
    const store = new MlDataStore(f.stack, 'Store2');
    const model = new CreateModelStage(f.stack, 'Model2', {
      image: SageMakerImage.fromAsset(IMAGE_DIR),
      modelData: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    });
    const stage = new DeployStage(f.stack, 'Deploy', { endpoint: f.endpoint, modelName: model.modelName, modelRole: model.model.role });
    const workflow = new SageMakerWorkflow(f.stack, 'Workflow', { definition: model.next(stage) });
    expect(workflow.maxDuration.toSeconds()).toBeGreaterThanOrEqual(stage.maxDuration.toSeconds());
    const definition = definitionOf(f.stack);
    expect(definition.States['Deploy define endpoint configuration'].Parameters.ProductionVariants[0]['ModelName.$']).toBe('$.results.Model2.ModelName');
    expect(nagFindings(f.stack).filter(x => !x.includes('IAMNoInlinePolicy'))).toEqual([]);
  });

  test('deploys to an endpoint of another stack, the run-time prefix acknowledged in the state machine\'s stack', () => {
    const f = fixture(false);
    const other = new Stack(f.stack.node.root as any, 'Workflow', { env: { account: '123456789012', region: 'us-east-1' } });
    const stage = new DeployStage(other, 'Deploy', { endpoint: f.endpoint, modelName: MODEL_NAME });
    new SageMakerWorkflow(other, 'Workflow', { definition: stage });
    const statements = other.resolve(Object.values<any>(iamPolicies(other)).flatMap(p => p.Properties.PolicyDocument.Statement));
    expect(JSON.stringify(statements)).toContain('endpoint-config/pricing-rt-*');
    expect(nagFindings(other)).toEqual([]);
  });
});
