import { RemovalPolicy, Resource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, Dependable, IConstruct } from 'constructs';

/**
 * IAM's limit on a customer managed policy document: 6,144 characters, whitespace not counted
 * (IAM and AWS STS quotas, "Managed policy size").
 */
export const MANAGED_POLICY_SIZE_LIMIT = 6144;

/**
 * What a statement may add to its policy's document once deployed, in characters: its JSON
 * with each unresolved token counted as 256 characters (what an ARN built from references
 * resolves to is far shorter), plus a comma. Estimated without resolving: a cached Lazy
 * resolved this early would keep a value from before the app is complete.
 */
export function statementSizeBound(statement: iam.PolicyStatement): number {
  const json = JSON.stringify(statement.toStatementJson());
  const tokens = json.match(/\$\{Token\[[^\]]*\]\}/g) ?? [];
  return json.length - tokens.reduce((n, t) => n + t.length, 0) + tokens.reduce((n, t) => n + tokenSizeBound(t), 0) + 1;
}

/**
 * The longest a token may resolve to: a pseudo parameter's longest value (an account ID is 12
 * digits; the longest partition, Region and URL suffix, e.g. `aws-iso-b`, `ap-southeast-7`,
 * `amazonaws.com.cn`, are under 20 characters), anything else 256 (ARNs of the resources a
 * policy names, with generated names, are far shorter). Pseudo parameters are in nearly every
 * ARN a grant builds: at 256 each, a role's 3 KB policy was estimated past 6,144 characters.
 */
function tokenSizeBound(token: string): number {
  if (/^\$\{Token\[AWS\.AccountId\.\d+\]\}$/.test(token)) return 12;
  if (/^\$\{Token\[AWS\.(Partition|Region|URLSuffix)\.\d+\]\}$/.test(token)) return 20;
  return 256;
}

/** The characters of a policy document around its statements: `{"Version":"2012-10-17","Statement":[]}`. */
const DOCUMENT_ENVELOPE = 40;

/**
 * A role whose permissions go to one customer managed policy (`GrantsPolicy`) instead of the
 * inline `DefaultPolicy` the CDK writes by default: HIPAA, NIST 800-53 and PCI DSS reviews
 * (IAMNoInlinePolicy) refuse inline policies. A further policy (`GrantsPolicy2`, ...) is added
 * only when the statements could exceed IAM's 6,144 characters per managed policy. Whatever
 * depends on the role's policy (a state machine, a model) gets those managed policies as its
 * dependencies.
 */
export class ManagedPolicyRole extends iam.Role {
  private readonly grantsPolicies: iam.ManagedPolicy[] = [];
  private lastPolicySize = 0;
  private lastPolicyStatements = new Set<string>();

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    // Depending on the role means depending on its policies: whatever uses the role refers
    // to its ARN, which orders it after the role already (a second DependsOn on the role is
    // what cfn-lint W3005 calls redundant).
    const self = this;
    Dependable.implement(this, { get dependencyRoots() { return policiesOf(self); } });
  }

  /** The role's first managed policy (defined on first use): its own statements and its grants. */
  public get grantsPolicy(): iam.ManagedPolicy {
    return this.grantsPolicies[0] ?? this.newPolicy();
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    let policy = this.grantsPolicies[this.grantsPolicies.length - 1] ?? this.newPolicy();
    // A statement the policy already holds adds nothing: the document renders one of each.
    const key = JSON.stringify(statement.toStatementJson());
    if (this.lastPolicyStatements.has(key)) {
      policy.addStatements(statement);
      return { statementAdded: true, policyDependable: policy };
    }
    const size = statementSizeBound(statement);
    if (this.lastPolicySize > 0 && DOCUMENT_ENVELOPE + this.lastPolicySize + size > MANAGED_POLICY_SIZE_LIMIT) policy = this.newPolicy();
    policy.addStatements(statement);
    this.lastPolicySize += size;
    this.lastPolicyStatements.add(key);
    return { statementAdded: true, policyDependable: policy };
  }

  private newPolicy(): iam.ManagedPolicy {
    const n = this.grantsPolicies.length + 1;
    const policy = new iam.ManagedPolicy(this, n === 1 ? 'GrantsPolicy' : `GrantsPolicy${n}`, {
      roles: [this],
      description: `Permissions granted to ${this.node.path}${n === 1 ? '' : ` (part ${n})`}`,
    });
    this.grantsPolicies.push(policy);
    this.lastPolicySize = 0;
    this.lastPolicyStatements = new Set<string>();
    return policy;
  }
}

/** The children of `scope` other than its CloudFormation role: the policies that grant it. */
export function policiesOf(scope: IConstruct): IConstruct[] {
  return scope.node.children.filter(c => !(c instanceof iam.CfnRole) && !(c instanceof iam.Role));
}

/**
 * A role the user defined (`iam.Role`), seen through a wrapper whose grants go to one customer
 * managed policy of the library's, attached to that role, instead of the inline `DefaultPolicy`
 * aws-cdk-lib would add to it (which HIPAA, NIST 800-53 and PCI DSS reviews refuse). Everything
 * else is the role's own. Used where the library adds grants to a role the user passes.
 */
export class ManagedGrantsRole extends Resource implements iam.IRole {
  /**
   * `role` itself where its grants already go to a managed policy, or where it is not an
   * `iam.Role` the app defines (an imported role's policies are its owner's: an immutable one
   * takes none, and the library does not add policies to it behind the owner's back).
   */
  public static of(scope: Construct, id: string, role: iam.IRole): iam.IRole {
    if (!(role instanceof iam.Role) || role instanceof ManagedPolicyRole) return role;
    return new ManagedGrantsRole(scope, id, role);
  }

  public readonly grantPrincipal: iam.IPrincipal = this;
  public readonly roleArn: string;
  public readonly roleName: string;
  public readonly assumeRoleAction: string;
  private grantsPolicy?: iam.ManagedPolicy;

  private constructor(scope: Construct, id: string, private readonly role: iam.Role) {
    super(scope, id);
    this.roleArn = role.roleArn;
    this.roleName = role.roleName;
    this.assumeRoleAction = role.assumeRoleAction;
    const self = this;
    // Depending on this (a state machine) means depending on the grants policy and the role's own
    // policies, not again on the role its ARN already refers to (cfn-lint W3005).
    Dependable.implement(this, { get dependencyRoots() { return [...policiesOf(self), ...policiesOf(role)]; } });
  }

  public get roleRef(): iam.RoleReference {
    return this.role.roleRef;
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return this.role.policyFragment;
  }

  public get principalAccount(): string | undefined {
    return this.role.principalAccount;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.grantsPolicy) {
      this.grantsPolicy = new iam.ManagedPolicy(this, 'GrantsPolicy', { roles: [this.role], description: `Permissions granted to ${this.role.node.path} by ${this.node.scope!.node.path}` });
    }
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }

  public attachInlinePolicy(policy: iam.Policy): void {
    this.role.attachInlinePolicy(policy);
  }

  public addManagedPolicy(policy: iam.IManagedPolicy): void {
    this.role.addManagedPolicy(policy);
  }

  public grant(grantee: iam.IPrincipal, ...actions: string[]): iam.Grant {
    return this.role.grant(grantee, ...actions);
  }

  public grantPassRole(grantee: iam.IPrincipal): iam.Grant {
    return this.role.grantPassRole(grantee);
  }

  public grantAssumeRole(grantee: iam.IPrincipal): iam.Grant {
    return this.role.grantAssumeRole(grantee);
  }

  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.role.applyRemovalPolicy(policy);
  }
}
