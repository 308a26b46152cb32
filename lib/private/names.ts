import { Token } from 'aws-cdk-lib';
import { validateLength, validatePattern } from './validate';

/** States.UUID() renders 36 characters; SageMaker job and model names allow 63. */
export const MAX_NAME_PREFIX_LENGTH = 63 - 1 - 36;

/**
 * Validates a job or model name prefix. Names are `<prefix>-<uuid>`, generated for each
 * execution: SageMaker names are unique per account and region and jobs cannot be deleted,
 * so a fixed name fails on the second execution.
 */
export function validateNamePrefix(prop: string, prefix: string): void {
  if (Token.isUnresolved(prefix)) {
    throw new Error(`${prop} must be a literal string (it becomes part of the per-execution name), got a token`);
  }
  validateLength(prop, prefix, 1, MAX_NAME_PREFIX_LENGTH);
  validatePattern(prop, prefix, /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'letters, digits and single hyphens, starting and ending with a letter or digit');
}

/** The JSONPath-intrinsic expression that names a SageMaker resource uniquely per state entry. */
export function perExecutionName(prefix: string): string {
  return `States.Format('${prefix}-{}', States.UUID())`;
}
