import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { runsPerMonth } from '../private/schedule-expressions';

import { validateInteger, validateLength, validateIn } from '../private/validate';

/**
 * Properties of a RetrainingSchedule.
 */
export interface RetrainingScheduleProps {
  /** The workflow started on each occurrence (a training workflow's state machine). */
  readonly stateMachine: sfn.IStateMachine;

  /**
   * When the workflow starts: `ScheduleExpression.rate(Duration.days(7))`,
   * `ScheduleExpression.cron({ weekDay: 'MON', hour: '3', minute: '0' })` or
   * `ScheduleExpression.expression('cron(0 3 ? * MON *)')`. EventBridge Scheduler's
   * grammar: `rate(<n> minutes|hours|days)`, `cron(<6 fields>)`, `at(yyyy-mm-ddThh:mm:ss)`.
   */
  readonly schedule: scheduler.ScheduleExpression;

  /**
   * The execution input of every run.
   *
   * @default - an empty object
   */
  readonly input?: { [key: string]: any };

  /**
   * Whether the schedule starts runs. Off by default: every run provisions SageMaker
   * compute, so a deploy starts nothing that costs money until someone turns it on
   * (this prop, or `aws scheduler update-schedule --state ENABLED` for a trial).
   *
   * @default false
   */
  readonly enabled?: boolean;

  /**
   * A description of the schedule (up to 512 characters).
   *
   * @default - one naming the state machine
   */
  readonly description?: string;

  /**
   * The customer managed key that encrypts the schedule's input at rest.
   *
   * @default - an AWS owned key
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Where occurrences that could not start the workflow go after the retries.
   *
   * @default - none: they are dropped
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * How many times Scheduler retries a start that failed (0 to 185).
   *
   * @default 3
   */
  readonly retryAttempts?: number;
}

/**
 * Starts a workflow on a schedule with a fixed input (EventBridge Scheduler), for periodic
 * retraining. The schedule's role may start that one state machine and nothing else.
 * Disabled by default.
 */
export class RetrainingSchedule extends Construct {
  /** The schedule. */
  public readonly schedule: scheduler.Schedule;
  /** The role Scheduler assumes to start the workflow. */
  public readonly role: iam.IRole;
  /**
   * The number of runs the schedule starts in a 30-day month (exact for rate expressions, an
   * upper estimate for cron expressions, 1 for a one-time schedule), for cost estimates.
   */
  public readonly runsPerMonth: number;

  constructor(scope: Construct, id: string, props: RetrainingScheduleProps) {
    super(scope, id);
    this.runsPerMonth = validateIn(this, () => {
      validateLength('description', props.description, 0, 512);
      validateInteger('retryAttempts', props.retryAttempts, 0, 185);
      return runsPerMonth('schedule', props.schedule.expressionString);
    });

    const stack = Stack.of(this);
    // Scheduler assumes the role for schedules of this account's default group only.
    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
          },
        },
      }),
      description: `Starts ${props.stateMachine.node.path} on a schedule`,
    });

    this.schedule = new scheduler.Schedule(this, 'Resource', {
      schedule: props.schedule,
      description: props.description ?? `Retraining: starts ${props.stateMachine.node.path}`,
      enabled: props.enabled ?? false,
      key: props.encryptionKey,
      target: new targets.StepFunctionsStartExecution(props.stateMachine, {
        role: this.role,
        input: scheduler.ScheduleTargetInput.fromObject(props.input ?? {}),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: props.retryAttempts ?? 3,
        maxEventAge: Duration.hours(1),
      }),
    });
  }
}
