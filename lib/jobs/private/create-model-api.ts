import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { SageMakerTaskApi } from '../sagemaker-task';

/**
 * The result of a CreateModel task: `{ ModelArn, ModelName }`. Model ARNs end in
 * 'model/<name>'; the name prefix is lowercase, so the last segment is the exact name.
 */
export const CREATE_MODEL_RESULT = {
  ModelArn: sfn.JsonPath.stringAt('$.ModelArn'),
  ModelName: sfn.JsonPath.arrayGetItem(sfn.JsonPath.stringSplit(sfn.JsonPath.stringAt('$.ModelArn'), '/'), 1),
};

/** The `createModel` call (request/response) of a task whose models are named `<prefix>-<uuid>`. */
export function createModelApi(namePrefix: string | undefined, defaultNamePrefix: string): SageMakerTaskApi {
  return {
    api: 'createModel',
    integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
    resourceType: 'model',
    actions: ['sagemaker:CreateModel'],
    nameField: 'ModelName',
    namePrefix,
    namePrefixProp: 'modelNamePrefix',
    defaultNamePrefix,
    lowercaseName: true,
    retryInterval: Duration.seconds(5),
  };
}
