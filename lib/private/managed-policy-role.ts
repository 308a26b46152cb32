import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, Dependable, IConstruct } from 'constructs';

/**
 * A role whose grants go to one customer managed policy instead of the inline
 * `DefaultPolicy` the CDK writes by default: HIPAA, NIST 800-53 and PCI DSS reviews
 * (IAMNoInlinePolicy) refuse inline policies. Whatever depends on the role's policy
 * (a state machine, a model) gets that managed policy as its dependency.
 */
export class ManagedPolicyRole extends iam.Role {
  private grantsPolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    // Depending on the role means depending on its policies: whatever uses the role refers
    // to its ARN, which orders it after the role already (a second DependsOn on the role is
    // what cfn-lint W3005 calls redundant).
    const self = this;
    Dependable.implement(this, { get dependencyRoots() { return policiesOf(self); } });
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.grantsPolicy) {
      this.grantsPolicy = new iam.ManagedPolicy(this, 'GrantsPolicy', { roles: [this], description: `Permissions granted to ${this.node.path}` });
    }
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }
}

/** The children of `scope` other than its CloudFormation role: the policies that grant it. */
export function policiesOf(scope: IConstruct): IConstruct[] {
  return scope.node.children.filter(c => !(c instanceof iam.CfnRole) && !(c instanceof iam.Role));
}
