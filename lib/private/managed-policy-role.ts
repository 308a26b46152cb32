import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

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
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.grantsPolicy) {
      this.grantsPolicy = new iam.ManagedPolicy(this, 'GrantsPolicy', { roles: [this], description: `Permissions granted to ${this.node.path}` });
    }
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }
}
