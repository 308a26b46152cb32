import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ManagedGrantsRole, ManagedPolicyRole } from '../../private/managed-policy-role';
import { acknowledge, acknowledgeInCompliancePacks } from '../../private/nag';
import { fail, failAt, validateDuration, validateIn, validateLength, validatePattern } from '../../private/validate';
import { WorkflowOptions } from '../workflow-options';

/**
 * A workflow's options (its input defaults aside: the definition applies them) and its
 * description. `timeout` is checked against `minimumTimeout`; with `logGroup`, `encryptionKey`
 * does not encrypt the logs.
 */
export interface ObservableStateMachineProps extends WorkflowOptions {
  readonly description: string;
}

/** The statuses of an execution that did not succeed. */
export const UNSUCCESSFUL_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/**
 * The plumbing every workflow of the library shares: an encrypted log group (level ALL),
 * X-Ray tracing, an encrypted SNS topic, and an EventBridge rule that notifies the topic
 * of every execution that fails, times out or is aborted, once, with the execution, its
 * status, error and cause. Failures inside the definition end in `Fail` states that carry
 * the job's error and cause; no state publishes to SNS itself (a Catch never sees a
 * timeout or an abort, and a States.Runtime error bypasses every Catch, so only the
 * execution's own status change reaches every case).
 */
export class ObservableStateMachine {
  public readonly failureTopic: sns.ITopic;
  public readonly logGroup: logs.ILogGroup;
  /** A Fail state that ends the execution with `$.error.Error` / `$.error.Cause`. */
  public readonly failState: sfn.Fail;
  public stateMachine?: sfn.StateMachine;
  private readonly props: ObservableStateMachineProps;
  private readonly scope: Construct;

  /** Defines the plumbing's resources in `scope`. */
  constructor(scope: Construct, props: ObservableStateMachineProps) {
    this.scope = scope;
    this.props = props;
    validateIn(scope, () => {
      validateDuration('timeout', props.timeout, Duration.minutes(1), Duration.days(365));
      // aws-cdk-lib's StateMachine takes 1 to 80 of these characters (a subset of Step Functions' own
      // rules); checked here so that the error names the prop and the construct.
      validateLength('stateMachineName', props.stateMachineName, 1, 80);
      validatePattern('stateMachineName', props.stateMachineName, /^[a-z0-9+!@.()\-=_']+$/i, "letters, digits and + ! @ . ( ) - = _ '");
    });
    const stack = Stack.of(scope);

    validateIn(scope, () => {
      if (props.logGroup && props.logRetention !== undefined) {
        fail(`logRetention applies to the log group the workflow defines; set the retention of the logGroup given ('${props.logGroup.node.path}') where it is defined, or remove logRetention`);
      }
    });

    // The key encrypts what the workflow defines itself: its log group and failure topic.
    const definesLogGroup = props.logGroup === undefined;
    const definesTopic = props.failureTopic === undefined;
    const key = definesLogGroup || definesTopic ? props.encryptionKey ?? new kms.Key(scope, 'Key', {
      description: `Encrypts the logs and notifications of: ${props.description}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    }) : undefined;
    if (key && definesLogGroup) {
      // CloudWatch Logs encrypts the log group with the key in the service's name.
      const added = key.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }));
      if (!added.statementAdded) refuseImportedKey(scope, key, 'the log group it defines (CloudWatch Logs uses the key only if its key policy lets the logs service principal of the Region do so)');
    }

    this.failureTopic = props.failureTopic ?? new sns.Topic(scope, 'FailureTopic', {
      // SNS display names are at most 100 characters; the full description is in each message.
      displayName: displayNameOf(`Failures of: ${props.description}`),
      masterKey: key,
      enforceSSL: true,
    });
    // EventBridge publishes to the encrypted topic: SNS uses the key in the publisher's name
    // (SNS developer guide, "Enable compatibility between event sources and encrypted topics").
    // A topic of the user's own gets the statement when its key is one this app defines (an
    // imported key's policy cannot be changed here: the README says what it needs).
    const topicKey = props.failureTopic ? props.failureTopic.masterKey : key;
    const published = topicKey?.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
    }));
    if (definesTopic && key && !published?.statementAdded) {
      refuseImportedKey(scope, key, 'the failure topic it defines (EventBridge publishes to it only if the key policy lets events.amazonaws.com use the key)');
    }
    this.logGroup = props.logGroup ?? new logs.LogGroup(scope, 'Logs', {
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.logRetention === logs.RetentionDays.INFINITE) {
      // CloudFormation keeps logs forever when RetentionInDays is absent, which the rule reads as no retention period.
      acknowledgeInCompliancePacks(this.logGroup.node.defaultChild!, 'CloudWatchLogGroupRetentionPeriod',
        'logRetention is RetentionDays.INFINITE: the execution logs are never deleted, which exceeds any minimum retention; CloudFormation expresses it by leaving RetentionInDays out.');
    }
    this.failState = new sfn.Fail(scope, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
  }

  /** Routes every error of `state` to `failState`, with the error at `$.error`. */
  public onError(state: sfn.TaskStateBase): void {
    state.addCatch(this.failState, { errors: ['States.ALL'], resultPath: '$.error' });
  }

  /**
   * Defines the state machine and its failure notification.
   *
   * @param minimumTimeout the longest the definition's jobs and waits can take; the
   * timeout defaults to it plus an hour and may not be shorter
   * @param budget how `minimumTimeout` is made up, for the error message
   */
  public finish(definition: sfn.IChainable, minimumTimeout: Duration = Duration.seconds(0), budget: string = ''): sfn.StateMachine {
    const props = this.props;
    const timeout = props.timeout ?? Duration.seconds(Math.min(minimumTimeout.toSeconds() + 3600, Duration.days(365).toSeconds()));
    if (timeout.toSeconds() < minimumTimeout.toSeconds()) {
      validateIn(this.scope, () => fail(`timeout must be at least ${minimumTimeout.toHumanString()} (${minimumTimeout.toSeconds()} seconds), the longest its jobs, retries and waits can take (${budget}), got ${timeout.toHumanString()}`));
    }
    if (minimumTimeout.toSeconds() > Duration.days(365).toSeconds()) {
      validateIn(this.scope, () => fail(`the jobs, retries and waits of the workflow can take ${minimumTimeout.toHumanString()} (${budget}), more than a standard workflow may run (1 year)`));
    }
    const stateMachine = new sfn.StateMachine(this.scope, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      // A team's iam.Role gets the grants in a managed policy too (an inline one fails three packs).
      role: props.stateMachineRole ? ManagedGrantsRole.of(this.scope, 'StateMachineRoleGrants', props.stateMachineRole) : new ManagedPolicyRole(this.scope, 'StateMachineRole', {
        assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
        description: `Runs: ${props.description}`,
      }),
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `${props.description} (cdk-sagemaker-ml)`,
    });
    const role = stateMachine.role.node;
    // A role of the library's, a team's iam.Role (DefaultPolicy) or an imported role (a Policy
    // the grants attach to it, 'Policy<id>'): the X-Ray and log-delivery wildcard is the same.
    // A ManagedPolicyRole whose statements outgrow one policy continues in GrantsPolicy2, ...:
    // the one that took the wildcard statements.
    const grantsPolicies = role.children.filter((c): c is iam.ManagedPolicy => c instanceof iam.ManagedPolicy && /^GrantsPolicy\d*$/.test(c.node.id));
    const wildcard = grantsPolicies.filter(p => (p.document.toJSON()?.Statement ?? []).some((st: any) => ([] as unknown[]).concat(st.Resource).includes('*')));
    const policies = grantsPolicies.length > 0 ? wildcard.map(p => p.node.defaultChild!)
      : [(role.tryFindChild('DefaultPolicy') ?? role.children.find(c => c instanceof iam.Policy))?.node.defaultChild].filter(p => p !== undefined);
    for (const policy of policies) {
      acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]',
        'X-Ray (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and CloudWatch Logs delivery (logs:CreateLogDelivery, …) support no resource-level permissions; Step Functions needs them for tracing and logging.');
    }

    this.notifyFailures(stateMachine);
    this.stateMachine = stateMachine;
    return stateMachine;
  }

  /**
   * Every execution that does not succeed, once: Step Functions' own status change event
   * (Step Functions developer guide, eventbridge-integration.html, "Execution Status Change":
   * detail.executionArn, stateMachineArn, status, error, cause, stopDate), published as JSON
   * whatever the event carries.
   *
   * EventBridge's input transformer puts a variable in a JSON value position as its JSON
   * value (a string quoted and escaped, an object as is), but a variable whose path is not in
   * the event "isn't created and won't appear in the output" (EventBridge user guide,
   * eb-transform-target-input.html, "Common issues with transforming input"): `"error": <error>`
   * would leave `"error": ,`. So two rules split the events by EventBridge's exists matching,
   * which "works on the presence or absence of a field in the JSON of the event" (a null value
   * is present; user guide, eb-create-pattern-operators.html, "Exists matching"):
   * - every field present (null or not): `{ workflow, execution, status, error, cause, stopDate }`;
   * - any of them absent: `{ workflow, status, detail }`, the event's detail as it came
   *   (status and detail always exist: the pattern matches `detail.status`).
   * Exactly one of them matches each event, so each failure is notified once.
   */
  private notifyFailures(stateMachine: sfn.StateMachine): void {
    const props = this.props;
    const fields = ['executionArn', 'error', 'cause', 'stopDate'];
    const base = { status: UNSUCCESSFUL_STATUSES, stateMachineArn: [stateMachine.stateMachineArn] };
    const description = `Notifies failed, timed-out and aborted executions of: ${props.description}`;
    new events.Rule(this.scope, 'ExecutionFailedRule', {
      description: description.slice(0, 512),
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { ...base, ...Object.fromEntries(fields.map(f => [f, [{ exists: true }]])) },
      },
      targets: [new targets.SnsTopic(this.failureTopic, {
        message: events.RuleTargetInput.fromObject({
          workflow: props.description,
          execution: events.EventField.fromPath('$.detail.executionArn'),
          status: events.EventField.fromPath('$.detail.status'),
          error: events.EventField.fromPath('$.detail.error'),
          cause: events.EventField.fromPath('$.detail.cause'),
          stopDate: events.EventField.fromPath('$.detail.stopDate'),
        }),
      })],
    });
    new events.Rule(this.scope, 'ExecutionFailedRuleIncompleteEvent', {
      description: `${description} (events without an execution ARN, error, cause or stop date)`.slice(0, 512),
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { ...base, $or: fields.map(f => ({ [f]: [{ exists: false }] })) },
      },
      targets: [new targets.SnsTopic(this.failureTopic, {
        message: events.RuleTargetInput.fromObject({
          workflow: props.description,
          status: events.EventField.fromPath('$.detail.status'),
          detail: events.EventField.fromPath('$.detail'),
        }),
      })],
    });
  }
}

/**
 * An imported key (`kms.Key.fromKeyArn`, `fromLookup`) keeps the policy it has: the app cannot
 * add the statement the service needs, so the resource would fail at deploy time or never get
 * its messages. Refused at synth.
 */
function refuseImportedKey(scope: Construct, key: kms.IKey, use: string): never {
  return failAt(scope, `encryptionKey must be a key defined in this app (kms.Key) to encrypt ${use}, got the imported key ${Token.isUnresolved(key.keyArn) ? `'${key.node.path}'` : `'${key.keyArn}'`} whose key policy cannot be changed here; pass a kms.Key, or your own logGroup and failureTopic whose keys already allow their services`);
}

/** A topic display name within SNS's 100 characters: a longer one ends in an ellipsis. */
function displayNameOf(text: string): string {
  return text.length <= 100 ? text : `${text.slice(0, 99)}…`;
}
