/**
 * The request fields Step Functions' optimized SageMaker integrations take, per API: what
 * aws-cdk-lib 2.276.0's own task for the API renders (aws-stepfunctions-tasks/lib/sagemaker/),
 * plus a field Step Functions' maintainers have stated is supported (cited where it is listed).
 * Step Functions validates an optimized integration's Parameters when the state machine is
 * created and refuses any other field ("SCHEMA_VALIDATION_FAILED: The field "X" is not
 * supported by Step Functions": aws/aws-cdk#10014, aws/aws-step-functions-data-science-sdk-python#200).
 * CreateProcessingJob and CreateHyperParameterTuningJob have no aws-cdk-lib task and are not checked.
 *
 * A copy of the construct package's table (lib/jobs/private/optimized-fields.ts): this package
 * does not import that one; test/local/optimized-fields.test.ts keeps the two equal.
 */
export const OPTIMIZED_SAGEMAKER_FIELDS: { readonly [api: string]: readonly string[] } = {
  createEndpoint: ['EndpointConfigName', 'EndpointName', 'Tags'],
  updateEndpoint: ['EndpointConfigName', 'EndpointName'],
  createEndpointConfig: ['EndpointConfigName', 'ProductionVariants', 'KmsKeyId', 'Tags'],
  createModel: ['ExecutionRoleArn', 'ModelName', 'PrimaryContainer', 'Containers', 'EnableNetworkIsolation', 'VpcConfig', 'Tags'],
  createTrainingJob: [
    'TrainingJobName', 'EnableNetworkIsolation', 'RoleArn', 'AlgorithmSpecification', 'InputDataConfig', 'OutputDataConfig',
    'ResourceConfig', 'StoppingCondition', 'HyperParameters', 'Tags', 'VpcConfig', 'Environment',
    // Not rendered by aws-cdk-lib's task, but supported: "The `EnableManagedSpotTraining` parameter is
    // now supported in `CreateTrainingJob`" (a Step Functions maintainer, shivlaks, 2021-09-11, on
    // aws/aws-step-functions-data-science-sdk-python#42, after vaib-amz's 2020-04-28 answer that it was not).
    'EnableManagedSpotTraining',
  ],
  createTransformJob: [
    'BatchStrategy', 'Environment', 'MaxConcurrentTransforms', 'MaxPayloadInMB', 'ModelClientConfig', 'ModelName', 'Tags',
    'TransformInput', 'TransformJobName', 'TransformOutput', 'TransformResources',
  ],
};

/**
 * What Step Functions would answer when the state machine is created: for each task state of
 * `states` (nested ones included) whose optimized SageMaker integration sends a field outside
 * its list, `SCHEMA_VALIDATION_FAILED: The field "X" is not supported by Step Functions at /States/<state>/Parameters`.
 */
export function optimizedFieldProblems(states: { [name: string]: any }, at: string = '/States'): string[] {
  const problems: string[] = [];
  for (const [name, state] of Object.entries<any>(states ?? {})) {
    for (const branch of state.Branches ?? []) problems.push(...optimizedFieldProblems(branch.States, `${at}/${name}/Branches`));
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) problems.push(...optimizedFieldProblems(inner.States, `${at}/${name}/ItemProcessor/States`));
    if (state.Type !== 'Task' || typeof state.Resource !== 'string') continue;
    const match = /^arn:[a-z-]+:states:::sagemaker:([a-zA-Z]+)(\.sync)?$/.exec(state.Resource);
    const allowed = match ? OPTIMIZED_SAGEMAKER_FIELDS[match[1]] : undefined;
    if (!allowed) continue;
    const field = state.Parameters ? 'Parameters' : 'Arguments';
    const request = state.Parameters ?? state.Arguments;
    if (typeof request !== 'object' || request === null) continue;
    for (const key of Object.keys(request)) {
      const bare = key.endsWith('.$') ? key.slice(0, -2) : key;
      if (!allowed.includes(bare)) {
        problems.push(`SCHEMA_VALIDATION_FAILED: The field "${bare}" is not supported by Step Functions at ${at}/${name}/${field}`);
      }
    }
  }
  return problems;
}
