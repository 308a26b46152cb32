import { Duration } from 'aws-cdk-lib';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { IDeployableEndpoint } from '../../hosting/deployable-endpoint';
import { IInferenceComponent } from '../../hosting/inference-component';
import { validateLength } from '../../private/validate';

/** The approval deployments' smoke-test sample: its content type and body (call inside `validateIn`). */
export function validateSample(contentType: string, samplePayload: string): void {
  validateLength('sampleContentType', contentType, 1, 1024);
  // InvokeEndpoint takes a body of at most 25 MB; a state's input and parameters are limited to 256 KiB.
  validateLength('samplePayload', samplePayload, 1, 200_000);
}

/** What a smoke test invokes: an endpoint, or one inference component (on its endpoint). */
export type SmokeTestTarget =
  | { readonly endpoint: IDeployableEndpoint; readonly component?: undefined }
  | { readonly component: IInferenceComponent };

/**
 * One InvokeEndpoint with the sample, through the SDK integration of the SageMaker runtime (no
 * optimized integration exists for InvokeEndpoint), its content type at `$.results.smokeTest`.
 * With a component, InvokeEndpoint names it, which authorizes both the endpoint and the component.
 */
export function smokeTestStep(scope: Construct, target: SmokeTestTarget, body: string, contentType: string): tasks.CallAwsService {
  const component = target.component;
  const endpoint = component ? component.endpoint : target.endpoint;
  const test = new tasks.CallAwsService(scope, 'SmokeTest', {
    stateName: 'smoke test',
    service: 'sagemakerruntime',
    action: 'invokeEndpoint',
    iamAction: 'sagemaker:InvokeEndpoint',
    iamResources: component ? [endpoint.endpointArn, component.inferenceComponentArn] : [endpoint.endpointArn],
    parameters: {
      EndpointName: endpoint.endpointName,
      ...(component ? { InferenceComponentName: component.inferenceComponentName } : {}),
      ContentType: contentType,
      Body: body,
    },
    resultSelector: { 'ContentType.$': '$.ContentType' },
    resultPath: '$.results.smokeTest',
  });
  // A fresh fleet, or new copies, may answer a first request slowly: two more tries before it counts as failed.
  test.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(10), maxAttempts: 2, backoffRate: 2 });
  return test;
}
