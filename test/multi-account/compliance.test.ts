import { synthesized } from '../composition/apps';
import { describeIfCfnLint, startCfnLint, unexpectedAnnotations } from '../composition/cfn-lint';
import { nagFindings } from '../util';
import { MultiAccountStacks, addMultiAccountStacks } from './app';

/**
 * The multi-account test app (tooling 111111111111, staging 222222222222, production
 * 333333333333, one Region, production after a second approval) under the four cdk-nag packs
 * and cfn-lint (issue 25). Not a reference stack: bin/'s reference app deploys to one account.
 */
const app = synthesized<MultiAccountStacks>(a => addMultiAccountStacks(a, { productionApprovalStage: 'ProductionApproval' }));
const linted = startCfnLint(app.templates);

/** The team's own resource in the test app, with why its finding is the team's. */
const TEAM_FINDINGS: { finding: RegExp; reason: string }[] = [
  { finding: /-IAMNoInlinePolicy MlTooling\/ProductionApprovers\/DefaultPolicy\/Resource$/, reason: 'the team\'s approvers role (an aws-cdk-lib iam.Role), granted with ModelPromotion.grantApprove' },
];

const stacks = Object.values(app.stacks);

describe.each(stacks.map(s => [s.stackName, s] as const))('%s under AwsSolutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1', (_name, stack) => {
  test('no finding', () => {
    expect(nagFindings(stack).filter(f => !TEAM_FINDINGS.some(t => t.finding.test(f)))).toEqual([]);
  });
  test('no info or warning annotation', () => {
    expect(unexpectedAnnotations(stack)).toEqual([]);
  });
});

describeIfCfnLint('cfn-lint', () => {
  test('accepts the three templates', async () => {
    expect(await linted).toEqual([]);
  }, 120_000);
});
