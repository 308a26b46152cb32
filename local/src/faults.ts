import * as crypto from 'crypto';

/** How an endpoint update ends, when a fault is injected. */
export enum EndpointUpdateOutcome {
  /** The update rolls back: the endpoint is InService with its previous configuration. */
  ROLLBACK = 'ROLLBACK',
  /** The update fails: the endpoint is Failed. */
  FAIL = 'FAIL',
  /** The endpoint stays Updating for ever. */
  STUCK = 'STUCK',
}

interface ApiFault {
  readonly api: string;
  readonly code: string;
  readonly message: string;
  readonly status: number;
  remaining: number;
}

/**
 * The HTTP status AWS answers an error code with: SageMaker's throttling is a 400 whose code
 * is ThrottlingException (message "Rate exceeded"); InternalFailure 500 and
 * ServiceUnavailable 503 (the AWS common errors, SageMaker API Reference "Common Errors").
 */
export function statusOfErrorCode(code: string): number {
  if (/^InternalFailure|^InternalServerError|^InternalError/.test(code)) return 500;
  if (/^ServiceUnavailable/.test(code)) return 503;
  return 400;
}

/**
 * The Cause Step Functions gives a service error, as the AWS SDK for Java formats its
 * exception message: the optimized integrations (SDK v1, `AmazonSageMakerException`)
 * `<message> (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: <id>; Proxy: null)`,
 * the AWS SDK integrations (SDK v2) `<message> (Service: SageMaker, Status Code: 400, Request ID: <id>)`
 * (no error code: only the message and the status tell a refused request from throttling).
 */
export function serviceErrorCause(
  service: string, optimized: boolean, code: string, message: string, status: number = statusOfErrorCode(code)): string {
  const requestId = crypto.randomUUID();
  if (optimized && service === 'sagemaker') {
    return `${message} (Service: AmazonSageMaker; Status Code: ${status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`;
  }
  const name = service === 'sagemaker' ? 'SageMaker' : service === 'sagemakerruntime' ? 'SageMakerRuntime' : service === 's3' ? 'S3' : service === 'sns' ? 'Sns' : service;
  return `${message} (Service: ${name}, Status Code: ${status}, Request ID: ${requestId})`;
}

/**
 * Faults to inject into a local run: jobs that fail, API errors, missing output files,
 * endpoint updates that do not end well. Chain the calls:
 * `faults.apiError('CreateTrainingJob', 'ThrottlingException', 2).failJob('evaluate', 'no data')`.
 */
export class LocalFaults {
  private readonly jobFailures: Array<{ prefix: string; reason: string }> = [];
  private readonly apiFaults: ApiFault[] = [];
  private readonly omitted: string[] = [];
  private updateOutcome?: EndpointUpdateOutcome;
  private createOutcome?: EndpointUpdateOutcome;

  /**
   * Jobs whose name starts with `jobNamePrefix` fail with `reason` (their entry point does not
   * run), as a container that wrote `reason` to `/opt/ml/output/failure` would.
   */
  public failJob(jobNamePrefix: string, reason: string): this {
    this.jobFailures.push({ prefix: jobNamePrefix, reason });
    return this;
  }

  /**
   * The next `times` calls of `api` (e.g. `CreateTrainingJob`, `DescribeEndpoint`, or
   * `s3:GetObject`) fail with the service error `code` (e.g. `ValidationException`,
   * `ThrottlingException`, `ResourceLimitExceeded`), before any other check; by default
   * always. The error reaches the state machine as Step Functions reports it: a code the
   * API model declares under its own name, any other under the integration's generic
   * exception (`SageMaker.AmazonSageMakerException`, `SageMaker.SageMakerException`) with
   * the Cause in the AWS SDK for Java's format (`serviceErrorCause`).
   *
   * @param message the error message (default: "Rate exceeded" for ThrottlingException, as SageMaker answers)
   * @param status the HTTP status (default: 500 or 503 for InternalFailure and ServiceUnavailable, else 400)
   */
  public apiError(api: string, code: string, times: number = Number.POSITIVE_INFINITY, message?: string, status?: number): this {
    this.apiFaults.push({
      api: api.includes(':') ? api : `sagemaker:${api}`,
      code,
      message: message ?? (code === 'ThrottlingException' ? 'Rate exceeded' : `injected ${code}`),
      status: status ?? statusOfErrorCode(code),
      remaining: times,
    });
    return this;
  }

  /** A processing job does not upload output files named `fileName` (e.g. the evaluation report). */
  public omitOutputFile(fileName: string): this {
    this.omitted.push(fileName);
    return this;
  }

  /** Every endpoint update ends with `outcome`. */
  public endpointUpdate(outcome: EndpointUpdateOutcome): this {
    this.updateOutcome = outcome;
    return this;
  }

  /** Every endpoint creation ends with `outcome` (FAIL or STUCK). */
  public endpointCreate(outcome: EndpointUpdateOutcome): this {
    this.createOutcome = outcome;
    return this;
  }

  /** @internal the failure reason injected for a job, if any */
  public jobFailure(jobName: string): string | undefined {
    return this.jobFailures.find(f => jobName.startsWith(f.prefix))?.reason;
  }

  /** @internal consumes one injected API error of `service:Api`, if any */
  public takeApiError(service: string, api: string): { code: string; message: string; status: number } | undefined {
    const fault = this.apiFaults.find(f => f.api.toLowerCase() === `${service}:${api}`.toLowerCase() && f.remaining > 0);
    if (!fault) return undefined;
    fault.remaining--;
    return { code: fault.code, message: fault.message, status: fault.status };
  }

  /** @internal whether an output file is to be left out */
  public omits(relativePath: string): boolean {
    const name = relativePath.split('/').pop()!;
    return this.omitted.includes(name);
  }

  /** @internal */
  public get endpointUpdateOutcome(): EndpointUpdateOutcome | undefined {
    return this.updateOutcome;
  }

  /** @internal */
  public get endpointCreateOutcome(): EndpointUpdateOutcome | undefined {
    return this.createOutcome;
  }
}
