import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { jsonPathOf, jsonPathValue } from './deploy-values';
import { IInferenceComponent } from '../../hosting/inference-component';
import { renderComputeResources } from '../../hosting/private/component-validation';
import { SageMakerSdkTask } from '../../jobs/private/sagemaker-sdk-task';
import { SageMakerTask } from '../../jobs/sagemaker-task';
import { registerWildcardResource } from '../../private/nag';
import { fail } from '../../private/validate';

/*
 * The SageMaker calls of a deployment to an inference component (DeployComponentStage), through
 * the AWS SDK integration (Step Functions has no optimized integration for inference components):
 * UpdateInferenceComponent with the component's own reservation and rolling deployment config,
 * DescribeInferenceComponent, and the DeleteModel of a failed deployment's model.
 */

/** A CloudFormation-shaped (camelCase) value in the API's request shape (PascalCase), undefined fields dropped. */
export function toApiRequestShape(value: unknown): any {
  if (Array.isArray(value)) return value.map(toApiRequestShape);
  if (value === null || typeof value !== 'object' || Token.isUnresolved(value)) return value;
  const result: { [key: string]: unknown } = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== undefined) result[key.charAt(0).toUpperCase() + key.slice(1)] = toApiRequestShape(inner);
  }
  return result;
}

/**
 * The UpdateInferenceComponent request that serves `modelName` with the component's reservation and
 * deployment config; without its rollback alarms when `rollbackAlarms` is false (a rollback after a
 * failed smoke test: the alarms may still be firing from the model being rolled back, and would
 * undo the rollback).
 */
export function updateComponentRequest(component: IInferenceComponent, modelName: string, rollbackAlarms = true): { [key: string]: any } {
  if (!component.computeResources) {
    fail(`component.computeResources is required: a deployment renders the reservation again, and component '${component.node.path}' was imported without one (InferenceComponent.fromInferenceComponentAttributes({ computeResources }))`);
  }
  const startup = component.modelDataDownloadTimeout || component.containerStartupHealthCheckTimeout ? {
    ModelDataDownloadTimeoutInSeconds: component.modelDataDownloadTimeout?.toSeconds(),
    ContainerStartupHealthCheckTimeoutInSeconds: component.containerStartupHealthCheckTimeout?.toSeconds(),
  } : undefined;
  return {
    InferenceComponentName: component.inferenceComponentName,
    Specification: toApiRequestShape({
      modelName: jsonPathValue(modelName),
      computeResourceRequirements: renderComputeResources(component.computeResources),
      startupParameters: startup && toApiRequestShape(startup),
    }),
    ...(component.deploymentConfig ? {
      DeploymentConfig: toApiRequestShape(rollbackAlarms
        ? component.deploymentConfig : { ...component.deploymentConfig, autoRollbackConfiguration: undefined }),
    } : {}),
  };
}

/** UpdateInferenceComponent: the update starts; its end is a Wait + DescribeInferenceComponent loop. */
export function updateComponentStep(
  scope: Construct, id: string, stateName: string, component: IInferenceComponent, modelName: string, rollbackAlarms = true,
): SageMakerSdkTask {
  const statements = [new iam.PolicyStatement({ actions: ['sagemaker:UpdateInferenceComponent'], resources: [component.inferenceComponentArn] })];
  // SageMaker's deployment guardrail: the caller must be allowed to read the rollback alarms.
  if (rollbackAlarms && component.rollbackAlarms.length) {
    statements.push(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: component.rollbackAlarms.map(a => a.alarmArn) }));
  }
  return new SageMakerSdkTask(scope, id, {
    stateName,
    api: 'updateInferenceComponent',
    resourceType: 'inference-component',
    request: updateComponentRequest(component, modelName, rollbackAlarms),
    statements,
    resultPath: sfn.JsonPath.DISCARD,
  });
}

/** DescribeInferenceComponent, its answer at `resultPath` (`InferenceComponentStatus`, `Specification.ModelName`, `FailureReason`). */
export function describeComponentStep(
  scope: Construct, id: string, stateName: string, component: IInferenceComponent, resultPath: string,
): SageMakerSdkTask {
  return new SageMakerSdkTask(scope, id, {
    stateName,
    api: 'describeInferenceComponent',
    resourceType: 'inference-component',
    request: { InferenceComponentName: component.inferenceComponentName },
    statements: [new iam.PolicyStatement({ actions: ['sagemaker:DescribeInferenceComponent'], resources: [component.inferenceComponentArn] })],
    resultPath,
  });
}

/**
 * ListTags of the model named at `modelNamePath`, one the step `definedBy` defined
 * (`<prefix>-<uuid>`, lowercase: its ARN ends with the name): the values of its version tag at
 * `resultPath` (`{ Versions: [..] }`, empty without the tag).
 */
export function readModelVersionStep(
  scope: Construct, id: string, stateName: string, definedBy: SageMakerTask, versionTag: string, modelNamePath: string, resultPath: string,
): SageMakerSdkTask {
  const models = modelArns(scope, definedBy);
  registerWildcardResource(scope, models, `A component deployment reads the version tag of the model the component serves, one an earlier execution defined, named '${definedBy.namePrefix.toLowerCase()}-<uuid>' at run time; the policy is limited to that name prefix.`);
  const modelArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'model', resourceName: '{}' });
  return new SageMakerSdkTask(scope, id, {
    stateName,
    api: 'listTags',
    resourceType: 'model',
    request: { ResourceArn: sfn.JsonPath.format(modelArn, sfn.JsonPath.stringAt(modelNamePath)) },
    statements: [new iam.PolicyStatement({ actions: ['sagemaker:ListTags'], resources: [models] })],
    resultSelector: { 'Versions.$': `$.Tags[?(@.Key == '${versionTag}')].Value` },
    resultPath,
  });
}

/** The ARNs of the models `step` defines (`<prefix>-*`). */
export function modelArns(scope: Construct, step: SageMakerTask): string {
  return Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'model', resourceName: `${step.namePrefix.toLowerCase()}-*` });
}

/**
 * The states that delete the model a failed deployment defined (best effort: a failed deletion is
 * recorded at `errorPath` and the execution goes on to `next`), or `next` when no step defined it.
 */
export function deleteModelOnFailure(scope: Construct, props: {
  readonly modelStep?: SageMakerTask;
  readonly modelName: string;
  readonly stateName: (what: string) => string;
  readonly errorPath: string;
  readonly next: sfn.IChainable;
}): sfn.IChainable {
  const step = props.modelStep;
  if (!step) return props.next;
  const path = jsonPathOf(props.modelName);
  if (path === undefined) fail(`modelName must be where the step that defines the model writes its name (a stage's output), got the literal '${props.modelName}'`);
  const prefix = step.namePrefix.toLowerCase();
  const models = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'model', resourceName: `${prefix}-*` });
  registerWildcardResource(scope, models, `A failed component deployment deletes the model its execution defined, named '${prefix}-<uuid>' at run time; the policy is limited to that name prefix.`);
  const remove = new SageMakerSdkTask(scope, 'DeleteModel', {
    stateName: props.stateName('delete model'),
    api: 'deleteModel',
    resourceType: 'model',
    request: { ModelName: sfn.JsonPath.stringAt(path) },
    statements: [new iam.PolicyStatement({ actions: ['sagemaker:DeleteModel'], resources: [models] })],
    resultPath: sfn.JsonPath.DISCARD,
  });
  remove.addCatch(props.next, { errors: ['States.ALL'], resultPath: props.errorPath });
  remove.next(props.next);
  return new sfn.Choice(scope, 'ModelDefined', { stateName: props.stateName('model defined?') })
    .when(sfn.Condition.isPresent(path), remove)
    .otherwise(props.next);
}
