import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { ChannelDataSource, JobS3Location, MlDataStore, SageMakerExecutionRole, SageMakerImage, TrainingJobStep } from '../../lib';
import { OPTIMIZED_SAGEMAKER_FIELDS as LIBRARY_FIELDS } from '../../lib/jobs/private/optimized-fields';
import { findStateMachine, LocalAssembly, stateMachinePaths } from '../../local/src/assembly';
import { OPTIMIZED_SAGEMAKER_FIELDS as LOCAL_FIELDS, optimizedFieldProblems } from '../../local/src/optimized-fields';
import { LocalRuntime } from '../../local/src/runtime';
import { ENV, testApp } from '../util';
import { referenceApp, TINY_IMAGE } from './workflows';

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

  test('EnableManagedSpotTraining is on createTrainingJob\'s list (Step Functions supports it since 2021)', () => {
    expect(LIBRARY_FIELDS.createTrainingJob).toContain('EnableManagedSpotTraining');
    expect(LIBRARY_FIELDS.createTrainingJob).not.toContain('CheckpointConfig');
    expect(LIBRARY_FIELDS.createTrainingJob).not.toContain('EnableInterContainerTrafficEncryption');
  });

  test('every state machine the library renders for a training step passes the check at load', () => {
    const app = testApp();
    const stack = new Stack(app, 'Training', { env: ENV });
    const store = new MlDataStore(stack, 'Store');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const role = new SageMakerExecutionRole(stack, 'Role', { vpcAccess: true }).role;
    const image = SageMakerImage.fromAsset(TINY_IMAGE);
    // Every value of each prop that decides a top-level request field, with everything else
    // unset and with everything else set.
    const tri = [undefined, false, true];
    const combos: Array<{ spot: boolean; checkpoint: boolean; interContainer?: boolean; isolation?: boolean; rest: boolean }> = [];
    for (const spot of [false, true]) {
      for (const checkpoint of [false, true]) {
        for (const interContainer of tri) {
          for (const isolation of tri) {
            for (const rest of [false, true]) combos.push({ spot, checkpoint, interContainer, isolation, rest });
          }
        }
      }
    }
    const machines: string[] = [];
    combos.forEach((c, i) => {
      const step = new TrainingJobStep(stack, `Train${i}`, {
        image,
        role,
        outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
        spot: c.spot ? { maxWait: Duration.hours(2) } : undefined,
        maxRuntime: Duration.hours(1),
        checkpointLocation: c.checkpoint ? JobS3Location.perExecution(store.artifactsBucket, 'checkpoints') : undefined,
        enableInterContainerTrafficEncryption: c.interContainer,
        enableNetworkIsolation: c.isolation,
        ...(c.rest ? {
          channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
          hyperparameters: { a: '1', b: sfn.JsonPath.stringAt('$.b') },
          environment: { A: 'b' },
          metricDefinitions: [{ name: 'loss', regex: 'loss=([0-9.]+)' }],
          tags: { team: 'ml' },
          vpc,
          instanceCount: 2,
        } : {}),
      });
      // (Spot without checkpoints is warned about; that is another test's.)
      Annotations.of(step).acknowledgeWarning('cdk-sagemaker-ml:spotWithoutCheckpoints');
      new sfn.StateMachine(stack, `Machine${i}`, { definitionBody: sfn.DefinitionBody.fromChainable(step) });
      machines.push(`Training/Machine${i}`);
    });
    const assembly = LocalAssembly.fromDirectory(app.synth().directory);
    const resources = machines.map((p, i) => {
      const { definition } = findStateMachine(assembly, p);
      expect(optimizedFieldProblems(definition.States)).toEqual([]);
      return { combo: combos[i], resource: definition.States[`Train${i}`].Resource };
    });
    // The AWS SDK integration exactly when the request needs a field the optimized one does not take.
    for (const { combo, resource } of resources) {
      const sdk = combo.checkpoint || combo.interContainer === true;
      expect([combo, resource]).toEqual([combo, sdk ? 'arn:aws:states:::aws-sdk:sagemaker:createTrainingJob' : 'arn:aws:states:::sagemaker:createTrainingJob.sync']);
    }
  });
});
