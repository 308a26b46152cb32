import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ModelFromPackageStep } from './private/model-from-package-step';
import { smokeTestStep, validateSample } from './private/smoke-test';
import { SageMakerWorkflow } from './sagemaker-workflow';
import { WorkflowObservabilityOptions } from './workflow-options';
import { ModelPromotion } from '../accounts/model-promotion';
import { IDeployableEndpoint } from '../hosting/deployable-endpoint';
import { RealtimeEndpoint } from '../hosting/realtime-endpoint';
import { modelVpcConfig } from '../private/subnets';
import { fail, validateIn } from '../private/validate';
import { IModelPackageGroup } from '../registry/model-package-group';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';
import { DeployStage } from '../stages/deploy-stage';

/**
 * Properties of an ApprovedModelDeployment.
 */
export interface ApprovedModelDeploymentProps extends WorkflowObservabilityOptions {
  /** The group whose versions are deployed (the execution input's `modelPackageArn` must be one of its versions). */
  readonly modelPackageGroup: IModelPackageGroup;

  /**
   * Where this deployment stands in staged promotion across accounts (staging, then
   * production): `ModelPromotion.first()` records a passed deployment in the version's
   * `ModelLifeCycle` and metadata; `ModelPromotion.after(staging)` deploys only versions with
   * that record (and with an `approvalStage`, only after a person's approval).
   *
   * @default - no promotion: every approved version is deployed
   */
  readonly promotion?: ModelPromotion;

  /**
   * The state machine's role (a `DeploymentAccount`'s `deployRole`, which the group's account
   * names in its resource policies).
   *
   * @default - a role is defined
   */
  readonly stateMachineRole?: iam.IRole;

  /**
   * The endpoint the approved model is deployed through, with its own variants, key, data
   * capture and deployment config: a `RealtimeEndpoint`, an `AsyncEndpoint` or an import.
   */
  readonly endpoint: IDeployableEndpoint;

  /**
   * The execution role of the models defined from the package. It must be able to read the
   * package's image and model data (grant them to it); it is granted what the endpoint's own
   * models have (writing its data capture).
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly modelRole?: iam.IRole;

  /**
   * The VPC the models defined from the package run in.
   *
   * @default - the VPC settings of the model a `RealtimeEndpoint` of this app serves (its
   * subnets and security groups), when that is a `SageMakerModel` in a VPC; else no VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc`.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the models' network interfaces in `vpc`.
   *
   * @default - with `vpc`, a security group that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Whether a failed smoke test moves the endpoint back to the configuration it served
   * before (then the new configuration and model are deleted).
   *
   * @default true
   */
  readonly rollbackOnSmokeTestFailure?: boolean;

  /**
   * The prefix of the models' names (`<prefix>-<uuid>`; lowercase).
   *
   * @default 'approved'
   */
  readonly modelNamePrefix?: string;

  /**
   * The variant that serves the approved model; the others keep their own models.
   *
   * @default - every variant serves it
   */
  readonly variantName?: string;

  /**
   * The request body of the smoke test: one `InvokeEndpoint` after the deployment, which
   * must succeed (a 2xx answer from the model) for the execution to succeed.
   */
  readonly samplePayload: string;

  /**
   * The content type of the smoke test's request (1 to 1024 characters).
   *
   * @default 'text/csv'
   */
  readonly sampleContentType?: string;

  /**
   * How often the deployment is checked: 10 seconds to 1 hour.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many checks before the execution fails with `EndpointDeploymentTimedOut`.
   *
   * @default - enough checks for the endpoint's maximumExecutionTimeout and 30 minutes of fleet start, or 2 hours
   */
  readonly maxPolls?: number;
}

/**
 * The deploy workflow of approval-driven deployment (start it with `DeployOnApproval`): a
 * `SageMakerWorkflow` that defines a model from the approved version (`CreateModel` with
 * `Containers: [{ ModelPackageName }]`, the execution input's `modelPackageArn`), deploys it
 * through the endpoint with a `DeployStage` (its blue/green deployment and
 * rollback alarms), then invokes the endpoint once with a sample payload (smoke test).
 *
 * A version already in service (the endpoint's configuration was deployed for the same
 * `modelPackageArn`) is not deployed again: SageMaker sends a state-change event for any
 * change of an approved version (its description, its metadata), and may send one twice; such
 * an execution defines nothing and succeeds with `outcome` `AlreadyInService`. A busy endpoint
 * is waited for; a `Failed` one is deleted and created again (see `DeployStage`).
 *
 * A deployment that rolls back, fails or times out leaves the endpoint on its previous
 * model and fails the execution (`EndpointDeploymentRolledBack`, `EndpointDeploymentFailed`,
 * `EndpointDeploymentTimedOut`), deleting the model and configuration it defined (kept on a
 * time-out: the update may still run). A smoke test that fails moves the endpoint back to
 * the configuration it served before, deletes the new ones, and ends the execution with
 * `EndpointSmokeTestFailed` (`rollbackOnSmokeTestFailure: false` leaves the endpoint on the
 * new model). Every failed, timed-out or aborted execution is notified once on the failure topic.
 *
 * The models take the VPC settings of the model the endpoint serves, or `vpc`.
 *
 * Input: `{ modelPackageArn, ... }` (what `DeployOnApproval` sends). Output:
 * `{ modelPackageArn, modelName, endpointName, endpointConfigName, outcome }` (`modelName`
 * absent when the version was already in service).
 */
export class ApprovedModelDeployment extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic notified of unsuccessful executions. */
  public readonly failureTopic: sns.ITopic;
  /** The execution role of the models it defines. */
  public readonly modelRole: iam.IRole;
  /** The stage that deploys the model. */
  public readonly deployStage: DeployStage;

  constructor(scope: Construct, id: string, props: ApprovedModelDeploymentProps) {
    super(scope, id);
    const contentType = props.sampleContentType ?? 'text/csv';
    validateIn(this, () => {
      validateSample(contentType, props.samplePayload);
      if (props.endpoint.asyncInference) {
        fail(`endpoint must be real-time: the smoke test sends samplePayload with InvokeEndpoint, which asynchronous endpoint '${props.endpoint.node.path}' refuses; deploy to it with a DeployStage and a smokeTest of your own`);
      }
    });
    const vpcConfig = validateIn(this, () => runtimeModelVpcConfig(this, props));
    this.modelRole = props.modelRole ?? new SageMakerExecutionRole(this, 'ModelRole', { vpcAccess: vpcConfig !== undefined }).role;

    const createModel = new ModelFromPackageStep(this, 'CreateModel', {
      modelPackageGroup: props.modelPackageGroup,
      role: this.modelRole,
      modelNamePrefix: props.modelNamePrefix ?? 'approved',
      vpcConfig,
      stateName: 'define model from package',
      resultPath: '$.results.model',
    });

    const smokeTest = smokeTestStep(this, { endpoint: props.endpoint }, props.samplePayload, contentType);

    // The stage defines the model only when the version is not in service yet, runs the smoke
    // test, and rolls the endpoint back when it fails.
    this.deployStage = new DeployStage(this, 'Deploy', {
      endpoint: props.endpoint,
      modelStep: createModel,
      modelName: sfn.JsonPath.stringAt('$.results.model.ModelName'),
      version: sfn.JsonPath.stringAt('$.modelPackageArn'),
      modelRole: this.modelRole,
      variantName: props.variantName,
      pollInterval: props.pollInterval,
      maxPolls: props.maxPolls,
      smokeTest,
      rollbackOnSmokeTestFailure: props.rollbackOnSmokeTestFailure,
      tags: { 'cdk-sagemaker-ml:model-package': sfn.JsonPath.stringAt('$.modelPackageArn') },
    });

    const workflow = new SageMakerWorkflow(this, 'Workflow', {
      description: deploymentDescription(props.modelPackageGroup, props.endpoint),
      definition: props.promotion ? props.promotion._definition(this, props.modelPackageGroup, this.deployStage) : this.deployStage,
      outputs: {
        modelPackageArn: sfn.JsonPath.stringAt('$.modelPackageArn'),
        endpointName: props.endpoint.endpointName,
        endpointConfigName: this.deployStage.endpointConfigName,
        outcome: this.deployStage.outcome,
      },
      encryptionKey: props.encryptionKey,
      failureTopic: props.failureTopic,
      logRetention: props.logRetention,
      logGroup: props.logGroup,
      stateMachineName: props.stateMachineName,
      stateMachineRole: props.stateMachineRole,
    });
    this.stateMachine = workflow.stateMachine;
    this.failureTopic = workflow.failureTopic;
  }
}

/**
 * What the deploy workflow does, within a workflow description's 200 characters: by construct
 * path, or by ID where long paths (long stack names and construct IDs) would exceed it.
 */
function deploymentDescription(group: IModelPackageGroup, endpoint: IDeployableEndpoint): string {
  const byPath = `Deploys approved versions of ${group.node.path} to ${endpoint.node.path}`;
  if (byPath.length <= 200) return byPath;
  const byId = `Deploys approved versions of ${group.node.id} to ${endpoint.node.id}`;
  return byId.length <= 200 ? byId : 'Deploys approved model package versions to an endpoint';
}

/**
 * The VPC settings of the models defined at run time: `vpc` if given, else those of the model
 * the endpoint serves (so a model deployed at run time reaches what the stack's model reaches).
 */
function runtimeModelVpcConfig(scope: Construct, props: ApprovedModelDeploymentProps): { [key: string]: any } | undefined {
  if (!props.vpc && !props.vpcSubnets && !props.securityGroups) {
    return props.endpoint instanceof RealtimeEndpoint ? props.endpoint._modelVpcConfig(props.variantName) : undefined;
  }
  return modelVpcConfig(scope, props, 'ModelSecurityGroup', 'Network interfaces of the models deployed on approval');
}
