import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from './managed-policy-role';
import { acknowledge } from './nag';
import { validateDuration } from './validate';

export interface ObservableStateMachineProps {
  readonly description: string;
  readonly encryptionKey?: kms.IKey;
  readonly failureTopic?: sns.ITopic;
  readonly logRetention?: logs.RetentionDays;
  readonly timeout?: Duration;
  readonly stateMachineName?: string;
  readonly role?: iam.IRole;
}

/**
 * The plumbing every workflow of the library shares: an encrypted log group (level ALL),
 * X-Ray tracing, an encrypted SNS topic notified of failures, and a failure path
 * (notify, then fail with the original error). Build the definition with `onError`
 * and `failurePath`, then call `finish`.
 */
export class ObservableStateMachine {
  public readonly failureTopic: sns.ITopic;
  public readonly logGroup: logs.ILogGroup;
  /** The state that notifies the failure topic and fails the execution with `$.error`. */
  public readonly failurePath: sfn.IChainable;
  public stateMachine?: sfn.StateMachine;
  private readonly key: kms.IKey;
  private readonly props: ObservableStateMachineProps;
  private readonly decryptKeys: kms.IKey[] = [];
  private readonly scope: Construct;

  /** Defines the plumbing's resources in `scope`. */
  constructor(scope: Construct, props: ObservableStateMachineProps) {
    this.scope = scope;
    this.props = props;
    validateDuration('timeout', props.timeout, Duration.minutes(1), Duration.days(365));
    const stack = Stack.of(scope);

    this.key = props.encryptionKey ?? new kms.Key(scope, 'Key', {
      description: `Encrypts the logs and notifications of: ${props.description}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts the log group with the key in the service's name.
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        },
      },
    }));

    this.failureTopic = props.failureTopic ?? new sns.Topic(scope, 'FailureTopic', {
      displayName: `Failures of: ${props.description}`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.logGroup = new logs.LogGroup(scope, 'Logs', {
      encryptionKey: this.key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const failed = new sfn.Fail(scope, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const notify = new tasks.SnsPublish(scope, 'NotifyFailure', {
      topic: this.failureTopic,
      subject: `Failed: ${props.description}`.slice(0, 99),
      message: sfn.TaskInput.fromObject({
        execution: sfn.JsonPath.executionId,
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    notify.addRetry({ errors: ['SNS.ThrottledException', 'SNS.InternalErrorException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    notify.addCatch(failed, { resultPath: '$.notifyError' });
    notify.next(failed);
    this.failurePath = notify;
  }

  /** Routes every error of `state` to the failure path, with the error at `$.error`. */
  public onError(state: sfn.TaskStateBase): void {
    state.addCatch(this.failurePath, { errors: ['States.ALL'], resultPath: '$.error' });
  }

  /** Lets the state machine decrypt with `key` (e.g. a report it reads). */
  public addDecryptKey(key?: kms.IKey): void {
    if (key) this.decryptKeys.push(key);
  }

  /** Defines the state machine. */
  public finish(definition: sfn.IChainable): sfn.StateMachine {
    const props = this.props;
    const stateMachine = new sfn.StateMachine(this.scope, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      role: props.role ?? new ManagedPolicyRole(this.scope, 'StateMachineRole', {
        assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
        description: `Runs: ${props.description}`,
      }),
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? Duration.days(7),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `${props.description} (cdk-sagemaker-ml)`,
    });
    const role = stateMachine.role.node;
    const policy = (role.tryFindChild('GrantsPolicy') ?? role.tryFindChild('DefaultPolicy'))?.node.defaultChild;
    if (policy) {
      acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]',
        'X-Ray (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and CloudWatch Logs delivery (logs:CreateLogDelivery, …) support no resource-level permissions; Step Functions needs them for tracing and logging.');
    }
    // The topic's key must let the publisher encrypt.
    if (!props.failureTopic) this.key.grant(stateMachine.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.decryptKeys.forEach(k => k.grant(stateMachine.role, 'kms:Decrypt'));
    this.stateMachine = stateMachine;
    return stateMachine;
  }
}
