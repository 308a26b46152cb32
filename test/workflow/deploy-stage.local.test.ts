import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DeployStage, JobS3Location, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerModel } from '../../lib';
import { definitionOf, testStack } from '../util';

/**
 * The DeployStage's state machine run on aws-local-stepfunctions, SageMaker answered by
 * local handlers: every path through it (missing endpoint, update and cleanup, rollback,
 * failure, time-out, throttling) is executed, not only rendered.
 */

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+); Node 20 lacks it. The local
// runtime (local/src) installs the same polyfill; this test runs the library directly.
if (typeof (Promise as any).withResolvers !== 'function') {
  (Promise as any).withResolvers = () => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

// The interpreter is an ES module with a CommonJS build; its types are ESM-only, so it is
// required with the little of its API this test uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as {
  StateMachine: new (definition: any, options?: any) => { run(input: any, options?: any): { result: Promise<any> } };
};

const IMAGE_DIR = path.join(__dirname, '..', '..', 'containers', 'glm');
const NEW = 'pricing-rt-00000000-0000-0000-0000-000000000001';

function sageMakerError(cause: string): Error {
  const error = new Error(cause);
  error.name = 'SageMaker.SageMakerException';
  return error;
}

function machine(maxPolls?: number): { definition: any; stage: DeployStage } {
  const stack = testStack();
  const store = new MlDataStore(stack, 'Store');
  const model = new SageMakerModel(stack, 'Model', { image: SageMakerImage.fromAsset(IMAGE_DIR), modelData: ModelData.fromAsset(path.join(IMAGE_DIR, 'sample', 'model.tar.gz')) });
  const endpoint = new RealtimeEndpoint(stack, 'Endpoint', {
    endpointName: 'pricing',
    runtimeConfigNamePrefix: 'pricing-rt',
    variants: [{ model }],
    dataCapture: { destination: JobS3Location.inBucket(store.artifactsBucket, 'capture') },
  });
  const modelRole = new iam.Role(stack, 'CandidateRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const stage = new DeployStage(stack, 'Deploy', { endpoint, modelName: sfn.JsonPath.stringAt('$.results.model.ModelName'), modelRole, pollInterval: Duration.seconds(10), maxPolls });
  new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(stage) });
  return { definition: definitionOf(stack), stage };
}

interface World {
  /** The endpoint before the run: undefined for missing. */
  readonly current?: { EndpointStatus: string; EndpointConfigName: string };
  /** The statuses DescribeEndpoint answers while polling, the last one repeated. */
  readonly polls: Array<{ EndpointStatus: string; EndpointConfigName?: string; FailureReason?: string }>;
  /** The tags of the previous configuration (a run-time one always has at least the replaces tag). */
  readonly previousTags?: Array<{ Key: string; Value: string }>;
  /** An error every DescribeEndpoint of the find step raises instead. */
  readonly findError?: string;
}

async function run(world: World, maxPolls?: number) {
  const { definition } = machine(maxPolls);
  const calls: Array<[string, any]> = [];
  let poll = 0;
  let finds = 0;
  const handlers: Record<string, (input: any) => any> = {
    'Deploy find endpoint': () => {
      finds++;
      if (world.findError) throw sageMakerError(world.findError);
      if (!world.current) throw sageMakerError('Could not find endpoint "pricing".');
      return world.current;
    },
    'Deploy define endpoint configuration': (input) => {
      calls.push(['createEndpointConfig', input]);
      return { EndpointConfigArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${NEW}` };
    },
    'Deploy create endpoint': (input) => { calls.push(['createEndpoint', input]); return {}; },
    'Deploy update endpoint': (input) => { calls.push(['updateEndpoint', input]); return {}; },
    'Deploy describe endpoint': () => {
      const answer = world.polls[Math.min(poll++, world.polls.length - 1)];
      return { EndpointName: 'pricing', EndpointConfigName: NEW, ...answer };
    },
    'Deploy read previous configuration': (input) => { calls.push(['listTags', input]); return { Tags: world.previousTags ?? [{ Key: 'cdk-sagemaker-ml:replaces', Value: 'none' }] }; },
    'Deploy delete replaced configuration': (input) => { calls.push(['deleteEndpointConfig', input]); return {}; },
    'Deploy delete unused configuration': (input) => { calls.push(['deleteEndpointConfig', input]); return {}; },
    'Deploy delete failed endpoint': (input) => { calls.push(['deleteEndpoint', input]); return {}; },
  };
  const sm = new StateMachine(definition, { validationOptions: { checkArn: false } });
  const execution = sm.run({ results: { model: { ModelName: 'candidate-model' } } }, {
    context: {
      Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:Machine:run-1', Name: 'run-1' },
      StateMachine: { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:Machine', Name: 'Machine' },
    } as any,
    overrides: {
      taskResourceLocalHandlers: handlers,
      // Every Wait (the polls, the settle wait, the service-error loops' backoffs) and Retry at once.
      waitTimeOverrides: Object.fromEntries(Object.entries<any>(definition.States).filter(([, st]) => st.Type === 'Wait').map(([n]) => [n, 0])),
      retryIntervalOverrides: Object.fromEntries(Object.entries<any>(definition.States).filter(([, st]) => st.Retry).map(([n]) => [n, 0])),
    },
  });
  try {
    return { output: await execution.result as any, calls, polls: poll, finds };
  } catch (e: any) {
    return { error: { Error: e.cause?.name ?? e.name, Cause: e.cause?.cause ?? e.cause?.message ?? e.message }, calls, polls: poll, finds };
  }
}

describe('DeployStage, run locally', () => {
  test('creates a missing endpoint with a configuration for the new model, and waits for it', async () => {
    const result = await run({ polls: [{ EndpointStatus: 'Creating' }, { EndpointStatus: 'InService' }] });
    expect(result.error).toBeUndefined();
    expect(result.calls.map(c => c[0])).toEqual(['createEndpointConfig', 'createEndpoint']);
    const [, config] = result.calls[0];
    expect(config.ProductionVariants[0].ModelName).toBe('candidate-model');
    expect(config.DataCaptureConfig.EnableCapture).toBe(true);
    expect(config.Tags).toEqual([
      { Key: 'cdk-sagemaker-ml:workflow', Value: 'arn:aws:states:us-east-1:123456789012:stateMachine:Machine' },
      { Key: 'cdk-sagemaker-ml:execution', Value: 'arn:aws:states:us-east-1:123456789012:execution:Machine:run-1' },
      { Key: 'cdk-sagemaker-ml:version', Value: 'candidate-model' },
      { Key: 'cdk-sagemaker-ml:replaces', Value: 'none' },
    ]);
    expect(result.calls[1][1]).toEqual(expect.objectContaining({ EndpointName: 'pricing', EndpointConfigName: NEW }));
    expect(result.output.results.Deploy.config.EndpointConfigName).toBe(NEW);
    expect(result.polls).toBe(2);
  });

  test('updates an existing endpoint, then deletes the configuration the previous one replaced', async () => {
    const result = await run({
      current: { EndpointStatus: 'InService', EndpointConfigName: 'pricing-rt-previous' },
      polls: [{ EndpointStatus: 'Updating', EndpointConfigName: 'pricing-rt-previous' }, { EndpointStatus: 'InService' }],
      previousTags: [{ Key: 'cdk-sagemaker-ml:execution', Value: 'arn:x' }, { Key: 'cdk-sagemaker-ml:replaces', Value: 'pricing-rt-older' }],
    });
    expect(result.error).toBeUndefined();
    // The previous configuration's tags are read first (is this version already in service?).
    expect(result.calls.map(c => c[0])).toEqual(['listTags', 'createEndpointConfig', 'updateEndpoint', 'deleteEndpointConfig']);
    expect(result.calls[0][1]).toEqual({ ResourceArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/pricing-rt-previous' });
    expect(result.calls[2][1]).toEqual(expect.objectContaining({ RetainAllVariantProperties: true, EndpointConfigName: NEW }));
    expect(result.calls[3][1]).toEqual({ EndpointConfigName: 'pricing-rt-older' });
  });

  test('an endpoint in service with a configuration of the same version is left alone', async () => {
    const result = await run({
      current: { EndpointStatus: 'InService', EndpointConfigName: 'pricing-rt-previous' },
      polls: [],
      previousTags: [{ Key: 'cdk-sagemaker-ml:version', Value: 'candidate-model' }, { Key: 'cdk-sagemaker-ml:replaces', Value: 'pricing-rt-older' }],
    });
    expect(result.error).toBeUndefined();
    expect(result.calls.map(c => c[0])).toEqual(['listTags']);
    expect(result.output.results.Deploy).toMatchObject({ outcome: 'AlreadyInService', config: { EndpointConfigName: 'pricing-rt-previous' } });
  });

  test('keeps CloudFormation\'s configuration and configurations of other prefixes', async () => {
    const fromStack = await run({ current: { EndpointStatus: 'InService', EndpointConfigName: 'EndpointConfig-AbC123' }, polls: [{ EndpointStatus: 'InService' }] });
    expect(fromStack.calls.map(c => c[0])).toEqual(['createEndpointConfig', 'updateEndpoint']);
    const foreign = await run({
      current: { EndpointStatus: 'InService', EndpointConfigName: 'pricing-rt-previous' },
      polls: [{ EndpointStatus: 'InService' }],
      previousTags: [{ Key: 'cdk-sagemaker-ml:replaces', Value: 'EndpointConfig-AbC123' }],
    });
    expect(foreign.error).toBeUndefined();
    expect(foreign.calls.map(c => c[0])).toEqual(['listTags', 'createEndpointConfig', 'updateEndpoint']);
  });

  test('a rollback fails the execution as a rollback and deletes the unused configuration', async () => {
    const result = await run({
      current: { EndpointStatus: 'InService', EndpointConfigName: 'pricing-rt-previous' },
      polls: [{ EndpointStatus: 'Updating' }, { EndpointStatus: 'RollingBack' }, { EndpointStatus: 'InService', EndpointConfigName: 'pricing-rt-previous' }],
    });
    expect(result.error).toEqual({ Error: 'EndpointDeploymentRolledBack', Cause: expect.stringContaining(`in service with configuration pricing-rt-previous, not the new ${NEW}`) });
    expect(result.calls.at(-1)).toEqual(['deleteEndpointConfig', { EndpointConfigName: NEW }]);
  });

  test('a failed endpoint fails the execution with SageMaker\'s reason', async () => {
    const result = await run({ current: { EndpointStatus: 'InService', EndpointConfigName: 'x' }, polls: [{ EndpointStatus: 'Failed', FailureReason: 'image not found' }] });
    expect(result.error).toEqual({ Error: 'EndpointDeploymentFailed', Cause: `endpoint pricing is Failed after deploying configuration ${NEW}: image not found` });
  });

  test('gives up after maxPolls checks', async () => {
    const result = await run({ current: { EndpointStatus: 'InService', EndpointConfigName: 'x' }, polls: [{ EndpointStatus: 'Updating' }] }, 3);
    expect(result.error).toEqual({ Error: 'EndpointDeploymentTimedOut', Cause: expect.stringContaining('is still Updating after 3 checks') });
    expect(result.polls).toBe(3);
  });

  test('throttling is retried a bounded number of times; neither it nor access denied is taken for a missing endpoint', async () => {
    const throttled = await run({ findError: 'Rate exceeded (Service: SageMaker, Status Code: 400, Request ID: 1)', polls: [] });
    expect(throttled.error).toEqual({ Error: 'SageMaker.SageMakerException', Cause: 'Rate exceeded (Service: SageMaker, Status Code: 400, Request ID: 1)' });
    expect(throttled.calls).toEqual([]);
    expect(throttled.finds).toBe(4);
    const denied = await run({ findError: 'User is not authorized to perform: sagemaker:DescribeEndpoint (Service: SageMaker, Status Code: 400, Request ID: 2)', polls: [] });
    expect(denied.error).toEqual({ Error: 'SageMaker.SageMakerException', Cause: expect.stringContaining('is not authorized') });
    // A client error is not retried.
    expect(denied.finds).toBe(1);
  });
});
