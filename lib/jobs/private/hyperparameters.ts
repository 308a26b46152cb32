import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { jsonPathOfToken } from '../../data/private/json-path';

/**
 * Renders hyperparameters. SageMaker takes only strings, and a value read from the state
 * may be a JSON number (`{"max_iter": 50}` in the execution input, a metric of a report): a
 * `JsonPath` token (`JsonPath.stringAt('$.max_iter')`, a stage's output) becomes
 * `States.Format('{}', <path>)`, which renders any JSON scalar as a string. Intrinsic
 * functions (already strings) and literals are left as they are, whatever their first character.
 */
export function renderHyperparameters(hyperparameters?: { [key: string]: string }): { [key: string]: string } | undefined {
  if (!hyperparameters) return undefined;
  const rendered: { [key: string]: string } = {};
  for (const [key, value] of Object.entries(hyperparameters)) {
    const path = sfn.JsonPath.isEncodedJsonPath(value) ? jsonPathOfToken(value) : undefined;
    rendered[key] = path?.startsWith('$') ? sfn.JsonPath.format('{}', value) : value;
  }
  return rendered;
}
