/* eslint-disable no-console */
// The README's generated sections, from what the reference app synthesizes so they stay
// true: Mermaid diagrams of the training workflow (from its state machine definition) and of
// the hosting architecture (from the hosting stacks' resources and the references between
// them), and each stack's SageMaker capacity with its idle cost and most per run.
// `npm run readme` rewrites the sections; a test fails when one is stale.
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { addReferenceStacks, ReferenceStacks } from '../bin/reference-app';
import { CostBasis, CostEstimate, CostLine, PriceList } from '../local/src';
import { definitionOf, ENV, testApp } from '../test/util';

export const README = path.join(__dirname, '..', 'README.md');

function id(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '_');
}

/** The states of a task's fail-fast retry loop (lib/jobs/private/fail-fast.ts): drawn as a note on the task. */
const RETRY_LOOP = /^(.*): (transient\?|retry 1|retry again|backoff|error output)$/;

/**
 * A flowchart of a state machine: Next, choices, defaults and catches. A task's retry loop on
 * throttling (its `<task>: transient?` Choice and the Pass and Wait states behind it) is folded into
 * the task's label, so the diagram shows the workflow rather than the same five states per task.
 */
export function workflowDiagram(definition: any): string {
  const lines = ['flowchart TD', `  Start((start)) --> ${id(definition.StartAt)}`];
  const loops = new Set(Object.keys(definition.States).filter(n => RETRY_LOOP.test(n)).map(n => RETRY_LOOP.exec(n)![1]));
  for (const [name, state] of Object.entries<any>(definition.States)) {
    if (RETRY_LOOP.test(name) && loops.has(RETRY_LOOP.exec(name)![1])) continue;
    const shape = state.Type === 'Choice' ? `{${name}}` : state.Type === 'Succeed' || state.Type === 'Fail' ? `([${name}])` : `[${name}]`;
    const task = state.Type === 'Task' ? String(state.Resource).replace(/^.*:states:::/, '') : state.Type;
    const detail = loops.has(name) ? `${task}, retries throttling` : task;
    lines.push(`  ${id(name)}${shape.replace(name, `"${name}<br/><small>${detail}</small>"`)}`);
    if (state.Next) lines.push(`  ${id(name)} --> ${id(state.Next)}`);
    for (const choice of state.Choices ?? []) lines.push(`  ${id(name)} -->|pass| ${id(choice.Next)}`);
    if (state.Default) lines.push(`  ${id(name)} -->|otherwise| ${id(state.Default)}`);
    const catches = new Set<string>((state.Catch ?? []).map((c: any) => c.Next).filter((n: string) => !(RETRY_LOOP.test(n) && loops.has(name))));
    for (const next of catches) lines.push(`  ${id(name)} -.->|error| ${id(next)}`);
  }
  return lines.join('\n');
}

const SHOWN: Record<string, string> = {
  'AWS::SageMaker::Model': 'Model',
  'AWS::SageMaker::EndpointConfig': 'Endpoint config',
  'AWS::SageMaker::Endpoint': 'Endpoint',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'Scalable target',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'Scaling policy',
  'AWS::CloudWatch::Alarm': 'Alarm',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::SQS::Queue': 'SQS queue',
  'AWS::StepFunctions::StateMachine': 'State machine',
  'AWS::Events::Rule': 'EventBridge rule',
};

/** A resource's label: an events rule with a schedule expression is a schedule, any other rule reacts to events. */
function label(r: { Type: string; Properties?: any }): string {
  return r.Type === 'AWS::Events::Rule' && r.Properties?.ScheduleExpression ? 'Schedule' : SHOWN[r.Type];
}

function references(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    value.forEach(v => references(v, found));
  } else if (value && typeof value === 'object') {
    const obj = value as Record<string, any>;
    if (typeof obj.Ref === 'string') found.add(obj.Ref);
    if (Array.isArray(obj['Fn::GetAtt'])) found.add(obj['Fn::GetAtt'][0]);
    if (obj['Fn::GetStackOutput']) found.add('TrainingDataStore');
    Object.values(obj).forEach(v => references(v, found));
  }
}

/** The hosting stacks' main resources and who refers to whom. */
export function hostingDiagram(stacks: Stack[]): string {
  const lines = ['flowchart LR', '  TrainingDataStore[("Training stack data store<br/><small>S3 data + artifacts, KMS</small>")]'];
  for (const stack of stacks) {
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
    const shown = Object.entries(resources).filter(([, r]) => SHOWN[r.Type]);
    lines.push(`  subgraph ${id(stack.stackName)}["${stack.stackName}"]`);
    for (const [logicalId, r] of shown) lines.push(`    ${id(stack.stackName)}_${logicalId}["${label(r)}<br/><small>${logicalId.replace(/[0-9A-F]{8}$/, '')}</small>"]`);
    lines.push('  end');
    for (const [logicalId, r] of shown) {
      const found = new Set<string>();
      references(r.Properties, found);
      for (const target of found) {
        if (target === 'TrainingDataStore') lines.push(`  ${id(stack.stackName)}_${logicalId} --> TrainingDataStore`);
        else if (resources[target] && SHOWN[resources[target].Type]) lines.push(`  ${id(stack.stackName)}_${logicalId} --> ${id(stack.stackName)}_${target}`);
      }
    }
  }
  return lines.join('\n');
}

/** The reference app as bin/app.ts builds it, in us-east-1, synthesized once. */
function referenceApp(): { stacks: ReferenceStacks; assembly: CloudAssembly } {
  const app = testApp();
  const stacks = addReferenceStacks(app, ENV);
  return { stacks, assembly: app.synth() };
}

/** The diagrams section. */
export function diagramsSection(stacks: ReferenceStacks): string {
  return [
    '### The training workflow (reference training stack)',
    '',
    '```mermaid',
    workflowDiagram(definitionOf(stacks.training)),
    '```',
    '',
    '### Hosting (reference hosting stacks)',
    '',
    '```mermaid',
    hostingDiagram([stacks.realtime, stacks.serverless, stacks.async, stacks.batch]),
    '```',
  ].join('\n');
}

function capacity(line: CostLine): string {
  const count = line.minInstances === line.maxInstances ? `x${line.minInstances}` : `x${line.minInstances}-${line.maxInstances}`;
  const what = line.instanceType ? `${line.instanceType} ${count}` : line.kind;
  const hours = line.maxHoursPerRun === undefined ? '' : `, at most ${line.maxHoursPerRun} h`;
  const detail = line.basis === CostBasis.PER_RUN ? ` (${line.kind} ${line.source.split('/').pop()}${hours})` : line.instanceType ? ` (${line.kind})` : '';
  return `${what}${detail}, ${line.basis}${line.price ? ` at ${line.price.pricePerHour}/h` : line.component ? ', unpriced' : ''}`;
}

/** The cost section: each reference stack's capacity, idle cost and most per run. */
export function costSection(assembly: CloudAssembly): string {
  const estimate = CostEstimate.fromAssembly(assembly);
  const rows = estimate.stackNames.map(name => {
    const s = estimate.summaryOf(name);
    const lines = estimate.lines.filter(l => l.stackName === name).map(capacity);
    const why = (reasons: string[]) => reasons.map(r => r.replace(/ \([^()]*\):/, ':')).join('; ');
    const idle = s.idleCostPerHour !== undefined ? String(s.idleCostPerHour) : `unknown (${why(s.unpricedIdle)})`;
    const retries = s.maxCostPerRunWithRetries !== s.maxCostPerRun ? ` (${s.maxCostPerRunWithRetries} if every retry started its job again)` : '';
    const run = s.maxCostPerRun !== undefined ? `${s.maxCostPerRun}${retries}` : s.unboundedPerRun.length ? `unknown (${why(s.unboundedPerRun)})` : '-';
    return `| ${name} | ${lines.join('<br/>') || 'none'} | ${idle} | ${run} |`;
  });
  const used = PriceList.of(estimate.prices.currency, [...new Set(estimate.lines.flatMap(l => (l.price ? [l.price] : [])))]);
  return [
    `Priced in us-east-1 from the bundled on-demand prices (${estimate.prices.currency}; the prices used were read ${used.asOf}):`,
    '',
    `| stack | SageMaker capacity | idle cost (${estimate.prices.currency}/h) | most per run (${estimate.prices.currency}) |`,
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

const SECTIONS: Array<{ name: string; render: (ref: { stacks: ReferenceStacks; assembly: CloudAssembly }) => string }> = [
  { name: 'diagrams', render: ref => diagramsSection(ref.stacks) },
  { name: 'cost', render: ref => costSection(ref.assembly) },
];

/** The README with each generated section rendered afresh from the reference app. */
export function regeneratedReadme(readme: string): string {
  const ref = referenceApp();
  return SECTIONS.reduce((text, section) => {
    const start = `<!-- ${section.name}:start (generated by npm run readme) -->`;
    const end = `<!-- ${section.name}:end -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md needs the markers ${start} and ${end}`);
    return text.slice(0, from) + start + '\n' + section.render(ref) + '\n' + text.slice(to);
  }, readme);
}

if (require.main === module) {
  fs.writeFileSync(README, regeneratedReadme(fs.readFileSync(README, 'utf8')));
  console.log('README.md generated sections (diagrams, cost) regenerated');
}
