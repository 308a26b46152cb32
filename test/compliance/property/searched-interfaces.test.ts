import * as fs from 'fs';
import * as path from 'path';
import { libraryInterfaces } from '../prop-coverage';

/**
 * Every props interface of the library with optional props is measured by a file of the
 * bad-input search (`measure('<Interface>', ...)`), whose last test then checks each of its
 * optional props is generated; or it is listed here with why not. A new construct's props
 * fail this test until the search covers them.
 */
const NOT_SEARCHED: Record<string, string> = {
  WorkflowStageOptions: "a custom stage's constructor option (resultPath): searched through every stage's resultPath",
  WorkflowObservabilityOptions: 'the options every workflow takes: measured through SageMakerWorkflowProps, TrainingWorkflowProps and ApprovedModelDeploymentProps',
  WorkflowOptions: 'the options of workflows composed from stages: measured through SageMakerWorkflowProps and TrainingWorkflowProps',
  SageMakerTaskProps: 'the base of every step\'s props: its props are measured through TrainingJobStepProps, TransformJobStepProps, TuningStageProps',
  SageMakerJobStepProps: 'the base of the job steps\' props: measured through TrainingJobStepProps and ProcessingJobStepProps',
  HyperParameterTuningJobStepProps: 'TuningStage passes them to the step unchanged: measured as TuningStageProps',
  TransformStageProps: 'TransformJobStepProps unchanged: measured as TransformJobStepProps',
  CreateModelStepProps: 'CreateModelStage passes them unchanged: measured as CreateModelStageProps',
  SageMakerExecutionRoleProps: 'defined by every job, model and monitor that is given no role: searched through them',
  S3ChannelOptions: 'enums of ChannelDataSource.s3 rendered as they are: test/jobs/training-job-step.test.ts',
};

test('every props interface with optional props is searched, or listed with why not', () => {
  const dir = __dirname;
  const sources = fs.readdirSync(dir).filter(f => f.endsWith('.property.test.ts')).map(f => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  const measured = new Set([...sources.matchAll(/measure\('(\w+)'/g)].map(m => m[1]));
  const interfaces = libraryInterfaces();
  const props = Object.keys(interfaces).filter(name => /(Props|Options)$/.test(name) && interfaces[name].length > 0);
  expect(props.length).toBeGreaterThan(20);
  const unsearched = props.filter(name => !measured.has(name) && !NOT_SEARCHED[name]);
  const stale = Object.keys(NOT_SEARCHED).filter(name => measured.has(name) || !props.includes(name));
  expect({ unsearched, stale }).toEqual({ unsearched: [], stale: [] });
});
