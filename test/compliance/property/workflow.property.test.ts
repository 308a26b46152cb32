/* eslint-disable @stylistic/max-len */ // generator tables read best one prop per line
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import fc from 'fast-check';
import { count, endpointInstanceType, mostly, name, optional, property, propCoverageTest, seconds, stringMap, Context } from './harness';
import {
  CreateModelStage, CreateModelStep, EvaluationStage, JobS3Location, MetricComparison, MlflowTrackingServer, ModelApprovalStatus, ModelData,
  ModelPackageGroup, ParameterRange, ProcessingStage, RealtimeEndpoint, SageMakerModel, SageMakerWorkflow, ScalingType, TrainingStage,
  TrainingWorkflow, TuningObjectiveType, TuningStage, TuningStrategy, WarmStartType, DeployStage,
} from '../../../lib';
import { DescribeEndpointStep } from '../../../lib/stages/private/deploy-steps';
import { libraryInterfaces, measure } from '../prop-coverage';

/** Bad-input search (see harness.ts): the training workflow, SageMakerWorkflow with stages, the tuning stage. */
const retention = optional(fc.constantFrom(logs.RetentionDays.ONE_MONTH, logs.RetentionDays.ONE_YEAR, logs.RetentionDays.INFINITE));
const stateMachineName = optional(mostly(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-_]{0,30}$/), fc.string({ maxLength: 90 })));
const defaults = optional(mostly(fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), fc.stringMatching(/^[a-z0-9.]{0,8}$/), { maxKeys: 3 }), stringMap));
/**
 * The model's VPC: with the step's own group in the VPC's private subnets, or the team's subnets or
 * groups; refused: a public selection the VPC lacks, subnets or groups without the VPC.
 */
const modelNetwork = optional(fc.record({
  inVpc: mostly(fc.constant(true), fc.constant(false)),
  subnets: optional(mostly(fc.constantFrom('private', 'isolated'), fc.constant('public'))),
  ownGroups: optional(fc.constant(true)),
}));
const modelNetworkProps = (c: Context, n: typeof modelNetwork extends fc.Arbitrary<infer T> ? T : never) => ({
  vpc: n?.inVpc ? c.vpc : undefined,
  vpcSubnets: n?.subnets === 'private' ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : n?.subnets === 'isolated' ? { subnetGroupName: 'Isolated' }
    : n?.subnets === 'public' ? { subnetType: ec2.SubnetType.PUBLIC } : undefined,
  securityGroups: n?.ownGroups ? [c.securityGroup] : undefined,
});
/**
 * A deployment's version: a JsonPath token (`path`: into the execution input, `execution`: the
 * execution's name, `train`: the training stage's job name) or a literal (a tag value: SageMaker's
 * characters, at most 256).
 */
const version = fc.oneof(
  fc.constantFrom('path', 'execution', 'train'),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,40}$/).filter(s => !/\b(undefined|NaN)\b/.test(s)),
);

describe('bad-input search', () => {
  test('TrainingWorkflow with a gate, a promotion, registration and tracking', () => {
    property(['encryptionKey', 'logRetention', 'gate', 'reportOutputName', 'reportFileName', 'promote', 'pollInterval', 'timeout', 'experimentTracking', 'executionInputDefaults', 'stateMachineName', 'model', 'register',
      'preprocess', 'maxPolls', 'trackingServerName', 'environment', 'variantName', 'contentTypes', 'responseContentTypes', 'realtimeInstanceTypes', 'description'], fc.record({
      metricPath: mostly(fc.constant('metrics.rmse'), fc.string({ maxLength: 12 })),
      threshold: fc.double(),
      outputName: fc.constantFrom('report', 'other'),
      // Tune instead of train (TrainingWorkflow's tune).
      tune: optional(fc.constant(true)),
      reportFileName: optional(mostly(fc.constant('report.json'), fc.string({ maxLength: 12 }))),
      promote: optional(fc.record({ poll: optional(fc.integer({ min: 1, max: 5000 })), maxPolls: optional(count), cleanUp: optional(fc.boolean()), variant: optional(fc.constantFrom('AllTraffic', 'other')) })),
      timeout: optional(seconds),
      tracking: optional(fc.record({ server: mostly(fc.constant('team-mlflow'), name), experiment: mostly(fc.constant('churn/glm'), fc.string({ maxLength: 20 })) })),
      register: optional(fc.record({
        approval: optional(fc.constantFrom(ModelApprovalStatus.APPROVED, ModelApprovalStatus.PENDING_MANUAL_APPROVAL)),
        contentTypes: optional(mostly(fc.constant<string[]>(['text/csv']), fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }))),
        responseContentTypes: optional(mostly(fc.constant<string[]>(['application/json']), fc.array(fc.string({ maxLength: 10 }), { maxLength: 11 }))),
        instanceTypes: optional(fc.array(endpointInstanceType, { minLength: 1, maxLength: 2 })),
        description: optional(fc.string({ maxLength: 1100 })),
      })),
      model: optional(fc.record({ prefix: optional(name), environment: optional(stringMap), ownRole: optional(fc.constant(true)) })),
      preprocess: optional(fc.constant(true)),
      defaults,
      key: optional(fc.constantFrom('own', 'own', 'imported')),
      logGroup: optional(fc.constant(true)),
      topic: optional(fc.constant(true)),
      machineRole: optional(fc.constant(true)),
      retention,
      stateMachineName,
    }), (c, v) => {
      const group = v.register ? new ModelPackageGroup(c.stack, 'Group') : undefined;
      new TrainingWorkflow(c.stack, 'Workflow', measure('TrainingWorkflowProps', {
        timeout: v.timeout,
        preprocess: v.preprocess ? { image: c.image, processingOutputs: [{ outputName: 'features', destination: JobS3Location.perExecution(c.bucket, 'features') }] } : undefined,
        train: v.tune ? undefined : { image: c.image, outputLocation: JobS3Location.inBucket(c.bucket, 'models') },
        tune: v.tune ? {
          training: { image: c.image, outputLocation: JobS3Location.inBucket(c.bucket, 'models'), metricDefinitions: [{ name: 'loss', regex: 'loss=([0-9.]+)' }] },
          objectiveMetricName: 'loss',
          objectiveType: TuningObjectiveType.MINIMIZE,
          parameterRanges: [ParameterRange.continuous('tol', 0.001, 0.1)],
        } : undefined,
        evaluate: {
          image: c.image,
          processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(c.bucket, 'eval') }],
          reportOutputName: v.outputName,
          reportFileName: v.reportFileName,
          gate: { metricPath: v.metricPath, threshold: v.threshold, comparison: MetricComparison.LESS_THAN },
        },
        promote: v.promote ? measure('PromoteToEndpointOptions', {
          endpoint: new RealtimeEndpoint(c.stack, 'Endpoint', { variants: [{ model: new SageMakerModel(c.stack, 'Model', { image: c.image, modelData: ModelData.fromBucket(c.bucket, 'm/model.tar.gz') }) }] }),
          pollInterval: v.promote.poll === undefined ? undefined : Duration.seconds(v.promote.poll),
          maxPolls: v.promote.maxPolls,
          cleanUp: v.promote.cleanUp,
          variantName: v.promote.variant,
        }) : undefined,
        experimentTracking: v.tracking ? { trackingServer: MlflowTrackingServer.fromTrackingServerName(c.stack, 'Tracking', v.tracking.server), experimentName: v.tracking.experiment } : undefined,
        register: group ? measure('RegisterModelOptions', {
          modelPackageGroup: group,
          approvalStatus: v.register!.approval,
          contentTypes: v.register!.contentTypes,
          responseContentTypes: v.register!.responseContentTypes,
          realtimeInstanceTypes: v.register!.instanceTypes,
          description: v.register!.description,
        }) : undefined,
        model: v.model ? measure('WorkflowModelOptions', { modelNamePrefix: v.model.prefix, environment: v.model.environment, role: v.model.ownRole ? c.role : undefined }) : undefined,
        executionInputDefaults: v.defaults,
        encryptionKey: v.key === 'imported' ? c.importedKey : v.key ? c.key : undefined,
        logGroup: v.logGroup ? c.logGroup : undefined,
        failureTopic: v.topic ? new sns.Topic(c.stack, 'TeamTopic', { masterKey: c.key, enforceSSL: true }) : undefined,
        stateMachineRole: v.machineRole ? new iam.Role(c.stack, 'MachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') }) : undefined,
        logRetention: v.retention,
        stateMachineName: v.stateMachineName,
      }));
    });
  });

  test('SageMakerWorkflow of stages: preprocess, train, evaluate with a gate, define a model, deploy', () => {
    property(['encryptionKey', 'logRetention', 'description', 'executionInputDefaults', 'outputs key', 'timeout', 'stateMachineName', 'reportOutputName', 'reportFileName', 'gate', 'modelLocalPath',
      'pollInterval', 'maxPolls', 'modelRole', 'modelNamePrefix', 'environment', 'tags', 'variantName', 'modelStep', 'modelDefinedBy', 'modelName', 'version', 'vpcSubnets', 'securityGroups'], fc.record({
      description: optional(mostly(fc.constant('Churn model'), fc.string({ maxLength: 250 }))),
      defaults,
      outputs: optional(fc.dictionary(mostly(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/), fc.string({ maxLength: 6 })), fc.constantFrom('$.results.Train.TrainingJobName', 'fixed'), { maxKeys: 2 })),
      timeout: optional(seconds),
      stateMachineName,
      retention,
      key: optional(fc.constantFrom('own', 'own', 'imported')),
      logGroup: optional(fc.constant(true)),
      topic: optional(fc.constant(true)),
      machineRole: optional(fc.constant(true)),
      reportOutputName: mostly(fc.constant('report'), fc.string({ maxLength: 6 })),
      reportFileName: optional(mostly(fc.constant('report.json'), fc.string({ maxLength: 12 }))),
      gate: optional(fc.record({ metricPath: mostly(fc.constant('metrics.auc'), fc.string({ maxLength: 8 })), threshold: fc.double() })),
      model: optional(fc.constant(true)),
      modelLocalPath: optional(mostly(fc.constant('/opt/ml/processing/model'), fc.string({ maxLength: 20 }))),
      modelNamePrefix: optional(name),
      modelEnvironment: optional(stringMap),
      modelIsolation: optional(fc.boolean()),
      ownModelRole: optional(fc.constant(true)),
      modelNetwork,
      deploy: optional(fc.record({
        poll: optional(fc.integer({ min: 1, max: 5000 })),
        maxPolls: optional(count),
        variant: optional(fc.constantFrom('AllTraffic', 'other')),
        tags: optional(stringMap),
        cleanUp: optional(fc.boolean()),
        modelRole: fc.boolean(),
        // A create-model step the stage runs, mostly with the version it requires and modelName where the step writes
        // the name (not a literal); or a step that names no model (refused).
        modelStep: optional(mostly(fc.record({
          prefix: optional(mostly(fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/), name)),
          version: mostly(version, fc.constant(undefined)),
          literalName: mostly(fc.constant(false), fc.constant(true)),
        }), fc.constant('describe' as const))),
        version: optional(version),
        // The model stage before the deploy stage defined the model: a failed deployment deletes it (refused beside modelStep).
        definedBy: optional(fc.boolean()),
        // An InvokeEndpoint (the SDK integration), or a SageMaker task of the library's.
        smokeTest: optional(fc.constantFrom('invoke', 'describe')),
        rollback: optional(fc.boolean()),
      })),
    }), (c, v) => {
      const prep = new ProcessingStage(c.stack, 'Prep', measure('ProcessingStageProps', { image: c.image, processingOutputs: [{ outputName: 'train', destination: JobS3Location.perExecution(c.bucket, 'train') }] }));
      const train = new TrainingStage(c.stack, 'Train', measure('TrainingStageProps', { image: c.image, outputLocation: JobS3Location.inBucket(c.bucket, 'models') }));
      const evaluate = new EvaluationStage(c.stack, 'Evaluate', measure('EvaluationStageProps', {
        image: c.image,
        processingOutputs: [{ outputName: 'report', destination: JobS3Location.perExecution(c.bucket, 'eval') }],
        reportOutputName: v.reportOutputName,
        reportFileName: v.reportFileName,
        gate: v.gate ? { ...v.gate, comparison: MetricComparison.GREATER_THAN } : undefined,
        model: v.model ? train.modelArtifacts : undefined,
        modelLocalPath: v.modelLocalPath,
      }));
      const modelRole = v.ownModelRole ? c.role : undefined;
      const define = new CreateModelStage(c.stack, 'Define', measure('CreateModelStageProps', {
        image: c.image, modelData: train.modelArtifacts, modelNamePrefix: v.modelNamePrefix, environment: v.modelEnvironment, enableNetworkIsolation: v.modelIsolation, role: modelRole, ...modelNetworkProps(c, v.modelNetwork),
      }));
      let definition: sfn.IChainable = sfn.Chain.start(prep).next(train).next(evaluate).next(define);
      if (v.deploy) {
        const endpoint = new RealtimeEndpoint(c.stack, 'Endpoint', { variants: [{ model: SageMakerModel.fromModelName(c.stack, 'Serving', 'glm') }] });
        const step = v.deploy.modelStep;
        const versionOf = (x: string | undefined) => x === 'path' ? sfn.JsonPath.stringAt('$.modelVersion') : x === 'execution' ? sfn.JsonPath.executionName
          : x === 'train' ? train.trainingJobName : x;
        const modelStep = step === 'describe' ? new DescribeEndpointStep(c.stack, 'NotAModel', { endpoint })
          : step ? new CreateModelStep(c.stack, 'DeployModel', { image: c.image, modelData: train.modelArtifacts, modelNamePrefix: step.prefix, resultPath: '$.results.DeployModel' })
            : undefined;
        const smokeTest = v.deploy.smokeTest === 'invoke' ? new tasks.CallAwsService(c.stack, 'SmokeTest', {
          stateName: 'smoke test',
          service: 'sagemakerruntime',
          action: 'invokeEndpoint',
          iamAction: 'sagemaker:InvokeEndpoint',
          iamResources: [endpoint.endpointArn],
          parameters: { EndpointName: endpoint.endpointName, ContentType: 'text/csv', Body: '1.0,2.0,3.0' },
          resultPath: sfn.JsonPath.DISCARD,
        }) : v.deploy.smokeTest === 'describe' ? new DescribeEndpointStep(c.stack, 'SmokeDescribe', { endpoint, stateName: 'smoke test: describe endpoint', resultPath: sfn.JsonPath.DISCARD })
          : undefined;
        definition = (definition as sfn.Chain).next(new DeployStage(c.stack, 'Deploy', measure('DeployStageProps', {
          endpoint,
          modelName: typeof step !== 'object' ? define.modelName : step.literalName ? 'glm' : sfn.JsonPath.stringAt('$.results.DeployModel.ModelName'),
          modelStep,
          modelDefinedBy: v.deploy.definedBy ? define.task : undefined,
          version: versionOf(typeof step === 'object' ? step.version : v.deploy.version),
          smokeTest,
          rollbackOnSmokeTestFailure: v.deploy.rollback,
          modelRole: v.deploy.modelRole ? (modelStep instanceof CreateModelStep ? modelStep : define.task).role : undefined,
          variantName: v.deploy.variant,
          pollInterval: v.deploy.poll === undefined ? undefined : Duration.seconds(v.deploy.poll),
          maxPolls: v.deploy.maxPolls,
          tags: v.deploy.tags,
          cleanUp: v.deploy.cleanUp,
        })));
      }
      new SageMakerWorkflow(c.stack, 'Workflow', measure('SageMakerWorkflowProps', {
        definition,
        description: v.description,
        executionInputDefaults: v.defaults,
        outputs: v.outputs,
        timeout: v.timeout,
        stateMachineName: v.stateMachineName,
        logRetention: v.retention,
        encryptionKey: v.key === 'imported' ? c.importedKey : v.key ? c.key : undefined,
        logGroup: v.logGroup ? c.logGroup : undefined,
        failureTopic: v.topic ? sns.Topic.fromTopicArn(c.stack, 'TeamTopic', 'arn:aws:sns:us-east-1:123456789012:team-failures') : undefined,
        stateMachineRole: v.machineRole ? iam.Role.fromRoleArn(c.stack, 'MachineRole', 'arn:aws:iam::123456789012:role/team-states') : undefined,
      }));
    });
  });

  test('TuningStage', () => {
    const range = fc.oneof(
      fc.record({ kind: fc.constant('integer'), min: fc.integer({ min: -5, max: 50 }), span: mostly(fc.integer({ min: 1, max: 100 }), fc.double()), scaling: fc.constantFrom(...Object.values(ScalingType)) }),
      fc.record({ kind: fc.constant('continuous'), min: mostly(fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double()), span: mostly(fc.double({ min: 0.01, max: 0.49, noNaN: true }), fc.double()), scaling: fc.constantFrom(...Object.values(ScalingType)) }),
      fc.record({ kind: fc.constant('categorical'), values: mostly(fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 4 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 32 })) }),
    );
    property(['parameterRanges', 'objectiveMetricName', 'strategy', 'maxTrainingJobs', 'maxParallelTrainingJobs', 'maxRuntime', 'earlyStopping', 'warmStartFrom',
      'warmStartType', 'jobNamePrefix', 'capacityRetries', 'tags'], fc.record({
      ranges: fc.array(fc.record({ name: mostly(fc.stringMatching(/^[a-z_]{1,8}$/), fc.string({ maxLength: 4 })), range }), { minLength: 0, maxLength: 3 }),
      objective: mostly(fc.constant('validation:auc'), fc.string({ maxLength: 6 })),
      strategy: optional(fc.constantFrom(...Object.values(TuningStrategy))),
      maxTrainingJobs: optional(count),
      maxParallel: optional(count),
      maxRuntime: optional(seconds),
      earlyStopping: optional(fc.boolean()),
      warmStartFrom: optional(mostly(fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/), { minLength: 1, maxLength: 5 }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 7 }))),
      warmStartType: optional(fc.constantFrom(...Object.values(WarmStartType))),
      jobNamePrefix: optional(mostly(fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/), name)),
      tags: optional(stringMap),
      retry: optional(fc.boolean()),
      capacityRetries: optional(fc.integer({ min: 0, max: 20 })),
    }), (c, v) => {
      const ranges = v.ranges.map(({ name: n, range: r }) => r.kind === 'categorical' ? ParameterRange.categorical(n, (r as any).values)
        : r.kind === 'integer' ? ParameterRange.integer(n, (r as any).min, (r as any).min + (r as any).span, (r as any).scaling)
          : ParameterRange.continuous(n, (r as any).min, (r as any).min + (r as any).span, (r as any).scaling));
      const tuning = new TuningStage(c.stack, 'Tune', measure('TuningStageProps', {
        training: { image: c.image, outputLocation: JobS3Location.inBucket(c.bucket, 'models'), metricDefinitions: [{ name: 'validation:auc', regex: 'auc=([0-9.]+)' }] },
        objectiveMetricName: v.objective,
        objectiveType: TuningObjectiveType.MAXIMIZE,
        parameterRanges: ranges,
        strategy: v.strategy,
        maxTrainingJobs: v.maxTrainingJobs,
        maxParallelTrainingJobs: v.maxParallel,
        maxRuntime: v.maxRuntime,
        earlyStopping: v.earlyStopping,
        warmStartFrom: v.warmStartFrom,
        warmStartType: v.warmStartType,
        jobNamePrefix: v.jobNamePrefix,
        tags: v.tags,
        retryOnServiceErrors: v.retry,
        capacityRetries: v.capacityRetries,
      }));
      new SageMakerWorkflow(c.stack, 'Workflow', { definition: tuning });
    });
  });
});

/** A stage's props that it passes to its job step unchanged: searched with the job step (jobs.property.test.ts). */
function searchedWithTheStep(stage: string, step: string, generatedHere: string[] = []): Record<string, string> {
  const own = new Set(libraryInterfaces()[step]);
  return Object.fromEntries(libraryInterfaces()[stage].filter(p => own.has(p) && !generatedHere.includes(p)).map(p => [`${stage}.${p}`, `passed to ${step.replace(/Props$/, '')} unchanged: searched in jobs.property.test.ts`]));
}

propCoverageTest({
  ...searchedWithTheStep('ProcessingStageProps', 'ProcessingJobStepProps', ['processingOutputs']),
  ...searchedWithTheStep('TrainingStageProps', 'TrainingJobStepProps'),
  ...searchedWithTheStep('EvaluationStageProps', 'ProcessingJobStepProps', ['processingOutputs']),
  'CreateModelStageProps.tags': 'SageMakerTaskProps.tags: the same rendering as every task, searched in jobs.property.test.ts',
  'CreateModelStageProps.retryOnServiceErrors': 'SageMakerTaskProps: searched in jobs.property.test.ts',
  'CreateModelStageProps.capacityRetries': 'SageMakerTaskProps: searched in jobs.property.test.ts',
  'WorkflowModelOptions.image': 'an image object, not a value to validate: the reference app and training-workflow.test.ts set it',
});
