import * as path from 'path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  ApprovedModelDeployment, ApprovedModelDeploymentProps, DeployOnApproval, JobS3Location, MlDataStore, ModelData, ModelPackageGroup, RealtimeEndpoint,
  SageMakerImage, SageMakerInstanceType, SageMakerModel, TrafficRouting,
} from '../../lib';
import { definitionOf, iamPolicies, nagFindings, testStack } from '../util';

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');

interface Fixture { stack: Stack; deployment: ApprovedModelDeployment; group: ModelPackageGroup }

function fixture(props: Partial<ApprovedModelDeploymentProps> = {}, stack: Stack = testStack()): Fixture {
  const store = new MlDataStore(stack, 'Store');
  const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'churn' });
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromBucket(store.artifactsBucket, 'models/first/model.tar.gz') });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
    endpointName: 'churn',
    variants: [{ model, instanceType: SageMakerInstanceType.ML_C5_LARGE }],
    dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture'), samplingPercentage: 20 },
    deployment: { trafficRouting: TrafficRouting.canary(10, Duration.minutes(5)), maximumExecutionTimeout: Duration.hours(1) },
  });
  const deployment = new ApprovedModelDeployment(stack, 'Deployment', { modelPackageGroup: group, endpoint, samplePayload: '1.0,2.0,3.0', ...props });
  return { stack, deployment, group };
}

describe('ApprovedModelDeployment', () => {
  test('defines the model from the approved package, deploys it through the endpoint, then invokes it once', () => {
    const { stack } = fixture();
    const d = definitionOf(stack);
    const create = d.States['define model from package'];
    expect(create.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createModel');
    expect(create.Parameters).toEqual(expect.objectContaining({
      'ModelName.$': expect.stringMatching(/^States.Format\('approved-\{\}', States.UUID\(\)\)$/),
      'ExecutionRoleArn': expect.stringMatching(/^\$\{DeploymentModelRole[A-Z0-9]+\.Arn\}$/),
      'Containers': [{ 'ModelPackageName.$': '$.modelPackageArn' }],
    }));
    expect(create.ResultPath).toBe('$.results.model');
    // The model is defined only when the version is not in service yet.
    expect(create.Next).toBe('Deploy define endpoint configuration');
    expect(d.StartAt).toBe('Deploy start');
    expect(d.States['Deploy compare version'].Parameters).toEqual({ 'InService.$': 'States.ArrayContains($.results.Deploy.previous.Values, $.modelPackageArn)' });
    expect(d.States['Deploy version in service?'].Default).toBe('define model from package');
    // The run-time configuration has the endpoint's data capture and names the package it serves.
    const config = d.States['Deploy define endpoint configuration'];
    expect(config.Parameters.ProductionVariants[0]['ModelName.$']).toBe('$.results.model.ModelName');
    expect(config.Parameters.DataCaptureConfig).toEqual(expect.objectContaining({ EnableCapture: true, InitialSamplingPercentage: 20 }));
    expect(config.Parameters.Tags).toContainEqual({ 'Key': 'cdk-sagemaker-ml:model-package', 'Value.$': '$.modelPackageArn' });
    expect(d.States['Deploy update endpoint'].Parameters).toEqual(expect.objectContaining({ RetainAllVariantProperties: true, DeploymentConfig: expect.any(Object) }));
    // Fields the optimized integrations do not take go through the AWS SDK integration.
    expect(d.States['Deploy update endpoint'].Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:updateEndpoint');
    expect(config.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createEndpointConfig');
    // Smoke test through the SageMaker runtime's SDK integration.
    const smoke = d.States['smoke test'];
    expect(smoke.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemakerruntime:invokeEndpoint');
    expect(smoke.Parameters).toEqual({ EndpointName: 'churn', ContentType: 'text/csv', Body: '1.0,2.0,3.0' });
    // Only after it passed is the replaced configuration deleted; a failure rolls the endpoint back.
    expect(smoke.Next).toBe('Deploy older configuration?');
    expect(smoke.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.results.Deploy.smokeTestError', Next: 'Deploy previous configuration to roll back to?' }]);
    expect(d.States['Deploy smoke test failed, rolled back'].Parameters.Error).toBe('EndpointSmokeTestFailed');
    expect(smoke.Retry[0]).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }));
  });

  test('the state machine may create models under its prefix, describe the group\'s versions, pass the model role and invoke that endpoint only', () => {
    const { stack } = fixture();
    const json = JSON.stringify(iamPolicies(stack));
    expect(json).toContain('"Action":["sagemaker:DeleteEndpoint","sagemaker:InvokeEndpoint"],"Effect":"Allow","Resource":"arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn"');
    // A failed deployment deletes the model its execution defined, under the same prefix.
    expect(json).toMatch(/"Action":\["sagemaker:CreateModel","sagemaker:DeleteModel"[^\]]*\],"Effect":"Allow","Resource":"arn:aws:sagemaker:us-east-1:123456789012:model\/approved-\*"/);
    expect(json).toMatch(/"Action":"sagemaker:DescribeModelPackage","Effect":"Allow","Resource":"arn:aws:sagemaker:us-east-1:123456789012:model-package\/churn\/\*"/);
    expect(json).toMatch(/"Action":\["sagemaker:CreateModel"[^\]]*\],"Effect":"Allow","Resource":"arn:aws:sagemaker:us-east-1:123456789012:model\/approved-\*"/);
    expect(json).toMatch(/"Action":"iam:PassRole","Condition":\{"StringEquals":\{"iam:PassedToService":"sagemaker.amazonaws.com"\}\}/);
    // The model role may write the endpoint's data capture.
    const role = Object.entries<any>(iamPolicies(stack)).find(([id]) => id.startsWith('DeploymentModelRoleGrantsPolicy'))![1];
    expect(JSON.stringify(role.Properties.PolicyDocument)).toContain('/capture/*');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('is notified of failures and its timeout covers the deployment\'s polls', () => {
    const { stack } = fixture({ pollInterval: Duration.seconds(30) });
    const d = definitionOf(stack);
    expect(d.TimeoutSeconds).toBeGreaterThanOrEqual(Math.ceil((3600 + 1800) / 30) * 30);
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'source': ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'] }),
    });
  });

  test('is the workflow DeployOnApproval starts', () => {
    const { stack, deployment, group } = fixture();
    new DeployOnApproval(stack, 'OnApproval', { modelPackageGroup: group, deployWorkflow: deployment.stateMachine });
    const statements = Object.values<any>(iamPolicies(stack)).filter(p => JSON.stringify(p.Properties.Roles).includes('OnApprovalRole')).flatMap(p => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^DeploymentWorkflowStateMachine/) } }]);
  });

  test('takes a log group and failure topic of the team\'s own (then no key is defined) and refuses an imported key without them', () => {
    const stack = testStack();
    const teamKey = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true });
    const logGroup = new logs.LogGroup(stack, 'TeamLogs', { encryptionKey: teamKey, retention: logs.RetentionDays.TWO_YEARS, removalPolicy: RemovalPolicy.RETAIN });
    const failureTopic = new sns.Topic(stack, 'TeamTopic', { masterKey: teamKey, enforceSSL: true });
    fixture({ logGroup, failureTopic }, stack);
    const template = Template.fromStack(stack);
    const [machine] = Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(JSON.stringify(machine.Properties.LoggingConfiguration)).toMatch(/TeamLogs/);
    // The deploy workflow defines no key, log group or topic of its own.
    const ownIds = (type: string) => Object.keys(template.findResources(type)).filter(id => id.startsWith('Deployment'));
    expect([...ownIds('AWS::KMS::Key'), ...ownIds('AWS::Logs::LogGroup'), ...ownIds('AWS::SNS::Topic')]).toEqual([]);

    const imported = testStack();
    const key = kms.Key.fromKeyArn(imported, 'Imported', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(() => fixture({ encryptionKey: key }, imported)).toThrow(/^Test\/Deployment\/Workflow: encryptionKey must be a key defined in this app \(kms.Key\)/);
  });

  test('models defined from a package take the VPC settings of the endpoint\'s model, or the vpc given', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const store = new MlDataStore(stack, 'Store');
    const group = new ModelPackageGroup(stack, 'Group', { modelPackageGroupName: 'churn' });
    const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromBucket(store.artifactsBucket, 'm/model.tar.gz'), vpc });
    const endpoint = new RealtimeEndpoint(stack, 'Endpoint', { endpointName: 'churn', variants: [{ model, instanceType: SageMakerInstanceType.ML_C5_LARGE }] });
    new ApprovedModelDeployment(stack, 'Deployment', { modelPackageGroup: group, endpoint, samplePayload: '1' });
    const create = definitionOf(stack).States['define model from package'];
    const cfnModel = Object.values<any>(Template.fromStack(stack).findResources('AWS::SageMaker::Model'))[0].Properties;
    expect(cfnModel.VpcConfig.Subnets).toHaveLength(2);
    const resolved = (v: any) => JSON.stringify(v).replace(/\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}/g, '$1');
    expect(create.Parameters.VpcConfig.Subnets).toHaveLength(2);
    expect(resolved(create.Parameters.VpcConfig.Subnets)).toEqual(JSON.stringify(cfnModel.VpcConfig.Subnets.map((s: any) => s.Ref)));
    expect(resolved(create.Parameters.VpcConfig.SecurityGroupIds)).toEqual(JSON.stringify(cfnModel.VpcConfig.SecurityGroupIds.map((g: any) => g['Fn::GetAtt'][0])));
    // The default model role may create its network interfaces.
    expect(JSON.stringify(iamPolicies(stack))).toContain('ec2:CreateNetworkInterface');

    const other = testStack();
    const { deployment } = fixture({ vpc: new ec2.Vpc(other, 'Vpc2', { maxAzs: 2, natGateways: 1 }) }, other);
    expect(deployment).toBeDefined();
    expect(definitionOf(other).States['define model from package'].Parameters.VpcConfig).toEqual({
      SecurityGroupIds: [expect.stringMatching(/^\$\{DeploymentModelSecurityGroup[A-Z0-9]+\.GroupId\}$/)],
      Subnets: [expect.stringMatching(/^\$\{Vpc2PrivateSubnet1/), expect.stringMatching(/^\$\{Vpc2PrivateSubnet2/)],
    });
    expect(() => fixture({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })).toThrow(/Test\/Deployment: vpcSubnets requires vpc/);
  });

  test('long construct paths keep the workflow description within its 200 characters', () => {
    const long = 'TeamForecastingDemandPlanningProductionEuropeWestPrimary';
    const stack = testStack();
    const scope = new Construct(new Construct(stack, long), long);
    const store = new MlDataStore(scope, 'Store');
    const model = new SageMakerModel(scope, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromBucket(store.artifactsBucket, 'm/model.tar.gz') });
    const endpoint = new RealtimeEndpoint(scope, `${long}Endpoint`, { variants: [{ model }] });
    const group = ModelPackageGroup.fromModelPackageGroupName(scope, `${long}Group`, 'churn');
    // By path it would be 28 + 2 x 170 characters: the description names the IDs instead.
    new ApprovedModelDeployment(scope, 'Deployment', { modelPackageGroup: group, endpoint, samplePayload: '1' });
    expect(definitionOf(stack).Comment).toBe(`Deploys approved versions of ${long}Group to ${long}Endpoint (cdk-sagemaker-ml)`);
  });

  test.each<[string, Partial<ApprovedModelDeploymentProps>, RegExp]>([
    ['an empty sample payload', { samplePayload: '' }, /^Test\/Deployment: samplePayload must be/],
    ['an empty content type', { sampleContentType: '' }, /^Test\/Deployment: sampleContentType must be/],
    ['an uppercase model name prefix', { modelNamePrefix: 'Approved' }, /modelNamePrefix must be .*got 'Approved'/],
    ['polls every second', { pollInterval: Duration.seconds(1) }, /^Test\/Deployment\/Deploy: pollInterval must be a whole number of seconds between 10 and 3600/],
  ])('rejects %s', (_name, props, error) => {
    expect(() => fixture(props)).toThrow(error);
  });
});
