import { Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { fail } from '../../private/validate';
import type { DeployStageProps } from '../deploy-stage';

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

/**
 * A literal `version` is the configuration's tag value: SageMaker's Tag.Value takes at most 256
 * characters of `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$` (botocore sagemaker 2017-07-24, shape TagValue).
 * A token (read at run time) is SageMaker's to judge.
 */
export function validateVersion(version: string | undefined): void {
  if (version === undefined || Token.isUnresolved(version)) return;
  if (version.length > 256 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(version)) {
    fail(`version must be a value read at run time (sfn.JsonPath.stringAt(...), a stage's output) or a tag value of at most 256 letters, digits, spaces and _ . : / = + - @, got '${version}'`);
  }
}

/** The model props of a DeployStage: who defines the model, and the version (call within `validateIn`). */
export function validateModelProps(props: DeployStageProps): void {
  if (props.modelStep && props.version === undefined) {
    fail('version is required with modelStep: the model is named only when modelStep runs, after the stage checked whether the version is in service');
  }
  if (props.modelStep && props.modelDefinedBy) fail('modelDefinedBy and modelStep are exclusive: modelStep defines the model inside the stage, modelDefinedBy before it');
  for (const [prop, step] of [['modelStep', props.modelStep], ['modelDefinedBy', props.modelDefinedBy]] as const) {
    if (step && !step.namePrefix) fail(`${prop} must name the model it defines (a create-model step), got '${step.node.path}'`);
  }
  validateVersion(props.version);
}
