import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { SageMakerLargeModelStack, SageMakerTrainingStack } from '../../bin/stacks';
import { cfnLintAvailable, startCfnLint, unexpectedAnnotations } from '../composition/cfn-lint';
import { definitionOf, ENV, nagFindings, snapshotOf, testApp } from '../util';

// As bin/reference-app.ts wires it: the model files in the training stack's artifacts bucket.
const app = testApp();
const training = new SageMakerTrainingStack(app, 'SageMakerMlTraining', { env: ENV });
const stack = new SageMakerLargeModelStack(app, 'SageMakerMlLargeModel', { env: ENV, dataStore: training.dataStore });
const t = Template.fromStack(stack);
const assembly = app.synth();
const lint = startCfnLint({ [stack.stackName]: path.join(assembly.directory, stack.templateFile) });

describe('the large-model reference stack', () => {
  test('matches the snapshot', () => {
    expect(snapshotOf(stack)).toMatchSnapshot();
  });

  test('policy review: no unacknowledged finding of the four packs', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('synthesizes without an info or warning annotation', () => {
    expect(unexpectedAnnotations(stack)).toEqual([]);
  });

  // cfn-lint runs in a child process started at synth; on a busy machine it takes a while.
  test('cfn-lint: no error, no warning', async () => {
    if (!cfnLintAvailable) return;
    expect(await lint).toEqual([]);
  }, 120_000);

  test('serves the LMI container on a GPU with long timeouts and least-outstanding-requests routing, from an uncompressed S3 prefix', () => {
    const config = Object.values<any>(t.findResources('AWS::SageMaker::EndpointConfig'))[0].Properties;
    expect(config.ProductionVariants).toEqual([expect.objectContaining({
      InstanceType: 'ml.g5.2xlarge',
      ModelDataDownloadTimeoutInSeconds: 1800,
      ContainerStartupHealthCheckTimeoutInSeconds: 1800,
      RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
    })]);
    const models = Object.values<any>(t.findResources('AWS::SageMaker::Model')).map(m => m.Properties.PrimaryContainer);
    expect(models.map(c => JSON.stringify(c.Image))).toEqual([
      expect.stringContaining('/djl-inference:0.36.0-lmi27.0.0-cu130'),
      expect.stringContaining('/huggingface-pytorch-tgi-inference:2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04'),
    ]);
    for (const container of models) {
      expect(container.ModelDataSource.S3DataSource).toMatchObject({ S3DataType: 'S3Prefix', CompressionType: 'None' });
      expect(container.ModelDataUrl).toBeUndefined();
    }
  });

  test('tests the TGI candidate in shadow on half the requests, its traffic captured', () => {
    const config = Object.values<any>(t.findResources('AWS::SageMaker::EndpointConfig'))[0].Properties;
    expect(config.ShadowProductionVariants).toEqual([expect.objectContaining({ VariantName: 'Shadow', InitialVariantWeight: 0.5, InstanceType: 'ml.g5.2xlarge' })]);
    expect(config.DataCaptureConfig).toMatchObject({ EnableCapture: true, InitialSamplingPercentage: 10 });
    // ml.g5 has only instance storage: SageMaker refuses a volume key for it.
    expect(config.KmsKeyId).toBeUndefined();
  });

  test('promotes the shadow from a workflow: a new configuration through the AWS SDK integration, a blue/green update with rollback alarms', () => {
    const d = definitionOf(stack, 'PromoteShadowStateMachine');
    expect(d.States['Promote define endpoint configuration'].Resource).toContain(':states:::aws-sdk:sagemaker:createEndpointConfig');
    expect(d.States['Promote update endpoint'].Parameters.DeploymentConfig.AutoRollbackConfiguration.Alarms).toHaveLength(2);
    t.hasOutput('PromoteWorkflowArn', {});
    t.hasOutput('EndpointName', {});
  });
});
