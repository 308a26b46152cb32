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
  remaining: number;
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
   * `s3:GetObject`) fail with the service error `code` (e.g. `ThrottlingException`,
   * `ResourceLimitExceeded`), before any other check.
   */
  public apiError(api: string, code: string, times: number = Number.POSITIVE_INFINITY, message?: string): this {
    this.apiFaults.push({ api: api.includes(':') ? api : `sagemaker:${api}`, code, message: message ?? `injected ${code}`, remaining: times });
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
  public takeApiError(service: string, api: string): { code: string; message: string } | undefined {
    const fault = this.apiFaults.find(f => f.api.toLowerCase() === `${service}:${api}`.toLowerCase() && f.remaining > 0);
    if (!fault) return undefined;
    fault.remaining--;
    return { code: fault.code, message: fault.message };
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
