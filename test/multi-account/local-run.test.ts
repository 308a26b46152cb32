import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { Integration, validateRequest } from '../../local/src/api';
import { LocalFaults } from '../../local/src/faults';
import { LocalRunResult, LocalRuntime } from '../../local/src/runtime';
import { failureNotification } from '../local/workflows';
import { testApp } from '../util';
import { ARTIFACTS_BUCKET, GROUP_NAME, TOOLING, addMultiAccountStacks } from './app';

/**
 * The multi-account path run locally (issue 25): a version registered in the tooling account
 * (111111111111) is approved there; its event reaches staging's bus (222222222222) through the
 * tooling account's forwarding rule and starts staging's deploy workflow; staging's record of
 * a passed deployment (the version's ModelLifeCycle, in the tooling account) reaches
 * production's bus (333333333333) and starts production's. A staging failure stops production;
 * production refuses a version staging did not pass.
 */
jest.setTimeout(120_000);

const SAMPLE_MODEL = path.join(__dirname, '..', '..', 'containers', 'glm', 'sample', 'model.tar.gz');
const STAGING_SM = 'MlStaging/Deployment/Workflow/StateMachine';
const PRODUCTION_SM = 'MlProduction/Deployment/Workflow/StateMachine';

function setup(faults?: LocalFaults, productionWait?: Duration, productionApprovalStage?: string) {
  const app = testApp();
  addMultiAccountStacks(app, { productionWait, productionApprovalStage });
  const rt = LocalRuntime.fromAssembly(app.synth().directory, STAGING_SM, { faults });
  const staging = rt.assembly.resolver('MlStaging');
  const image = staging.resolve(Object.values<any>(staging.resources).find(r => r.Type === 'AWS::SageMaker::Model').Properties.PrimaryContainer.Image);
  const register = async (): Promise<string> => {
    rt.s3.putFile(ARTIFACTS_BUCKET, 'models/v1/model.tar.gz', SAMPLE_MODEL);
    const { ModelPackageArn } = await rt.sagemaker.call('CreateModelPackage', {
      ModelPackageGroupName: GROUP_NAME,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: image, ModelDataUrl: `s3://${ARTIFACTS_BUCKET}/models/v1/model.tar.gz` }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
      },
    }, Integration.AWS_SDK, false);
    return ModelPackageArn;
  };
  /** Every execution the events started, in order, once none is running and none is left to start. */
  const settle = async (): Promise<Array<{ stateMachine: string; result: LocalRunResult }>> => {
    let seen = -1;
    while (seen !== rt.triggered.length) {
      seen = rt.triggered.length;
      await Promise.all(rt.triggered.map(t => t.execution.result));
    }
    return Promise.all(rt.triggered.map(async t => ({ stateMachine: t.stateMachine, result: await t.execution.result })));
  };
  /** A person's second approval: the approval stage in the version's ModelLifeCycle (what `grantApprove` allows). */
  const approveProduction = async (arn: string): Promise<void> => {
    const request = { ModelPackageArn: arn, ModelLifeCycle: { Stage: APPROVAL_STAGE, StageStatus: 'Approved', StageDescription: 'released by the on-call reviewer' } };
    validateRequest('sagemaker', 'UpdateModelPackage', request, Integration.AWS_SDK);
    await rt.sagemaker.call('UpdateModelPackage', request, Integration.AWS_SDK, false);
  };
  const describe = (arn: string) => rt.sagemaker.call('DescribeModelPackage', { ModelPackageName: arn }, Integration.AWS_SDK, false);
  return { rt, register, settle, approveProduction, describe };
}

const APPROVAL_STAGE = 'ProductionApproval';

describe('multi-account deployment, run locally', () => {
  const runtimes: LocalRuntime[] = [];
  afterAll(() => runtimes.forEach(r => r.dispose()));

  test('approval in the tooling account deploys to staging, whose passed record deploys to production', async () => {
    const { rt, register, settle } = setup(undefined, Duration.minutes(30));
    runtimes.push(rt);
    const arn = await register();
    const started = await rt.approveModelPackage(arn);

    // The approval reaches staging's bus only: production waits for staging's record.
    expect(rt.triggered.map(t => t.stateMachine)).toEqual([STAGING_SM]);
    expect(rt.triggered[0].rule).toMatch(/^OnApproval/);
    const first = await started[0].result;
    expect(first.status).toBe('SUCCEEDED');
    expect(first.output).toMatchObject({ modelPackageArn: arn, outcome: 'Deployed' });
    expect(first.states).toEqual(expect.arrayContaining(['smoke test', 'fresh Staging deployment', 'record Staging passed']));

    const runs = await settle();
    const production = runs.filter(r => r.stateMachine === PRODUCTION_SM);
    // Staging's record started production once; production's record started nothing there.
    expect(production).toHaveLength(1);
    expect(production[0].result.status).toBe('SUCCEEDED');
    expect(production[0].result.output).toMatchObject({ modelPackageArn: arn, outcome: 'Deployed' });
    expect(production[0].result.states).toEqual(expect.arrayContaining([
      'Production reads promotion record', 'Production waits after Staging', 'Production reads promotion record again', 'Production accepts version',
      'smoke test', 'record Production passed',
    ]));
    // The later events (each record) reach staging again, which deploys nothing and records nothing.
    const again = runs.filter(r => r.stateMachine === STAGING_SM).slice(1);
    expect(again.length).toBeGreaterThan(0);
    for (const run of again) {
      expect(run.result.output).toMatchObject({ outcome: 'AlreadyInService' });
      expect(run.result.states).toContain('Staging records nothing');
    }
    const pkg = await rt.sagemaker.call('DescribeModelPackage', { ModelPackageName: arn }, Integration.AWS_SDK, false);
    expect(pkg.ModelLifeCycle).toMatchObject({ Stage: 'Production', StageStatus: 'Approved' });
    expect(rt.notifications.filter(n => /ExecutionFailedRule/.test(n.publisher))).toEqual([]);
  });

  test('a staging failure stops production: nothing is recorded, production never starts', async () => {
    const faults = new LocalFaults().apiError('sagemakerruntime:InvokeEndpoint', 'ModelError', 3);
    const { rt, register, settle } = setup(faults);
    runtimes.push(rt);
    const arn = await register();
    await rt.approveModelPackage(arn);
    const runs = await settle();
    expect(runs.map(r => r.stateMachine)).toEqual([STAGING_SM]);
    expect(runs[0].result.status).toBe('FAILED');
    expect(runs[0].result.error).toBe('EndpointSmokeTestFailed');
    expect(runs[0].result.states).not.toContain('record Staging passed');
    expect(failureNotification(runs[0].result)).toMatchObject({ status: 'FAILED', error: 'EndpointSmokeTestFailed' });
    const pkg = await rt.sagemaker.call('DescribeModelPackage', { ModelPackageName: arn }, Integration.AWS_SDK, false);
    expect(pkg.ModelLifeCycle).toBeUndefined();
  });

  test('production refuses a version staging did not pass (ModelNotPromoted, notified) and deploys nothing', async () => {
    const { rt, register } = setup();
    runtimes.push(rt);
    const arn = await register();
    await rt.sagemaker.call('UpdateModelPackage', { ModelPackageArn: arn, ModelApprovalStatus: 'Approved' }, Integration.AWS_SDK, false);
    const result = await rt.sibling(PRODUCTION_SM).run({ modelPackageArn: arn });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ModelNotPromoted');
    expect(result.cause).toContain(arn);
    expect(result.states).not.toContain('define model from package');
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED', error: 'ModelNotPromoted' });
  });

  test('second approval: staging passes, production waits for a person\'s approval, then deploys', async () => {
    const { rt, register, settle, approveProduction, describe: describePackage } = setup(undefined, undefined, APPROVAL_STAGE);
    runtimes.push(rt);
    const arn = await register();
    await rt.approveModelPackage(arn);
    const before = await settle();
    // Staging deployed and recorded; its record starts nothing in production.
    expect(before.map(r => r.stateMachine)).not.toContain(PRODUCTION_SM);
    expect(before[0].result).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'Deployed' } });
    expect(await describePackage(arn)).toMatchObject({
      ModelLifeCycle: { Stage: 'Staging', StageStatus: 'Approved' }, CustomerMetadataProperties: { PromotionStagePassed: 'Staging' },
    });

    await approveProduction(arn);
    const runs = (await settle()).slice(before.length);
    const production = runs.filter(r => r.stateMachine === PRODUCTION_SM);
    expect(production).toHaveLength(1);
    expect(production[0].result.status).toBe('SUCCEEDED');
    expect(production[0].result.output).toMatchObject({ modelPackageArn: arn, outcome: 'Deployed' });
    expect(production[0].result.states).toEqual(expect.arrayContaining([
      'Production reads promotion record', 'Production checks Staging passed', 'Production accepts version', 'smoke test', 'record Production passed',
    ]));
    // The approval and production's record reach staging too, which deploys nothing again.
    for (const run of runs.filter(r => r.stateMachine === STAGING_SM)) expect(run.result.output).toMatchObject({ outcome: 'AlreadyInService' });
    expect(await describePackage(arn)).toMatchObject({
      ModelLifeCycle: { Stage: 'Production', StageStatus: 'Approved' }, CustomerMetadataProperties: { PromotionStagePassed: 'Production' },
    });
    expect(rt.notifications.filter(n => /ExecutionFailedRule/.test(n.publisher))).toEqual([]);
  });

  test('second approval: a person\'s approval of a version that failed staging is refused (ModelNotPromoted, notified)', async () => {
    const faults = new LocalFaults().apiError('sagemakerruntime:InvokeEndpoint', 'ModelError', 3);
    const { rt, register, settle, approveProduction, describe: describePackage } = setup(faults, undefined, APPROVAL_STAGE);
    runtimes.push(rt);
    const arn = await register();
    await rt.approveModelPackage(arn);
    const before = await settle();
    expect(before.map(r => [r.stateMachine, r.result.error])).toEqual([[STAGING_SM, 'EndpointSmokeTestFailed']]);

    await approveProduction(arn);
    const production = (await settle()).slice(before.length).filter(r => r.stateMachine === PRODUCTION_SM);
    expect(production).toHaveLength(1);
    const result = production[0].result;
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ModelNotPromoted');
    expect(result.cause).toContain(arn);
    expect(result.cause).toContain('a person approved (ProductionApproval)');
    expect(result.states).toContain('Production finds a promotion record');
    expect(result.states).not.toContain('define model from package');
    expect(failureNotification(result)).toMatchObject({ status: 'FAILED', error: 'ModelNotPromoted' });
    // Nothing recorded: the person's approval stays the version's last ModelLifeCycle, no metadata record.
    const pkg = await describePackage(arn);
    expect(pkg.ModelLifeCycle).toMatchObject({ Stage: APPROVAL_STAGE });
    expect(pkg.CustomerMetadataProperties).toBeUndefined();
  });

  test('each stack keeps its account in the local assembly (events are that account\'s, on its buses)', () => {
    const { rt } = setup();
    runtimes.push(rt);
    expect(['MlTooling', 'MlStaging', 'MlProduction'].map(s => rt.assembly.stack(s).account)).toEqual([TOOLING.account, '222222222222', '333333333333']);
  });
});
