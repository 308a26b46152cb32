/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import * as sm from '@aws-sdk/client-sagemaker';
import { App, CfnResource, Duration, Errors, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
// eslint-disable-next-line import/no-extraneous-dependencies
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import fc from 'fast-check';
import { USUAL_RESOURCE_TYPES } from '../../../bin/validation/resource-types';
import { SageMakerImage, SageMakerInstanceType, SageMakerModel } from '../../../lib';
import { ENV } from '../../util';
import { validateAsl } from '../asl';
import { coverage, withoutMeasuring } from '../prop-coverage';
import { sagemakerContractViolations } from '../sagemaker-contract';

/**
 * The bad-input search's harness: generated prop sets, valid and invalid mixed. Each case
 * either synthesizes a template with no undefined or null values, which CloudFormation's
 * resource schemas accept (cdk.json's validation, on every synthesis), whose state machines
 * are valid ASL and send SageMaker requests that match SageMaker's API model, and that leaves
 * no finding of the four cdk-nag packs; or it throws a plain Error whose message starts with
 * the construct path and then names a prop. Never a TypeError, never a broken template.
 * (cfn-guard, a binary per run, checks the reference stacks.)
 *
 * At least 500 cases per construct in CI; fewer locally (FC_RUNS overrides).
 * One test file per group of constructs (*.property.test.ts), so that jest's workers share them.
 *
 * Batches, at the same strength: fast-check draws the same RUNS values from the same seed and
 * every value is built and checked as before, but the cases that build share an App, BATCH
 * at a time, one stack each (`Case<run index>`): one synthesis (construct validations, schema
 * validation of every template), then the packs, the template walk, ASL and the SageMaker
 * contract on each stack. A case's findings are its stack's. A constructor's refusal is
 * checked at once (inside fast-check, which shrinks a bad one as before). When a batch's
 * synthesis fails, the cases that construct validations refused are checked and the others
 * built again into a new batch; any other failure of the batch's synthesis runs its cases
 * one App each, as before, to find which failed. A failed case is then replayed alone through
 * fast-check (the seed and its run index as `path`), whose report shows the value, shrunk,
 * and the error. What else is cheaper changes no check: no tree.json, no stack traces
 * captured while building and synthesizing, the packs' rules share each stack's resolutions.
 * Measurements and where a case's time goes: PERFORMANCE.md.
 */
export const RUNS = Number(process.env.FC_RUNS ?? (process.env.CI ? 500 : 60));
// A fixed seed makes every run reproducible (a failure is replayed exactly); FC_SEED explores others.
export const SEED = Number(process.env.FC_SEED ?? 20261122);

// The reference app's feature flags and validation (cdk.json): template schema findings fail
// synthesis. Stack traces are off: construct metadata only, which no check reads, and
// capturing them (source-mapped under jest) was a tenth of the search's CPU time. Warnings are
// not printed in a validation report per case (they are no finding; the reference app's test
// checks that synth prints none the user did not cause).
const APP_CONTEXT = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ...require('../../../cdk.json').context,
  '@aws-cdk/core:annotationsInValidationReport': false,
  'aws:cdk:disable-stack-trace': true,
  'aws:cdk:disable-creation-stack-traces': true,
};

/** How many built cases share one App (FC_BATCH overrides; 1 is one App per case). */
export const BATCH = Number(process.env.FC_BATCH ?? 40);

// No tree.json: no check reads it (the reports work from the construct tree in memory), and
// writing it was a fifth of a case's synthesis.
function caseApp(): App {
  return new App({ context: APP_CONTEXT, builtinCloudFormationValidation: true, treeMetadata: false });
}

/** While a case is built into a batch: the App and the stacks its contexts defined. */
let caseScope: { readonly app: App; readonly id: string; readonly stacks: Stack[] } | undefined;

// Mostly valid values, so cases reach synthesis, with invalid ones mixed in. The library
// checks an instance type's form ('ml.<family>.<size>'); which types a job kind accepts is
// SageMaker's list, so valid draws come from the SDK's enum for the kind. A name goes through
// SageMakerInstanceType.of; one that of() refuses (with a validation error) is passed unchecked,
// as a JavaScript caller's object or string could be, so the constructs' own check is searched.
const asInstanceType = (name: string): SageMakerInstanceType => {
  try {
    return SageMakerInstanceType.of(name);
  } catch (e) {
    if (!Errors.isValidationError(e)) throw e;
    return { name } as SageMakerInstanceType;
  }
};
export const instanceTypeFor = (valid: string[]) => fc.oneof(
  { arbitrary: fc.constantFrom(...valid), weight: 8 },
  { arbitrary: fc.constantFrom('m5.large', 'ml.', 'ML.M5.LARGE', ''), weight: 1 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 1 },
).map(asInstanceType);
export const trainingInstanceType = instanceTypeFor(Object.values(sm.TrainingInstanceType));
export const processingInstanceType = instanceTypeFor(Object.values(sm.ProcessingInstanceType));
export const transformInstanceType = instanceTypeFor(Object.values(sm.TransformInstanceType));
export const endpointInstanceType = instanceTypeFor(Object.values(sm.ProductionVariantInstanceType));
export const count = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 10 }), weight: 8 }, { arbitrary: fc.integer({ min: -3, max: 1200 }), weight: 1 }, { arbitrary: fc.double({ noNaN: false }), weight: 1 });
/** Undefined in a third of the cases. */
export const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
/** Mostly `valid`, sometimes anything `bad` draws. */
export const mostly = <T, U>(valid: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: bad, weight: 1 });
export const seconds = fc.oneof({ arbitrary: fc.integer({ min: 60, max: 86_400 }), weight: 8 }, { arbitrary: fc.integer({ min: 0, max: 3_000_000 }), weight: 2 }).map(s => Duration.seconds(s));
export const name = fc.oneof({ arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,12}(-[a-z0-9]{1,6}){0,2}$/), weight: 8 }, { arbitrary: fc.string({ maxLength: 70 }), weight: 2 });
export const stringMap = fc.dictionary(
  fc.oneof({ arbitrary: fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), weight: 8 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 }),
  fc.string({ maxLength: 40 }), { maxKeys: 4 });

/** The job props every SageMaker job step shares, beyond the kind's own. */
export const jobNetworkAndKeys = fc.record({
  network: optional(fc.constantFrom('private', 'isolated', 'default', 'own-groups')),
  volumeKey: optional(fc.constant(true)),
  outputKey: optional(fc.constant(true)),
  teamRole: optional(fc.constant(true)),
  isolation: optional(fc.boolean()),
  interContainer: optional(fc.boolean()),
  retry: optional(fc.boolean()),
  // Valid only here (training cases are refused often enough already); the transform case draws
  // bad values too, and all job kinds share the check (SageMakerTask).
  capacityRetries: optional(fc.integer({ min: 0, max: 20 })),
});
export type JobNetworkAndKeys = typeof jobNetworkAndKeys extends fc.Arbitrary<infer T> ? T : never;

export function jobExtras(c: Context, v: JobNetworkAndKeys) {
  return {
    vpc: v.network ? c.vpc : undefined,
    vpcSubnets: v.network === 'private' ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : v.network === 'isolated' ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : undefined,
    securityGroups: v.network === 'own-groups' ? [c.securityGroup] : undefined,
    volumeEncryptionKey: v.volumeKey ? c.key : undefined,
    outputEncryptionKey: v.outputKey ? c.key : undefined,
    role: v.teamRole ? c.role : undefined,
    enableNetworkIsolation: v.isolation,
    enableInterContainerTrafficEncryption: v.interContainer,
    retryOnServiceErrors: v.retry,
    capacityRetries: v.capacityRetries,
  };
}

/**
 * A case's stack and the team's resources it may use. Each is defined on first use only, so a
 * case pays (in synthesis, schema validation and policy packs) for what it uses.
 */
export class Context {
  public readonly stack: Stack;
  private readonly cache = new Map<string, unknown>();

  /** In a batch, the case's stack is `Case<run index>` (its further contexts' `Case<run index>x<n>`); alone, `Case` in an App of its own. */
  constructor(region: string = ENV.region) {
    const env = { account: ENV.account, region };
    if (caseScope) {
      const { app, id, stacks } = caseScope;
      this.stack = new Stack(app, stacks.length === 0 ? id : `${id}x${stacks.length}`, { env });
      stacks.push(this.stack);
    } else {
      this.stack = new Stack(caseApp(), 'Case', { env });
    }
  }

  /** The team's data bucket (imported), encrypted with a key of theirs. */
  public get bucket(): s3.IBucket {
    return this.once('bucket', () => s3.Bucket.fromBucketAttributes(this.stack, 'Bucket', {
      bucketName: 'ml-bucket',
      encryptionKey: kms.Key.fromKeyArn(this.stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    }));
  }

  /** The team's image (an imported ECR repository). */
  public get image(): SageMakerImage {
    return this.once('image', () => SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(this.stack, 'Repo', 'glm'), 'v1'));
  }

  /** The team's VPC (imported): private subnets with egress and isolated subnets. */
  public get vpc(): ec2.IVpc {
    return this.once('vpc', () => ec2.Vpc.fromVpcAttributes(this.stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
      isolatedSubnetIds: ['subnet-0a1b2c3d4e5f60721', 'subnet-0a1b2c3d4e5f60722'],
      privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
      isolatedSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60721', 'rtb-0a1b2c3d4e5f60722'],
    }));
  }

  /** A security group of the team's (imported). */
  public get securityGroup(): ec2.ISecurityGroup {
    return this.once('securityGroup', () => ec2.SecurityGroup.fromSecurityGroupId(this.stack, 'TeamGroup', 'sg-0a1b2c3d4e5f60719'));
  }

  /** A key the team defines. */
  public get key(): kms.IKey {
    return this.once('key', () => new kms.Key(this.stack, 'TeamKey', { enableKeyRotation: true }));
  }

  /** A key the team imports (its key policy cannot be changed from the app). */
  public get importedKey(): kms.IKey {
    return this.once('importedKey', () => kms.Key.fromKeyArn(this.stack, 'TeamImportedKey', 'arn:aws:kms:us-east-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab'));
  }

  /** The team's log group, encrypted with the team's key (which CloudWatch Logs may use). */
  public get logGroup(): logs.ILogGroup {
    return this.once('logGroup', () => {
      this.key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${this.stack.region}.amazonaws.com`));
      return new logs.LogGroup(this.stack, 'TeamLogs', { encryptionKey: this.key, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    });
  }

  /** A role the team brings. */
  public get role(): iam.IRole {
    return this.once('role', () => iam.Role.fromRoleArn(this.stack, 'TeamRole', 'arn:aws:iam::123456789012:role/team-job', { mutable: false }));
  }

  private once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }
}

function deployedDefinition(raw: any): any {
  const resolve = (v: any): string => typeof v === 'string' ? v : v['Fn::Join'] ? v['Fn::Join'][1].map(resolve).join('') : 'REF';
  const text = resolve(raw).replace(/REF/g, 'x');
  return JSON.parse(text.replace(/arn:x:/g, 'arn:aws:'));
}

const PACKS = [new AwsSolutionsChecks(), new HIPAASecurityChecks(), new NIST80053R5Checks(), new PCIDSS321Checks()];

/**
 * Runs the packs with `Stack.resolve` answered once per stack and object: their rules resolve
 * the same L1 properties (a policy document is resolved by a dozen rules of the four packs)
 * after synthesis, when a resolution no longer changes. Each call gets its own copy of the one
 * resolution; a value that cannot be copied, or a resolution that throws, is resolved anew.
 */
function withResolutionsShared<T>(run: () => T): T {
  const resolve = Stack.prototype.resolve;
  const resolved = new WeakMap<Stack, WeakMap<object, unknown>>();
  Stack.prototype.resolve = function (this: Stack, obj: any): any {
    if (obj === null || typeof obj !== 'object') return resolve.call(this, obj);
    let byObject = resolved.get(this);
    if (!byObject) resolved.set(this, byObject = new WeakMap());
    if (!byObject.has(obj)) byObject.set(obj, resolve.call(this, obj));
    try {
      return structuredClone(byObject.get(obj));
    } catch {
      return resolve.call(this, obj);
    }
  };
  try {
    return run();
  } finally {
    Stack.prototype.resolve = resolve;
  }
}

/**
 * Runs `f` without capturing stack traces: aws-cdk-lib records one (source-mapped under jest)
 * with every acknowledgement, in construct metadata no check reads. Errors keep their
 * messages; a failed case is replayed alone, with its stack trace.
 */
function withoutStackTraces<T>(f: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * aws-cdk-lib's schema validation keeps one engine per process, built for the resource types
 * of the last synthesis, and frees it and builds a new one (about 0.3 s, measured alone)
 * whenever a synthesis has a type the engine lacks. The harness keeps it built for every type
 * the cases have used and the library's usual ones (lib/private/resource-types.ts, which its
 * validation plugin warms its worker with): a case's types are then always a subset. The
 * validation itself is unchanged.
 */
const KNOWN_TYPES = new Set(USUAL_RESOURCE_TYPES);
let warmTypes = new Set<string>();

function keepValidationWarm(root: App): void {
  const types = root.node.findAll().filter(CfnResource.isCfnResource).map(r => r.cfnResourceType);
  if (types.every(t => warmTypes.has(t))) return;
  warmTypes = new Set([...warmTypes, ...KNOWN_TYPES, ...types]);
  const warm = new Stack(caseApp(), 'Warm', { env: ENV });
  [...warmTypes].forEach((type, i) => new CfnResource(warm, `R${i}`, { type }));
  try {
    (warm.node.root as App).synth();
  } catch {
    // The empty resources fail validation; only the engine they leave behind is wanted.
  }
}

/**
 * The construct validations (`node.addValidation`) that refused a case at synthesis, each
 * `[<construct path>] <message>`: a refusal like a constructor's, found later.
 */
class SynthesisRefusal extends Error {
  constructor(public readonly problems: { path: string; message: string }[]) {
    super(problems.map(p => `[${p.path}] ${p.message}`).join('\n'));
  }
}

/** The construct validations' refusal that `e`, an error of `app.synth()`, reports, if it is one. */
function refusalOf(e: unknown): SynthesisRefusal | undefined {
  const listed = /^Validation failed with the following errors:\n([\s\S]*)$/.exec((e as Error)?.message ?? '');
  if (!listed) return undefined;
  return new SynthesisRefusal(listed[1].split('\n').map(l => /^\s*\[([^\]]+)\] (.*)$/.exec(l)).filter(m => m).map(m => ({ path: m![1], message: m![2] })));
}

function synthesize(stack: Stack): any {
  try {
    return (stack.node.root as App).synth().getStackArtifact(stack.artifactId).template;
  } catch (e) {
    throw refusalOf(e) ?? e;
  }
}

/** Synthesizes the case's app (its own) and checks its stack's template; returns it. */
export function checkTemplate(stack: Stack): any {
  keepValidationWarm(stack.node.root as App);
  const template = synthesize(stack);
  checkSynthesized(stack, template);
  return template;
}

/** The checks of a stack's synthesized template (the schema validation ran in the synthesis). */
function checkSynthesized(stack: Stack, template: any): void {
  // Every policy pack, on everything the library defined. Not the team's: the harness's bare
  // state machine, `Machine`, is test code without logging or tracing; a state machine role the
  // team imports (`MachineRole`) holds the steps' grants in the inline policy aws-cdk-lib attaches
  // to an imported role (the library's own roles, and an iam.Role the team defines, get them in a
  // managed policy).
  const findings = withResolutionsShared(() => PACKS.flatMap(pack => pack.validateScope(stack).violations.flatMap((v: any) =>
    v.violatingResources.map((r: any) => `${v.ruleName} ${r.constructPath}`))))
    .filter(f => !/ [^/]+\/Machine\//.test(f) && !/-IAMNoInlinePolicy [^/]+\/MachineRole\//.test(f));
  expect(findings).toEqual([]);
  // NaN and Infinity serialize as null; a forgotten value as 'undefined' in a string.
  const bad: string[] = [];
  const walk = (v: any, at: string): void => {
    if (v === null) bad.push(`${at} is null`);
    else if (typeof v === 'string' && /\bundefined\b|\bNaN\b/.test(v)) bad.push(`${at} holds '${v}'`);
    else if (typeof v === 'object') Object.entries(v).forEach(([k, x]) => walk(x, `${at}.${k}`));
  };
  walk(template.Resources, 'Resources');
  expect(bad).toEqual([]);
  for (const machine of Object.values<any>(template.Resources).filter(r => r.Type === 'AWS::StepFunctions::StateMachine')) {
    const definition = deployedDefinition(machine.Properties.DefinitionString);
    const { isValid, errorsText } = validateAsl(definition);
    expect(isValid ? '' : errorsText()).toBe('');
    expect(sagemakerContractViolations(definition)).toEqual([]);
  }
}

/** Whether `path` is in one of `stacks` (construct paths of the case's stacks). */
const within = (path: string, stacks: string[]) => stacks.some(s => path.startsWith(`${s}/`));

/**
 * A constructor's refusal: a plain Error. A construct's error starts with its construct path
 * (in the case's stacks) and carries `detail`, the message without the path, which names the
 * prop. A factory's (JobS3Location.inBucket, TrafficRouting.canary) has no construct, so no
 * path: its message names the prop.
 */
function checkRefusal(e: unknown, props: string[], stacks: string[]): void {
  const { message, constructPath, detail } = e as Error & { constructPath?: string; detail?: string };
  const scoped = typeof constructPath === 'string';
  const text = scoped ? detail ?? '' : message;
  expect({
    kind: (e as Error).constructor?.name,
    message,
    withPath: !scoped || (within(constructPath, stacks) && message === `${constructPath}: ${detail}`),
    namesProp: props.some(p => text.startsWith(p)),
  }).toEqual({ kind: 'Error', message, withPath: true, namesProp: true });
}

/** A refusal of construct validations at synthesis: each error names a construct of the case and then a prop. */
function checkSynthesisRefusal(problems: { path: string; message: string }[], props: string[], stacks: string[]): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const { path, message } of problems) {
    expect({ path, message, inCase: within(path, stacks), namesProp: props.some(p => message.startsWith(p)) }).toEqual({ path, message, inCase: true, namesProp: true });
  }
}

interface Outcomes { built: number; refused: number }

/** One case in an App of its own (stack `Case`), checked as the search always checked it. */
function runAlone<T>(props: string[], build: (c: Context, value: T) => unknown, value: T, outcomes: Outcomes): void {
  const c = new Context();
  let built: unknown;
  try {
    built = build(c, value);
  } catch (e) {
    checkRefusal(e, props, ['Case']);
    outcomes.refused++;
    return;
  }
  try {
    checkTemplate(Stack.isStack(built) ? built : c.stack);
  } catch (e) {
    if (!(e instanceof SynthesisRefusal)) throw e;
    checkSynthesisRefusal(e.problems, props, ['Case']);
    outcomes.refused++;
    return;
  }
  outcomes.built++;
}

/** A case built into a batch: its run index, value, the stack to check, and its stacks' paths. */
interface Pending<T> { readonly index: number; readonly value: T; readonly stack: Stack; readonly stacks: string[] }

/**
 * Runs `build` on RUNS generated values; a thrown error must be a plain Error naming the
 * construct path, then one of `props`; so must each error of a construct validation that
 * fails the synthesis. `build` may return a stack to check instead of the
 * context's. The cases that build are synthesized and checked in batches (see the top).
 */
export function property<T>(props: string[], arb: fc.Arbitrary<T>, build: (c: Context, value: T) => unknown): void {
  const outcomes: Outcomes = { built: 0, refused: 0 };
  const failures: { index: number; value: T; error: unknown }[] = [];

  /** Builds the case into `app`; undefined when its constructor refused it (a refusal checked here). */
  const buildInto = (app: App, index: number, value: T): Pending<T> | undefined => {
    const scope = { app, id: `Case${index}`, stacks: [] as Stack[] };
    caseScope = scope;
    let built: unknown;
    try {
      built = withoutStackTraces(() => build(new Context(), value));
    } catch (e) {
      scope.stacks.forEach(s => app.node.tryRemoveChild(s.node.id));
      checkRefusal(e, props, scope.stacks.map(s => s.node.path));
      outcomes.refused++;
      return undefined;
    } finally {
      caseScope = undefined;
    }
    const stack = Stack.isStack(built) ? built : scope.stacks[0];
    // A context the case did not check (the DLC case checks a regional one) is not synthesized, as alone.
    scope.stacks.filter(s => s !== stack).forEach(s => app.node.tryRemoveChild(s.node.id));
    return { index, value, stack, stacks: scope.stacks.map(s => s.node.path) };
  };
  /** Checks the case alone, as the search always did; a failure is recorded for the replay. */
  const alone = (c: Pending<T>) => {
    try {
      withoutMeasuring(() => runAlone(props, build, c.value, outcomes));
    } catch (error) {
      failures.push({ index: c.index, value: c.value, error });
    }
  };
  /** Synthesizes the batch's App and checks each case's stack. */
  const flush = (app: App, cases: Pending<T>[]): void => {
    if (cases.length === 0) return;
    let assembly: CloudAssembly;
    try {
      keepValidationWarm(app);
      assembly = withoutStackTraces(() => app.synth());
    } catch (e) {
      const refusal = refusalOf(e);
      const owner = (path: string) => cases.find(c => within(path, c.stacks));
      if (!refusal || refusal.problems.length === 0 || refusal.problems.some(p => !owner(p.path))) {
        // Something else failed the synthesis (a schema finding, an exception): each case alone finds which.
        cases.forEach(alone);
        return;
      }
      const refused = new Set(refusal.problems.map(p => owner(p.path)!));
      for (const c of refused) {
        try {
          checkSynthesisRefusal(refusal.problems.filter(p => within(p.path, c.stacks)), props, c.stacks);
          outcomes.refused++;
        } catch (error) {
          failures.push({ index: c.index, value: c.value, error });
        }
      }
      // The others again, in a new App (the failed synthesis ran part of its steps on this one).
      const retry = caseApp();
      const rebuilt: Pending<T>[] = [];
      for (const c of cases.filter(x => !refused.has(x))) {
        try {
          const again = withoutMeasuring(() => buildInto(retry, c.index, c.value));
          if (!again) throw new Error(`case ${c.index} built in its batch but was refused when built again`);
          rebuilt.push(again);
        } catch (error) {
          failures.push({ index: c.index, value: c.value, error });
        }
      }
      flush(retry, rebuilt);
      return;
    }
    for (const c of cases) {
      try {
        checkSynthesized(c.stack, assembly.getStackArtifact(c.stack.artifactId).template);
        outcomes.built++;
      } catch (error) {
        failures.push({ index: c.index, value: c.value, error });
      }
    }
  };

  let app = caseApp();
  let batch: Pending<T>[] = [];
  let index = 0;
  // After a constructor's refusal fails its check, fast-check shrinks the value: each case alone.
  let shrinking = false;
  fc.assert(fc.property(arb, value => {
    if (shrinking) return runAlone(props, build, value, { built: 0, refused: 0 });
    let built: Pending<T> | undefined;
    try {
      built = buildInto(app, index++, value);
    } catch (e) {
      shrinking = true;
      throw e;
    }
    if (!built) return;
    batch.push(built);
    if (batch.length >= BATCH) {
      flush(app, batch);
      app = caseApp();
      batch = [];
    }
  }), { numRuns: RUNS, seed: SEED });
  flush(app, batch);

  if (failures.length > 0) {
    const first = failures.reduce((a, b) => b.index < a.index ? b : a);
    try {
      fc.assert(fc.property(arb, value => withoutMeasuring(() => runAlone(props, build, value, { built: 0, refused: 0 }))), { seed: SEED, path: String(first.index), numRuns: 1 });
    } catch (e) {
      (e as Error).message = `${failures.length} of ${RUNS} cases failed (run indexes ${failures.map(f => f.index).sort((a, b) => a - b).join(', ')}); the first, replayed alone:\n${(e as Error).message}`;
      throw e;
    }
    throw new Error(`case ${first.index} (seed ${SEED}, path "${first.index}") failed in its batch but passed alone: ${fc.stringify(first.value)}\n${(first.error as Error)?.stack ?? first.error}`);
  }
  // Both paths must be exercised, or the search proves little.
  expect(outcomes.built).toBeGreaterThan(RUNS / 20);
  expect(outcomes.refused).toBeGreaterThan(0);
}

/** An imported model, with or without a role of the team's. */
export function importedModel(c: Context, withRole: boolean) {
  const role = withRole ? iam.Role.fromRoleArn(c.stack, 'ModelRole', 'arn:aws:iam::123456789012:role/model', { mutable: false }) : undefined;
  return SageMakerModel.fromModelAttributes(c.stack, 'Model', { modelName: 'glm', role });
}

/** Renders `state` in a bare state machine, `Machine` (test code: the packs' findings on it are not the library's). */
export function inMachine(c: Context, state: sfn.IChainable): sfn.StateMachine {
  return new sfn.StateMachine(c.stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(state) });
}

/**
 * The test, last in a file, that each optional prop of the interfaces the file measured is
 * set in at least 10% of its cases, or is listed in `notGenerated` with why. The list is
 * checked both ways: a prop on it that the search now sets fails too, so that it leaves the list.
 */
export function propCoverageTest(notGenerated: Record<string, string>): void {
  describe('prop coverage of the bad-input search', () => {
    test('each optional prop is set in at least 10% of the cases, or listed as not generated', () => {
      const rows = coverage();
      expect(rows.length).toBeGreaterThan(0);
      const key = (r: { interfaceName: string; prop: string }) => `${r.interfaceName}.${r.prop}`;
      const missing = rows.filter(r => r.share === 0 && !notGenerated[key(r)]).map(key);
      // A share is only meaningful over many cases (CI runs 500 per construct).
      const rare = rows.filter(r => RUNS >= 200 && r.share > 0 && r.share < 0.1).map(r => `${key(r)}: ${(100 * r.share).toFixed(1)}%`);
      const stale = Object.keys(notGenerated).filter(k => !rows.some(r => key(r) === k && r.share === 0));
      expect({ missing, rare, stale }).toEqual({ missing: [], rare: [], stale: [] });
    });
  });
}
