import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { ApiError, Integration, apiError } from './api';
import { LOCAL_ACCOUNT } from './assembly';
import { EndpointUpdateOutcome, LocalFaults } from './faults';
import { ContainerRun, IJobRunner } from './runners';
import { LocalS3, parseS3Uri } from './s3';
import { LocalInferenceComponents } from './sagemaker-components';

/** A job that failed the way SageMaker fails one: the `.sync` task fails with States.TaskFailed. */
export class JobFailedError extends Error {
  constructor(describe: any) {
    super(JSON.stringify(describe));
    this.name = 'States.TaskFailed';
  }
}

/** Properties of a LocalSageMaker. */
export interface LocalSageMakerProps {
  readonly s3: LocalS3;
  readonly runner: IJobRunner;
  readonly region: string;
  /** The folder jobs lay out their `/opt/ml` trees in. */
  readonly workDirectory: string;
  readonly faults: LocalFaults;
  /**
   * How many DescribeEndpoint calls see an endpoint Creating or Updating before it settles.
   *
   * @default 1
   */
  readonly describesUntilSettled?: number;
  /** Called with each line a job prints (stdout and stderr). */
  readonly log?: (line: string) => void;
}

interface Endpoint {
  name: string;
  arn: string;
  status: string;
  configName: string;
  pendingConfig?: string;
  failureReason?: string;
  ticks: number;
  outcome?: EndpointUpdateOutcome;
  created: number;
  modified: number;
}

const SM_ROOT = '/opt/ml';

/**
 * SageMaker on one machine: training, processing, transform (and, best effort, tuning)
 * jobs run the image's entry points through a job runner in an `/opt/ml` tree laid out
 * as SageMaker lays it out; models, endpoint configurations and endpoints are records with
 * SageMaker's status transitions. Requests have been validated against the API model before
 * they arrive here; this checks what the model cannot (names in use, missing resources).
 */
export class LocalSageMaker {
  public readonly jobs = new Map<string, any>();
  public readonly models = new Map<string, any>();
  public readonly endpointConfigs = new Map<string, any>();
  public readonly endpoints = new Map<string, Endpoint>();
  /** Model package versions, by ARN. */
  public readonly modelPackages = new Map<string, any>();
  /** The model package groups the template defines (name -> versions registered so far). */
  private readonly groups = new Map<string, number>();
  /** Called when a model package's approval status changes (the runtime emits the EventBridge event). */
  public onModelPackageStateChange?: (modelPackage: any) => void;
  private readonly props: LocalSageMakerProps;
  /**
   * Jobs started without `.sync` (the AWS SDK integration's CreateTrainingJob), by `<kind>/<name>`:
   * how many more Describe calls report them InProgress. SageMaker answers the create call at
   * once and the job runs on; here it has run already, and the first Describe still sees it
   * InProgress, so a poll loop goes round at least once.
   */
  private readonly describesUntilEnded = new Map<string, number>();

  /** Inference components (local/src/sagemaker-components.ts). */
  public readonly components: LocalInferenceComponents;

  constructor(props: LocalSageMakerProps) {
    this.props = props;
    this.components = new LocalInferenceComponents({
      region: props.region, faults: props.faults, models: this.models, describesUntilSettled: props.describesUntilSettled,
    });
  }

  private arn(kind: string, name: string): string {
    return `arn:aws:sagemaker:${this.props.region}:${LOCAL_ACCOUNT}:${kind}/${name.toLowerCase()}`;
  }

  private error(api: string, code: string, message: string, integration: Integration): ApiError {
    return apiError('sagemaker', api, code, message, integration);
  }

  /** Serves one API call (botocore name, e.g. `CreateTrainingJob`); `sync` waits for a job's end. */
  public async call(api: string, request: any, integration: Integration, sync: boolean): Promise<any> {
    switch (api) {
      case 'CreateTrainingJob': return this.training(request, integration, sync);
      case 'CreateProcessingJob': return this.processing(request, integration, sync);
      case 'CreateTransformJob': return this.transform(request, integration, sync);
      case 'CreateHyperParameterTuningJob': return this.tuning(request, integration, sync);
      case 'DescribeTrainingJob': return this.describeJob(api, 'TrainingJobName', request.TrainingJobName, integration);
      case 'DescribeProcessingJob': return this.describeJob(api, 'ProcessingJobName', request.ProcessingJobName, integration);
      case 'DescribeTransformJob': return this.describeJob(api, 'TransformJobName', request.TransformJobName, integration);
      case 'DescribeHyperParameterTuningJob': return this.describeJob(api, 'HyperParameterTuningJobName', request.HyperParameterTuningJobName, integration);
      case 'CreateModel': return this.createModel(request, integration);
      case 'DescribeModel': {
        const model = this.models.get(request.ModelName);
        if (!model) throw this.error(api, 'ValidationException', `Could not find model "${this.arn('model', request.ModelName)}".`, integration);
        return model;
      }
      case 'DeleteModel':
        if (!this.models.delete(request.ModelName)) throw this.error(api, 'ValidationException', `Could not find model "${this.arn('model', request.ModelName)}".`, integration);
        return {};
      case 'CreateEndpointConfig': return this.createEndpointConfig(request, integration);
      case 'DescribeEndpointConfig': {
        const config = this.endpointConfigs.get(request.EndpointConfigName);
        if (!config) throw this.error(api, 'ValidationException', `Could not find endpoint configuration "${this.arn('endpoint-config', request.EndpointConfigName)}".`, integration);
        return config;
      }
      case 'ListEndpointConfigs': return this.listEndpointConfigs(request);
      case 'DeleteEndpointConfig':
        if (!this.endpointConfigs.delete(request.EndpointConfigName)) {
          throw this.error(api, 'ValidationException', `Could not find endpoint configuration "${this.arn('endpoint-config', request.EndpointConfigName)}".`, integration);
        }
        return {};
      case 'CreateEndpoint': return this.createEndpoint(request, integration);
      case 'UpdateEndpoint': return this.updateEndpoint(request, integration);
      case 'DescribeEndpoint': return this.describeEndpoint(request, integration);
      case 'DeleteEndpoint': {
        // The endpoint is Deleting until a later DescribeEndpoint finds it gone.
        const endpoint = this.endpoints.get(request.EndpointName);
        if (!endpoint) throw this.error(api, 'ValidationException', `Could not find endpoint "${this.arn('endpoint', request.EndpointName)}".`, integration);
        if (['Creating', 'Updating', 'SystemUpdating', 'RollingBack'].includes(endpoint.status)) {
          throw this.error(api, 'ValidationException', `Cannot delete in-progress endpoint "${endpoint.arn}".`, integration);
        }
        Object.assign(endpoint, { status: 'Deleting', ticks: 0, pendingConfig: undefined, failureReason: undefined, modified: Date.now() });
        return {};
      }
      case 'ListTags': return this.listTags(request, integration);
      case 'CreateModelPackage': return this.createModelPackage(request, integration);
      case 'DescribeModelPackage': return this.modelPackage(api, request.ModelPackageName, integration);
      case 'UpdateModelPackage': return this.updateModelPackage(request, integration);
      case 'InvokeEndpoint': return request.InferenceComponentName ? this.components.invoke(request, integration) : this.invokeEndpoint(request, integration);
      default:
        if (LocalInferenceComponents.APIS.includes(api)) return this.components.call(api, request, integration);
        throw new Error(`the local SageMaker does not serve ${api}`);
    }
  }

  /** Registers a model as if CloudFormation had created it (models defined in the template). */
  public registerModel(request: any): void {
    this.models.set(request.ModelName, { ...request, ModelArn: this.arn('model', request.ModelName), CreationTime: Date.now() });
  }

  /** Registers a model package group as if CloudFormation had created it. */
  public registerModelPackageGroup(name: string): void {
    if (!this.groups.has(name)) this.groups.set(name, 0);
  }

  // ------------------------------------------------------------------ model registry

  private modelPackage(api: string, nameOrArn: string, integration: Integration): any {
    const found = this.modelPackages.get(nameOrArn) ?? [...this.modelPackages.values()].find(p => p.ModelPackageName === nameOrArn);
    if (!found) throw this.error(api, 'ValidationException', `ModelPackage ${nameOrArn} does not exist.`, integration);
    return found;
  }

  /**
   * A version in a group (versioned package): `ModelPackageGroupName` names a group the template
   * defines (when it defines any); versions count from 1 per group.
   */
  private createModelPackage(request: any, integration: Integration): any {
    const api = 'CreateModelPackage';
    const group: string | undefined = request.ModelPackageGroupName?.replace(/^arn:.*:model-package-group\//, '');
    if (!group) {
      throw this.error(api, 'ValidationException', 'the local runtime registers versioned model packages only: ModelPackageGroupName is required', integration);
    }
    if (request.ModelPackageName) {
      throw this.error(api, 'ValidationException', 'ModelPackageName and ModelPackageGroupName cannot both be given: a versioned model package takes its name from its group', integration);
    }
    if (this.groups.size && !this.groups.has(group)) {
      throw this.error(api, 'ValidationException', `Model Package Group ${group} does not exist. (the template defines: ${[...this.groups.keys()].join(', ')})`, integration);
    }
    for (const container of request.InferenceSpecification?.Containers ?? []) {
      if (container.ModelDataUrl) {
        const { bucket, key } = parseS3Uri(container.ModelDataUrl);
        if (!this.props.s3.exists(bucket, key)) throw this.error(api, 'ValidationException', `Could not find model data at ${container.ModelDataUrl}.`, integration);
      }
    }
    const version = (this.groups.get(group) ?? 0) + 1;
    this.groups.set(group, version);
    const arn = `arn:aws:sagemaker:${this.props.region}:${LOCAL_ACCOUNT}:model-package/${group.toLowerCase()}/${version}`;
    const now = Date.now();
    this.modelPackages.set(arn, {
      ...request,
      ModelPackageName: group,
      ModelPackageGroupName: group,
      ModelPackageVersion: version,
      ModelPackageArn: arn,
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
      ModelApprovalStatus: request.ModelApprovalStatus ?? 'PendingManualApproval',
      CreationTime: now,
      LastModifiedTime: now,
    });
    return { ModelPackageArn: arn };
  }

  private updateModelPackage(request: any, integration: Integration): any {
    const api = 'UpdateModelPackage';
    const pkg = this.modelPackage(api, request.ModelPackageArn, integration);
    for (const key of ['ModelApprovalStatus', 'ApprovalDescription', 'InferenceSpecification', 'SourceUri', 'ModelCard', 'ModelLifeCycle', 'ClientToken']) {
      if (request[key] !== undefined) pkg[key] = request[key];
    }
    // Metadata properties are added or updated one by one, and removed by key (UpdateModelPackage).
    const metadata = { ...pkg.CustomerMetadataProperties, ...request.CustomerMetadataProperties };
    for (const key of request.CustomerMetadataPropertiesToRemove ?? []) delete metadata[key];
    if (Object.keys(metadata).length > 0) pkg.CustomerMetadataProperties = metadata;
    else delete pkg.CustomerMetadataProperties;
    pkg.LastModifiedTime = Date.now();
    // SageMaker sends "SageMaker Model Package State Change" for any change of the version
    // (its description, its metadata), not only of its approval status; the event carries no
    // previous status (SageMaker developer guide, "Events that Amazon SageMaker AI sends to
    // Amazon EventBridge").
    this.onModelPackageStateChange?.(pkg);
    return { ModelPackageArn: pkg.ModelPackageArn };
  }

  // ------------------------------------------------------------------ jobs

  private jobRoot(name: string): string {
    const root = path.join(this.props.workDirectory, 'jobs', name, 'opt', 'ml');
    fs.mkdirSync(root, { recursive: true });
    return root;
  }

  private ensureUnique(api: string, kind: string, name: string, integration: Integration): void {
    if (this.jobs.has(`${kind}/${name}`)) {
      throw this.error(api, 'ResourceInUse', `${kind === 'training-job' ? 'Training' : kind === 'processing-job' ? 'Processing' : 'Transform'} job names must be unique within an AWS account and region, and a job with this name already exists (${this.arn(kind, name)})`, integration);
    }
  }

  private hostPath(smRoot: string, localPath: string, api: string, integration: Integration): string {
    if (!localPath.startsWith(`${SM_ROOT}/processing/`) && localPath !== `${SM_ROOT}/processing`) {
      throw this.error(api, 'ValidationException', `LocalPath '${localPath}' must begin with /opt/ml/processing/`, integration);
    }
    return path.join(smRoot, localPath.slice(SM_ROOT.length));
  }

  private log(job: string, text: string): void {
    if (!this.props.log) return;
    for (const line of text.split('\n')) if (line.trim()) this.props.log(`[${job}] ${line}`);
  }

  private failureReason(smRoot: string, result: { exitCode: number; stderr: string }, prefix: string): string {
    const file = path.join(smRoot, 'output', 'failure');
    if (fs.existsSync(file)) return `${prefix}: ${fs.readFileSync(file, 'utf8').trim()}`.slice(0, 1024);
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    return `${prefix}: the entry point exited with code ${result.exitCode}${tail ? `: ${tail}` : ''}`.slice(0, 1024);
  }

  private async finish(key: string, describe: any, statusKey: string, sync: boolean, arnKey: string): Promise<any> {
    this.jobs.set(key, describe);
    if (sync) {
      if (describe[statusKey] !== 'Completed') throw new JobFailedError(describe);
      return describe;
    }
    return { [arnKey]: describe[arnKey] };
  }

  private async training(request: any, integration: Integration, sync: boolean, tag = 'CreateTrainingJob'): Promise<any> {
    const name: string = request.TrainingJobName;
    this.ensureUnique(tag, 'training-job', name, integration);
    const arn = this.arn('training-job', name);
    const started = Date.now();
    const smRoot = this.jobRoot(name);
    const channels: Record<string, any> = {};
    for (const channel of request.InputDataConfig ?? []) {
      const source = channel.DataSource?.S3DataSource;
      if (!source) {
        throw this.error(tag, 'ValidationException', `channel '${channel.ChannelName}': the local runtime reads only S3 channels (not EFS or FSx for Lustre)`, integration);
      }
      this.props.s3.download(source.S3Uri, source.S3DataType, path.join(smRoot, 'input', 'data', channel.ChannelName));
      channels[channel.ChannelName] = {
        TrainingInputMode: channel.InputMode ?? request.AlgorithmSpecification.TrainingInputMode,
        S3DistributionType: source.S3DataDistributionType ?? 'FullyReplicated',
        RecordWrapperType: channel.RecordWrapperType ?? 'None',
        ...(channel.ContentType ? { ContentType: channel.ContentType } : {}),
      };
    }
    const config = path.join(smRoot, 'input', 'config');
    fs.mkdirSync(config, { recursive: true });
    fs.writeFileSync(path.join(config, 'hyperparameters.json'), JSON.stringify(request.HyperParameters ?? {}));
    fs.writeFileSync(path.join(config, 'inputdataconfig.json'), JSON.stringify(channels));
    const instanceType = request.ResourceConfig?.InstanceType ?? request.ResourceConfig?.InstanceGroups?.[0]?.InstanceType;
    fs.writeFileSync(path.join(config, 'resourceconfig.json'), JSON.stringify({
      current_host: 'algo-1',
      current_instance_type: instanceType,
      current_group_name: 'homogeneousCluster',
      hosts: ['algo-1'],
      instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: instanceType, hosts: ['algo-1'] }],
      network_interface_name: 'eth0',
    }));
    for (const dir of ['model', 'output/data', 'checkpoints']) fs.mkdirSync(path.join(smRoot, dir), { recursive: true });
    // CheckpointConfig: SageMaker copies what is at S3Uri into LocalPath before the job starts
    // and syncs LocalPath back to S3Uri while it runs (SageMaker developer guide, "Checkpoints in
    // Amazon SageMaker AI").
    const checkpoint = request.CheckpointConfig;
    let checkpointDir: string | undefined;
    if (checkpoint) {
      const local = checkpoint.LocalPath ?? `${SM_ROOT}/checkpoints`;
      if (local !== SM_ROOT && !local.startsWith(`${SM_ROOT}/`)) {
        throw this.error(tag, 'ValidationException', `CheckpointConfig.LocalPath '${local}': the local runtime syncs checkpoints only under ${SM_ROOT}/`, integration);
      }
      checkpointDir = path.join(smRoot, local.slice(SM_ROOT.length));
      this.props.s3.download(checkpoint.S3Uri.replace(/\/?$/, '/'), 'S3Prefix', checkpointDir);
    }

    const injected = this.props.faults.jobFailure(name);
    let status = 'Completed';
    let failureReason: string | undefined;
    let output = '';
    if (injected !== undefined) {
      status = 'Failed';
      failureReason = `AlgorithmError: ${injected}`;
    } else {
      const run: ContainerRun = {
        image: request.AlgorithmSpecification.TrainingImage,
        command: ['train'],
        replaceEntrypoint: false,
        smRoot,
        environment: { ...request.Environment, TRAINING_JOB_NAME: name, TRAINING_JOB_ARN: arn },
        timeoutMs: (request.StoppingCondition?.MaxRuntimeInSeconds ?? 86400) * 1000,
      };
      const result = await this.props.runner.run(run);
      output = result.stdout + result.stderr;
      this.log(name, output);
      if (result.exitCode !== 0) {
        status = 'Failed';
        failureReason = this.failureReason(smRoot, result, 'AlgorithmError');
      }
    }
    if (checkpoint && checkpointDir) this.props.s3.upload(checkpointDir, checkpoint.S3Uri);
    let modelArtifacts: any;
    if (status === 'Completed') {
      const out = request.OutputDataConfig.S3OutputPath.replace(/\/?$/, '/');
      const { bucket, key } = parseS3Uri(`${out}${name}/output/model.tar.gz`);
      const archive = path.join(smRoot, '..', 'model.tar.gz');
      packDirectory(path.join(smRoot, 'model'), archive);
      this.props.s3.putFile(bucket, key, archive);
      if (fs.readdirSync(path.join(smRoot, 'output', 'data')).length) {
        const data = path.join(smRoot, '..', 'output.tar.gz');
        packDirectory(path.join(smRoot, 'output', 'data'), data);
        this.props.s3.putFile(bucket, key.replace(/model\.tar\.gz$/, 'output.tar.gz'), data);
      }
      modelArtifacts = { S3ModelArtifacts: `s3://${bucket}/${key}` };
    }
    const ended = Date.now();
    const metrics = (request.AlgorithmSpecification.MetricDefinitions ?? []).flatMap((d: any) => {
      const matches = [...output.matchAll(new RegExp(d.Regex, 'g'))];
      const last = matches.pop();
      return last ? [{ MetricName: d.Name, Value: Number(last[1]), Timestamp: ended }] : [];
    });
    const describe = {
      TrainingJobName: name,
      TrainingJobArn: arn,
      TrainingJobStatus: status,
      SecondaryStatus: status,
      ...(failureReason ? { FailureReason: failureReason } : {}),
      ...(modelArtifacts ? { ModelArtifacts: modelArtifacts } : { ModelArtifacts: { S3ModelArtifacts: '' } }),
      HyperParameters: request.HyperParameters ?? {},
      AlgorithmSpecification: request.AlgorithmSpecification,
      RoleArn: request.RoleArn,
      InputDataConfig: request.InputDataConfig,
      OutputDataConfig: request.OutputDataConfig,
      ResourceConfig: request.ResourceConfig,
      StoppingCondition: request.StoppingCondition,
      Environment: request.Environment,
      FinalMetricDataList: metrics,
      CreationTime: started,
      TrainingStartTime: started,
      TrainingEndTime: ended,
      LastModifiedTime: ended,
      TrainingTimeInSeconds: Math.round((ended - started) / 1000),
      BillableTimeInSeconds: Math.max(1, Math.round((ended - started) / 1000)),
      EnableNetworkIsolation: request.EnableNetworkIsolation ?? false,
      EnableInterContainerTrafficEncryption: request.EnableInterContainerTrafficEncryption ?? false,
      EnableManagedSpotTraining: request.EnableManagedSpotTraining ?? false,
      ...(checkpoint ? { CheckpointConfig: checkpoint } : {}),
    };
    if (!sync && tag === 'CreateTrainingJob') this.describesUntilEnded.set(`training-job/${name}`, 1);
    return this.finish(`training-job/${name}`, describe, 'TrainingJobStatus', sync, 'TrainingJobArn');
  }

  private async processing(request: any, integration: Integration, sync: boolean): Promise<any> {
    const api = 'CreateProcessingJob';
    const name: string = request.ProcessingJobName;
    this.ensureUnique(api, 'processing-job', name, integration);
    const arn = this.arn('processing-job', name);
    const started = Date.now();
    const smRoot = this.jobRoot(name);
    for (const input of request.ProcessingInputs ?? []) {
      if (!input.S3Input) {
        throw this.error(api, 'ValidationException', `processing input '${input.InputName}': the local runtime reads only S3 inputs (not dataset definitions)`, integration);
      }
      this.props.s3.download(input.S3Input.S3Uri, input.S3Input.S3DataType, this.hostPath(smRoot, input.S3Input.LocalPath, api, integration));
    }
    const outputs = (request.ProcessingOutputConfig?.Outputs ?? []).filter((o: any) => o.S3Output);
    for (const output of outputs) fs.mkdirSync(this.hostPath(smRoot, output.S3Output.LocalPath, api, integration), { recursive: true });
    fs.mkdirSync(path.join(smRoot, 'config'), { recursive: true });
    fs.writeFileSync(path.join(smRoot, 'config', 'processingjobconfig.json'), JSON.stringify(request));
    fs.writeFileSync(path.join(smRoot, 'config', 'resourceconfig.json'), JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'] }));

    const app = request.AppSpecification;
    const injected = this.props.faults.jobFailure(name);
    let status = 'Completed';
    let failureReason: string | undefined;
    if (injected !== undefined) {
      status = 'Failed';
      failureReason = `AlgorithmError: ${injected}`;
    } else {
      if (!app.ContainerEntrypoint?.length && this.props.runner.kind === 'process') {
        throw this.error(api, 'ValidationException', `processing job ${name} names no ContainerEntrypoint: the process runner cannot know the image's default entry point (use --runner docker)`, integration);
      }
      const command = [...(app.ContainerEntrypoint ?? []), ...(app.ContainerArguments ?? [])];
      const result = await this.props.runner.run({
        image: app.ImageUri,
        command,
        replaceEntrypoint: !!app.ContainerEntrypoint?.length,
        smRoot,
        environment: { ...request.Environment },
        timeoutMs: (request.StoppingCondition?.MaxRuntimeInSeconds ?? 86400) * 1000,
      });
      this.log(name, result.stdout + result.stderr);
      if (result.exitCode !== 0) {
        status = 'Failed';
        failureReason = this.failureReason(smRoot, result, 'AlgorithmError');
      }
    }
    if (status === 'Completed') {
      for (const output of outputs) {
        const folder = this.hostPath(smRoot, output.S3Output.LocalPath, api, integration);
        this.props.s3.upload(folder, output.S3Output.S3Uri, rel => this.props.faults.omits(rel));
      }
    }
    const ended = Date.now();
    const describe = {
      ProcessingJobName: name,
      ProcessingJobArn: arn,
      ProcessingJobStatus: status,
      ...(failureReason ? { FailureReason: failureReason, ExitMessage: failureReason } : {}),
      ProcessingInputs: request.ProcessingInputs,
      ProcessingOutputConfig: request.ProcessingOutputConfig,
      ProcessingResources: request.ProcessingResources,
      StoppingCondition: request.StoppingCondition,
      AppSpecification: app,
      Environment: request.Environment,
      RoleArn: request.RoleArn,
      CreationTime: started,
      ProcessingStartTime: started,
      ProcessingEndTime: ended,
      LastModifiedTime: ended,
    };
    return this.finish(`processing-job/${name}`, describe, 'ProcessingJobStatus', sync, 'ProcessingJobArn');
  }

  private async transform(request: any, integration: Integration, sync: boolean): Promise<any> {
    const api = 'CreateTransformJob';
    const name: string = request.TransformJobName;
    this.ensureUnique(api, 'transform-job', name, integration);
    const model = this.models.get(request.ModelName);
    if (!model) throw this.error(api, 'ValidationException', `Could not find model "${this.arn('model', request.ModelName)}".`, integration);
    const arn = this.arn('transform-job', name);
    const started = Date.now();
    const smRoot = this.jobRoot(name);
    const container = model.PrimaryContainer ?? model.Containers?.[0];
    let status = 'Completed';
    let failureReason: string | undefined = this.props.faults.jobFailure(name);
    if (failureReason !== undefined) {
      status = 'Failed';
      failureReason = `ClientError: ${failureReason}`;
    } else {
      if (container.ModelDataUrl) this.extractModel(container.ModelDataUrl, path.join(smRoot, 'model'));
      const server = await this.props.runner.serve({
        image: container.Image,
        command: ['serve'],
        replaceEntrypoint: false,
        smRoot,
        environment: { ...container.Environment, ...request.Environment },
      });
      try {
        const input = request.TransformInput;
        const source = input.DataSource.S3DataSource;
        const { bucket, key } = parseS3Uri(source.S3Uri);
        const keys = source.S3DataType === 'S3Prefix' ? this.props.s3.list(bucket, key) : [key];
        const base = key.slice(0, key.lastIndexOf('/') + 1);
        const out = parseS3Uri(request.TransformOutput.S3OutputPath.replace(/\/?$/, '/'));
        const maxBytes = (request.MaxPayloadInMB ?? 6) * 1024 * 1024;
        for (const k of keys) {
          const body = this.props.s3.get(bucket, k)!.toString('utf8');
          const records = input.SplitType === 'Line' ? body.split('\n').filter(l => l.length) : [body];
          const batches: string[] = [];
          if (input.SplitType === 'Line' && request.BatchStrategy === 'MultiRecord') {
            let current: string[] = [];
            for (const record of records) {
              if (current.length && Buffer.byteLength([...current, record].join('\n')) > maxBytes) {
                batches.push(current.join('\n') + '\n');
                current = [];
              }
              current.push(record);
            }
            if (current.length) batches.push(current.join('\n') + '\n');
          } else {
            batches.push(...records.map(r => input.SplitType === 'Line' ? `${r}\n` : r));
          }
          const answers: string[] = [];
          for (const batch of batches) {
            const reply = await invoke(server.port, batch, input.ContentType, request.TransformOutput.Accept);
            if (reply.status !== 200) {
              throw new Error(`ClientError: the model container answered ${reply.status} for s3://${bucket}/${k}: ${reply.body.slice(0, 300)}`);
            }
            answers.push(reply.body);
          }
          const joined = request.TransformOutput.AssembleWith === 'Line'
            ? answers.map(a => a.endsWith('\n') ? a : `${a}\n`).join('') : answers.join('');
          this.props.s3.put(out.bucket, `${out.key}${k.slice(base.length)}.out`, joined);
        }
      } catch (e) {
        status = 'Failed';
        failureReason = (e as Error).message.startsWith('ClientError') ? (e as Error).message : `ClientError: ${(e as Error).message}`;
      } finally {
        server.stop();
      }
    }
    const ended = Date.now();
    const describe = {
      TransformJobName: name,
      TransformJobArn: arn,
      TransformJobStatus: status,
      ...(failureReason ? { FailureReason: failureReason.slice(0, 1024) } : {}),
      ModelName: request.ModelName,
      BatchStrategy: request.BatchStrategy,
      MaxPayloadInMB: request.MaxPayloadInMB,
      Environment: request.Environment,
      TransformInput: request.TransformInput,
      TransformOutput: request.TransformOutput,
      TransformResources: request.TransformResources,
      CreationTime: started,
      TransformStartTime: started,
      TransformEndTime: ended,
    };
    return this.finish(`transform-job/${name}`, describe, 'TransformJobStatus', sync, 'TransformJobArn');
  }

  /**
   * Tuning, best effort: one training job with the static hyperparameters and the lower bound
   * (or first value) of each range; it is the best training job.
   */
  private async tuning(request: any, integration: Integration, sync: boolean): Promise<any> {
    const api = 'CreateHyperParameterTuningJob';
    const name: string = request.HyperParameterTuningJobName;
    this.ensureUnique(api, 'hyper-parameter-tuning-job', name, integration);
    const definition = request.TrainingJobDefinition;
    if (!definition) throw this.error(api, 'ValidationException', 'the local runtime runs tuning jobs with one TrainingJobDefinition only', integration);
    const ranges = definition.HyperParameterRanges ?? request.HyperParameterTuningJobConfig.ParameterRanges ?? {};
    const tuned: Record<string, string> = {};
    for (const r of ranges.IntegerParameterRanges ?? []) tuned[r.Name] = String(r.MinValue);
    for (const r of ranges.ContinuousParameterRanges ?? []) tuned[r.Name] = String(r.MinValue);
    for (const r of ranges.CategoricalParameterRanges ?? []) tuned[r.Name] = String(r.Values[0]);
    const trainingName = `${name}-001-${Date.now().toString(16).slice(-8)}`;
    const started = Date.now();
    const training = await this.training({
      TrainingJobName: trainingName,
      AlgorithmSpecification: { ...definition.AlgorithmSpecification, TrainingImage: definition.AlgorithmSpecification.TrainingImage },
      RoleArn: definition.RoleArn,
      InputDataConfig: definition.InputDataConfig,
      OutputDataConfig: definition.OutputDataConfig,
      ResourceConfig: definition.ResourceConfig,
      StoppingCondition: definition.StoppingCondition,
      HyperParameters: { ...definition.StaticHyperParameters, ...tuned },
      Environment: definition.Environment,
    }, integration, false, api);
    const job = this.jobs.get(`training-job/${trainingName}`);
    // DescribeTrainingJob of a tuning job's training job names the tuning job.
    job.TuningJobArn = this.arn('hyper-parameter-tuning-job', name);
    const objective = request.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective;
    const metric = job.FinalMetricDataList.find((m: any) => m.MetricName === objective?.MetricName);
    // A training job that never reports the objective metric cannot be ranked: it is no best job.
    const completed = job.TrainingJobStatus === 'Completed' && metric !== undefined;
    const failure = job.TrainingJobStatus !== 'Completed' ? job.FailureReason
      : `the training job reported no value of the objective metric '${objective?.MetricName}' (its MetricDefinitions regex matched no log line)`;
    const describe = {
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobArn: this.arn('hyper-parameter-tuning-job', name),
      HyperParameterTuningJobConfig: request.HyperParameterTuningJobConfig,
      TrainingJobDefinition: definition,
      HyperParameterTuningJobStatus: completed ? 'Completed' : 'Failed',
      ...(completed ? {} : { FailureReason: `All training jobs failed: ${failure}` }),
      TrainingJobStatusCounters: { Completed: completed ? 1 : 0, InProgress: 0, RetryableError: 0, NonRetryableError: completed ? 0 : 1, Stopped: 0 },
      ...(completed ? {
        BestTrainingJob: {
          TrainingJobName: trainingName,
          TrainingJobArn: training.TrainingJobArn,
          TunedHyperParameters: tuned,
          TrainingJobStatus: 'Completed',
          CreationTime: job.CreationTime,
          TrainingStartTime: job.TrainingStartTime,
          TrainingEndTime: job.TrainingEndTime,
          ...(metric ? {
            FinalHyperParameterTuningJobObjectiveMetric: { Type: objective.Type, MetricName: metric.MetricName, Value: metric.Value },
          } : {}),
        },
      } : {}),
      CreationTime: started,
      HyperParameterTuningEndTime: Date.now(),
      LastModifiedTime: Date.now(),
    };
    return this.finish(`hyper-parameter-tuning-job/${name}`, describe, 'HyperParameterTuningJobStatus', sync, 'HyperParameterTuningJobArn');
  }

  private describeJob(api: string, nameKey: string, name: string, integration: Integration): any {
    const kind = { TrainingJobName: 'training-job', ProcessingJobName: 'processing-job', TransformJobName: 'transform-job', HyperParameterTuningJobName: 'hyper-parameter-tuning-job' }[nameKey]!;
    const job = this.jobs.get(`${kind}/${name}`);
    if (!job) throw this.error(api, api === 'DescribeHyperParameterTuningJob' ? 'ResourceNotFound' : 'ValidationException', `Requested resource not found: ${this.arn(kind, name)}`, integration);
    const pending = this.describesUntilEnded.get(`${kind}/${name}`) ?? 0;
    if (pending > 0) {
      this.describesUntilEnded.set(`${kind}/${name}`, pending - 1);
      const statusKey = `${nameKey.slice(0, -'Name'.length)}Status`;
      const { FailureReason: _reason, TrainingEndTime: _end, ...running } = job;
      return { ...running, [statusKey]: 'InProgress', SecondaryStatus: 'Training', ModelArtifacts: { S3ModelArtifacts: '' } };
    }
    return job;
  }

  private extractModel(modelDataUrl: string, target: string): void {
    const { bucket, key } = parseS3Uri(modelDataUrl);
    const data = this.props.s3.get(bucket, key);
    if (!data) throw new Error(`ClientError: could not download the model data ${modelDataUrl}: no such object in the local S3`);
    fs.mkdirSync(target, { recursive: true });
    if (key.endsWith('.tar.gz') || key.endsWith('.gz')) {
      const archive = path.join(target, '..', 'model-data.tar.gz');
      fs.writeFileSync(archive, data);
      tar(['-xzf', archive, '-C', target]);
    } else {
      fs.writeFileSync(path.join(target, path.basename(key)), data);
    }
  }

  // ------------------------------------------------------------------ hosting

  private createModel(request: any, integration: Integration): any {
    const api = 'CreateModel';
    if (this.models.has(request.ModelName)) {
      throw this.error(api, 'ValidationException', `Cannot create already existing model "${this.arn('model', request.ModelName)}".`, integration);
    }
    for (const container of [request.PrimaryContainer, ...(request.Containers ?? [])].filter(Boolean)) {
      if (container.ModelPackageName) {
        const pkg = this.modelPackage(api, container.ModelPackageName, integration);
        if (pkg.ModelApprovalStatus === 'Rejected') {
          throw this.error(api, 'ValidationException', `Model package ${pkg.ModelPackageArn} is Rejected: SageMaker deploys only approved or pending model packages.`, integration);
        }
      }
      if (container.ModelDataUrl) {
        const { bucket, key } = parseS3Uri(container.ModelDataUrl);
        if (!this.props.s3.exists(bucket, key)) {
          throw this.error(api, 'ValidationException', `Could not find model data at ${container.ModelDataUrl}.`, integration);
        }
      }
    }
    this.registerModel(request);
    return { ModelArn: this.arn('model', request.ModelName) };
  }

  private createEndpointConfig(request: any, integration: Integration): any {
    const api = 'CreateEndpointConfig';
    const name = request.EndpointConfigName;
    if (this.endpointConfigs.has(name)) {
      throw this.error(api, 'ValidationException', `Cannot create already existing endpoint configuration "${this.arn('endpoint-config', name)}".`, integration);
    }
    // A shadow variant's model must exist as well (ShadowProductionVariants, kept with the configuration).
    for (const variant of [...request.ProductionVariants, ...(request.ShadowProductionVariants ?? [])]) {
      if (!this.models.has(variant.ModelName)) throw this.error(api, 'ValidationException', `Could not find model "${this.arn('model', variant.ModelName)}".`, integration);
    }
    const arn = this.arn('endpoint-config', name);
    this.endpointConfigs.set(name, { ...request, EndpointConfigArn: arn, CreationTime: Date.now() });
    return { EndpointConfigArn: arn };
  }

  private listEndpointConfigs(request: any): any {
    let configs = [...this.endpointConfigs.values()];
    if (request.NameContains) configs = configs.filter(c => c.EndpointConfigName.includes(request.NameContains));
    const byName = request.SortBy === 'Name';
    configs.sort((a, b) => byName ? a.EndpointConfigName.localeCompare(b.EndpointConfigName) : a.CreationTime - b.CreationTime);
    if ((request.SortOrder ?? 'Descending') === 'Descending') configs.reverse();
    return {
      EndpointConfigs: configs.slice(0, request.MaxResults ?? 10).map(c => ({
        EndpointConfigName: c.EndpointConfigName, EndpointConfigArn: c.EndpointConfigArn, CreationTime: c.CreationTime,
      })),
    };
  }

  /** The tags given when a model or endpoint configuration was created, by its ARN. */
  private listTags(request: any, integration: Integration): any {
    // One emulated namespace holds every account's resources (their ARNs carry the local
    // account): a state machine of a stack with an explicit account names its own.
    const anyAccount = (arn: string) => String(arn).replace(/^(arn:[^:]*:[^:]*:[^:]*:)\d{12}:/, '$1:');
    const tagged = [...this.models.values(), ...this.endpointConfigs.values()]
      .find(r => anyAccount(r.ModelArn ?? r.EndpointConfigArn) === anyAccount(request.ResourceArn));
    if (!tagged) throw this.error('ListTags', 'ValidationException', `Could not find resource "${request.ResourceArn}".`, integration);
    return { Tags: tagged.Tags ?? [] };
  }

  private createEndpoint(request: any, integration: Integration): any {
    const api = 'CreateEndpoint';
    const name = request.EndpointName;
    if (this.endpoints.has(name)) throw this.error(api, 'ValidationException', `Cannot create already existing endpoint "${this.arn('endpoint', name)}".`, integration);
    if (!this.endpointConfigs.has(request.EndpointConfigName)) {
      throw this.error(api, 'ValidationException', `Could not find endpoint configuration "${this.arn('endpoint-config', request.EndpointConfigName)}".`, integration);
    }
    const now = Date.now();
    this.endpoints.set(name, {
      name,
      arn: this.arn('endpoint', name),
      status: 'Creating',
      configName: request.EndpointConfigName,
      ticks: 0,
      outcome: this.props.faults.endpointCreateOutcome,
      created: now,
      modified: now,
    });
    return { EndpointArn: this.arn('endpoint', name) };
  }

  private updateEndpoint(request: any, integration: Integration): any {
    const api = 'UpdateEndpoint';
    const endpoint = this.endpoints.get(request.EndpointName);
    if (!endpoint) throw this.error(api, 'ValidationException', `Could not find endpoint "${this.arn('endpoint', request.EndpointName)}".`, integration);
    if (endpoint.status !== 'InService') {
      throw this.error(api, 'ValidationException', `Cannot update in-progress endpoint "${endpoint.arn}".`, integration);
    }
    if (!this.endpointConfigs.has(request.EndpointConfigName)) {
      throw this.error(api, 'ValidationException', `Could not find endpoint configuration "${this.arn('endpoint-config', request.EndpointConfigName)}".`, integration);
    }
    Object.assign(endpoint, { status: 'Updating', pendingConfig: request.EndpointConfigName, ticks: 0, outcome: this.props.faults.endpointUpdateOutcome, modified: Date.now() });
    return { EndpointArn: endpoint.arn };
  }

  /**
   * The SageMaker runtime's InvokeEndpoint: an endpoint InService (or Updating, still serving
   * its current configuration) answers with a body naming the variant's model; any other
   * status is a ValidationError, as SageMaker answers. `LocalFaults.apiError('sagemakerruntime:InvokeEndpoint', 'ModelError')`
   * fails it the way a model that answers 4xx/5xx does.
   */
  private invokeEndpoint(request: any, integration: Integration): any {
    const api = 'InvokeEndpoint';
    const fail = (message: string) => apiError('sagemakerruntime', api, 'ValidationError', message, integration);
    const endpoint = this.endpoints.get(request.EndpointName);
    if (!endpoint) throw fail(`Endpoint ${request.EndpointName} of account ${LOCAL_ACCOUNT} not found.`);
    if (endpoint.status !== 'InService' && endpoint.status !== 'Updating') {
      throw fail(`Endpoint ${request.EndpointName} of account ${LOCAL_ACCOUNT} is not InService (it is ${endpoint.status}).`);
    }
    const variant = this.endpointConfigs.get(endpoint.configName)?.ProductionVariants?.[0];
    return {
      ContentType: request.Accept ?? 'application/json',
      InvokedProductionVariant: variant?.VariantName ?? 'AllTraffic',
      Body: JSON.stringify({ endpoint: endpoint.name, model: variant?.ModelName, received: String(request.Body).length }),
    };
  }

  private describeEndpoint(request: any, integration: Integration): any {
    const endpoint = this.endpoints.get(request.EndpointName);
    if (!endpoint) throw this.error('DescribeEndpoint', 'ValidationException', `Could not find endpoint "${this.arn('endpoint', request.EndpointName)}".`, integration);
    const until = this.props.describesUntilSettled ?? 1;
    if (endpoint.status === 'Deleting' && endpoint.ticks++ >= until) {
      this.endpoints.delete(endpoint.name);
      throw this.error('DescribeEndpoint', 'ValidationException', `Could not find endpoint "${endpoint.arn}".`, integration);
    }
    // An endpoint set busy from outside (an update or maintenance of its own) settles InService.
    if ((endpoint.status === 'SystemUpdating' || endpoint.status === 'RollingBack') && endpoint.ticks++ >= until) {
      endpoint.status = 'InService';
    }
    if ((endpoint.status === 'Creating' || endpoint.status === 'Updating') && endpoint.outcome !== EndpointUpdateOutcome.STUCK) {
      if (endpoint.ticks++ >= until) {
        endpoint.modified = Date.now();
        if (endpoint.outcome === EndpointUpdateOutcome.FAIL) {
          endpoint.status = 'Failed';
          endpoint.failureReason = 'The primary container for production variant AllTraffic did not pass the ping health check (injected fault).';
        } else if (endpoint.outcome === EndpointUpdateOutcome.ROLLBACK && endpoint.status === 'Updating') {
          endpoint.status = 'InService';
          endpoint.failureReason = 'Update rolled back: the new configuration did not pass the health check (injected fault).';
        } else {
          endpoint.status = 'InService';
          if (endpoint.pendingConfig) endpoint.configName = endpoint.pendingConfig;
        }
        endpoint.pendingConfig = undefined;
      }
    }
    const config = this.endpointConfigs.get(endpoint.configName);
    return {
      EndpointName: endpoint.name,
      EndpointArn: endpoint.arn,
      EndpointConfigName: endpoint.configName,
      EndpointStatus: endpoint.status,
      ...(endpoint.failureReason ? { FailureReason: endpoint.failureReason } : {}),
      ProductionVariants: (config?.ProductionVariants ?? []).map((v: any) => ({
        VariantName: v.VariantName,
        CurrentWeight: v.InitialVariantWeight ?? 1,
        DesiredWeight: v.InitialVariantWeight ?? 1,
        CurrentInstanceCount: v.InitialInstanceCount,
        DesiredInstanceCount: v.InitialInstanceCount,
      })),
      CreationTime: endpoint.created,
      LastModifiedTime: endpoint.modified,
    };
  }
}

function tar(args: string[]): void {
  const result = spawnSync('tar', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tar ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
}

/** Packs a folder's content the way SageMaker packs /opt/ml/model: members named without a `./` prefix. */
function packDirectory(folder: string, archive: string): void {
  const entries = fs.readdirSync(folder);
  tar(entries.length ? ['-czf', archive, '-C', folder, ...entries] : ['-czf', archive, '-T', '/dev/null']);
}

function invoke(port: number, body: string, contentType?: string, accept?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Length': Buffer.byteLength(body) };
    if (contentType) headers['Content-Type'] = contentType;
    if (accept) headers.Accept = accept;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/invocations', headers }, res => {
      let data = '';
      res.on('data', chunk => data += chunk);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
