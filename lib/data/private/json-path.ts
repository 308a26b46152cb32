import { Tokenization } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * The JSONPath (or intrinsic function) a whole-string `sfn.JsonPath` token stands for, e.g.
 * `'$.results.Train.TrainingJobName'` for a stage output; undefined for anything else (a
 * literal, or text mixing literals and tokens).
 */
export function jsonPathOfToken(value: string): string | undefined {
  const fragments = Tokenization.reverseString(value);
  if (fragments.length !== 1) return undefined;
  const token = fragments.firstToken as { path?: unknown } | undefined;
  return token && sfn.JsonPath.isEncodedJsonPath(value) && typeof token.path === 'string' ? token.path : undefined;
}
