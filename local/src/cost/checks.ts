// Input checks of the cost estimate's price tables and options. The construct package has its own
// (with construct paths); this package is a separate install and checks what a user passes it.

/** Throws the estimate's input error. */
export function fail(message: string): never {
  throw new Error(message);
}

const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;

/** Whether a string has the form of a SageMaker instance type, `ml.<family>.<size>`. */
export function isInstanceType(value: string): boolean {
  return INSTANCE_TYPE.test(value);
}

/** `value` (when given) must match `pattern`; the message says what is allowed. */
export function validatePattern(prop: string, value: string | undefined, pattern: RegExp, allowed: string): void {
  if (value !== undefined && !pattern.test(value)) fail(`${prop} must be ${allowed}, got '${value}'`);
}

/** A Region code such as `us-east-1`. */
export function validateRegion(prop: string, value: string | undefined): void {
  validatePattern(prop, value, /^[a-z]{2}(-[a-z]+)+-\d$/, "a Region code such as 'us-east-1'");
}

/** An ISO 4217 currency code such as `USD`. */
export function validateCurrency(prop: string, value: string): void {
  validatePattern(prop, value, /^[A-Z]{3}$/, "an ISO 4217 currency code such as 'USD'");
}

/** SageMaker instance types are `ml.<family>.<size>`. */
export function validateInstanceType(prop: string, value: string): void {
  validatePattern(prop, value, INSTANCE_TYPE, "a SageMaker instance type of the form 'ml.<family>.<size>' (e.g. 'ml.m5.xlarge')");
}
