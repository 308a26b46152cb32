import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** An endpoint's ARN in the stack of `scope`: SageMaker lowercases names in ARNs. */
export function endpointArnOf(scope: IConstruct, endpointName: string): string {
  const name = Token.isUnresolved(endpointName) ? endpointName : endpointName.toLowerCase();
  return Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: name });
}
