import * as path from 'path';
import { CfnCondition, CfnOutput, CfnParameter, Duration, Fn, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EXAMPLE_IMAGE_DIRECTORY } from './training-stack';
import { SageMakerInstanceType } from '../../lib/compute/sagemaker-instance-type';
import { JobS3Location, S3AccessMode } from '../../lib/data/job-s3-location';
import { IMlDataStore, MlDataStore } from '../../lib/data/ml-data-store';
import { AsyncEndpoint } from '../../lib/hosting/async-endpoint';
import { ModelData, ModelDataConfig } from '../../lib/hosting/model-data';
import { RealtimeEndpoint } from '../../lib/hosting/realtime-endpoint';
import { TrafficRouting } from '../../lib/hosting/realtime-endpoint-options';
import { SageMakerModel } from '../../lib/hosting/sagemaker-model';
import { ServerlessEndpoint } from '../../lib/hosting/serverless-endpoint';
import { SageMakerImage } from '../../lib/images/sagemaker-image';
import { TransformJobStep } from '../../lib/jobs/transform-job-step';
import { BaselineDatasetFormat, DataQualityBaselineStep } from '../../lib/monitoring/data-quality-baseline-step';
import { DataQualityBaseline, DataQualityMonitor } from '../../lib/monitoring/data-quality-monitor';
import { MonitoringEngine } from '../../lib/monitoring/monitoring-engine';
import { ManagedPolicyRole } from '../../lib/private/managed-policy-role';
import { IModelPackageGroup, ModelPackageGroup } from '../../lib/registry/model-package-group';
import { SageMakerExecutionRole } from '../../lib/roles/sagemaker-execution-role';
import { DeployOnApproval } from '../../lib/triggers/deploy-on-approval';
import { ApprovedModelDeployment } from '../../lib/workflows/approved-model-deployment';
import { ObservableStateMachine } from '../../lib/workflows/private/observable-state-machine';
import { durationBudget } from '../../lib/workflows/private/workflow-helpers';
import { SageMakerWorkflow } from '../../lib/workflows/sagemaker-workflow';

/** The example GLM trained on the sample data, so a hosting stack deploys before any training run. */
export const SAMPLE_MODEL_DATA = path.join(EXAMPLE_IMAGE_DIRECTORY, 'sample', 'model.tar.gz');

/**
 * Properties common to the hosting reference stacks.
 */
export interface SageMakerHostingStackProps extends StackProps {
  /**
   * The serving image.
   *
   * @default - the example GLM image in `containers/glm`
   */
  readonly image?: SageMakerImage;

  /**
   * The model artifacts.
   *
   * @default - the `ModelDataKey` stack parameter: a `model.tar.gz` key in the artifacts bucket
   * (e.g. the `modelDataUrl` a training execution output); left empty, the sample GLM
   */
  readonly modelData?: ModelData;

  /**
   * The data store (share the training stack's to serve what it trained).
   *
   * @default - an MlDataStore is defined
   */
  readonly dataStore?: IMlDataStore;
}

/** The model-data parameter: a key in the artifacts bucket, or empty for the bundled sample. */
class ParameterOrSampleModelData extends ModelData {
  constructor(private readonly artifacts: s3.IBucket) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable): ModelDataConfig {
    const stack = Stack.of(scope);
    const key = new CfnParameter(stack, 'ModelDataKey', {
      type: 'String',
      default: '',
      allowedPattern: '^$|^[^/].*\\.tar\\.gz$',
      description: 'The model.tar.gz key in the artifacts bucket (e.g. models/train-<uuid>/output/model.tar.gz); empty serves the sample GLM',
    });
    const useSample = new CfnCondition(stack, 'UseSampleModel', { expression: Fn.conditionEquals(key.valueAsString, '') });
    const sample = ModelData.fromAsset(SAMPLE_MODEL_DATA).bind(scope, grantee);
    const trained = ModelData.fromBucket(this.artifacts, key.valueAsString).bind(scope, grantee);
    return { uri: Fn.conditionIf(useSample.logicalId, sample.uri, trained.uri).toString() };
  }
}

function referenceModel(stack: Stack, props: SageMakerHostingStackProps, store: IMlDataStore): SageMakerModel {
  return new SageMakerModel(stack, 'Model', {
    image: props.image ?? SageMakerImage.fromAsset(EXAMPLE_IMAGE_DIRECTORY),
    modelData: props.modelData ?? new ParameterOrSampleModelData(store.artifactsBucket),
    environment: { MODEL_SERVER_WORKERS: '2' },
  });
}

/**
 * Properties of the real-time reference stack.
 */
export interface SageMakerRealtimeStackProps extends SageMakerHostingStackProps {
  /**
   * The model package group whose approved versions are deployed to the endpoint (share the
   * training stack's `modelPackageGroup`, where its workflow registers the models that pass
   * the gate).
   *
   * @default - a ModelPackageGroup is defined in this stack
   */
  readonly modelPackageGroup?: IModelPackageGroup;

  /**
   * The request body of the deploy workflow's smoke test (CSV, the endpoint's input format).
   *
   * @default '40,20.5,north'
   */
  readonly samplePayload?: string;

  /**
   * What computes the baseline and monitors the captured traffic: the library's own analysis as
   * a scheduled processing job, which any account can run (Model Monitor is closed to new AWS
   * customers since 2026-07-30, and the reference app must deploy in a new account), or
   * `MonitoringEngine.modelMonitor()` for an account that has Model Monitor.
   *
   * @default MonitoringEngine.processingJob()
   */
  readonly monitoringEngine?: MonitoringEngine;
}

/**
 * A real-time endpoint serving the model: autoscaling on invocations, canary updates
 * that roll back on 5xx or latency alarms, and data capture to the artifacts bucket (KMS).
 *
 * Approved versions of the model package group are deployed by `DeployOnApproval` and an
 * `ApprovedModelDeployment` workflow (define the model from the package, blue/green update,
 * smoke test). The captured traffic is monitored hourly for data quality against a baseline
 * at `monitoring/baseline/` in the artifacts bucket, which the `BaselineWorkflow` computes
 * from `baseline/` in the data bucket (the endpoint's input format: CSV, no header, no target
 * column), with the library's own analysis run as a processing job on a schedule (any account;
 * `monitoringEngine` to use Model Monitor). The job's image is per Region; a region-agnostic stack
 * looks its registry account up at deploy time.
 */
export class SageMakerRealtimeStack extends Stack {
  /** The endpoint. */
  public readonly endpoint: RealtimeEndpoint;
  /** The group whose approved versions are deployed. */
  public readonly modelPackageGroup: IModelPackageGroup;
  /** The deploy workflow started on approval. */
  public readonly deployment: ApprovedModelDeployment;
  /** The data-quality monitor. */
  public readonly monitor: DataQualityMonitor;
  /** The workflow that computes the monitor's baseline. */
  public readonly baselineWorkflow: SageMakerWorkflow;

  constructor(scope: Construct, id: string, props: SageMakerRealtimeStackProps = {}) {
    super(scope, id, props);
    const store = props.dataStore ?? new MlDataStore(this, 'DataStore');
    const model = referenceModel(this, props, store);
    this.endpoint = new RealtimeEndpoint(this, 'Endpoint', {
      variants: [{
        model,
        instanceType: SageMakerInstanceType.ML_M5_LARGE,
        initialInstanceCount: 1,
        containerStartupHealthCheckTimeout: Duration.minutes(5),
        autoScaling: { minCapacity: 1, maxCapacity: 4, targetInvocationsPerInstance: 100 },
      }],
      dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'data-capture'), samplingPercentage: 20 },
      deployment: { trafficRouting: TrafficRouting.canary(10, Duration.minutes(5)) },
    });
    new CfnOutput(this, 'EndpointName', {
      value: this.endpoint.endpointName,
      description: 'aws sagemaker-runtime invoke-endpoint --endpoint-name <name> --content-type text/csv --body \'40,20.5,north\' out.json',
    });

    // Approval-driven deployment: the models the training workflow registers, once approved.
    this.modelPackageGroup = props.modelPackageGroup ?? new ModelPackageGroup(this, 'Models', {
      description: 'GLM claims models, deployed to the real-time endpoint when approved',
    });
    const modelRole = new SageMakerExecutionRole(this, 'ApprovedModelRole', { description: 'Serves approved versions of the model package group' });
    // The packages' images and model data: the example image's asset repository, the training artifacts.
    (props.image ?? SageMakerImage.fromAsset(EXAMPLE_IMAGE_DIRECTORY)).bind(modelRole, modelRole.role);
    JobS3Location.inBucket(store.artifactsBucket, 'models').bind(modelRole, modelRole.role, S3AccessMode.READ);
    this.deployment = new ApprovedModelDeployment(this, 'DeployApproved', {
      modelPackageGroup: this.modelPackageGroup,
      endpoint: this.endpoint,
      modelRole: modelRole.role,
      samplePayload: props.samplePayload ?? '40,20.5,north',
    });
    new DeployOnApproval(this, 'DeployOnApproval', { modelPackageGroup: this.modelPackageGroup, deployWorkflow: this.deployment.stateMachine });
    new CfnOutput(this, 'DeployWorkflowArn', { value: this.deployment.stateMachine.stateMachineArn, description: 'Started when a version of the model package group is approved' });
    new CfnOutput(this, 'ModelPackageGroupName', { value: this.modelPackageGroup.modelPackageGroupName, description: 'aws sagemaker update-model-package --model-package-arn <version ARN> --model-approval-status Approved' });

    // Data-quality monitoring of the captured traffic. The job's image is per Region: a
    // region-agnostic stack looks its registry up at deploy time.
    const baseline = JobS3Location.inBucket(store.artifactsBucket, 'monitoring/baseline');
    const monitoringEngine = props.monitoringEngine ?? MonitoringEngine.processingJob();
    this.baselineWorkflow = new SageMakerWorkflow(this, 'BaselineWorkflow', {
      description: 'Computes the data-quality baseline of the real-time endpoint',
      definition: new DataQualityBaselineStep(this, 'Baseline', {
        baselineDataset: JobS3Location.inBucket(store.dataBucket, 'baseline'),
        datasetFormat: BaselineDatasetFormat.csv(false),
        output: baseline,
        instanceType: SageMakerInstanceType.ML_M5_LARGE,
        maxRuntime: Duration.hours(1),
        engine: monitoringEngine,
      }),
    });
    this.monitor = new DataQualityMonitor(this, 'DataQualityMonitor', {
      endpoint: this.endpoint,
      baseline: DataQualityBaseline.fromBucket(store.artifactsBucket, 'monitoring/baseline'),
      output: JobS3Location.inBucket(store.artifactsBucket, 'monitoring/reports'),
      instanceType: SageMakerInstanceType.ML_M5_LARGE,
      engine: monitoringEngine,
    });
    new CfnOutput(this, 'BaselineWorkflowArn', {
      value: this.baselineWorkflow.stateMachine.stateMachineArn,
      description: 'Upload features (CSV, no header, no target) under baseline/ in the data bucket, then start this to compute the monitoring baseline',
    });
  }
}

/**
 * A serverless endpoint serving the model: no instances, billed per request.
 */
export class SageMakerServerlessStack extends Stack {
  /** The endpoint. */
  public readonly endpoint: ServerlessEndpoint;

  constructor(scope: Construct, id: string, props: SageMakerHostingStackProps = {}) {
    super(scope, id, props);
    const store = props.dataStore ?? new MlDataStore(this, 'DataStore');
    this.endpoint = new ServerlessEndpoint(this, 'Endpoint', {
      model: referenceModel(this, props, store),
      memorySizeInMB: 2048,
      maxConcurrency: 10,
    });
    new CfnOutput(this, 'EndpointName', {
      value: this.endpoint.endpointName,
      description: 'aws sagemaker-runtime invoke-endpoint --endpoint-name <name> --content-type application/json --body \'{"age":40,"vehicle_value":20.5,"region":"north"}\' out.json',
    });
  }
}

/**
 * An asynchronous endpoint serving the model: requests and responses in S3, SNS on
 * success and error, a queue for consumers, scaling to zero while idle.
 */
export class SageMakerAsyncStack extends Stack {
  /** The endpoint. */
  public readonly endpoint: AsyncEndpoint;

  constructor(scope: Construct, id: string, props: SageMakerHostingStackProps = {}) {
    super(scope, id, props);
    const store = props.dataStore ?? new MlDataStore(this, 'DataStore');
    this.endpoint = new AsyncEndpoint(this, 'Endpoint', {
      model: referenceModel(this, props, store),
      instanceType: SageMakerInstanceType.ML_M5_LARGE,
      inputLocation: JobS3Location.inBucket(store.dataBucket, 'async/input'),
      outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'async/output'),
      failureLocation: JobS3Location.inBucket(store.artifactsBucket, 'async/failures'),
      maxConcurrentInvocationsPerInstance: 4,
      notificationQueue: true,
      autoScaling: { minCapacity: 0, maxCapacity: 2, targetBacklogPerInstance: 5 },
    });
    new CfnOutput(this, 'EndpointName', {
      value: this.endpoint.endpointName,
      description: 'aws sagemaker-runtime invoke-endpoint-async --endpoint-name <name> --content-type text/csv --input-location s3://<data bucket>/async/input/<file>',
    });
    new CfnOutput(this, 'InputLocation', { value: `s3://${store.dataBucket.bucketName}/async/input/` });
    new CfnOutput(this, 'OutputLocation', { value: `s3://${store.artifactsBucket.bucketName}/async/output/` });
    new CfnOutput(this, 'SuccessTopicArn', { value: this.endpoint.successTopic.topicArn });
    new CfnOutput(this, 'ErrorTopicArn', { value: this.endpoint.errorTopic.topicArn });
    new CfnOutput(this, 'NotificationQueueUrl', { value: this.endpoint.notificationQueue!.queueUrl });
  }
}

/**
 * Properties of a SageMakerBatchTransformStack.
 */
export interface SageMakerBatchTransformStackProps extends SageMakerHostingStackProps {
  /**
   * A schedule on which the prefix is transformed.
   *
   * @default - on demand only (start an execution)
   */
  readonly schedule?: events.Schedule;
}

/**
 * Batch transform: a state machine that transforms the `batch/input/` prefix of the data
 * bucket with the model, writing results under `batch/output/<execution name>/`, on
 * demand or on a schedule.
 */
export class SageMakerBatchTransformStack extends Stack {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: SageMakerBatchTransformStackProps = {}) {
    super(scope, id, props);
    const store = props.dataStore ?? new MlDataStore(this, 'DataStore');
    const model = referenceModel(this, props, store);
    const plumbing = new ObservableStateMachine(this, { description: 'SageMaker batch transform', timeout: Duration.days(2) });
    const transform = new TransformJobStep(this, 'Transform', {
      model,
      input: JobS3Location.inBucket(store.dataBucket, 'batch/input'),
      output: JobS3Location.perExecution(store.artifactsBucket, 'batch/output'),
      contentType: 'text/csv',
      splitType: tasks.SplitType.LINE,
      batchStrategy: tasks.BatchStrategy.MULTI_RECORD,
      maxPayload: Size.mebibytes(6),
      accept: 'text/csv',
      assembleWith: tasks.AssembleWith.LINE,
      instanceType: SageMakerInstanceType.ML_M5_LARGE,
      resultPath: '$.transform',
      resultSelector: { 'TransformJobName.$': '$.TransformJobName', 'TransformOutput.$': '$.TransformOutput' },
    });
    plumbing.onError(transform);
    const budget = durationBudget(transform);
    this.stateMachine = plumbing.finish(transform.next(new sfn.Succeed(this, 'Succeeded')), budget.total, budget.parts.join(', '));

    if (props.schedule) {
      new events.Rule(this, 'Schedule', {
        description: 'Transforms the batch input prefix on a schedule',
        schedule: props.schedule,
        targets: [new targets.SfnStateMachine(this.stateMachine, {
          role: new ManagedPolicyRole(this, 'ScheduleRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com'), description: 'Starts the batch transform on its schedule' }),
        })],
      });
    }
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn, description: 'Start an execution to transform the input prefix' });
    new CfnOutput(this, 'InputPrefix', { value: `s3://${store.dataBucket.bucketName}/batch/input/` });
    new CfnOutput(this, 'OutputPrefix', { value: `s3://${store.artifactsBucket.bucketName}/batch/output/` });
  }
}
