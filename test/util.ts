import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_CONTEXT = require('../cdk.json').context;

export const ENV = { account: '123456789012', region: 'us-east-1' };

/** Options of a test app. */
export interface TestAppOptions {
  /**
   * Whether synthesis runs aws-cdk-lib's built-in CloudFormation validation (resource schemas
   * and default rules; with cdk.json's `@aws-cdk/core:validateAgainstDefaultRules` a finding
   * fails synthesis), as `cdk synth` of the reference app does.
   *
   * Off for unit tests: it is checked where templates are reviewed whole (test/compliance, the
   * snapshot tests), and its engine costs each test file 1-1.5 s to build and each synthesis
   * about as much time again as the synthesis itself. Validation only reads the templates:
   * they are the same with it and without.
   * @default false
   */
  readonly validateTemplates?: boolean;
}

/** An app with the reference app's feature flags. */
export function testApp(options: TestAppOptions = {}): App {
  return new App({ context: CDK_CONTEXT, builtinCloudFormationValidation: options.validateTemplates ?? false });
}

/** A stack in a test app, in a fixed environment. */
export function testStack(env: { account?: string; region?: string } = ENV, options: TestAppOptions = {}): Stack {
  return new Stack(testApp(options), 'Test', { env });
}

/** Renders a CloudFormation value that may hold references into a readable string. */
function flatten(part: unknown): string {
  if (typeof part === 'string') return part;
  const obj = part as Record<string, any>;
  if (obj.Ref) return `\${${obj.Ref}}`;
  if (obj['Fn::GetAtt']) return `\${${obj['Fn::GetAtt'].join('.')}}`;
  if (obj['Fn::Sub']) return typeof obj['Fn::Sub'] === 'string' ? obj['Fn::Sub'] : obj['Fn::Sub'][0];
  if (obj['Fn::Join']) return obj['Fn::Join'][1].map(flatten).join(obj['Fn::Join'][0]);
  if (obj['Fn::FindInMap']) return `\${FindInMap:${obj['Fn::FindInMap'].map(flatten).join('.')}}`;
  return `\${${JSON.stringify(part).replace(/"/g, '')}}`;
}

/** The parsed definition of the only (or the named) state machine in a stack, references flattened. */
export function definitionOf(stack: Stack, logicalIdPrefix?: string): any {
  const machines = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
  const ids = Object.keys(machines).filter(id => !logicalIdPrefix || id.startsWith(logicalIdPrefix));
  if (ids.length !== 1) throw new Error(`expected one state machine, found ${ids.join(', ')}`);
  return JSON.parse(flatten(machines[ids[0]].Properties.DefinitionString));
}

/** Renders one state in a state machine of its own and returns its ASL. */
export function renderState(stack: Stack, state: sfn.IChainable & IConstruct): any {
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(state) });
  const definition = definitionOf(stack);
  return definition.States[state.node.id];
}

/**
 * The findings of every cdk-nag pack the library answers for (AwsSolutions, HIPAA Security,
 * NIST 800-53 rev 5, PCI DSS 3.2.1) left after the library's acknowledgements.
 */
export function nagFindings(stack: Stack): string[] {
  stack.node.root instanceof App && (stack.node.root as App).synth();
  return [new AwsSolutionsChecks(), new HIPAASecurityChecks(), new NIST80053R5Checks(), new PCIDSS321Checks()].flatMap(pack =>
    pack.validateScope(stack).violations.flatMap((v: any) => v.violatingResources.map((r: any) => `${v.ruleName} ${r.constructPath}`)));
}

/** The template with asset hashes (which change with any file in an asset) replaced. */
export function snapshotOf(stack: Stack): any {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(json.replace(/[a-f0-9]{64}/g, '[ASSET HASH]'));
}

/** Every IAM policy of a stack, inline or customer managed (the library's roles use managed ones). */
export function iamPolicies(stack: Stack): Record<string, any> {
  const t = Template.fromStack(stack);
  return { ...t.findResources('AWS::IAM::Policy'), ...t.findResources('AWS::IAM::ManagedPolicy') };
}
