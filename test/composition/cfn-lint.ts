import { spawn, spawnSync } from 'child_process';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';

/**
 * CloudFormation's own linter on every template of an app: no error, no warning. cfn-lint is
 * a Python tool (`pip install cfn-lint`); where it is missing the checks say so and skip (CI
 * requires it). The lint runs in a child process started as soon as the app is synthesized,
 * so that it runs while the file's other checks do.
 */

const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
export const cfnLintAvailable = version.status === 0;
if (!cfnLintAvailable) {
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

/**
 * Starts cfn-lint on the templates (stack name to template path) and resolves to its findings,
 * team-defined resources aside. Rejects when cfn-lint fails without a report.
 */
export function startCfnLint(templates: Record<string, string>): Promise<string[]> {
  if (!cfnLintAvailable) return Promise.resolve([]);
  const run = spawn('cfn-lint', ['--format', 'json', '--', ...Object.values(templates)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  run.stdout.on('data', (d: Buffer) => stdout.push(d));
  run.stderr.on('data', (d: Buffer) => stderr.push(d));
  const result = new Promise<string[]>((resolve, reject) => {
    run.on('error', reject);
    run.on('close', status => {
      const out = Buffer.concat(stdout).toString('utf8');
      if (status !== 0 && !out) return reject(new Error(`cfn-lint failed: ${Buffer.concat(stderr).toString('utf8')}`));
      try {
        const findings: Finding[] = JSON.parse(out || '[]');
        resolve(findings
          .filter(f => !TEAM_FINDINGS.some(t => t.rule === f.Rule.Id && t.resource.test(String(f.Location.Path[1] ?? ''))))
          .map(f => `${f.Rule.Id} ${f.Filename.split('/').pop()} ${f.Location.Path.join('/')}: ${f.Message}`));
      } catch (e) {
        reject(e);
      }
    });
  });
  // Awaited by a test; until then a failure must not be reported as unhandled.
  result.catch(() => undefined);
  return result;
}

/** `describe` when cfn-lint is installed, else `describe.skip`. */
export const describeIfCfnLint: jest.Describe = cfnLintAvailable ? describe : describe.skip;

/** The info and warning annotations of a stack's synthesis (none is expected: each is something the app did not cause). */
export function unexpectedAnnotations(stack: Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  return [...annotations.findInfo('*', Match.anyValue()), ...annotations.findWarning('*', Match.anyValue())]
    .map(a => `${a.id}: ${JSON.stringify(a.entry.data)}`);
}
