import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { OPTIMIZED_SAGEMAKER_FIELDS as LIBRARY_FIELDS } from '../../lib/jobs/private/optimized-fields';
import { findStateMachine, LocalAssembly, stateMachinePaths } from '../../local/src/assembly';
import { OPTIMIZED_SAGEMAKER_FIELDS as LOCAL_FIELDS, optimizedFieldProblems } from '../../local/src/optimized-fields';
import { LocalRuntime } from '../../local/src/runtime';
import { ENV, testApp } from '../util';
import { referenceApp } from './workflows';

/**
 * Issue 23, finding 6: Step Functions refuses, when the state machine is created, an optimized
 * SageMaker integration whose Parameters carry a field it does not support. The construct
 * package keeps the per-API lists (lib/jobs/private/optimized-fields.ts); the local runtime
 * keeps its own copy and refuses such a definition at load.
 */
describe('optimized integration fields', () => {
  test('the local runtime\'s table is the construct package\'s', () => {
    expect(LOCAL_FIELDS).toEqual(LIBRARY_FIELDS);
  });

  test('a definition whose sagemaker:updateEndpoint sends DeploymentConfig is refused at load, as Step Functions refuses it at deploy', () => {
    const app = testApp();
    const stack = new Stack(app, 'Refused', { env: ENV });
    const update = new sfn.CustomState(stack, 'Update', {
      stateJson: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sagemaker:updateEndpoint',
        Parameters: { EndpointName: 'e', EndpointConfigName: 'c', DeploymentConfig: { BlueGreenUpdatePolicy: {} }, RetainAllVariantProperties: true },
        End: true,
      },
    });
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(update) });
    expect(() => LocalRuntime.fromStack(stack, 'Machine')).toThrow(
      'Invalid State Machine Definition: \'SCHEMA_VALIDATION_FAILED: The field "DeploymentConfig" is not supported by Step Functions at /States/Update/Parameters, '
      + 'SCHEMA_VALIDATION_FAILED: The field "RetainAllVariantProperties" is not supported by Step Functions at /States/Update/Parameters\'');
  });

  test('aws-cdk-lib\'s own tasks pass the check (the lists are what they render)', () => {
    const app = testApp();
    const stack = new Stack(app, 'Stock', { env: ENV });
    const chain = new tasks.SageMakerCreateEndpoint(stack, 'Create', { endpointName: 'e', endpointConfigName: 'c' })
      .next(new tasks.SageMakerUpdateEndpoint(stack, 'Update', { endpointName: 'e', endpointConfigName: 'c' }));
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(chain) });
    const rt = LocalRuntime.fromStack(stack, 'Machine');
    expect(optimizedFieldProblems(rt.stateMachine.definition.States)).toEqual([]);
    rt.dispose();
  });

  test('every state machine of the reference app sends only supported fields through optimized integrations', () => {
    const { app } = referenceApp();
    const assembly = LocalAssembly.fromDirectory(app.synth().directory);
    const paths = stateMachinePaths(assembly);
    expect(paths.length).toBeGreaterThan(3);
    // findStateMachine throws the SCHEMA_VALIDATION_FAILED problems of a definition.
    const problems = paths.flatMap(p => {
      try {
        findStateMachine(assembly, p);
        return [];
      } catch (e) {
        return [(e as Error).message];
      }
    });
    expect(problems).toEqual([]);
    // The real-time stack's deploy workflow: endpoint calls with a deployment config go through the SDK integration.
    const deploy = findStateMachine(assembly, paths.find(p => /DeployApproved/.test(p))!).definition.States;
    expect(deploy['Deploy update endpoint'].Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:updateEndpoint');
    expect(deploy['Deploy create endpoint'].Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:createEndpoint');
    expect(deploy['Deploy define endpoint configuration'].Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:createEndpointConfig');
    expect(deploy['define model from package'].Resource).toBe('arn:aws:states:::sagemaker:createModel');
  });
});
