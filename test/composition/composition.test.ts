import { compositionApp, stacksOf } from './apps';
import { describeIfCfnLint, startCfnLint, unexpectedAnnotations } from './cfn-lint';
import { describeCost } from './cost';
import { describeIamSufficiency } from './iam-sufficiency';
import { nagFindings } from '../util';

/**
 * Every check of the composition app, on one synthesis of it (each costs several CPU seconds):
 * the four cdk-nag packs, cfn-lint, the synth annotations, the cost estimate and the IAM
 * sufficiency of the documented run-time calls (test/composition/iam-sufficiency.ts).
 */
const composition = compositionApp();
// cfn-lint runs in a child process while the checks below run.
const linted = startCfnLint(composition.templates);

/**
 * The composition app under the four cdk-nag packs the README names: no finding on a
 * resource the library defines. What the team defines with aws-cdk-lib directly is listed
 * with why it is the team's, so that a new finding anywhere fails the test.
 */
const TEAM_FINDINGS: { finding: RegExp; reason: string }[] = [
  { finding: /-VPCNoUnrestrictedRouteToIGW \S+\/TeamVpc\/publicSubnet\d\/DefaultRoute$/, reason: "the team's public subnets hold its NAT gateway" },
  { finding: /-IAMNoInlinePolicy \S+\/TeamVpc\/all\/IAMRole\/DefaultPolicy\/Resource$/, reason: "aws-cdk-lib's flow log role of the team's VPC" },
  { finding: /-IAMNoInlinePolicy \S+\/(Invoker|TransformMachine\/Role)\/DefaultPolicy\/Resource$/, reason: 'roles the team defines with aws-cdk-lib (iam.Role, sfn.StateMachine)' },
  { finding: /^AwsSolutions-IAM5\[Resource::\*\] \S+\/TransformMachine\/Role\/DefaultPolicy\/Resource$/, reason: "aws-cdk-lib's log delivery and X-Ray grants of the team's own state machine" },
  { finding: /-EFSInBackupPlan \S+\/TeamFileSystem\/Resource$/, reason: "the team's file system; its backup plan is the team's" },
];

const findings = Object.fromEntries(stacksOf(composition.stacks).map(s => [s.stackName, nagFindings(s)]));
const libraryFindings = (name: string) => findings[name].filter(f => !TEAM_FINDINGS.some(t => t.finding.test(f)));

describe.each(Object.keys(findings))('%s under AwsSolutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1', name => {
  test('no finding on a resource the library defines', () => {
    expect(libraryFindings(name)).toEqual([]);
  });
});

describeIfCfnLint('cfn-lint', () => {
  test('accepts every template of the composition app (team-defined resources aside)', async () => {
    expect(await linted).toEqual([]);
  }, 120_000);
});

describe('synth annotations', () => {
  test.each(stacksOf(composition.stacks).map(s => ['composition', s.stackName, s] as const))('%s %s: no info or warning the app did not cause', (_app, _name, stack) => {
    expect(unexpectedAnnotations(stack)).toEqual([]);
  });
});

describeCost(composition.assembly);

describeIamSufficiency(composition.templates);
