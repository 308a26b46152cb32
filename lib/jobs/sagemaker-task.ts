import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { passRoleToSageMaker, renderTags } from './private/job-policies';
import { retryCapacityErrors, retryTransientErrors, transientRetryBudget, CAPACITY_RETRY_INTERVAL } from './private/retries';
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
   * Whether the task retries SageMaker throttling and transient service errors
   * (5 attempts with exponential backoff and jitter). More retriers can be added with
   * `addRetry`.
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
   * The interval of the transient-error retrier.
   *
   * @default Duration.seconds(15)
   */
  readonly retryInterval?: Duration;
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
 *   own names only, `sagemaker:ListTags`/`AddTags` on them, `iam:PassRole` only to
 *   SageMaker, the `.sync` integration's managed rule;
 * - rendering: `arn:aws:states:::sagemaker:<api>[.sync]` with `Parameters`, always as a
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
      }));
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
    const interval = api.retryInterval ?? Duration.seconds(15);
    const transient = props.retryOnServiceErrors ?? true;
    if (transient) retryTransientErrors(this, interval);
    this.retryBudget = Duration.seconds(capacityRetries * CAPACITY_RETRY_INTERVAL.toSeconds()
      + (transient ? transientRetryBudget(interval).toSeconds() : 0));
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
    const request = {
      ...(api.nameField ? { [`${api.nameField}.$`]: perExecutionName(this.namePrefix, api.maxNameLength) } : {}),
      ...this._renderRequest(),
      Tags: renderTags(this.tags),
    };
    return {
      Resource: `arn:${Aws.PARTITION}:states:::sagemaker:${api.api}${suffix}`,
      ...this._renderParametersOrArguments(request, sfn.QueryLanguage.JSON_PATH),
    };
  }

  /**
   * Step Functions' `.sync` integrations tag the jobs they start (`MANAGED_BY_AWS`), and
   * AWS's generated policies include `sagemaker:ListTags`; user tags need `AddTags` too.
   */
  private taggingActions(): string[] {
    const sync = this.api.integrationPattern === sfn.IntegrationPattern.RUN_JOB;
    return ['sagemaker:ListTags', ...(sync || this.tags ? ['sagemaker:AddTags'] : [])];
  }
}
