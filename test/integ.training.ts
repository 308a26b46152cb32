// Integration test: deploy the reference training stack, run the workflow on the sample data
// (with a hyperparameter override) and expect the execution to succeed. With an account:
//   npx cdk deploy --app 'npx ts-node --transpile-only test/integ.training.ts' --all
// Without one, test/integ/integ-snapshots.test.ts synthesizes it and checks its snapshot.
// eslint-disable-next-line import/no-extraneous-dependencies
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { SageMakerTrainingStack } from '../bin/stacks';

export function buildTrainingInteg(app: App): Stack[] {
  const stack = new SageMakerTrainingStack(app, 'IntegSageMakerMlTraining');
  const integ = new IntegTest(app, 'TrainingWorkflowInteg', { testCases: [stack] });
  const start = integ.assertions.awsApiCall('StepFunctions', 'startExecution', {
    stateMachineArn: stack.workflow.stateMachine.stateMachineArn,
    input: JSON.stringify({ max_iter: '50' }),
  });
  start.next(integ.assertions.awsApiCall('StepFunctions', 'describeExecution', { executionArn: start.getAttString('executionArn') })
    .expect(ExpectedResult.objectLike({ status: 'SUCCEEDED' }))
    .waitForAssertions({ totalTimeout: Duration.hours(1), interval: Duration.minutes(1) }));
  return app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}

if (require.main === module) {
  const app = new App();
  buildTrainingInteg(app);
  app.synth();
}
