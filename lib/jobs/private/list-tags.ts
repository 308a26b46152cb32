import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct, IValidation } from 'constructs';
import { acknowledge } from '../../private/nag';

/**
 * `sagemaker:ListTags` on `*`, as Step Functions' own policy templates for its SageMaker
 * integrations grant it (Step Functions developer guide, "IAM policies for Amazon SageMaker AI",
 * https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html: CreateTrainingJob and
 * CreateTransformJob, static and dynamic, .sync and request/response, each `"Action":
 * ["sagemaker:ListTags"], "Resource": ["*"]`), and as aws-cdk-lib's SageMakerCreateTrainingJob,
 * CreateTransformJob, CreateModel, CreateEndpoint and CreateEndpointConfig tasks do (2.276.0).
 * The integration lists the tags of what it created under a name the template cannot know.
 */
export function listTagsStatement(scope: IConstruct): iam.PolicyStatement {
  const stack = Stack.of(scope);
  if (!REGISTERED.has(stack)) {
    REGISTERED.add(stack);
    stack.node.addValidation(new ListTagsAcknowledgement(stack));
  }
  return new iam.PolicyStatement({ actions: [LIST_TAGS], resources: ['*'] });
}

const LIST_TAGS = 'sagemaker:ListTags';
const REGISTERED = new WeakSet<Stack>();

/** The reason given on every policy that holds the statement. */
export const LIST_TAGS_REASON = 'sagemaker:ListTags on "*" is what Step Functions\' generated policies for its SageMaker integrations grant '
  + '(developer guide, "IAM policies for Amazon SageMaker AI") and what aws-cdk-lib\'s SageMaker tasks grant: the integration reads the tags of the '
  + 'resource it created. ListTags reads tags only (access level List).';

/**
 * Acknowledges `AwsSolutions-IAM5[Resource::*]` on each IAM policy (inline or managed) of the stack that holds
 * the ListTags-on-`*` statement, and on no other (a construct validation, so it runs once the
 * task policies are in their state machine's role policy, before the cdk-nag plugins).
 */
class ListTagsAcknowledgement implements IValidation {
  private readonly done = new WeakSet<IConstruct>();

  constructor(private readonly stack: Stack) {}

  public validate(): string[] {
    for (const node of this.stack.node.findAll()) {
      const isPolicy = node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy;
      if (!isPolicy || this.done.has(node) || Stack.of(node) !== this.stack) continue;
      const document = this.stack.resolve(node.policyDocument);
      // The statement may be merged with others on '*' (aws-cdk-lib's minimizePolicies).
      const holds = (document?.Statement ?? []).some((s: any) => s.Effect === 'Allow'
        && [s.Action].flat().includes(LIST_TAGS) && [s.Resource].flat().includes('*'));
      if (holds) {
        this.done.add(node);
        acknowledge(node, 'AwsSolutions-IAM5[Resource::*]', LIST_TAGS_REASON);
      }
    }
    return [];
  }
}
