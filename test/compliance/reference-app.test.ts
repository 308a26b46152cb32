import * as fs from 'fs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { CfnElement, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
// eslint-disable-next-line import/no-extraneous-dependencies
import { validateAsl } from './asl';
import { sagemakerContractViolations, sagemakerTaskCount } from './sagemaker-contract';
import { costSection, diagramsSection, README } from '../../scripts/readme';
import { referenceApp, stacksOf } from '../composition/apps';
import { describeIfCfnLint, startCfnLint, unexpectedAnnotations } from '../composition/cfn-lint';
import { definitionOf, ENV } from '../util';

/**
 * What a deployment would check, checked without one: every state machine is valid Amazon
 * States Language, every SageMaker request matches SageMaker's API model, and every template
 * passes the AWS Control Tower proactive controls (cfn-guard).
 */

/**
 * Control Tower rules that do not apply here, each with why. cfn-guard has no per-resource
 * acknowledgement (acknowledging a finding hides every finding of the rule), so a rule that
 * does not apply to one resource is disabled for the run, with its reason.
 */
export const DISABLED_GUARD_RULES: Record<string, string> = {
  // keys: the rule files the validator takes in disabledRules; comments: the rule names it reports
  // s3_bucket_object_lock_enabled_check
  'ct-s3-pr-9': 'Object Lock (WORM) would forbid deleting training data on request (e.g. erasure) and overwriting artifacts; versioning and RETAIN protect the buckets instead.',
  // s3_bucket_default_encryption_kms_check
  'ct-s3-pr-10': 'The access-log bucket must use SSE-S3: S3 server access logging does not deliver to SSE-KMS buckets. The data and artifacts buckets use KMS.',
  // s3_bucket_logging_enabled_check
  'ct-s3-pr-2': 'The access-log bucket is the log target; logging it would log its own deliveries. The data and artifacts buckets log to it.',
  // sqs_dlq_check
  'ct-sqs-pr-1': 'A dead-letter queue has no dead-letter queue of its own; the notification queue has one.',
  // cloudwatch_alarm_action_check
  'ct-cloudwatch-pr-1': "The endpoint rollback alarms are read by SageMaker's deployment guardrail (AutoRollbackConfiguration) and need no action; the scale-from-zero alarm has one.",
  // kms_create_grant_aws_service_check
  'ct-kms-pr-3': "The keys keep the CDK's default policy, which delegates to IAM (the account root may use the key); the CreateGrant the library grants to execution roles is in IAM and limited to AWS resources.",
};

// The reference app as bin/app.ts builds it, synthesized once for every check of it in this file
// (each synthesis costs several CPU seconds): these, cfn-lint, the synth annotations and the README's
// generated sections.
const reference = referenceApp();
const stacks: Stack[] = stacksOf(reference.stacks);
const assembly = reference.assembly;
// cfn-lint runs in a child process while the checks below run.
const linted = startCfnLint(reference.templates);
// Every state machine of every stack (the real-time stack has its deploy and baseline workflows).
const machines = stacks.flatMap(stack => stack.node.findAll()
  .filter((c): c is sfn.StateMachine => c instanceof sfn.StateMachine)
  .map(m => [`${m.node.path}`, stack, stack.getLogicalId(m.node.defaultChild as CfnElement)] as const));

test('CloudFormation validation of the templates ran on the worker thread, as in `cdk synth` of bin/app.ts', () => {
  expect(reference.validatedOn).toBe('worker');
});

describe.each(machines)('%s', (_name, stack, logicalId) => {
  const definition = definitionOf(stack, logicalId);

  test('is valid Amazon States Language (asl-validator)', () => {
    // CloudFormation substitutes the pseudo parameters before Step Functions sees the definition.
    const deployed = JSON.parse(JSON.stringify(definition)
      .replace(/\$\{AWS::Partition\}/g, 'aws').replace(/\$\{AWS::Region\}/g, ENV.region).replace(/\$\{AWS::AccountId\}/g, ENV.account));
    const { isValid, errorsText } = validateAsl(deployed);
    expect(isValid ? '' : errorsText('\n')).toBe('');
  });

  test("sends SageMaker requests that match SageMaker's API model", () => {
    expect(sagemakerTaskCount(definition)).toBeGreaterThan(0);
    expect(sagemakerContractViolations(definition)).toEqual([]);
  });
});

describe('AWS Control Tower proactive controls (cfn-guard)', () => {
  const validator = new CfnGuardValidator({ controlTowerRulesEnabled: true, disabledRules: Object.keys(DISABLED_GUARD_RULES) });
  const templatePaths = stacks.map(stack => assembly.getStackArtifact(stack.artifactId).templateFullPath);
  // One cfn-guard run over every template (each run first loads the rules: 14 CPU s for a run per
  // stack, 8 for one run), its findings told apart by template.
  let report: ReturnType<CfnGuardValidator['validate']> | undefined;

  test.each(stacks.map((s, i) => [s.stackName, templatePaths[i]] as const))('%s passes', (_name, templatePath) => {
    report ??= validator.validate({ templatePaths } as any);
    const failures = report.violations.flatMap(v => v.violatingResources.filter(r => r.templatePath === templatePath).map(r => `${v.ruleName} ${r.resourceLogicalId}`));
    expect(failures).toEqual([]);
  });

  test('reports each finding with the template it is in', () => {
    report ??= validator.validate({ templatePaths } as any);
    expect(report.violations.flatMap(v => v.violatingResources.filter(r => !templatePaths.includes(r.templatePath)))).toEqual([]);
  });
});

describe('the SageMaker contract check', () => {
  const task = (parameters: any) => ({ States: { T: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync', Parameters: parameters, End: true } } });
  const valid = {
    'TrainingJobName.$': "States.Format('t-{}', States.UUID())",
    'RoleArn': 'arn:aws:iam::123456789012:role/r',
    'AlgorithmSpecification': { TrainingImage: 'image', TrainingInputMode: 'File' },
    'OutputDataConfig': { S3OutputPath: 's3://b/models/' },
    'ResourceConfig': { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
    'StoppingCondition': { MaxRuntimeInSeconds: 3600 },
  };

  test('accepts a valid request, JSONPath members included', () => {
    expect(sagemakerContractViolations(task(valid))).toEqual([]);
  });

  test.each([
    ['an unknown member', { ...valid, TrainingJobname: 'x' }, /T: CreateTrainingJobRequest has no member 'TrainingJobname'/],
    ['a missing required member', { ...valid, RoleArn: undefined }, /T: CreateTrainingJobRequest requires 'RoleArn'/],
    ['a string for a number', { ...valid, ResourceConfig: { ...valid.ResourceConfig, InstanceCount: '1' } }, /T.ResourceConfig.InstanceCount: expected a number, got "1"/],
    ['an EC2 instance type', { ...valid, ResourceConfig: { ...valid.ResourceConfig, InstanceType: 'm5.large' } }, /'m5.large' is not a ResourceConfig instance type SageMaker accepts/],
    ['a list where an object belongs', { ...valid, OutputDataConfig: ['s3://b'] }, /T.OutputDataConfig: expected a OutputDataConfig object/],
  ])('rejects %s', (_name, parameters, error) => {
    const cleaned = JSON.parse(JSON.stringify(parameters));
    expect(sagemakerContractViolations(task(cleaned)).join('\n')).toMatch(error);
  });
});

describeIfCfnLint('cfn-lint', () => {
  test('accepts every template of the reference app', async () => {
    expect(await linted).toEqual([]);
  }, 120_000);
});

describe('synth annotations', () => {
  test.each(stacks.map(s => ['reference', s.stackName, s] as const))('%s %s: no info or warning the app did not cause', (_app, _name, stack) => {
    expect(unexpectedAnnotations(stack)).toEqual([]);
  });
});

describe('README', () => {
  // What `npm run readme` writes between each pair of markers (scripts/readme.ts), rendered from this synthesis.
  const sections: Record<string, string> = { diagrams: diagramsSection(reference.stacks), cost: costSection(assembly) };
  const readme = fs.readFileSync(README, 'utf8');
  const generated = (name: string) => {
    const start = `<!-- ${name}:start (generated by npm run readme) -->\n`;
    const from = readme.indexOf(start);
    const to = readme.indexOf(`<!-- ${name}:end -->`);
    return from < 0 || to < from ? `README.md needs the markers of the ${name} section` : readme.slice(from + start.length, to);
  };

  test('diagrams and cost table are those of the reference app as it synthesizes today (npm run readme)', () => {
    for (const [name, text] of Object.entries(sections)) expect({ name, text: generated(name) }).toEqual({ name, text: `${text}\n` });
  });
});
