import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SageMakerIntegration, ServiceErrorRetry } from './private/fail-fast';
import { passRoleToSageMaker, renderTags } from './private/job-policies';
import { listTagsStatement } from './private/list-tags';
import { retryCapacityErrors, CAPACITY_RETRY_INTERVAL, SDK_RETRY_ATTEMPTS, SDK_RETRY_INTERVAL, TRANSIENT_RETRY_ATTEMPTS } from './private/retries';
import { registerWildcardResource } from '../private/nag';
import { constructNamePrefix, MAX_SAGEMAKER_NAME_LENGTH, perExecutionName, validateNamePrefix } from '../private/names';
import { validateTags } from './private/tags';
import { fail, failAt, validateIn, validateInteger } from '../private/validate';

/**
 * Properties every SageMaker task of the library shares.
 */
export interface SageMakerTaskProps extends sfn.TaskStateBaseProps {
  /**
   * Tags of the resource the task creates.
   *
   * @default - none
   */
  readonly tags?: { [key: string]: string };

  /**
   * Whether the task retries SageMaker throttling and transient service faults (up to 5
   * times, the pause doubling from 15 seconds; 3 times from 2 seconds for the AWS SDK
   * integration). Requests SageMaker refuses (validation, access denied, any other client
   * error) are never retried: they reach the task's catch at once. Step Functions reports
   * both under one error name, so the task catches it into a Choice that reads the Cause
   * and loops back through a Wait (its attempt counter is kept at the task's result path).
   * When false, that error is left to the task's own retriers and catchers.
   *
   * @default true
   */
  readonly retryOnServiceErrors?: boolean;

  /**
   * How many times a job whose create call fails with `ResourceLimitExceeded` (instance
   * quota or capacity) is tried again, every 60 seconds (as AWS's Step Functions SageMaker
   * example does). Each attempt gets a new job name. 0 fails at once. Ignored by tasks that
   * create no compute (models, endpoint configurations).
   *
   * @default 10
   */
  readonly capacityRetries?: number;
}

/**
 * What a concrete task tells the base about the SageMaker API it calls.
 */
export interface SageMakerTaskApi {
  /** The API, e.g. `createTrainingJob`. */
  readonly api: string;

  /** `RUN_JOB` for the `.sync` job integrations, `REQUEST_RESPONSE` for the others. */
  readonly integrationPattern: sfn.IntegrationPattern;

  /** The ARN resource type of what the call creates or changes, e.g. `training-job`. */
  readonly resourceType: string;

  /** The IAM actions on that resource, e.g. `sagemaker:CreateTrainingJob`. */
  readonly actions: string[];

  /**
   * The request field that names the created resource, e.g. `TrainingJobName`. The base
   * fills it with a name unique to each attempt: `<prefix>-<random>`.
   *
   * @default - the request names no new resource
   */
  readonly nameField?: string;

  /**
   * The prefix given by the user (validated against `maxNameLength`).
   *
   * @default - `<defaultNamePrefix>-<hash of the construct path>`
   */
  readonly namePrefix?: string;

  /**
   * The prop that holds the prefix, for error messages.
   *
   * @default 'namePrefix'
   */
  readonly namePrefixProp?: string;

  /**
   * The kind the default prefix starts with, e.g. `training`.
   *
   * @default - the resource type
   */
  readonly defaultNamePrefix?: string;

  /**
   * The longest name SageMaker accepts (hyperparameter tuning jobs: 32).
   *
   * @default 63
   */
  readonly maxNameLength?: number;

  /**
   * Whether SageMaker names the resource in its ARN in lowercase and the prefix must be
   * lowercase to match (models, whose name the task reads back from the ARN).
   *
   * @default false
   */
  readonly lowercaseName?: boolean;

  /**
   * The managed EventBridge rule a `.sync` integration uses to learn that the job ended.
   *
   * @default - none (request/response)
   */
  readonly eventRule?: string;

  /**
   * Whether the call starts compute that a `ResourceLimitExceeded` can refuse.
   *
   * @default false
   */
  readonly startsCompute?: boolean;

  /**
   * The first pause of the transient-error loop (each next pause doubles).
   *
   * @default - 15 seconds; 2 seconds for the AWS SDK integration
   */
  readonly retryInterval?: Duration;

  /**
   * Whether the task calls the AWS SDK integration (`arn:aws:states:::aws-sdk:sagemaker:<api>`,
   * generic error `SageMaker.SageMakerException`) rather than the optimized one
   * (`SageMaker.AmazonSageMakerException`). The subclass renders the resource itself.
   *
   * @default false
   */
  readonly sdkIntegration?: boolean;
}

/**
 * The base of every SageMaker task state the library renders: training, processing and
 * transform jobs, models, and the endpoint steps. It holds in one place:
 *
 * - per-attempt names (`<prefix>-<uuid>`, within SageMaker's name limit; the default
 *   prefix is derived from the construct path, so two workflows never share one);
 * - retries: `ResourceLimitExceeded` every 60 seconds (bounded by `capacityRetries`),
 *   throttling and transient faults with backoff, never `States.TaskFailed`;
 * - tags;
 * - the state machine's IAM statements: the API's actions on the ARNs of this task's
 *   own names only, `sagemaker:AddTags` on them, `sagemaker:ListTags` on `*` (as Step
 *   Functions' own policy templates and aws-cdk-lib's tasks grant it), `iam:PassRole` only to
 *   SageMaker, the `.sync` integration's managed rule;
 * - rendering: `arn:aws:states:::sagemaker:<api>[.sync]` (or `aws-sdk:sagemaker:<api>`) with `Parameters`, always as a
 *   JSONPath state (`QueryLanguage: JSONPath`), also among JSONata states.
 *
 * A concrete task renders only its request (`_renderRequest`).
 */
export abstract class SageMakerTask extends sfn.TaskStateBase {
  /** The prefix of the names this task gives (empty when it names nothing). */
  public readonly namePrefix: string;

  /** The step's CloudWatch metrics: none beyond the state's own. */
  protected readonly taskMetrics?: sfn.TaskMetricsConfig;
  /** What the state machine's role needs to run the step. */
  // Optional as TaskStateBase declares it (jsii); always set by the constructor.
  protected readonly taskPolicies?: iam.PolicyStatement[];

  private readonly api: SageMakerTaskApi;
  private readonly tags?: { [key: string]: string };
  private readonly retryBudget: Duration;
  private readonly serviceErrors?: ServiceErrorRetry;

  constructor(scope: Construct, id: string, props: SageMakerTaskProps, api: SageMakerTaskApi) {
    super(scope, id, { ...props, queryLanguage: sfn.QueryLanguage.JSON_PATH });
    this.api = api;
    this.tags = props.tags;
    const maxNameLength = api.maxNameLength ?? MAX_SAGEMAKER_NAME_LENGTH;

    this.namePrefix = validateIn(this, () => {
      if (props.queryLanguage === sfn.QueryLanguage.JSONATA) {
        fail('queryLanguage must be JSONPath (or unset) for a SageMaker task: it renders a JSONPath state, got JSONata');
      }
      if (props.integrationPattern !== undefined && props.integrationPattern !== api.integrationPattern) {
        const why = api.integrationPattern === sfn.IntegrationPattern.RUN_JOB ? "it waits for the job with '.sync'" : 'SageMaker answers at once';
        fail(`integrationPattern must be ${api.integrationPattern} for ${api.api} (${why}), got ${props.integrationPattern}`);
      }
      validateTags(props.tags);
      validateInteger('capacityRetries', props.capacityRetries, 0, 1000);
      if (!api.nameField) return '';
      const prop = api.namePrefixProp ?? 'namePrefix';
      if (api.namePrefix !== undefined) {
        validateNamePrefix(prop, api.namePrefix, maxNameLength);
        if (api.lowercaseName && api.namePrefix !== api.namePrefix.toLowerCase()) {
          fail(`${prop} must be lowercase (SageMaker writes the name lowercase in the ARN the task reads it back from), got '${api.namePrefix}'`);
        }
        return api.namePrefix;
      }
      return constructNamePrefix(this, api.defaultNamePrefix ?? api.resourceType, maxNameLength);
    });

    this.taskPolicies = [];
    if (api.nameField) {
      const stack = Stack.of(this);
      // SageMaker lowercases names in ARNs; the suffix is unknown until run time.
      const named = stack.formatArn({ service: 'sagemaker', resource: api.resourceType, resourceName: `${this.namePrefix.toLowerCase()}-*` });
      registerWildcardResource(this, named,
        `Each execution names its ${api.resourceType} '${this.namePrefix}-<random>' at run time; the policy is limited to that name prefix.`);
      this.taskPolicies!.push(new iam.PolicyStatement({
        actions: [...api.actions, ...this.taggingActions()],
        resources: [named],
      }), listTagsStatement(this));
    }
    if (api.eventRule) {
      this.taskPolicies!.push(new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: api.eventRule, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
      }));
    }

    // Order matters: Step Functions uses the first retrier whose errors match.
    const capacityRetries = api.startsCompute ? props.capacityRetries ?? 10 : 0;
    retryCapacityErrors(this, capacityRetries);
    const sdk = api.sdkIntegration ?? false;
    const attempts = sdk ? SDK_RETRY_ATTEMPTS : TRANSIENT_RETRY_ATTEMPTS;
    if (props.retryOnServiceErrors ?? true) {
      this.serviceErrors = new ServiceErrorRetry(this, {
        integration: sdk ? SageMakerIntegration.AWS_SDK : SageMakerIntegration.OPTIMIZED,
        interval: api.retryInterval ?? (sdk ? SDK_RETRY_INTERVAL : Duration.seconds(15)),
        maxAttempts: attempts,
        counterPath: counterPathOf(props.resultPath),
      });
    }
    // Each pass through the loop enters the task again, with its capacity retries afresh.
    const entries = this.serviceErrors ? attempts + 1 : 1;
    this.retryBudget = Duration.seconds(entries * capacityRetries * CAPACITY_RETRY_INTERVAL.toSeconds()
      + (this.serviceErrors?.budget.toSeconds() ?? 0));
  }

  /**
   * Adds a catcher. The first one that takes SageMaker's generic error (`States.ALL`,
   * `States.TaskFailed` or the error itself) gets the service-error loop in front of it:
   * throttling and server faults are retried, anything else reaches `handler` at once.
   */
  public addCatch(handler: sfn.IChainable, props: sfn.CatchProps = {}): sfn.TaskStateBase {
    const loop = this.serviceErrors;
    if (loop && ServiceErrorRetry.covers(props.errors, loop.integration)) {
      if (!loop.isInstalled) {
        loop.catchInto(handler, props.resultPath);
      } else if (loop.endsInOwnFail) {
        failAt(this, 'add the catchers of a SageMaker task before it joins a state machine or a Parallel branch: '
          + 'its service-error loop already ends in a Fail state of its own');
      }
    }
    return super.addCatch(handler, props);
  }

  /**
   * Without a catcher of its own, the service-error loop ends in a Fail state raising the
   * error again (the execution, or the Parallel branch, fails as without the loop).
   */
  public bindToGraph(graph: sfn.StateGraph): void {
    if (this.serviceErrors && !this.serviceErrors.isInstalled) this.serviceErrors.catchInto();
    super.bindToGraph(graph);
  }

  /**
   * The longest this task can take, retries included: the job's maximum runtime (spot
   * wait included) plus every retry interval. Workflows check their timeout against it.
   */
  public get maxDuration(): Duration {
    return Duration.seconds(this._runDuration().toSeconds() + this.retryBudget.toSeconds());
  }

  /**
   * Renders the task. A JSONPath state cannot sit in a state machine whose top-level
   * query language is JSONata (Step Functions' "State machine structure": a top-level
   * JSONata machine cannot mix in JSONPath states), so that is refused with the path.
   */
  public toStateJson(topLevelQueryLanguage?: sfn.QueryLanguage): object {
    if (topLevelQueryLanguage === sfn.QueryLanguage.JSONATA) {
      failAt(this, 'a SageMaker task renders a JSONPath state, which Step Functions does not allow in a state machine whose top-level queryLanguage is JSONata; '
        + 'leave the state machine JSONPath (the default) and set queryLanguage JSONata on the other states');
    }
    // aws-cdk-lib renders no QueryLanguage for a JSONPath state; say it, so the state stays
    // JSONPath wherever it is (its Parameters use '.$' keys).
    const { QueryLanguage: _unset, ...rendered } = super.toStateJson(topLevelQueryLanguage) as { [key: string]: unknown };
    return { QueryLanguage: 'JSONPath', ...rendered };
  }

  /** Lets the state machine pass `role` to SageMaker (and to no other service). */
  protected addPassRole(role: iam.IRole): void {
    this.taskPolicies!.push(passRoleToSageMaker(role));
  }

  /**
   * The longest the SageMaker work itself takes, retries excluded.
   * @internal
   */
  protected _runDuration(): Duration {
    return Duration.minutes(1);
  }

  /**
   * The request of the SageMaker API call, JSONPath fields suffixed `.$`. The name field
   * and the tags are added by the base.
   * @internal
   */
  protected abstract _renderRequest(): { [key: string]: any };

  /**
   * @internal
   */
  protected _renderTask(_topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const api = this.api;
    const suffix = api.integrationPattern === sfn.IntegrationPattern.RUN_JOB ? '.sync' : '';
    const service = api.sdkIntegration ? 'aws-sdk:sagemaker' : 'sagemaker';
    const request = {
      ...(api.nameField ? { [`${api.nameField}.$`]: perExecutionName(this.namePrefix, api.maxNameLength) } : {}),
      ...this._renderRequest(),
      Tags: renderTags(this.tags),
    };
    return {
      Resource: `arn:${Aws.PARTITION}:states:::${service}:${api.api}${suffix}`,
      ...this._renderParametersOrArguments(request, sfn.QueryLanguage.JSON_PATH),
    };
  }

  /**
   * Step Functions' `.sync` integrations tag the jobs they start (`MANAGED_BY_AWS`: aws-cdk-lib's
   * SageMakerCreateTrainingJob grants `sagemaker:AddTags` on its jobs); user tags need it too.
   * `sagemaker:ListTags` is granted on `*` (list-tags.ts).
   */
  private taggingActions(): string[] {
    const sync = this.api.integrationPattern === sfn.IntegrationPattern.RUN_JOB;
    return sync || this.tags ? ['sagemaker:AddTags'] : [];
  }
}

/**
 * The service-error loop's counter: at the task's own result path when it is a field (a
 * success overwrites it, so a task entered again counts afresh), else its own field.
 */
function counterPathOf(resultPath: string | undefined): string | undefined {
  return resultPath && resultPath !== '$' && resultPath.startsWith('$.') ? resultPath : undefined;
}
