import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { addCompositionStacks, CompositionStacks } from './composition-app';
import { addReferenceStacks, ReferenceStacks } from '../../bin/reference-app';
import { BackgroundCloudFormationValidatePlugin } from '../../bin/validation/background-cloudformation-validate-plugin';
import { ENV } from '../util';

const CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;

/**
 * The Availability Zones `cdk synth` would have looked up and cached in cdk.context.json:
 * without them a region-bound VPC gets placeholder zones ('dummy1a'), which cfn-lint
 * rightly calls hardcoded (W3010).
 */
function zones(account: string, region: string): Record<string, string[]> {
  return { [`availability-zones:account=${account}:region=${region}`]: ['a', 'b', 'c'].map(z => `${region}${z}`) };
}

const ZONES = { ...zones(ENV.account, 'us-east-1'), ...zones(ENV.account, 'eu-west-1') };

/** An app synthesized to its own directory, as `cdk synth` would. */
export interface Synthesized<T> {
  readonly app: App;
  readonly stacks: T;
  readonly outdir: string;
  readonly assembly: CloudAssembly;
  /** Each stack's template file, by stack name. */
  readonly templates: Record<string, string>;
  /** Where CloudFormation validation ran: on the worker thread, as in `cdk synth` of bin/app.ts. */
  readonly validatedOn?: string;
}

/**
 * Synthesizes an app to its own directory, as `cdk synth` would. Each app is synthesized by one
 * test file, which holds every check of it (test/composition/composition.test.ts,
 * test/compliance/reference-app.test.ts): a synthesis of either costs several CPU seconds.
 */
export function synthesized<T>(build: (app: App) => T, options: { backgroundValidation?: boolean } = {}): Synthesized<T> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-out-'));
  const app = new App({ context: { ...CONTEXT, ...ZONES }, outdir });
  // The schema validation bin/app.ts registers: the built-in plugin's checks, on a worker thread
  // (only where asked: a worker builds its own engine, about 4 CPU s more in a test file).
  const validation = options.backgroundValidation ? new BackgroundCloudFormationValidatePlugin() : undefined;
  if (validation) Validations.of(app).addPlugins(validation);
  const stacks = build(app);
  const assembly = app.synth();
  const templates = Object.fromEntries(assembly.stacks.map(s => [s.stackName, s.templateFullPath]));
  return { app, stacks, outdir, assembly, templates, validatedOn: validation?._validatedOn };
}

export function referenceApp() {
  return synthesized<ReferenceStacks>(app => addReferenceStacks(app, ENV), { backgroundValidation: true });
}

export function compositionApp() {
  return synthesized<CompositionStacks>(app => addCompositionStacks(app));
}

export function stacksOf(stacks: ReferenceStacks | CompositionStacks): Stack[] {
  return Object.values(stacks);
}
