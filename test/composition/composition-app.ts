import * as path from 'path';
import { Annotations, App, Duration, Fn, RemovalPolicy, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  ApprovedModelDeployment, DataQualityBaseline, DataQualityMonitor, DeployOnApproval, MonitoringEngine, MonitoringFrequency,
  AsyncEndpoint, RoutingStrategy, ComponentEndpoint, InferenceComponent, ComponentBatchSize,
  ChannelDataSource, DeepLearningContainerUse, DeepLearningFramework, JobConfigFile, JobS3Location, MetricComparison,
  MlDataStore, MlflowTrackingServer, MlflowTrackingServerSize, ModelData, Processor, RealtimeEndpoint, SageMakerExecutionRole,
  SageMakerImage, SageMakerInstanceType, SageMakerModel, ServerlessEndpoint, TeamDomain, TrainingWorkflow, TransformJobStep, FileSystemAccessMode,
  IMlDataStore,
  TrafficRouting, SageMakerWorkflow, ProcessingStage, TuningStage, EvaluationStage, RegisterModelStage, ModelPackageGroup,
  RetrainingSchedule, ParameterRange, TuningObjectiveType, ScalingType,
} from '../../lib';

/**
 * A team's composition of the library, every optional feature on, the way a team would
 * write it (issue 13): the library's own resources must pass the four cdk-nag packs, the IAM
 * sufficiency check and cfn-lint, as the reference app does.
 *
 * What the team owns (VPC, file systems, its own keys, topics, buckets, roles) is built
 * cleanly too, so that a finding on it points at the library's grants, not at the test.
 */

const GLM = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE_MODEL = path.join(GLM, 'sample', 'model.tar.gz');
const ACCOUNT = '123456789012';

/** A construct ID as long as a team's naming convention makes them. */
export const LONG = 'TeamForecastingDemandPlanningProductionEuropeWestPrimary';

/** The team's network: private (NAT egress) and isolated subnets, flow logs encrypted. */
export function teamVpc(scope: Construct, id: string): ec2.Vpc {
  const key = new kms.Key(scope, `${id}FlowLogKey`, { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
  key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${Stack.of(scope).region}.amazonaws.com`));
  const group = new logs.LogGroup(scope, `${id}FlowLogs`, { encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR });
  return new ec2.Vpc(scope, id, {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
    ],
    flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(group), trafficType: ec2.FlowLogTrafficType.ALL } },
  });
}

/** The team's resources the library takes: defined here, or imported. */
export interface TeamResources {
  readonly vpc: ec2.IVpc;
  readonly store: IMlDataStore;
  readonly key: kms.IKey;
  readonly importedKey: kms.IKey;
  readonly jobRole: iam.IRole;
  readonly topic: sns.ITopic;
  readonly importedTopic: sns.ITopic;
  readonly fileSystem: efs.IFileSystem;
  readonly lustre: fsx.LustreFileSystem;
  readonly repository: ecr.IRepository;
}

export function teamResources(stack: Stack, vpc: ec2.IVpc): TeamResources {
  const key = new kms.Key(stack, 'TeamKey', { enableKeyRotation: true, description: 'The team\'s own key' });
  const store = new MlDataStore(stack, 'TeamDataStore', { encryptionKey: key, noncurrentVersionExpiration: Duration.days(90), accessLogsRetention: Duration.days(400) });
  const jobRole = new SageMakerExecutionRole(stack, 'TeamJobRole', { vpcAccess: true, description: 'The team\'s job role' }).role;
  const topic = new sns.Topic(stack, 'TeamTopic', { masterKey: key, enforceSSL: true });
  const importedKey = kms.Key.fromKeyArn(stack, 'ImportedKey', `arn:aws:kms:${stack.region}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`);
  const importedTopic = sns.Topic.fromTopicArn(stack, 'ImportedTopic', `arn:aws:sns:${stack.region}:${ACCOUNT}:team-alerts`);
  const fileSystem = new efs.FileSystem(stack, 'TeamFileSystem', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    encrypted: true,
    kmsKey: key,
    enableAutomaticBackups: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const lustre = new fsx.LustreFileSystem(stack, 'TeamLustre', {
    vpc,
    vpcSubnet: vpc.isolatedSubnets[0],
    storageCapacityGiB: 1200,
    lustreConfiguration: { deploymentType: fsx.LustreDeploymentType.PERSISTENT_2, perUnitStorageThroughput: 125 },
    kmsKey: key,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const repository = ecr.Repository.fromRepositoryName(stack, 'TeamRepository', 'team/glm');
  return { vpc, store, key, importedKey, jobRole, topic, importedTopic, fileSystem, lustre, repository };
}

/**
 * The workflow part: every job feature on. Kept apart because the stages redesign changes
 * the workflow API (the lead adapts this function at merge).
 */
export function composeWorkflow(scope: Construct, team: TeamResources, tracking: MlflowTrackingServer): TrainingWorkflow {
  const image = SageMakerImage.fromAsset(GLM);
  const config = new JobConfigFile(scope, 'Config', { path: path.join(GLM, 'sample', 'config.json') });
  const data = team.store.dataBucket;
  const artifacts = team.store.artifactsBucket;
  const processed = JobS3Location.perExecution(artifacts, 'processed');
  // The staging endpoint the workflow promotes to (the run-time configurations carry its settings).
  const stagingModel = new SageMakerModel(scope, 'StagingModel', {
    image: SageMakerImage.fromEcrRepository(team.repository, 'v1'), modelData: ModelData.fromBucket(artifacts, 'models/staging/model.tar.gz'),
  });
  const staging = new RealtimeEndpoint(scope, 'Staging', {
    endpointName: 'forecast-staging', runtimeConfigNamePrefix: 'forecast', variants: [{ model: stagingModel, instanceType: SageMakerInstanceType.ML_M5_LARGE }],
  });
  return new TrainingWorkflow(scope, LONG, {
    preprocess: {
      image,
      // Isolated subnets, its own security group, no NVMe (m5): a volume key.
      vpc: team.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      instanceType: SageMakerInstanceType.ML_M5_XLARGE,
      instanceCount: 2,
      volumeEncryptionKey: team.key,
      volumeSize: Size.gibibytes(50),
      maxRuntime: Duration.hours(2),
      environment: { STAGE: 'preprocess' },
      tags: { team: 'forecasting' },
      enableInterContainerTrafficEncryption: true,
      containerEntrypoint: ['python3', '/opt/program/glm_container.py'],
      containerArguments: ['preprocess'],
      processingInputs: [
        { inputName: 'raw', source: JobS3Location.fromJsonPath('$.rawDataUri', data, 'raw/'), distribution: tasks.S3DataDistributionType.SHARDED_BY_S3_KEY },
        { inputName: 'config', source: config.location },
      ],
      processingOutputs: [{ outputName: 'processed', destination: processed }],
      outputEncryptionKey: team.key,
    },
    train: {
      image,
      role: team.jobRole,
      // Private subnets (NAT egress) with the team role; distributed over 2 instances.
      vpc: team.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      instanceType: SageMakerInstanceType.ML_M5_2XLARGE,
      instanceCount: 2,
      volumeEncryptionKey: team.key,
      enableInterContainerTrafficEncryption: true,
      channels: [
        { channelName: 'train', source: ChannelDataSource.s3(processed.child('train'), { distribution: tasks.S3DataDistributionType.SHARDED_BY_S3_KEY }), inputMode: tasks.InputMode.FAST_FILE },
        { channelName: 'shared', source: ChannelDataSource.efs(team.fileSystem, '/datasets/shared') },
        { channelName: 'lustre', source: ChannelDataSource.fsxLustre(team.lustre, `/${team.lustre.mountName}/datasets`, FileSystemAccessMode.READ_ONLY) },
      ],
      outputLocation: JobS3Location.perExecution(artifacts, 'models'),
      outputEncryptionKey: team.key,
      hyperparameters: { family: 'poisson' },
      metricDefinitions: [{ name: 'deviance', regex: 'deviance=([0-9.]+)' }],
      spot: { maxWait: Duration.hours(30) },
      checkpointLocation: JobS3Location.perExecution(artifacts, 'checkpoints'),
      maxRuntime: Duration.hours(24),
    },
    evaluate: {
      image,
      // NVMe instance storage (m5d): no volume key, SageMaker refuses one.
      instanceType: SageMakerInstanceType.of('ml.m5d.xlarge'),
      vpc: team.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      processingInputs: [{ inputName: 'model', source: JobS3Location.fromJsonPath('$.results.train.ModelArtifacts.S3ModelArtifacts', artifacts, 'models/') }],
      processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(artifacts, 'evaluation') }],
      outputEncryptionKey: team.key,
      reportOutputName: 'report',
      gate: { metricPath: 'metrics.deviance', threshold: 10, comparison: MetricComparison.LESS_THAN },
    },
    model: { image: SageMakerImage.fromEcrRepository(team.repository, 'v1'), modelNamePrefix: 'forecast', environment: { LOG_LEVEL: 'info' } },
    experimentTracking: { trackingServer: tracking, experimentName: 'demand-forecast' },
    promote: { endpoint: staging },
    executionInputDefaults: { rawDataUri: `s3://${data.bucketName}/raw/` },
    encryptionKey: team.key,
    failureTopic: team.topic,
    logRetention: logs.RetentionDays.TWO_YEARS,
    timeout: Duration.days(3),
    stateMachineName: 'team-forecasting-training',
    // The team's own state machine role (its grants go to a managed policy the workflow attaches).
    stateMachineRole: new iam.Role(scope, 'TeamStateMachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com'), description: 'The team\'s state machine role' }),
  });
}

/**
 * The same team, built from stages: prepare in isolated subnets with a volume key, tune
 * distributed spot training jobs in private subnets, gate on an evaluation, register the best
 * model pending approval; retrained weekly (disabled). The team's key and topic throughout.
 */
export function composeStages(scope: Construct, team: TeamResources): SageMakerWorkflow {
  const image = SageMakerImage.fromAsset(GLM);
  const artifacts = team.store.artifactsBucket;
  const prepared = JobS3Location.perExecution(artifacts, 'staged/prepared');
  const prepare = new ProcessingStage(scope, 'Prepare', {
    image,
    vpc: team.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    instanceType: SageMakerInstanceType.ML_M5_XLARGE,
    instanceCount: 2,
    volumeEncryptionKey: team.key,
    enableInterContainerTrafficEncryption: true,
    containerEntrypoint: ['python3', '/opt/program/glm_container.py'],
    containerArguments: ['preprocess'],
    processingInputs: [{ inputName: 'raw', source: JobS3Location.inBucket(team.store.dataBucket, 'raw/') }],
    processingOutputs: [{ outputName: 'prepared', destination: prepared }],
    outputEncryptionKey: team.key,
    maxRuntime: Duration.hours(1),
  });
  const tune = new TuningStage(scope, 'Tune', {
    training: {
      image,
      role: team.jobRole,
      vpc: team.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      instanceType: SageMakerInstanceType.ML_M5_2XLARGE,
      instanceCount: 2,
      volumeEncryptionKey: team.key,
      enableInterContainerTrafficEncryption: true,
      channels: [{ channelName: 'train', source: ChannelDataSource.s3(prepared.child('train')), contentType: 'text/csv' }],
      metricDefinitions: [{ name: 'train:deviance', regex: 'train_deviance=([-+0-9.eE]+)' }],
      outputLocation: JobS3Location.perExecution(artifacts, 'staged/models'),
      outputEncryptionKey: team.key,
      spot: { maxWait: Duration.hours(4) },
      checkpointLocation: JobS3Location.perExecution(artifacts, 'staged/checkpoints'),
      maxRuntime: Duration.hours(2),
    },
    objectiveMetricName: 'train:deviance',
    objectiveType: TuningObjectiveType.MINIMIZE,
    parameterRanges: [
      ParameterRange.integer('max_iter', 50, 500),
      ParameterRange.continuous('tol', 1e-10, 1e-4, ScalingType.LOGARITHMIC),
    ],
    maxTrainingJobs: 4,
    maxParallelTrainingJobs: 2,
    earlyStopping: true,
  });
  const evaluate = new EvaluationStage(scope, 'Evaluate', {
    image,
    // NVMe instance storage (m5d): no volume key.
    instanceType: SageMakerInstanceType.of('ml.m5d.xlarge'),
    vpc: team.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    model: tune.modelArtifacts,
    processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(artifacts, 'staged/evaluation') }],
    outputEncryptionKey: team.key,
    reportOutputName: 'report',
    gate: { metricPath: 'metrics.deviance', comparison: MetricComparison.LESS_THAN, threshold: 10 },
    maxRuntime: Duration.hours(1),
  });
  const group = new ModelPackageGroup(scope, `${LONG}Models`, { description: 'Demand forecasts, tuned and gated' });
  const register = new RegisterModelStage(scope, 'Register', {
    modelPackageGroup: group,
    image,
    modelData: tune.modelArtifacts,
    contentTypes: ['text/csv'],
    responseContentTypes: ['application/json'],
    realtimeInstanceTypes: [SageMakerInstanceType.ML_M5_LARGE],
    description: 'Best tuned forecast model, past the evaluation gate',
  });
  // CloudWatch Logs may use the team's key for the team's log group (its key policy is the team's to set).
  team.key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${Stack.of(scope).region}.amazonaws.com`));
  const workflow = new SageMakerWorkflow(scope, `${LONG}Staged`, {
    definition: prepare.next(tune).next(evaluate).next(register),
    description: 'Prepare, tune, gate and register the demand forecast',
    outputs: { modelPackageArn: register.modelPackageArn, deviance: evaluate.metric('metrics.deviance') },
    // The team's own log group (its key's policy is the team's) and an imported topic: the
    // workflow then defines neither, nor a key for them (an imported key alone would be refused).
    logGroup: new logs.LogGroup(scope, 'StagedWorkflowLogs', { encryptionKey: team.key, retention: logs.RetentionDays.TWO_YEARS, removalPolicy: RemovalPolicy.RETAIN }),
    failureTopic: team.importedTopic,
  });
  new RetrainingSchedule(scope, 'WeeklyRetraining', {
    stateMachine: workflow.stateMachine,
    schedule: scheduler.ScheduleExpression.expression('cron(0 3 ? * MON *)'),
    enabled: false,
    encryptionKey: team.key,
  });
  return workflow;
}

/** The team's stacks choose their zones at deploy time (no zone names in the templates). */
class TeamStack extends Stack {
  public get availabilityZones(): string[] {
    return [0, 1].map(i => Fn.select(i, Fn.getAzs()));
  }
}

/** The region-bound training stack (long stack name): jobs in a VPC, tracking, the workflow. */
export class CompositionTrainingStack extends TeamStack {
  public readonly team: TeamResources;
  public readonly workflow: TrainingWorkflow;
  public readonly stagedWorkflow: SageMakerWorkflow;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.team = teamResources(this, teamVpc(this, 'TeamVpc'));
    const tracking = new MlflowTrackingServer(this, 'Tracking', {
      artifactStore: JobS3Location.inBucket(this.team.store.artifactsBucket, 'mlflow/'),
      size: MlflowTrackingServerSize.SMALL,
      mlflowVersion: '2.16.2',
      automaticModelRegistration: true,
      weeklyMaintenanceWindowStart: 'Tue:03:30',
    });
    this.workflow = composeWorkflow(this, this.team, tracking);
    this.stagedWorkflow = composeStages(this, this.team);
  }
}

/** A region-agnostic hosting stack: every hosting mode with the team's topics, keys, role, VPC. */
export class CompositionHostingStack extends TeamStack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const vpc = teamVpc(this, 'TeamVpc');
    const team = teamResources(this, vpc);
    const image = SageMakerImage.fromDeepLearningContainer({
      framework: DeepLearningFramework.PYTORCH,
      use: DeepLearningContainerUse.INFERENCE,
      frameworkVersion: '2.3.0',
      processor: Processor.CPU,
      pythonVersion: 'py311',
      osVersion: 'ubuntu20.04',
    });
    const model = new SageMakerModel(this, `${LONG}Model`, {
      image,
      modelData: ModelData.fromAsset(SAMPLE_MODEL),
      environment: { SAGEMAKER_PROGRAM: 'inference.py' },
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      enableNetworkIsolation: true,
    });
    const teamRoleModel = new SageMakerModel(this, 'TeamRoleModel', {
      image: SageMakerImage.fromEcrRepository(team.repository, 'v1'),
      modelData: ModelData.fromBucket(team.store.artifactsBucket, 'models/latest/model.tar.gz'),
      role: team.jobRole,
      vpc,
    });
    const imported = SageMakerModel.fromModelAttributes(this, 'ImportedModel', { modelName: 'team-forecast-v1', role: team.jobRole });

    const realtime = new RealtimeEndpoint(this, `${LONG}Realtime`, {
      variants: [
        {
          model,
          variantName: 'Blue',
          instanceType: SageMakerInstanceType.ML_M5_XLARGE,
          initialInstanceCount: 2,
          initialVariantWeight: 1,
          volumeSize: Size.gibibytes(20),
          modelDataDownloadTimeout: Duration.minutes(10),
          containerStartupHealthCheckTimeout: Duration.minutes(10),
          routingStrategy: RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
          autoScaling: { minCapacity: 2, maxCapacity: 4, targetInvocationsPerInstance: 100 },
        },
        { model: teamRoleModel, variantName: 'Green', instanceType: SageMakerInstanceType.ML_C5_XLARGE, initialVariantWeight: 0.1 },
      ],
      encryptionKey: team.key,
      dataCapture: { destination: JobS3Location.inBucket(team.store.artifactsBucket, 'capture/'), samplingPercentage: 50, encryptionKey: team.key },
      deployment: { trafficRouting: TrafficRouting.canary(10), maximumExecutionTimeout: Duration.hours(2) },
    });
    // Green keeps a fixed count beside autoscaled Blue (the team's choice): the library warns that an
    // update keeps Green's current count, and the team acknowledges it knowingly.
    Annotations.of(realtime).acknowledgeWarning('cdk-sagemaker-ml:realtime-endpoint-mixed-scaling',
      'Green is a fixed canary beside autoscaled Blue; its count changes by replacing the endpoint');
    // The lifecycle around the endpoint: approved versions of the team's (imported) group deploy
    // through it, with the team's log group and topic; its captured traffic is monitored in the VPC.
    team.key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${Stack.of(this).region}.amazonaws.com`));
    const deployment = new ApprovedModelDeployment(this, 'ApprovedDeployment', {
      modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(this, 'TeamGroup', 'team-forecasting'),
      endpoint: realtime,
      samplePayload: '1.0,2.0,3.0',
      sampleContentType: 'text/csv',
      modelRole: team.jobRole,
      modelNamePrefix: 'approved-forecast',
      variantName: 'Blue',
      pollInterval: Duration.seconds(30),
      logGroup: new logs.LogGroup(this, 'DeploymentLogs', { encryptionKey: team.key, retention: logs.RetentionDays.TWO_YEARS, removalPolicy: RemovalPolicy.RETAIN }),
      failureTopic: team.topic,
      stateMachineName: 'team-forecasting-deploy',
      // The team wants a failed smoke test to go back to the configuration that served before.
      rollbackOnSmokeTestFailure: true,
    });
    new DeployOnApproval(this, 'OnApproval', {
      modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(this, 'ApprovalGroup', 'team-forecasting'),
      deployWorkflow: deployment.stateMachine,
      retryAttempts: 3,
    });
    new DataQualityMonitor(this, 'Monitor', {
      endpoint: realtime,
      baseline: DataQualityBaseline.fromBucket(team.store.artifactsBucket, 'baselines/forecast'),
      output: JobS3Location.inBucket(team.store.artifactsBucket, 'monitoring/forecast'),
      frequency: MonitoringFrequency.DAILY,
      instanceType: SageMakerInstanceType.ML_M5_LARGE,
      volumeEncryptionKey: team.key,
      outputEncryptionKey: team.key,
      maxRuntime: Duration.minutes(30),
      vpc,
      driftAlarms: [{ featureName: 'demand' }],
      alarmTopic: team.topic,
      // The capture key, named explicitly (the same key the endpoint's data capture uses).
      captureEncryptionKey: team.key,
    });
    // The same traffic monitored without Model Monitor (MonitoringEngine.processingJob(), every
    // engine option set): Green's captures, a schedule defined stopped, in the VPC with the team's keys.
    new DataQualityMonitor(this, 'ProcessingMonitor', {
      endpoint: realtime,
      baseline: DataQualityBaseline.fromBucket(team.store.artifactsBucket, 'baselines/forecast-green'),
      output: JobS3Location.inBucket(team.store.artifactsBucket, 'monitoring/forecast-green'),
      engine: MonitoringEngine.processingJob({ variantName: 'Green', captureDelay: Duration.minutes(10), enabled: false }),
      monitoringScheduleName: 'forecast-green-dq',
      instanceType: SageMakerInstanceType.ML_M5_LARGE,
      volumeEncryptionKey: team.key,
      outputEncryptionKey: team.key,
      maxRuntime: Duration.minutes(30),
      vpc,
      driftAlarms: [{ featureName: 'demand' }],
      alarmTopic: team.topic,
      captureEncryptionKey: team.key,
    });
    // Two models on shared instances (inference components), the second scaling to zero, every
    // option set; and a one-variant endpoint with a shadow of the team's model.
    const components = new ComponentEndpoint(this, 'Components', {
      instanceType: SageMakerInstanceType.ML_M5_XLARGE,
      minInstanceCount: 0,
      maxInstanceCount: 2,
      initialInstanceCount: 1,
      variantName: 'Shared',
      endpointName: 'team-forecast-components',
      role: team.jobRole,
      encryptionKey: team.key,
      routingStrategy: RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
    });
    new InferenceComponent(this, 'ForecastComponent', {
      endpoint: components,
      model,
      computeResources: { minMemory: Size.gibibytes(2), maxMemory: Size.gibibytes(4), cpuCores: 1 },
      inferenceComponentName: 'team-forecast',
      copyCount: 1,
      autoScaling: {
        minCopies: 0, maxCopies: 2, targetConcurrentRequestsPerCopy: 4, scaleInCooldown: Duration.minutes(10), scaleOutCooldown: Duration.minutes(2),
      },
      deployment: {
        batchSize: ComponentBatchSize.copies(1),
        waitInterval: Duration.minutes(2),
        maximumExecutionTimeout: Duration.hours(1),
        rollbackBatchSize: ComponentBatchSize.percent(50),
        maxModelLatency: Duration.seconds(2),
      },
      modelDataDownloadTimeout: Duration.minutes(10),
      containerStartupHealthCheckTimeout: Duration.minutes(10),
    });
    new RealtimeEndpoint(this, 'Shadowed', {
      variants: [{ model, variantName: 'Live', instanceType: SageMakerInstanceType.ML_M5_XLARGE }],
      encryptionKey: team.key,
      shadowVariant: {
        model: teamRoleModel, variantName: 'Candidate', samplingPercentage: 20, instanceType: SageMakerInstanceType.ML_M5_XLARGE, initialInstanceCount: 1,
      },
    });
    new ServerlessEndpoint(this, 'Serverless', { model: teamRoleModel, memorySizeInMB: 4096, maxConcurrency: 50, provisionedConcurrency: 2, encryptionKey: team.key });
    // The team's own KMS-encrypted topics and output key.
    new AsyncEndpoint(this, 'Async', {
      model,
      outputLocation: JobS3Location.inBucket(team.store.artifactsBucket, 'async/out/'),
      failureLocation: JobS3Location.inBucket(team.store.artifactsBucket, 'async/failed/'),
      inputLocation: JobS3Location.inBucket(team.store.dataBucket, 'async/in/'),
      instanceType: SageMakerInstanceType.ML_M5_XLARGE,
      maxConcurrentInvocationsPerInstance: 4,
      successTopic: team.topic,
      errorTopic: team.topic,
      includeResponseInNotifications: true,
      notificationQueue: true,
      encryptionKey: team.key,
      autoScaling: { maxCapacity: 3 },
    });
    // Defined topics, an imported model with its role, NVMe instance (no volume key).
    new AsyncEndpoint(this, 'AsyncImported', {
      model: imported,
      outputLocation: JobS3Location.inBucket(team.store.artifactsBucket, 'async2/out/'),
      instanceType: SageMakerInstanceType.ML_G5_XLARGE,
    });

    // Imported endpoints: invoke grants and metrics.
    const invoker = new iam.Role(this, 'Invoker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    RealtimeEndpoint.fromEndpointName(this, 'ImportedEndpoint', 'team-forecast').grantInvoke(invoker);
    AsyncEndpoint.fromEndpointName(this, 'ImportedAsync', 'team-async').grantInvoke(invoker);

    composeTransform(this, team, teamRoleModel);
  }
}

/** Batch transform in a state machine the team writes around the library's step. */
export function composeTransform(scope: Construct, team: TeamResources, model: SageMakerModel): sfn.StateMachine {
  const key = team.key;
  const transform = new TransformJobStep(scope, 'Transform', {
    model,
    input: JobS3Location.inBucket(team.store.dataBucket, 'batch/in/'),
    output: JobS3Location.perExecution(team.store.artifactsBucket, 'batch/out'),
    contentType: 'text/csv',
    splitType: tasks.SplitType.LINE,
    accept: 'text/csv',
    assembleWith: tasks.AssembleWith.LINE,
    outputEncryptionKey: key,
    batchStrategy: tasks.BatchStrategy.MULTI_RECORD,
    maxPayload: Size.mebibytes(6),
    maxConcurrentTransforms: 4,
    instanceType: SageMakerInstanceType.ML_M5_XLARGE,
    instanceCount: 2,
    volumeEncryptionKey: key,
    invocationTimeout: Duration.minutes(5),
    invocationMaxRetries: 2,
    environment: { MODE: 'batch' },
    jobNamePrefix: 'batch',
    tags: { team: 'forecasting' },
  });
  const logGroup = new logs.LogGroup(scope, 'TransformLogs', { encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR });
  key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${Stack.of(scope).region}.amazonaws.com`));
  return new sfn.StateMachine(scope, 'TransformMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(transform),
    logs: { destination: logGroup, level: sfn.LogLevel.ALL },
    tracingEnabled: true,
  });
}

/** A region-bound domain stack with the team's key, images and users. */
export class CompositionDomainStack extends TeamStack {
  public readonly domain: TeamDomain;
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const vpc = teamVpc(this, 'TeamVpc');
    const key = new kms.Key(this, 'TeamKey', { enableKeyRotation: true });
    const store = MlDataStore.fromBuckets(this, 'Store', {
      dataBucket: s3.Bucket.fromBucketAttributes(this, 'Data', { bucketName: 'team-data-lake', encryptionKey: key }),
      artifactsBucket: s3.Bucket.fromBucketAttributes(this, 'Artifacts', { bucketName: 'team-artifacts', encryptionKey: key }),
    });
    this.domain = new TeamDomain(this, LONG, {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      dataStore: store,
      images: [
        SageMakerImage.fromAsset(GLM),
        SageMakerImage.fromDeepLearningContainer({
          framework: DeepLearningFramework.PYTORCH,
          use: DeepLearningContainerUse.TRAINING,
          frameworkVersion: '2.3.0',
          processor: Processor.GPU,
          pythonVersion: 'py311',
          cudaVersion: 'cu121',
        }),
      ],
      userProfiles: ['data-scientist', 'ml-engineer'],
      encryptionKey: key,
      domainName: 'team-forecasting',
      vpcEndpoints: true,
    });
  }
}

/** The stack names: long, as a team's conventions make them. */
export const STACK_NAMES = {
  training: 'TeamForecastingDemandPlanningTrainingProductionEuWest1',
  hosting: 'TeamForecastingDemandPlanningHostingRegionAgnostic',
  domain: 'TeamForecastingDemandPlanningStudioDomain',
};

export interface CompositionStacks {
  readonly training: CompositionTrainingStack;
  readonly hosting: CompositionHostingStack;
  readonly domain: CompositionDomainStack;
}

export function addCompositionStacks(app: App): CompositionStacks {
  return {
    training: new CompositionTrainingStack(app, STACK_NAMES.training, { env: { account: ACCOUNT, region: 'eu-west-1' } }),
    hosting: new CompositionHostingStack(app, STACK_NAMES.hosting, {}),
    domain: new CompositionDomainStack(app, STACK_NAMES.domain, { env: { account: ACCOUNT, region: 'us-east-1' } }),
  };
}
