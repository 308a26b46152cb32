import { Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * The JSONPath a value reads at run time when it is an `sfn.JsonPath` token (a stage's output, or
 * `sfn.JsonPath.stringAt('$.x')`); `undefined` for a literal. No string is taken for a path by its
 * first character.
 */
export function jsonPathOf(value: string): string | undefined {
  if (Token.isUnresolved(value) && sfn.JsonPath.isEncodedJsonPath(value)) {
    const rendered = sfn.FieldUtils.renderObject({ v: value }) as { [key: string]: string };
    return rendered['v.$'];
  }
  return undefined;
}

/** The value as a request field takes it: a JSONPath token for a path, else the literal. */
export function jsonPathValue(value: string): string {
  const path = jsonPathOf(value);
  return path === undefined ? value : sfn.JsonPath.stringAt(path);
}

/** The value as an intrinsic function's argument: the path, or a quoted, escaped literal. */
export function intrinsicArgument(value: string): string {
  const path = jsonPathOf(value);
  return path ?? `'${value.replace(/[\\'{}]/g, c => `\\${c}`)}'`;
}
