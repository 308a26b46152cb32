import { CfnOutput, Duration, Size, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SAMPLE_MODEL_DATA, SageMakerHostingStackProps } from './hosting-stacks';
import { EXAMPLE_IMAGE_DIRECTORY } from './training-stack';
import { SageMakerInstanceType } from '../../lib/compute/sagemaker-instance-type';
import { JobS3Location, S3AccessMode } from '../../lib/data/job-s3-location';
import { MlDataStore } from '../../lib/data/ml-data-store';
import { ComponentEndpoint } from '../../lib/hosting/component-endpoint';
import { InferenceComponent } from '../../lib/hosting/inference-component';
import { ComponentBatchSize } from '../../lib/hosting/inference-component-options';
import { ModelData } from '../../lib/hosting/model-data';
import { RoutingStrategy } from '../../lib/hosting/realtime-endpoint-options';
import { SageMakerModel } from '../../lib/hosting/sagemaker-model';
import { SageMakerImage } from '../../lib/images/sagemaker-image';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { SageMakerExecutionRole } from '../../lib/roles/sagemaker-execution-role';
import { CreateModelStage } from '../../lib/stages/create-model-stage';
import { DeployComponentStage } from '../../lib/stages/deploy-component-stage';
import { DeployOnApproval } from '../../lib/triggers/deploy-on-approval';
import { ApprovedComponentDeployment } from '../../lib/workflows/approved-component-deployment';
import { SageMakerWorkflow } from '../../lib/workflows/sagemaker-workflow';

/**
 * Two models on the instances of one endpoint, as inference components: `Claims` always keeps a
 * copy (one to two, on invocations per copy); `Fraud` scales to zero copies when idle and comes
 * back on the first request (the step-scaling policy on its `NoCapacityInvocationFailures` alarm).
 * The endpoint's managed instance scaling may go down to zero instances: once no component has
 * a copy, the endpoint costs nothing.
 *
 * A new version of the `Claims` model reaches its copies through `DeployComponentWorkflow`:
 * define the model from a `model.tar.gz` in the artifacts bucket (`{"modelDataUrl": "s3://..."}`),
 * roll it through the copies one at a time, rolled back on the component's 5xx and latency
 * alarms; a failure deletes the model and is notified on the workflow's failure topic. An approved
 * version of the `ClaimsModels` group reaches it through `ApprovedDeployment` (started by
 * `DeployOnApproval`): a version already in service is not deployed again, and a smoke test
 * (one invocation of the component) that fails rolls the component back to its previous model.
 */
export class SageMakerInferenceComponentsStack extends Stack {
  /** The endpoint whose instances host the components. */
  public readonly endpoint: ComponentEndpoint;
  /** The component that always keeps a copy. */
  public readonly claims: InferenceComponent;
  /** The component that scales to zero. */
  public readonly fraud: InferenceComponent;
  /** The workflow that deploys a new model to `claims`. */
  public readonly deployWorkflow: SageMakerWorkflow;
  /** The workflow that deploys approved versions of `modelPackageGroup` to `claims`. */
  public readonly approvedDeployment: ApprovedComponentDeployment;
  /** The group whose approved versions reach `claims`. */
  public readonly modelPackageGroup: ModelPackageGroup;

  constructor(scope: Construct, id: string, props: SageMakerHostingStackProps = {}) {
    super(scope, id, props);
    const store = props.dataStore ?? new MlDataStore(this, 'DataStore');
    const image = props.image ?? SageMakerImage.fromAsset(EXAMPLE_IMAGE_DIRECTORY);
    const modelData = props.modelData ?? ModelData.fromAsset(SAMPLE_MODEL_DATA);
    const model = (modelId: string) => new SageMakerModel(this, modelId, { image, modelData, environment: { MODEL_SERVER_WORKERS: '1' } });

    // ml.m5.large: 2 vCPUs, 8 GiB; both components fit one instance.
    this.endpoint = new ComponentEndpoint(this, 'Endpoint', {
      instanceType: SageMakerInstanceType.ML_M5_LARGE,
      minInstanceCount: 0,
      maxInstanceCount: 2,
      routingStrategy: RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
    });
    this.claims = new InferenceComponent(this, 'Claims', {
      endpoint: this.endpoint,
      model: model('ClaimsModel'),
      computeResources: { minMemory: Size.gibibytes(2), cpuCores: 1 },
      autoScaling: { minCopies: 1, maxCopies: 2, targetInvocationsPerCopy: 100 },
      containerStartupHealthCheckTimeout: Duration.minutes(5),
      deployment: { batchSize: ComponentBatchSize.copies(1), waitInterval: Duration.minutes(5), maximumExecutionTimeout: Duration.hours(1) },
    });
    this.fraud = new InferenceComponent(this, 'Fraud', {
      endpoint: this.endpoint,
      model: model('FraudModel'),
      computeResources: { minMemory: Size.gibibytes(1), cpuCores: 0.5 },
      copyCount: 1,
      autoScaling: { minCopies: 0, maxCopies: 2, targetConcurrentRequestsPerCopy: 4, scaleInCooldown: Duration.minutes(15) },
    });

    const candidate = new CreateModelStage(this, 'model', {
      image,
      modelData: JobS3Location.fromJsonPath('$.modelDataUrl', store.artifactsBucket, 'models'),
    });
    const deploy = new DeployComponentStage(this, 'deploy', { component: this.claims, modelName: candidate.modelName, modelDefinedBy: candidate.task });
    this.deployWorkflow = new SageMakerWorkflow(this, 'DeployComponentWorkflow', {
      description: 'Deploys a new model to the Claims inference component (rolling, rolled back on alarms)',
      definition: candidate.next(deploy),
      outputs: { modelName: candidate.modelName, outcome: deploy.outcome },
    });

    this.modelPackageGroup = new ModelPackageGroup(this, 'ClaimsModels', { description: 'Claims models, deployed to the Claims inference component when approved' });
    const modelRole = new SageMakerExecutionRole(this, 'ApprovedModelRole', { description: 'Serves approved versions of the Claims models' });
    // The packages' images and model data: the example image's asset repository, the artifacts bucket.
    image.bind(modelRole, modelRole.role);
    JobS3Location.inBucket(store.artifactsBucket, 'models').bind(modelRole, modelRole.role, S3AccessMode.READ);
    this.approvedDeployment = new ApprovedComponentDeployment(this, 'ApprovedDeployment', {
      modelPackageGroup: this.modelPackageGroup,
      component: this.claims,
      modelRole: modelRole.role,
      samplePayload: '40,20.5,north',
    });
    new DeployOnApproval(this, 'DeployOnApproval', { modelPackageGroup: this.modelPackageGroup, deployWorkflow: this.approvedDeployment.stateMachine });

    new CfnOutput(this, 'EndpointName', {
      value: this.endpoint.endpointName,
      description: 'aws sagemaker-runtime invoke-endpoint --endpoint-name <name> --inference-component-name <component> --content-type text/csv --body \'40,20.5,north\' out.json',
    });
    new CfnOutput(this, 'ClaimsComponentName', { value: this.claims.inferenceComponentName });
    new CfnOutput(this, 'FraudComponentName', { value: this.fraud.inferenceComponentName, description: 'Scales to zero: the first request after idle fails and wakes it (a few minutes)' });
    new CfnOutput(this, 'DeployWorkflowArn', { value: this.deployWorkflow.stateMachine.stateMachineArn, description: 'Start with {"modelDataUrl": "s3://<artifacts bucket>/models/.../model.tar.gz"}' });
  }
}
