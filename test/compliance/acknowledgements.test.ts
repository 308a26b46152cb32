import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  JobS3Location, MetricComparison, MlDataStore, ModelData, RealtimeEndpoint, SageMakerImage, SageMakerModel, TrainingJobStep, TrainingWorkflow,
} from '../../lib';
import { ENV, testApp } from '../util';

/**
 * The wildcard-resource acknowledgements (lib/private/nag.ts) are made in one pass over a
 * stack's policies. The expected list was recorded with the earlier implementation, which
 * compared every registration with every policy: the same ids on the same resources, in the
 * same order, with the same reasons.
 */
function acknowledgements(app: App): string[] {
  app.synth();
  return app.node.findAll()
    .filter(c => c instanceof iam.CfnPolicy || c instanceof iam.CfnManagedPolicy)
    .flatMap(c => c.node.metadata
      .filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap(m => Object.entries(m.data as Record<string, string>).filter(([id]) => id.includes('AwsSolutions-IAM5')).map(([id, reason]) => `${c.node.path} ${id} ${reason}`)));
}

function units(stack: Stack, count: number): void {
  const store = new MlDataStore(stack, 'Store');
  const image = SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'glm'), 'v1');
  for (let i = 0; i < count; i++) {
    const scope = new Construct(stack, `Unit${i}`);
    const model = new SageMakerModel(scope, 'Model', { image, modelData: ModelData.fromBucket(store.artifactsBucket, `models/${i}/model.tar.gz`) });
    const endpoint = new RealtimeEndpoint(scope, 'Endpoint', { variants: [{ model }] });
    new TrainingWorkflow(scope, 'Workflow', {
      train: { image, outputLocation: JobS3Location.inBucket(store.artifactsBucket, `models/${i}`) },
      evaluate: {
        image,
        processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(store.artifactsBucket, `eval/${i}`) }],
        reportOutputName: 'report',
        gate: { metricPath: 'metrics.rmse', comparison: MetricComparison.LESS_THAN, threshold: 1 },
      },
      promote: i % 2 === 0 ? { endpoint } : undefined,
    });
  }
  // A state machine of the user's around one of the library's steps: its policy is acknowledged too.
  const train = new TrainingJobStep(stack, 'UserTrain', { image, outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'user') });
  new sfn.StateMachine(stack, 'UserMachine', { definitionBody: sfn.DefinitionBody.fromChainable(train) });
}

test('the same acknowledgements on the same policies, with their reasons', () => {
  const app = testApp();
  units(new Stack(app, 'Three', { env: ENV }), 3);
  units(new Stack(app, 'One', { env: ENV }), 1);
  expect(acknowledgements(app)).toMatchSnapshot();
});
