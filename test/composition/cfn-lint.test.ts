import { spawnSync } from 'child_process';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { compositionApp, referenceApp, stacksOf } from './apps';

/**
 * CloudFormation's own linter on every template of the reference app and of the
 * composition app: no error, no warning. cfn-lint is a Python tool (`pip install cfn-lint`);
 * where it is missing the test says so and skips (CI requires it).
 */

const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const available = version.status === 0;
if (!available) {
  // eslint-disable-next-line no-console
  console.warn('cfn-lint is not installed (pip install cfn-lint): the CloudFormation linter checks are skipped');
}

/**
 * Findings on what the composition's team defines with aws-cdk-lib itself, each with why it
 * is not the library's: none is in a construct the library defines.
 */
const TEAM_FINDINGS: { rule: string; resource: RegExp; reason: string }[] = [
  {
    rule: 'W3005',
    resource: /^(TransformMachine[0-9A-F]{8}$|CustomVpcRestrictDefaultSGCustomResourceProviderHandler)/,
    reason: "aws-cdk-lib's StateMachine and the VPC's restrict-default-security-group custom resource depend on their roles explicitly",
  },
];

interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path: (string | number)[] };
}

function lint(templates: Record<string, string>): string[] {
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...Object.values(templates)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0 && !run.stdout) throw new Error(`cfn-lint failed: ${run.stderr}`);
  const findings: Finding[] = JSON.parse(run.stdout || '[]');
  return findings
    .filter(f => !TEAM_FINDINGS.some(t => t.rule === f.Rule.Id && t.resource.test(String(f.Location.Path[1] ?? ''))))
    .map(f => `${f.Rule.Id} ${f.Filename.split('/').pop()} ${f.Location.Path.join('/')}: ${f.Message}`);
}

const reference = referenceApp();
const composition = compositionApp();

(available ? describe : describe.skip)('cfn-lint', () => {
  test('accepts every template of the reference app', () => {
    expect(lint(reference.templates)).toEqual([]);
  });

  test('accepts every template of the composition app (team-defined resources aside)', () => {
    expect(lint(composition.templates)).toEqual([]);
  });
});

describe('synth annotations', () => {
  test.each([
    ...stacksOf(reference.stacks).map(s => ['reference', s.stackName, s] as const),
    ...stacksOf(composition.stacks).map(s => ['composition', s.stackName, s] as const),
  ])('%s %s: no info or warning the app did not cause', (_app, _name, stack) => {
    const annotations = Annotations.fromStack(stack);
    const found = [...annotations.findInfo('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())]
      .map(a => `${a.id}: ${JSON.stringify(a.entry.data)}`);
    expect(found).toEqual([]);
  });
});
