import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ModelFromPackageStep } from './private/model-from-package-step';
import { smokeTestStep, validateSample } from './private/smoke-test';
import { SageMakerWorkflow } from './sagemaker-workflow';
import { WorkflowObservabilityOptions } from './workflow-options';
import { IInferenceComponent } from '../hosting/inference-component';
import { fail, validateIn } from '../private/validate';
import { IModelPackageGroup } from '../registry/model-package-group';
import { SageMakerExecutionRole } from '../roles/sagemaker-execution-role';
import { DeployComponentStage } from '../stages/deploy-component-stage';

/**
 * Properties of an ApprovedComponentDeployment.
 */
export interface ApprovedComponentDeploymentProps extends WorkflowObservabilityOptions {
  /** The group whose versions are deployed (the execution input's `modelPackageArn` must be one of its versions). */
  readonly modelPackageGroup: IModelPackageGroup;

  /** The inference component the approved model is deployed to, with its reservation and rolling deployment config. */
  readonly component: IInferenceComponent;

  /**
   * The execution role of the models defined from the package. It must be able to read the
   * package's image and model data (grant them to it).
   *
   * @default - a SageMakerExecutionRole is defined
   */
  readonly modelRole?: iam.IRole;

  /**
   * The name prefix of the models defined from the package (`<prefix>-<uuid>`).
   *
   * @default 'approved'
   */
  readonly modelNamePrefix?: string;

  /**
   * The request body of a smoke test: one `InvokeEndpoint` of the component
   * (`InferenceComponentName`) once it serves the new model, which must succeed (a 2xx answer
   * from the model) for the execution to succeed (1 to 200,000 characters).
   *
   * @default - no smoke test
   */
  readonly samplePayload?: string;

  /**
   * The content type of the smoke test's request (1 to 1024 characters). Only with `samplePayload`.
   *
   * @default 'text/csv'
   */
  readonly sampleContentType?: string;

  /**
   * Whether a failed smoke test moves the component back to the model it served before and
   * deletes the new model. Only with `samplePayload`.
   *
   * @default true
   */
  readonly rollbackOnSmokeTestFailure?: boolean;

  /**
   * How often the deployment checks the component.
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * How many checks before a wait gives up.
   *
   * @default - enough for the component's maximumExecutionTimeout and 30 minutes, or 2 hours
   */
  readonly maxPolls?: number;
}

/**
 * The deploy workflow of an approval, for an inference component: started by `DeployOnApproval`
 * with `{ modelPackageArn }`, it defines a model from the approved version (tagged with it,
 * `cdk-sagemaker-ml:version`) and deploys it to the component with a `DeployComponentStage`
 * (rolling update, rollback alarms; a refused, rolled back or failed deployment deletes the model
 * and is notified on `failureTopic`), then invokes the component once with `samplePayload` (smoke
 * test; a failure rolls the component back to its previous model: `ComponentSmokeTestFailed`).
 *
 * A version already in service (the component serves a model this workflow defined for the same
 * `modelPackageArn`: SageMaker sends a state-change event for any change of an approved version,
 * and may send one twice) is not deployed again: the execution defines nothing and succeeds with
 * `outcome` `AlreadyInService`. Its output: `{ modelPackageArn, modelName, inferenceComponentName,
 * outcome }` (`modelName` the model served).
 */
export class ApprovedComponentDeployment extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic notified of unsuccessful executions. */
  public readonly failureTopic: sns.ITopic;
  /** The execution role of the models it defines. */
  public readonly modelRole: iam.IRole;
  /** The stage that deploys the model. */
  public readonly deployStage: DeployComponentStage;

  constructor(scope: Construct, id: string, props: ApprovedComponentDeploymentProps) {
    super(scope, id);
    const contentType = props.sampleContentType ?? 'text/csv';
    validateIn(this, () => {
      if (props.samplePayload === undefined) {
        if (props.sampleContentType !== undefined) fail('sampleContentType needs samplePayload: it is the content type of the smoke test, which runs only with a samplePayload');
        if (props.rollbackOnSmokeTestFailure !== undefined) fail('rollbackOnSmokeTestFailure needs samplePayload: without a samplePayload there is no smoke test to fail');
        return;
      }
      validateSample(contentType, props.samplePayload);
    });
    this.modelRole = props.modelRole ?? new SageMakerExecutionRole(this, 'ModelRole').role;
    const createModel = new ModelFromPackageStep(this, 'CreateModel', {
      modelPackageGroup: props.modelPackageGroup,
      role: this.modelRole,
      modelNamePrefix: props.modelNamePrefix ?? 'approved',
      stateName: 'define model from package',
      resultPath: '$.results.model',
      tags: { [DeployComponentStage.VERSION_TAG]: sfn.JsonPath.stringAt('$.modelPackageArn') },
    });
    const smokeTest = props.samplePayload === undefined ? undefined
      : smokeTestStep(this, { component: props.component }, props.samplePayload, contentType);
    this.deployStage = new DeployComponentStage(this, 'Deploy', {
      component: props.component,
      modelStep: createModel,
      modelName: sfn.JsonPath.stringAt('$.results.model.ModelName'),
      version: sfn.JsonPath.stringAt('$.modelPackageArn'),
      smokeTest,
      rollbackOnSmokeTestFailure: props.rollbackOnSmokeTestFailure,
      pollInterval: props.pollInterval,
      maxPolls: props.maxPolls,
    });
    const workflow = new SageMakerWorkflow(this, 'Workflow', {
      description: `Deploys approved versions of ${props.modelPackageGroup.node.id} to inference component ${props.component.node.id}`.slice(0, 200),
      definition: this.deployStage,
      outputs: {
        modelPackageArn: sfn.JsonPath.stringAt('$.modelPackageArn'),
        modelName: this.deployStage.servedModelName,
        inferenceComponentName: props.component.inferenceComponentName,
        outcome: this.deployStage.outcome,
      },
      encryptionKey: props.encryptionKey,
      failureTopic: props.failureTopic,
      logRetention: props.logRetention,
      logGroup: props.logGroup,
      stateMachineName: props.stateMachineName,
    });
    this.stateMachine = workflow.stateMachine;
    this.failureTopic = workflow.failureTopic;
  }
}
