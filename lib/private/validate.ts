import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Synth-time validation. Every check skips unresolved tokens: a value known only at
 * deploy time is SageMaker's to judge. Messages name the prop, the bad value and what
 * is allowed; thrown inside `validateIn(scope, ...)` (or with `failAt`) they also name
 * the construct path, as aws-cdk-lib's own `ValidationError` does.
 *
 * aws-cdk-lib 2.276 declares `ValidationError` `@internal`, so the library throws a plain
 * `Error` of the same shape: `constructPath`, and a message that starts with the path.
 */

const UNSCOPED = Symbol.for('cdk-sagemaker-ml.UnscopedPropError');

/**
 * A bad prop value of a construct: a plain `Error` whose message starts with the construct
 * path, with `constructPath` and `detail` (the message without the path) as fields.
 */
export interface ConstructValidationError extends Error {
  readonly constructPath: string;
  readonly detail: string;
}

// The markers aws-cdk-lib's `Errors.isConstructError` / `Errors.isValidationError` look for (global
// symbols, so they hold across copies of aws-cdk-lib): the library's errors are recognised as
// aws-cdk-lib's own validation errors are.
const CONSTRUCT_ERROR = Symbol.for('@aws-cdk/core.SynthesisError');
const VALIDATION_ERROR = Symbol.for('@aws-cdk/core.ValidationError');

function scopedError(scope: IConstruct, message: string): ConstructValidationError {
  const error = new Error(`${scope.node.path}: ${message}`) as Error & { constructPath: string; detail: string; type: string; level: string };
  error.name = 'ValidationError';
  error.constructPath = scope.node.path;
  error.detail = message;
  error.type = 'validation';
  error.level = 'error';
  Object.defineProperty(error, CONSTRUCT_ERROR, { value: true });
  Object.defineProperty(error, VALIDATION_ERROR, { value: true });
  return error;
}

/**
 * Throws an Error for a bad prop value; `validateIn` attaches the construct path. One that
 * no construct catches (e.g. from `SageMakerInstanceType.of`) is still a validation error
 * to `Errors.isValidationError`, as aws-cdk-lib's `UnscopedValidationError` is.
 */
export function fail(message: string): never {
  const error = new Error(message);
  Object.defineProperty(error, UNSCOPED, { value: true });
  Object.defineProperty(error, CONSTRUCT_ERROR, { value: true });
  Object.defineProperty(error, VALIDATION_ERROR, { value: true });
  throw error;
}

/** Throws a validation error that names `scope`'s construct path. */
export function failAt(scope: IConstruct, message: string): never {
  throw scopedError(scope, message);
}

/**
 * Runs `checks` (which call `fail` and the validators below) and attaches any prop error
 * they throw to `scope`, so the message names the construct path. Errors already
 * attached to a construct (thrown by a nested construct) pass through unchanged.
 */
export function validateIn<T>(scope: IConstruct, checks: () => T): T {
  try {
    return checks();
  } catch (e) {
    if (e instanceof Error && (e as any)[UNSCOPED]) throw scopedError(scope, e.message);
    throw e;
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

export function validateInteger(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${prop} must be an integer between ${min} and ${max}, got ${show(value)}`);
  }
}

export function validateNumber(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isFinite(value) || value < min || value > max) {
    fail(`${prop} must be a number between ${min} and ${max}, got ${show(value)}`);
  }
}

export function validatePattern(prop: string, value: string | undefined, pattern: RegExp, allowed: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!pattern.test(value)) {
    fail(`${prop} must be ${allowed}, got ${show(value)}`);
  }
}

export function validateLength(prop: string, value: string | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (value.length < min || value.length > max) {
    fail(`${prop} must be between ${min} and ${max} characters long, got ${value.length} characters (${show(value)})`);
  }
}

export function validateCount(prop: string, count: number, max: number): void {
  if (count > max) {
    fail(`${prop} may have at most ${max} entries, got ${count}`);
  }
}

const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;

/** Whether a string has the form of a SageMaker instance type, `ml.<family>.<size>`. */
export function isInstanceType(value: string): boolean {
  return INSTANCE_TYPE.test(value);
}

/** A Region code such as `us-east-1`. */
export function validateRegion(prop: string, value: string | undefined): void {
  validatePattern(prop, value, /^[a-z]{2}(-[a-z]+)+-\d$/, "a Region code such as 'us-east-1'");
}

/** An ISO 4217 currency code such as `USD`. */
export function validateCurrency(prop: string, value: string): void {
  validatePattern(prop, value, /^[A-Z]{3}$/, "an ISO 4217 currency code such as 'USD'");
}

/** SageMaker instance types are `ml.<family>.<size>`; EC2 names (`m5.large`) are a common slip. */
export function validateInstanceType(prop: string, instanceType: string): void {
  validatePattern(prop, instanceType, INSTANCE_TYPE, "a SageMaker instance type of the form 'ml.<family>.<size>' (e.g. 'ml.m5.xlarge')");
}

/** A duration in whole seconds within [min, max]. */
export function validateDuration(prop: string, value: Duration | undefined, min: Duration, max: Duration): void {
  if (value === undefined || Token.isUnresolved(value.toSeconds({ integral: false }))) return;
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < min.toSeconds() || seconds > max.toSeconds()) {
    fail(`${prop} must be a whole number of seconds between ${min.toSeconds()} and ${max.toSeconds()} (${max.toHumanString()}), got ${value.toHumanString()}`);
  }
}

/** Entries of a string map (environment, hyperparameters) against SageMaker's key and value limits. */
export function validateStringMap(prop: string, map: { [key: string]: string } | undefined, opts: {
  readonly maxEntries: number;
  readonly keyPattern: RegExp;
  readonly keyAllowed: string;
  readonly maxKeyLength: number;
  readonly maxValueLength: number;
}): void {
  if (!map) return;
  const keys = Object.keys(map);
  validateCount(prop, keys.length, opts.maxEntries);
  for (const key of keys) {
    validateLength(`${prop} key`, key, 1, opts.maxKeyLength);
    validatePattern(`${prop} key`, key, opts.keyPattern, opts.keyAllowed);
    const value = map[key];
    if (value === undefined || value === null || typeof value !== 'string') {
      fail(`${prop}['${key}'] must be a string, got ${show(value)}`);
    }
    validateLength(`${prop}['${key}']`, value, 0, opts.maxValueLength);
  }
}

/**
 * A container's environment variables: names a shell accepts, within SageMaker's limits
 * for the API (they differ between jobs, models and transforms).
 */
export function validateEnvironment(prop: string, environment: { [key: string]: string } | undefined, limits: {
  readonly maxEntries: number;
  readonly maxKeyLength: number;
  readonly maxValueLength: number;
}): void {
  validateStringMap(prop, environment, {
    ...limits,
    keyPattern: /^[a-zA-Z_][a-zA-Z0-9_]*$/,
    keyAllowed: "a variable name ('[a-zA-Z_][a-zA-Z0-9_]*')",
  });
}

/** Names that must be unique within a list (channels, inputs, outputs, variants). */
export function validateUnique(prop: string, names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (Token.isUnresolved(name)) continue;
    if (seen.has(name)) {
      fail(`${prop} must be unique, got '${name}' more than once`);
    }
    seen.add(name);
  }
}

/**
 * Text that is spliced into a States.Format(...) template at synth time: the template
 * language treats `{`, `}`, `'` and `\` as syntax, so they are refused rather than escaped.
 */
export function validateFormatSafe(prop: string, value: string): void {
  validatePattern(prop, value, /^[^{}'\\]*$/, 'free of the characters { } \' and \\ (they are syntax in States.Format)');
}

/** A model whose role a construct must grant access to. */
export function requireModelRole(prop: string, model: { readonly role?: unknown; readonly node: { readonly path: string } }): void {
  if (!model.role) {
    fail(`${prop} must have a known execution role to be granted access to its S3 locations and topics, got '${model.node.path}' imported without one: import it with SageMakerModel.fromModelAttributes({ modelName, role })`);
  }
}
