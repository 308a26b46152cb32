import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct, IValidation } from 'constructs';

/**
 * cdk-nag names a wildcard-resource finding after the resolved ARN, with references
 * flattened: `{Ref: X}` -> `<X>`, `{Fn::GetAtt: [X, Arn]}` -> `<X.Arn>`, joins concatenated.
 * This mirrors that form so an acknowledgement names exactly one finding.
 */
export function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, any>;
    if ('Ref' in obj) return `<${obj.Ref}>`;
    if ('Fn::GetAtt' in obj) {
      const att = obj['Fn::GetAtt'];
      return `<${Array.isArray(att) ? att.join('.') : att}>`;
    }
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'];
      return (parts as unknown[]).map(flattenReference).join(sep);
    }
  }
  return JSON.stringify(value);
}

/** A registered wildcard ARN, flattened: the order of its first registration and that registration's reason. */
interface Registered {
  readonly order: number;
  readonly reason: string;
}

interface Registration {
  readonly resource: string;
  readonly reason: string;
}

/**
 * Acknowledges, on every IAM policy of a stack, the AwsSolutions-IAM5 finding of each
 * wildcard resource that this library generated and registered with a reason. Each
 * acknowledgement names one finding (`AwsSolutions-IAM5[Resource::<arn>]`) on one
 * CfnPolicy or CfnManagedPolicy, including the policies of state machines users define around the library's
 * steps. It runs as a construct validation: after cross-stack references are resolved
 * (so the names match what cdk-nag sees) and before the policy validation plugins.
 *
 * Linear in the stack's size: each registration is resolved once per validation into a map
 * from its flattened ARN to the first reason registered for it, and each policy looks its own
 * resources up in that map (resolving every registration against every policy made a stack of
 * 19 workflows cost twice the synth time of the same workflows spread over four stacks).
 */
class WildcardResourceAcknowledgements implements IValidation {
  public readonly registrations: Registration[] = [];
  private readonly done = new WeakMap<IConstruct, Set<string>>();

  constructor(private readonly stack: Stack) {}

  public validate(): string[] {
    const registered = new Map<string, Registered>();
    this.registrations.forEach(({ resource, reason }, order) => {
      const flat = flattenReference(this.stack.resolve(resource));
      if (flat.includes('*') && !registered.has(flat)) registered.set(flat, { order, reason });
    });
    if (registered.size === 0) return [];
    for (const node of this.stack.node.findAll()) {
      const isPolicy = node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy;
      if (isPolicy && Stack.of(node) === this.stack) this.acknowledgeOn(node, registered);
    }
    return [];
  }

  private acknowledgeOn(policy: iam.CfnPolicy | iam.CfnManagedPolicy, registered: Map<string, Registered>): void {
    const document = this.stack.resolve(policy.policyDocument);
    const done = this.done.get(policy) ?? new Set<string>();
    this.done.set(policy, done);
    const matches = new Map<string, Registered>();
    for (const statement of document?.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const r of resources) {
        const flat = flattenReference(r);
        const registration = registered.get(flat);
        if (registration && !done.has(flat)) matches.set(flat, registration);
      }
    }
    // In registration order, as the acknowledgements were always made.
    for (const [flat, { reason }] of [...matches].sort((a, b) => a[1].order - b[1].order)) {
      done.add(flat);
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
    }
  }
}

const REGISTRIES = new WeakMap<Stack, WildcardResourceAcknowledgements>();

/**
 * Registers a wildcard resource ARN the library generates because SageMaker or
 * Step Functions derive the concrete names at run time, with the reason a reviewer
 * can check.
 */
export function registerWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const stack = Stack.of(scope);
  let registry = REGISTRIES.get(stack);
  if (!registry) {
    registry = new WildcardResourceAcknowledgements(stack);
    REGISTRIES.set(stack, registry);
    stack.node.addValidation(registry);
  }
  registry.registrations.push({ resource, reason });
}

/**
 * Adds `statement` to the grantee's identity policy and registers its wildcard
 * resources with `reason`.
 */
export function grantWithWildcardResources(scope: IConstruct, grantee: iam.IGrantable, statement: iam.PolicyStatement, reason: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(statement);
  for (const resource of statement.resources) {
    registerWildcardResource(scope, resource, reason);
  }
}

/** Acknowledges one finding id on one construct; the id must be a literal. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (Token.isUnresolved(id)) throw new Error('acknowledgement ids must be literal');
  Validations.of(scope).acknowledge({ id, reason });
}

/** The compliance packs whose rules the library's acknowledgements cover alongside AwsSolutions. */
const COMPLIANCE_PACKS = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];

/**
 * Acknowledges one rule of the compliance packs (HIPAA Security, NIST 800-53 rev 5,
 * PCI DSS 3.2.1) on one construct: each pack names the same check `<pack>-<rule>`.
 */
export function acknowledgeInCompliancePacks(scope: IConstruct, rule: string, reason: string, packs: string[] = COMPLIANCE_PACKS): void {
  for (const pack of packs) acknowledge(scope, `${pack}-${rule}`, reason);
}
