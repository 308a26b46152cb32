import * as crypto from 'crypto';
import { OPERATIONS, SHAPES } from './api-models.generated';

/**
 * How Step Functions names a service's error, and how the local runtime raises it.
 *
 * Step Functions names an error `<Service>.<ErrorName>` with an `Exception` suffix. An error
 * the service's API model declares (`ResourceLimitExceeded`, `ResourceNotFound`, `NoSuchKey`)
 * keeps its name; one it does not declare (SageMaker's `ValidationException` and
 * `ThrottlingException`) reaches the workflow as the SDK's generic exception:
 * `SageMaker.AmazonSageMakerException` from the optimized integrations
 * (`arn:aws:states:::sagemaker:*`), `SageMaker.SageMakerException` from the AWS SDK
 * integrations (`arn:aws:states:::aws-sdk:sagemaker:*`), `S3.S3Exception`, `SNS.SnsException`.
 * These are assumptions the README lists: the runtime cannot ask AWS.
 */
const SERVICE_NAMES: Record<string, string> = { sagemaker: 'SageMaker', sagemakerruntime: 'SageMakerRuntime', s3: 'S3', sns: 'SNS' };

/** An API error raised to the state machine: `name` is what Retry and Catch match. */
export class ApiError extends Error {
  /** The service's own error code, e.g. `ValidationException`. */
  public readonly code: string;
  constructor(name: string, code: string, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** Whether an integration is an optimized one (`arn:aws:states:::sagemaker:...`) or the AWS SDK one. */
export enum Integration {
  OPTIMIZED = 'OPTIMIZED',
  AWS_SDK = 'AWS_SDK',
}

/** The error Step Functions reports when `api` of `service` fails with `code`. */
export function apiError(service: string, api: string, code: string, message: string, integration: Integration): ApiError {
  const serviceName = SERVICE_NAMES[service] ?? service;
  const bare = code.replace(/Exception$/, '');
  const modeled = (OPERATIONS[`${service}:${api}`]?.errors ?? []).map(e => e.replace(/Exception$/, ''));
  let name: string;
  if (modeled.includes(bare)) name = `${serviceName}.${bare}Exception`;
  else if (service === 'sagemaker') name = integration === Integration.OPTIMIZED ? 'SageMaker.AmazonSageMakerException' : 'SageMaker.SageMakerException';
  else name = `${serviceName}.${serviceName === 'SNS' ? 'Sns' : serviceName}Exception`;
  const status = /Throttl/.test(code) ? 400 : /Internal|Unavailable/.test(code) ? 500 : 400;
  // The Cause reads like the AWS SDK's message, so what the failure path sees is realistic.
  const cause = `${message} (Service: ${serviceName === 'SageMaker' ? 'SageMaker' : serviceName}, Status Code: ${status}, Error Code: ${code}, Request ID: ${crypto.randomUUID()})`;
  return new ApiError(name, code, cause);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const patternCache = new Map<string, RegExp | null>();
function regexOf(pattern: string): RegExp | null {
  if (!patternCache.has(pattern)) {
    let re: RegExp | null = null;
    // botocore's patterns are Java regular expressions, matched against the whole value
    // (String.matches); nearly all are valid JavaScript ones.
    for (const flags of ['u', '']) {
      try {
        re = new RegExp(`^(?:${pattern})$`, flags);
        break;
      } catch {
        re = null;
      }
    }
    patternCache.set(pattern, re);
  }
  return patternCache.get(pattern)!;
}

function check(shapeId: string, value: any, where: string, problems: string[]): void {
  const shape = SHAPES[shapeId];
  if (!shape) return;
  const at = where || 'the request';
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${at} must be an object, got ${describe(value)}`);
        return;
      }
      for (const [key, v] of Object.entries(value)) {
        const member = shape.members[key];
        if (!member) {
          problems.push(`${where ? `${where}.` : ''}${key} is not a member of ${shapeId.split('#')[1]} (members: ${Object.keys(shape.members).join(', ')})`);
          continue;
        }
        check(member, v, where ? `${where}.${key}` : key, problems);
      }
      for (const required of shape.required ?? []) {
        if (value[required] === undefined) problems.push(`${where ? `${where}.` : ''}${required} is required`);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        problems.push(`${at} must be a list, got ${describe(value)}`);
        return;
      }
      if (shape.min !== undefined && value.length < shape.min) problems.push(`${at} must have at least ${shape.min} member(s), got ${value.length}`);
      if (shape.max !== undefined && value.length > shape.max) problems.push(`${at} must have at most ${shape.max} member(s), got ${value.length}`);
      value.forEach((v, i) => check(shape.member, v, `${at}[${i}]`, problems));
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${at} must be a map, got ${describe(value)}`);
        return;
      }
      const entries = Object.entries(value);
      if (shape.max !== undefined && entries.length > shape.max) problems.push(`${at} must have at most ${shape.max} entries, got ${entries.length}`);
      for (const [k, v] of entries) {
        check(shape.key, k, `${at} key '${k}'`, problems);
        check(shape.value, v, `${at}.${k}`, problems);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') {
        problems.push(`${at} must be a string, got ${describe(value)}`);
        return;
      }
      if (shape.min !== undefined && value.length < shape.min) problems.push(`${at} must be at least ${shape.min} characters long, got ${describe(value)}`);
      if (shape.max !== undefined && value.length > shape.max) problems.push(`${at} must be at most ${shape.max} characters long, got ${value.length}`);
      if (shape.enum && !shape.enum.includes(value)) {
        const allowed = shape.enum.length > 12 ? `${shape.enum.slice(0, 12).join(', ')}, ...` : shape.enum.join(', ');
        problems.push(`${at} must be one of ${allowed}; got ${describe(value)}`);
      }
      const re = shape.pattern ? regexOf(shape.pattern) : null;
      if (re && !re.test(value)) problems.push(`${at} must match ${shape.pattern}, got ${describe(value)}`);
      return;
    }
    case 'integer': case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        problems.push(`${at} must be an integer, got ${describe(value)}`);
        return;
      }
      if (shape.min !== undefined && value < shape.min) problems.push(`${at} must be at least ${shape.min}, got ${value}`);
      if (shape.max !== undefined && value > shape.max) problems.push(`${at} must be at most ${shape.max}, got ${value}`);
      return;
    }
    case 'float': case 'double': {
      if (typeof value !== 'number') problems.push(`${at} must be a number, got ${describe(value)}`);
      return;
    }
    case 'boolean': {
      if (typeof value !== 'boolean') problems.push(`${at} must be true or false, got ${describe(value)}`);
      return;
    }
    case 'timestamp': {
      if (typeof value !== 'string' && typeof value !== 'number') problems.push(`${at} must be a timestamp, got ${describe(value)}`);
      return;
    }
    default: return;
  }
}

/** The problems of a request to `api` of `service` (botocore names), as the API model sees them. */
export function requestProblems(service: string, api: string, request: any): string[] {
  const operation = OPERATIONS[`${service}:${api}`];
  if (!operation) throw new Error(`the local runtime has no API model of ${service}:${api}`);
  const problems: string[] = [];
  if (operation.input) check(operation.input, request ?? {}, '', problems);
  return problems;
}

/**
 * Validates a request against the API model; a request the service would reject raises the
 * error Step Functions reports for it (a `ValidationException`, named per integration).
 */
export function validateRequest(service: string, api: string, request: any, integration: Integration): void {
  const problems = requestProblems(service, api, request);
  if (problems.length) {
    const code = service === 's3' ? 'InvalidRequest' : service === 'sns' ? 'InvalidParameter' : 'ValidationException';
    throw apiError(service, api, code, `${problems.length} validation error(s) detected: ${problems.join('; ')}`, integration);
  }
}

/** `createTrainingJob` -> `CreateTrainingJob`. */
export function apiName(action: string): string {
  return action[0].toUpperCase() + action.slice(1);
}
