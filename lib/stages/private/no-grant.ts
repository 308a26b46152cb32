import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, DependencyGroup } from 'constructs';

/**
 * A grantee for rendering a `SageMakerImage` where no role of the app pulls it (a registered
 * version names its image; the role of a model defined from the version pulls it later).
 * `SageMakerImage.bind` renders and grants in one call: this principal takes the statements
 * and adds them nowhere. It belongs to the stack's account, so a grant never falls back to
 * a resource policy (no key or repository policy statement is added either).
 */
export function renderOnlyGrantee(scope: Construct): iam.IGrantable {
  return { grantPrincipal: new RenderOnlyPrincipal(Stack.of(scope).account) };
}

class RenderOnlyPrincipal extends iam.PrincipalBase {
  constructor(public readonly principalAccount: string) {
    super();
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    throw new Error('a render-only grantee is never a policy principal');
  }

  public addToPrincipalPolicy(_statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    return { statementAdded: true, policyDependable: new DependencyGroup() };
  }

  public dedupeString(): string | undefined {
    return 'cdk-sagemaker-ml:render-only';
  }
}
