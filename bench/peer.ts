// The benchmark's peer: the unit bench/scenario.ts builds from the library (a training workflow that
// trains, evaluates, gates on a metric of the report and defines a model, plus a real-time endpoint
// with two alarms), written with aws-cdk-lib's stock constructs as a team would write it by hand:
// aws-cdk-lib's SageMaker tasks, a processing job as a CustomState (aws-cdk-lib has no processing
// task), the report read with the S3 SDK integration, a Choice, an encrypted log group and topic
// (one key), one EventBridge rule on the execution's status, and the L1 SageMaker hosting resources.
// Each role's grants go to aws-cdk-lib's inline DefaultPolicy. Nothing of cdk-sagemaker-ml is used
// in a unit (the per-stack data store, shared by every unit, is the library's in both apps, so the
// per-stack constant is the same and the slope compares the units alone).
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** What the units of one stack share (the library's MlDataStore in both apps, one ECR repository). */
export interface PeerShared {
  readonly bucket: s3.IBucket;
  readonly bucketKey?: kms.IKey;
  readonly repository: ecr.IRepository;
}

/** A SageMaker execution role: the container's logs, metrics and ECR authentication, then the grants. */
function jobRole(scope: Construct, id: string, shared: PeerShared): iam.Role {
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
    resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
  }));
  shared.repository.grantPull(role);
  shared.bucketKey?.grantEncryptDecrypt(role);
  return role;
}

/** One unit: a training workflow (train, evaluate, gate, model) and a real-time endpoint. */
export function addPeerUnit(scope: Construct, i: number, shared: PeerShared): void {
  const stack = Stack.of(scope);
  const { bucket, repository } = shared;
  const image = tasks.DockerImage.fromEcrRepository(repository, 'v1');

  const key = new kms.Key(scope, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
    resources: ['*'],
  }));
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
    resources: ['*'],
  }));
  const topic = new sns.Topic(scope, 'FailureTopic', { masterKey: key, enforceSSL: true });
  const logGroup = new logs.LogGroup(scope, 'Logs', { encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });

  // The workflow.
  const trainRole = jobRole(scope, 'TrainRole', shared);
  bucket.grantReadWrite(trainRole, `models/${i}/*`);
  bucket.grantRead(trainRole, 'data/*');
  const evaluateRole = jobRole(scope, 'EvaluateRole', shared);
  bucket.grantRead(evaluateRole, `models/${i}/*`);
  bucket.grantWrite(evaluateRole, `eval/${i}/*`);
  const modelRole = jobRole(scope, 'ModelRole', shared);
  bucket.grantRead(modelRole, `models/${i}/*`);

  const failed = new sfn.Fail(scope, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
  const train = new tasks.SageMakerCreateTrainingJob(scope, 'Train', {
    trainingJobName: sfn.JsonPath.format('train-{}', sfn.JsonPath.stringAt('$$.Execution.Name')),
    algorithmSpecification: { trainingImage: image, trainingInputMode: tasks.InputMode.FILE },
    inputDataConfig: [{ channelName: 'train', dataSource: { s3DataSource: { s3Location: tasks.S3Location.fromBucket(bucket, 'data/') } } }],
    outputDataConfig: { s3OutputLocation: tasks.S3Location.fromBucket(bucket, `models/${i}`), encryptionKey: shared.bucketKey },
    role: trainRole,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    resultPath: '$.train',
  });
  // aws-cdk-lib has no processing-job task: the optimized integration as a CustomState, its permissions by hand.
  const evaluate = new sfn.CustomState(scope, 'Evaluate', {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${stack.partition}:states:::sagemaker:createProcessingJob.sync`,
      Parameters: {
        'ProcessingJobName.$': "States.Format('eval-{}', $$.Execution.Name)",
        'AppSpecification': { ImageUri: image.bind(train).imageUri },
        'ProcessingResources': { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 } },
        'ProcessingInputs': [{ InputName: 'model', S3Input: { 'S3Uri.$': '$.train.ModelArtifacts.S3ModelArtifacts', 'LocalPath': '/opt/ml/processing/model', 'S3DataType': 'S3Prefix', 'S3InputMode': 'File' } }],
        'ProcessingOutputConfig': { Outputs: [{ OutputName: 'report', S3Output: { 'S3Uri.$': `States.Format('s3://${bucket.bucketName}/eval/${i}/{}', $$.Execution.Name)`, 'LocalPath': '/opt/ml/processing/report', 'S3UploadMode': 'EndOfJob' } }] },
        'StoppingCondition': { MaxRuntimeInSeconds: 3600 },
        'RoleArn': evaluateRole.roleArn,
      },
      ResultPath: '$.evaluate',
    },
  });
  const read = new tasks.CallAwsService(scope, 'ReadReport', {
    service: 's3',
    action: 'getObject',
    parameters: { Bucket: bucket.bucketName, Key: sfn.JsonPath.format(`eval/${i}/{}/evaluation.json`, sfn.JsonPath.stringAt('$$.Execution.Name')) },
    iamResources: [bucket.arnForObjects(`eval/${i}/*`)],
    resultSelector: { 'report.$': 'States.StringToJson($.Body)' },
    resultPath: '$.read',
  });
  const createModel = new tasks.SageMakerCreateModel(scope, 'CreateModel', {
    modelName: sfn.JsonPath.format('model-{}', sfn.JsonPath.stringAt('$$.Execution.Name')),
    primaryContainer: new tasks.ContainerDefinition({ image, modelS3Location: tasks.S3Location.fromJsonExpression('$.train.ModelArtifacts.S3ModelArtifacts') }),
    role: modelRole,
    resultPath: '$.model',
  });
  for (const task of [train, read, createModel]) task.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  evaluate.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.error' });
  const gate = new sfn.Choice(scope, 'Gate')
    .when(sfn.Condition.numberLessThan('$.read.report.metrics.rmse', 1), createModel)
    .otherwise(new sfn.Fail(scope, 'QualityGateFailed', { error: 'QualityGateFailed', cause: 'rmse is not less than 1' }));

  const stateMachineRole = new iam.Role(scope, 'StateMachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(train.next(evaluate).next(read).next(gate)),
    role: stateMachineRole,
    timeout: Duration.hours(6),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });
  // The processing job's permissions (what aws-cdk-lib's tasks add for training jobs).
  stateMachine.addToRolePolicy(new iam.PolicyStatement({
    actions: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob', 'sagemaker:AddTags', 'sagemaker:ListTags'],
    resources: [stack.formatArn({ service: 'sagemaker', resource: 'processing-job', resourceName: '*' })],
  }));
  stateMachine.addToRolePolicy(new iam.PolicyStatement({
    actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
    resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForSageMakerProcessingJobsRule' })],
  }));
  evaluateRole.grantPassRole(stateMachineRole);

  new events.Rule(scope, 'ExecutionFailedRule', {
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [stateMachine.stateMachineArn] },
    },
    targets: [new targets.SnsTopic(topic, {
      message: events.RuleTargetInput.fromObject({
        execution: events.EventField.fromPath('$.detail.executionArn'),
        status: events.EventField.fromPath('$.detail.status'),
        error: events.EventField.fromPath('$.detail.error'),
        cause: events.EventField.fromPath('$.detail.cause'),
      }),
    })],
  });

  // The real-time endpoint.
  const endpointModelRole = jobRole(scope, 'EndpointModelRole', shared);
  bucket.grantRead(endpointModelRole, `models/${i}/model.tar.gz`);
  const model = new sagemaker.CfnModel(scope, 'Model', {
    executionRoleArn: endpointModelRole.roleArn,
    primaryContainer: { image: repository.repositoryUriForTag('v1'), modelDataUrl: bucket.s3UrlForObject(`models/${i}/model.tar.gz`) },
    enableNetworkIsolation: true,
  });
  model.node.addDependency(endpointModelRole);
  const config = new sagemaker.CfnEndpointConfig(scope, 'EndpointConfig', {
    kmsKeyId: key.keyArn,
    productionVariants: [{ variantName: 'variant-1', modelName: model.attrModelName, initialInstanceCount: 1, instanceType: 'ml.m5.large', initialVariantWeight: 1 }],
  });
  key.grantEncryptDecrypt(new iam.ServicePrincipal('sagemaker.amazonaws.com'));
  const endpoint = new sagemaker.CfnEndpoint(scope, 'Endpoint', { endpointConfigName: config.attrEndpointConfigName });
  const dimensionsMap = { EndpointName: endpoint.attrEndpointName, VariantName: 'variant-1' };
  new cloudwatch.Alarm(scope, 'Errors', {
    metric: new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors', dimensionsMap, statistic: 'Sum', period: Duration.minutes(1) }),
    threshold: 1,
    evaluationPeriods: 5,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  new cloudwatch.Alarm(scope, 'Latency', {
    metric: new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'ModelLatency', dimensionsMap, statistic: 'p99', period: Duration.minutes(1) }),
    threshold: 1_000_000,
    evaluationPeriods: 5,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/**
 * The packs' findings on a peer unit, acknowledged on the unit (as a team adopting cdk-nag over stock
 * constructs would; the library acknowledges its own per resource too): what the stock constructs
 * do by default. The list is the packs' report on the peer; a finding not listed fails the synth.
 */
export function acknowledgePeerFindings(scope: Construct, i: number): void {
  const bucket = '<StoreArtifactsBucketC9CE08C3.Arn>';
  const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:123456789012:${resource}`;
  const wildcards = [
    'Resource::*', `Resource::${arn('logs', 'log-group:/aws/sagemaker/*')}`,
    'Action::s3:List*', 'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*',
    'Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*',
    `Resource::${bucket}/models/${i}/*`, `Resource::${bucket}/models/${i}*`, `Resource::${bucket}/eval/${i}/*`, `Resource::${bucket}/data/*`,
    `Resource::${arn('sagemaker', 'training-job/*')}`, `Resource::${arn('sagemaker', 'processing-job/*')}`, `Resource::${arn('sagemaker', 'model/*')}`,
  ];
  const findings: [string, string][] = [
    ...['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map(pack => [`${pack}-IAMNoInlinePolicy`, 'aws-cdk-lib puts a role\'s grants in its inline DefaultPolicy'] as [string, string]),
    ...['HIPAA.Security', 'NIST.800.53.R5'].map(pack => [`${pack}-CloudWatchAlarmAction`, 'the alarms are watched, not acted on'] as [string, string]),
    ...wildcards.map(w => [`AwsSolutions-IAM5[${w}]`, 'aws-cdk-lib\'s grants and job ARNs, the container\'s logs, metrics and ECR authentication'] as [string, string]),
  ];
  for (const [id, reason] of findings) Validations.of(scope).acknowledge({ id, reason });
}
