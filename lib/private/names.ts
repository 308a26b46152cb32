import { createHash } from 'crypto';
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { fail, validateLength, validatePattern } from './validate';

/** SageMaker jobs, models, endpoint configs and endpoints: at most 63 characters. */
export const MAX_SAGEMAKER_NAME_LENGTH = 63;

/** `-` and a `States.UUID()` (36 characters). */
const UUID_SUFFIX_LENGTH = 1 + 36;
/** `-` and 20 hexadecimal digits (80 random bits) from two UUIDs, for names limited to 32 characters. */
const SHORT_SUFFIX_LENGTH = 1 + 20;

/** States.UUID() renders 36 characters; SageMaker job and model names allow 63. */
export const MAX_NAME_PREFIX_LENGTH = MAX_SAGEMAKER_NAME_LENGTH - UUID_SUFFIX_LENGTH;

function suffixLength(maxNameLength: number): number {
  return maxNameLength >= MAX_SAGEMAKER_NAME_LENGTH ? UUID_SUFFIX_LENGTH : SHORT_SUFFIX_LENGTH;
}

/** The longest prefix a name of at most `maxNameLength` characters leaves room for. */
export function maxPrefixLength(maxNameLength: number = MAX_SAGEMAKER_NAME_LENGTH): number {
  return maxNameLength - suffixLength(maxNameLength);
}

/**
 * Validates a job or model name prefix. Names are `<prefix>-<random>`, generated for each
 * execution: SageMaker names are unique per account and region and jobs cannot be deleted,
 * so a fixed name fails on the second execution.
 */
export function validateNamePrefix(prop: string, prefix: string, maxNameLength: number = MAX_SAGEMAKER_NAME_LENGTH): void {
  if (Token.isUnresolved(prefix)) {
    fail(`${prop} must be a literal string (it becomes part of the per-execution name), got a token`);
  }
  validateLength(prop, prefix, 1, maxPrefixLength(maxNameLength));
  validatePattern(prop, prefix, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens, starting and ending with a letter or digit');
}

/**
 * The JSONPath-intrinsic expression that names a SageMaker resource uniquely each time the
 * state is entered (a retried create gets a new name too).
 */
export function perExecutionName(prefix: string, maxNameLength: number = MAX_SAGEMAKER_NAME_LENGTH): string {
  if (suffixLength(maxNameLength) === UUID_SUFFIX_LENGTH) {
    return `States.Format('${prefix}-{}', States.UUID())`;
  }
  // No substring intrinsic: the first group (8 digits) of one UUID and the last (12) of another.
  const group = (index: number) => `States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), ${index})`;
  return `States.Format('${prefix}-{}{}', ${group(0)}, ${group(4)})`;
}

/**
 * A default name prefix distinct per construct: `<kind>-<8 hex digits of the construct
 * path's hash>`, lowercase (model ARNs are lowercase), within `maxNameLength`. Two
 * workflows in one account then never share a prefix, so the IAM policy one workflow's
 * state machine gets on `<prefix>-*` does not reach another's jobs.
 */
export function constructNamePrefix(scope: IConstruct, kind: string, maxNameLength: number = MAX_SAGEMAKER_NAME_LENGTH): string {
  const hash = createHash('sha256').update(scope.node.path).digest('hex').slice(0, 8);
  const room = maxPrefixLength(maxNameLength) - hash.length - 1;
  const head = kind.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, Math.max(room, 0)).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash;
}
