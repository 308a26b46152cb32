import { Tokenization } from 'aws-cdk-lib';

/** The JSONPath (or intrinsic) a value made with `JsonPath.stringAt(...)` etc. stands for. */
function jsonPathOf(value: string): string | undefined {
  const fragments = Tokenization.reverseString(value);
  if (fragments.length !== 1) return undefined;
  const token = fragments.firstToken as { path?: unknown } | undefined;
  return token && typeof token.path === 'string' ? token.path : undefined;
}

/**
 * Renders hyperparameters. SageMaker takes only strings, and an execution input like
 * `{"max_iter": 50}` holds a number: a value read from the state with a plain path is
 * wrapped in `States.Format('{}', <path>)`, which renders any JSON scalar as a string.
 * Intrinsic expressions and literals are left as they are.
 */
export function renderHyperparameters(hyperparameters?: { [key: string]: string }): { [key: string]: string } | undefined {
  if (!hyperparameters) return undefined;
  const rendered: { [key: string]: string } = {};
  for (const [key, value] of Object.entries(hyperparameters)) {
    const path = jsonPathOf(value);
    if (path !== undefined && path.startsWith('$')) {
      rendered[`${key}.$`] = `States.Format('{}', ${path})`;
    } else {
      rendered[key] = value;
    }
  }
  return rendered;
}
