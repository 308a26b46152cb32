import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ENV, testApp } from '../util';
import { TINY_IMAGE } from './workflows';
import { SageMakerWorkflow } from '../../lib/workflows/sagemaker-workflow';
import { Integration, apiError, requestProblems, validateRequest } from '../../local/src/api';
import { LocalAssembly, findStateMachine } from '../../local/src/assembly';
import { main, parseCliArgs, parseCostArgs } from '../../local/src/cli';
import { matchesPattern, targetInput } from '../../local/src/events';
import { DockerRunner, ProcessRunner } from '../../local/src/runners';
import { LocalRuntime, servedIntegrations } from '../../local/src/runtime';
import { LocalS3 } from '../../local/src/s3';

/** A cloud assembly written by hand: one manifest, templates per stack. */
function writeAssembly(stacks: Record<string, { template: any; region?: string }>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-assembly-'));
  const artifacts: Record<string, any> = {};
  for (const [name, { template, region }] of Object.entries(stacks)) {
    fs.writeFileSync(path.join(dir, `${name}.template.json`), JSON.stringify(template));
    artifacts[name] = { type: 'aws:cloudformation:stack', environment: `aws://123456789012/${region ?? 'eu-west-1'}`, properties: { templateFile: `${name}.template.json` } };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
  return dir;
}

const machine = (definition: any, extra: any = {}) => ({
  Type: 'AWS::StepFunctions::StateMachine',
  Properties: { DefinitionString: typeof definition === 'string' || definition['Fn::Join'] ? definition : JSON.stringify(definition), ...extra },
  Metadata: { 'aws:cdk:path': 'S/Machine/Resource' },
});

const TOPIC = { Type: 'AWS::SNS::Topic', Properties: {} };
const dirs: string[] = [];
afterAll(() => dirs.forEach(d => fs.rmSync(d, { recursive: true, force: true })));
function assembly(stacks: Record<string, { template: any; region?: string }>): string {
  const dir = writeAssembly(stacks);
  dirs.push(dir);
  return dir;
}

describe('the assembly resolver', () => {
  test('resolves intrinsic functions, definition substitutions and cross-stack references to consistent stand-ins', () => {
    const dir = assembly({
      Producer: {
        template: {
          Resources: { Data: { Type: 'AWS::S3::Bucket', Properties: {} } },
          Outputs: {
            DataName: { Value: { Ref: 'Data' }, Export: { Name: 'data-bucket' } },
            DataArn: { Value: { 'Fn::GetAtt': ['Data', 'Arn'] } },
          },
        },
      },
      S: {
        template: {
          Parameters: { Stage: { Type: 'String', Default: 'prod' } },
          Mappings: { Images: { 'eu-west-1': { Account: '763104351884' } } },
          Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
          Resources: {
            Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'my-named-bucket' } },
            Topic: TOPIC,
            Role: { Type: 'AWS::IAM::Role', Properties: {} },
            Machine: machine({
              'Fn::Join': ['', [
                '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"named":"', { Ref: 'Named' },
                '","topic":"', { Ref: 'Topic' },
                '","role":"', { 'Fn::GetAtt': ['Role', 'Arn'] },
                '","image":"', { 'Fn::Sub': '${Account}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/x', 'Fn::Sub_': 0 },
                '","mapped":"', { 'Fn::FindInMap': ['Images', { Ref: 'AWS::Region' }, 'Account'] },
                '","stage":"', { 'Fn::If': ['IsProd', 'production', 'other'] },
                '","imported":"', { 'Fn::ImportValue': 'data-bucket' },
                '","output":"', { 'Fn::GetStackOutput': { StackName: 'Producer', OutputName: 'DataArn' } },
                '","sub":"${Greeting}"},"End":true}}}',
              ]],
            }, { DefinitionSubstitutions: { Greeting: { 'Fn::Sub': 'hello from ${AWS::AccountId}' } } }),
          },
        },
      },
    });
    // Fn::Sub with a variable map: patch the odd key used above to keep the literal readable.
    const file = path.join(dir, 'S.template.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"Fn::Sub":"${Account}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/x","Fn::Sub_":0',
      '"Fn::Sub":["${Account}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/x",{"Account":"111122223333"}]'));
    const found = findStateMachine(LocalAssembly.fromDirectory(dir), 'S/Machine');
    const result = found.definition.States.P.Result;
    expect(found.arn).toMatch(/^arn:aws:states:eu-west-1:123456789012:stateMachine:S-Machine-[0-9a-f]{12}$/);
    expect(result).toEqual({
      named: 'my-named-bucket',
      topic: expect.stringMatching(/^arn:aws:sns:eu-west-1:123456789012:S-Topic-[0-9a-f]{12}$/),
      role: expect.stringMatching(/^arn:aws:iam::123456789012:role\/S-Role-[0-9a-f]{12}$/),
      image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/x',
      mapped: '763104351884',
      stage: 'production',
      imported: expect.stringMatching(/^producer-data-[0-9a-f]{12}$/),
      output: `arn:aws:s3:::${result.imported}`,
      sub: 'hello from 123456789012',
    });
    // The same resource always gets the same stand-in.
    expect(findStateMachine(LocalAssembly.fromDirectory(dir), 'S').definition.States.P.Result).toEqual(result);
  });

  test('a runtime can be made from a stack directly (its app is synthesized)', async () => {
    const stack = new Stack(testApp(), 'Direct', { env: ENV });
    new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Hello', { parameters: { 'region.$': '$$.StateMachine.Id' } })),
    });
    const rt = LocalRuntime.fromStack(stack, 'Machine');
    const result = await rt.run({});
    rt.dispose();
    expect(result).toMatchObject({ status: 'SUCCEEDED', states: ['Hello'], output: { region: expect.stringMatching(/^arn:aws:states:us-east-1:123456789012:stateMachine:Direct-Machine/) } });
  });

  test('an unknown state machine path is an error naming what exists', () => {
    const dir = assembly({ S: { template: { Resources: { Machine: machine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }) } } } });
    expect(() => LocalRuntime.fromAssembly(dir, 'S/Nope')).toThrow(/^no state machine 'S\/Nope' in the cloud assembly; state machines: S\/Machine$/);
    expect(() => LocalRuntime.fromAssembly(path.join(dir, 'missing'), 'S')).toThrow(/no cloud assembly at '.*missing': it has no manifest.json/);
  });

  test('a definition that uses an integration the runtime does not serve is an error naming the state and what is served', () => {
    const dir = assembly({
      S: { template: { Resources: { Machine: machine({ StartAt: 'Invoke', States: { Invoke: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } }) } } },
    });
    expect(() => LocalRuntime.fromAssembly(dir, 'S/Machine'))
      .toThrow(/^state 'Invoke' of S\/Machine uses arn:aws:states:::lambda:invoke, which the local runtime does not serve; it serves: .*sagemaker:createTrainingJob\.sync.*aws-sdk:s3:getObject/);
  });

  test('a bucket folder that does not exist is an error naming the bucket and the folder', () => {
    const dir = assembly({ S: { template: { Resources: { Machine: machine({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }) } } } });
    expect(() => LocalRuntime.fromAssembly(dir, 'S', { buckets: { data: '/nonexistent/folder' } }))
      .toThrow(/^the folder '\/nonexistent\/folder' given for bucket 'data' does not exist$/);
  });
});

describe('executions', () => {
  const definition = {
    StartAt: 'Notify',
    TimeoutSeconds: 3600,
    States: {
      Notify: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sns:publish',
        ResultPath: null,
        Next: 'Pause',
        Parameters: { TopicArn: 'TOPIC', Message: { 'execution.$': '$$.Execution.Id', 'name.$': '$$.Execution.Name' } },
      },
      Pause: { Type: 'Wait', Seconds: 3600, Next: 'Done' },
      Done: { Type: 'Succeed' },
    },
  };
  let dir: string;
  beforeAll(() => {
    dir = assembly({
      S: {
        template: {
          Resources: {
            Topic: TOPIC,
            Machine: machine({ 'Fn::Join': ['', [JSON.stringify(definition).split('"TOPIC"')[0], '"', { Ref: 'Topic' }, '"', JSON.stringify(definition).split('"TOPIC"')[1]]] }),
            Stopped: {
              Type: 'AWS::Events::Rule',
              Properties: {
                EventPattern: { 'source': ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], 'detail': { status: ['ABORTED', 'TIMED_OUT'], stateMachineArn: [{ Ref: 'Machine' }] } },
                Targets: [{ Arn: { Ref: 'Topic' }, Id: 'T', InputTransformer: { InputPathsMap: { s: '$.detail.status', e: '$.detail.executionArn' }, InputTemplate: '{"status":<s>,"execution":<e>}' } }],
              },
            },
          },
        },
      },
    });
  });

  test('waits are shortened without changing the definition; SNS messages are collected with the context object filled in', async () => {
    const rt = LocalRuntime.fromAssembly(dir, 'S', { pauseMs: 1 });
    const result = await rt.run({}, { executionName: 'first' });
    rt.dispose();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual(['Notify', 'Pause', 'Done']);
    expect(rt.stateMachine.definition.States.Pause.Seconds).toBe(3600);
    expect(JSON.parse(result.notifications[0].message)).toEqual({ execution: result.executionArn, name: 'first' });
    expect(result.executionArn).toMatch(/^arn:aws:states:eu-west-1:123456789012:execution:S-Machine-[0-9a-f]{12}:first$/);
  });

  test('an aborted execution ends ABORTED and the status-change rule notifies its topic', async () => {
    const rt = LocalRuntime.fromAssembly(dir, 'S', { pauseMs: 60_000 });
    const execution = rt.start({});
    setTimeout(() => execution.abort(), 300);
    const result = await execution.result;
    rt.dispose();
    expect(result.status).toBe('ABORTED');
    expect(result.notifications.map(n => n.publisher)).toEqual(['Notify', 'rule:Stopped']);
    expect(JSON.parse(result.notifications[1].message)).toEqual({ status: 'ABORTED', execution: result.executionArn });
  });

  test('an execution that runs past its timeout ends TIMED_OUT', async () => {
    const rt = LocalRuntime.fromAssembly(dir, 'S', { pauseMs: 60_000 });
    const result = await rt.run({}, { timeoutMs: 200 });
    rt.dispose();
    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(JSON.parse(result.notifications[1].message).status).toBe('TIMED_OUT');
  });

  test('the command runs a state machine and prints each state and the status', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    expect(await main(['run', '--app', dir, '--state-machine', 'S/Machine', '--input', '{"a":1}'], l => lines.push(l), e => errors.push(e))).toBe(0);
    expect(lines).toEqual(expect.arrayContaining(['… Notify running', expect.stringMatching(/^✓ Notify \(\d+s\)$/), '✓ Done (0s)', 'SUCCEEDED']));
    expect(lines[lines.length - 2]).toBe('SUCCEEDED');
    expect(lines[lines.length - 1]).toMatch(/^notified S-Topic-[0-9a-f]{12} \(Notify\): \{"execution":/);
    expect(errors).toEqual([]);
    expect(await main(['run', '--app', dir, '--state-machine', 'S/Other'], l => lines.push(l), e => errors.push(e))).toBe(2);
    expect(errors).toEqual(["no state machine 'S/Other' in the cloud assembly; state machines: S/Machine"]);
  });
});

describe('the command line', () => {
  test.each([
    [['local'], /^unknown command 'local'; usage: cdk-sagemaker-ml-local run /],
    [['run', '--app', '.'], /^--state-machine is required/],
    [['run', '--state-machine', 'S'], /^--app is required/],
    [['run', '--app', '/nonexistent/cdk.out', '--state-machine', 'S'], /^--app '\/nonexistent\/cdk.out' does not exist/],
    [['run', '--app', '.', '--state-machine', 'S', '--runner', 'podman'], /^--runner must be process or docker, got 'podman'$/],
    [['run', '--app', '.', '--state-machine', 'S', '--bucket', 'data'], /^--bucket takes name=folder, got 'data'$/],
    [['run', '--app', '.', '--state-machine', 'S', '--input', '{max_iter:1}'], /^--input must be JSON \(or @file with JSON\), got '\{max_iter:1\}'/],
    [['run', '--app', '.', '--state-machine', 'S', '--input', '@/nonexistent.json'], /^--input file '\/nonexistent.json' does not exist$/],
    [['run', '--app', '.', '--state-machine', 'S', '--timeout-seconds', '-1'], /^--timeout-seconds must be a positive number, got '-1'$/],
    [['run', '--app', '.', '--state-machine', 'S', '--frobnicate'], /^unknown argument '--frobnicate'/],
  ])('%j is refused', (argv, error) => {
    expect(() => parseCliArgs(argv as string[])).toThrow(error);
  });

  test.each([[['--help']], [['-h']], [['help']], [['run', '--help']], [['run', '--app', '.', '-h']], [['cost', '--help']]])('%j prints the usage and exits 0', async argv => {
    const lines: string[] = [];
    const errors: string[] = [];
    expect(await main(argv, l => lines.push(l), e => errors.push(e))).toBe(0);
    expect(errors).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('usage: cdk-sagemaker-ml-local run --app <cdk.out> --state-machine <stack>/<construct path>');
    expect(lines[0]).toContain('usage: cdk-sagemaker-ml-local cost --app <cdk.out> [--region <region>]');
    expect(lines[0]).toMatch(/^ {2}--runner process\|docker /m);
    expect(lines[0]).toMatch(/^Exit code: 0 the execution succeeded, 1 it did not, 2 bad input\.$/m);
  });

  test('no command is refused with the usage, exit 2', async () => {
    const errors: string[] = [];
    expect(await main([], () => undefined, e => errors.push(e))).toBe(2);
    expect(errors).toEqual([expect.stringMatching(/^unknown command ''; usage: cdk-sagemaker-ml-local run .*; usage: cdk-sagemaker-ml-local cost /)]);
  });

  test.each([
    [['cost'], /^--app is required/],
    [['cost', '--app'], /^--app needs a value/],
    [['cost', '--app', '/nonexistent/cdk.out'], /^--app '\/nonexistent\/cdk.out' is not a cloud assembly/],
    [['cost', '--app', '.', '--frobnicate', 'x'], /^unknown argument '--frobnicate'/],
  ])('cost %j is refused', (argv, error) => {
    expect(() => parseCostArgs(argv as string[])).toThrow(error);
  });

  test('parses every option', () => {
    expect(parseCliArgs(['run', '--app', '.', '--state-machine', 'S/M', '--input', '{"max_iter":"5"}', '--runner', 'docker', '--bucket', 'b=/tmp', '--python', '/usr/bin/python3', '--timeout-seconds', '30', '--verbose']))
      .toEqual({ app: '.', synth: false, stateMachine: 'S/M', input: { max_iter: '5' }, runner: 'docker', buckets: { b: '/tmp' }, python: '/usr/bin/python3', timeoutSeconds: 30, verbose: true });
    expect(parseCliArgs(['run', '--synth', 'SageMakerMlTraining'])).toMatchObject({ synth: true, stateMachine: 'SageMakerMlTraining', input: {} });
  });
});

describe('requests are validated against the API model', () => {
  const valid = {
    TrainingJobName: 'train-1',
    RoleArn: 'arn:aws:iam::123456789012:role/r',
    AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
    OutputDataConfig: { S3OutputPath: 's3://b/models/' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  };

  test('a valid request has no problems', () => {
    expect(requestProblems('sagemaker', 'CreateTrainingJob', valid)).toEqual([]);
  });

  test('names, patterns, enums, ranges, types, unknown and missing members are checked', () => {
    const { RoleArn, ...noRole } = valid;
    expect(RoleArn).toBeDefined();
    const problems = requestProblems('sagemaker', 'CreateTrainingJob', {
      ...noRole,
      TrainingJobName: 'train_1',
      ResourceConfig: { InstanceType: 'm5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 0 },
      HyperParameters: { max_iter: 50 },
      Colour: 'blue',
    });
    expect(problems).toEqual(expect.arrayContaining([
      'TrainingJobName must match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}, got "train_1"',
      expect.stringMatching(/^ResourceConfig.InstanceType must be one of ml\..*; got "m5.large"$/),
      'StoppingCondition.MaxRuntimeInSeconds must be at least 1, got 0',
      'HyperParameters.max_iter must be a string, got 50',
      expect.stringMatching(/^Colour is not a member of CreateTrainingJobRequest/),
      'RoleArn is required',
    ]));
  });

  test('a rejected request raises the error Step Functions reports, named per integration', () => {
    const bad = { ...valid, TrainingJobName: 'x'.repeat(64) };
    expect(() => validateRequest('sagemaker', 'CreateTrainingJob', bad, Integration.OPTIMIZED)).toThrow(expect.objectContaining({
      name: 'SageMaker.AmazonSageMakerException',
      message: expect.stringMatching(/^2 validation error\(s\) detected: TrainingJobName must be at most 63 characters long, got 64; TrainingJobName must match .*\(Service: SageMaker, Status Code: 400, Error Code: ValidationException/),
    }));
    expect(apiError('sagemaker', 'DescribeEndpoint', 'ValidationException', 'Could not find endpoint', Integration.AWS_SDK).name).toBe('SageMaker.SageMakerException');
    expect(apiError('sagemaker', 'CreateTrainingJob', 'ResourceLimitExceeded', 'limit', Integration.OPTIMIZED).name).toBe('SageMaker.ResourceLimitExceededException');
    expect(apiError('s3', 'GetObject', 'NoSuchKey', 'missing', Integration.AWS_SDK).name).toBe('S3.NoSuchKeyException');
    expect(apiError('sns', 'Publish', 'NotFound', 'Topic does not exist', Integration.OPTIMIZED).name).toBe('SNS.NotFoundException');
  });

  test('every served SDK integration has a request model', () => {
    for (const integration of servedIntegrations().filter(i => i.startsWith('aws-sdk:'))) {
      const [, service, action] = integration.split(':');
      expect(() => requestProblems(service, action[0].toUpperCase() + action.slice(1), {})).not.toThrow();
    }
  });
});

describe('job runners', () => {
  const run = {
    image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:abc',
    command: ['train'],
    replaceEntrypoint: false,
    smRoot: '/tmp/job/opt/ml',
    environment: { TRAINING_JOB_NAME: 'train-1' },
  };

  test('the Docker runner builds asset images and runs them as SageMaker local mode does', () => {
    const docker = new DockerRunner({ images: { [run.image]: '/cdk.out/asset.abc' } });
    expect(docker.buildCommand(run.image)).toEqual(['docker', 'build', '--platform', 'linux/amd64', '--tag', 'cdk-sagemaker-ml-local/abc:latest', '/cdk.out/asset.abc']);
    expect(docker.runCommand(run)).toEqual(['docker', 'run', '--rm', '--platform', 'linux/amd64', '--volume', '/tmp/job/opt/ml:/opt/ml',
      '--env', 'TRAINING_JOB_NAME=train-1', 'cdk-sagemaker-ml-local/abc:latest', 'train']);
    expect(docker.runCommand({ ...run, command: ['evaluate', '--fast'], replaceEntrypoint: true }).slice(-4)).toEqual(['--entrypoint', 'evaluate', 'cdk-sagemaker-ml-local/abc:latest', '--fast']);
    expect(docker.runCommand({ ...run, command: ['serve'] }, 8123)).toEqual(expect.arrayContaining(['--publish', '127.0.0.1:8123:8080']));
    expect(docker.buildCommand('public.ecr.aws/x/y:1')).toBeUndefined();
    expect(docker.runCommand({ ...run, image: 'public.ecr.aws/x/y:1' })).toContain('public.ecr.aws/x/y:1');
  });

  test('the process runner finds entry points on the image PATH, and names what the image has when one is missing', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'local-runner-'));
    dirs.push(work);
    const runner = new ProcessRunner({ images: { [run.image]: TINY_IMAGE }, workDirectory: work });
    expect(runner.entryPoint(run.image, 'train').file).toBe(path.join(runner.entryPoint(run.image, 'train').root, 'opt/program/train'));
    expect(() => runner.entryPoint(run.image, 'preprocess'))
      .toThrow(`image '${run.image}' has no entry point 'preprocess' the process runner can run (searched /opt/program, /opt/program); it has: evaluate, train`);
    expect(() => runner.entryPoint('public.ecr.aws/x/y:1', 'train'))
      .toThrow(/^the process runner cannot run image 'public.ecr.aws\/x\/y:1': it runs only images built from a directory .* \(use --runner docker for other images\)$/);
  });
});

describe('S3 and EventBridge', () => {
  test('a bucket is a folder; SageMaker-style downloads take keys relative to the prefix', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-'));
    dirs.push(root);
    const s3 = new LocalS3(root);
    s3.put('b', 'processed/x/train/data.csv', 'a,b\n');
    s3.put('b', 'processed/x/trainer/other.csv', 'no');
    s3.put('b', 'config/abc.json', '{}');
    const target = path.join(root, 'out');
    expect(s3.download('s3://b/processed/x/train/', 'S3Prefix', path.join(target, 'train'))).toBe(1);
    expect(fs.readFileSync(path.join(target, 'train', 'data.csv'), 'utf8')).toBe('a,b\n');
    expect(s3.download('s3://b/config/abc.json', 'S3Prefix', path.join(target, 'config'))).toBe(1);
    expect(fs.existsSync(path.join(target, 'config', 'abc.json'))).toBe(true);
    expect(() => s3.put('b', '../escape', 'x')).toThrow(/is not an object key the local S3 stores/);
  });

  test('event patterns and input transformers behave as EventBridge does', () => {
    const event = { 'source': 'aws.states', 'detail-type': 'Step Functions Execution Status Change', 'detail': { status: 'FAILED', executionArn: 'arn:e', error: null } };
    expect(matchesPattern({ source: ['aws.states'], detail: { status: ['FAILED', 'TIMED_OUT'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: ['SUCCEEDED'] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': 'SUCCEEDED' }], executionArn: [{ prefix: 'arn:' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: true }] } }, event)).toBe(false);
    expect(targetInput({ InputTransformer: { InputPathsMap: { s: '$.detail.status' }, InputTemplate: '"Execution <s>"' } }, event)).toBe('"Execution FAILED"');
    expect(JSON.parse(targetInput({ InputTransformer: { InputPathsMap: { e: '$.detail' }, InputTemplate: '{"d":<e>}' } }, event))).toEqual({ d: event.detail });
    expect(targetInput({ Input: '{"fixed":1}' }, event)).toBe('{"fixed":1}');
  });
});

describe('the failure notification, as EventBridge transforms it', () => {
  // Step Functions' "Execution Status Change" event; a failure cause is often JSON, with quotes and newlines.
  const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:m:run-1';
  const full = (detail: any = {}) => ({
    'source': 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    'detail': { executionArn: ARN, status: 'FAILED', error: 'States.TaskFailed', cause: '{"FailureReason": "AlgorithmError: bad \\"x\\"\nline 2"}', stopDate: 1700000000000, ...detail },
  });
  const without = (...fields: string[]) => {
    const event = full();
    for (const f of fields) delete (event.detail as any)[f];
    return event;
  };
  /** The messages the template's rules send for `event` (the machine's ARN filled in). */
  let messages: (event: any) => Array<{ rule: string; message: string }>;
  beforeAll(() => {
    const app = testApp();
    const stack = new Stack(app, 'Notify', { env: ENV });
    new SageMakerWorkflow(stack, 'Workflow', { definition: new sfn.Pass(stack, 'Nothing'), description: 'Say "hello"' });
    const dir = app.synth().directory;
    const local = LocalAssembly.fromDirectory(dir);
    const machineArn = findStateMachine(local, 'Notify').arn;
    const resolver = local.resolver('Notify');
    const rules = Object.entries<any>(resolver.resources).filter(([, r]) => r.Type === 'AWS::Events::Rule').map(([id, r]) => [id, resolver.resolve(r.Properties)] as const);
    messages = event => {
      const withMachine = { ...event, detail: { ...event.detail, stateMachineArn: machineArn } };
      return rules.filter(([, rule]) => matchesPattern(rule.EventPattern, withMachine))
        .flatMap(([id, rule]) => rule.Targets.map((t: any) => ({ rule: id, message: targetInput(t, withMachine) })));
    };
  });

  test('an event with every field: one message, valid JSON, the cause\'s quotes and newlines intact', () => {
    const sent = messages(full());
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0].message)).toEqual({
      workflow: 'Say "hello"',
      execution: ARN,
      status: 'FAILED',
      error: 'States.TaskFailed',
      cause: '{"FailureReason": "AlgorithmError: bad \\"x\\"\nline 2"}',
      stopDate: 1700000000000,
    });
  });

  test('null error and cause (an abort) are present: one message with nulls', () => {
    const sent = messages(full({ status: 'ABORTED', error: null, cause: null }));
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0].message)).toMatchObject({ status: 'ABORTED', error: null, cause: null, execution: ARN });
  });

  test.each([
    [['error']], [['cause']], [['error', 'cause']], [['stopDate']], [['executionArn', 'error', 'cause', 'stopDate']],
  ])('an event without %p: one message, valid JSON, with the detail as it came', (fields) => {
    const event = without(...fields);
    const sent = messages(event);
    expect(sent).toHaveLength(1);
    const message = JSON.parse(sent[0].message);
    expect(message).toEqual({ workflow: 'Say "hello"', status: 'FAILED', detail: expect.objectContaining(event.detail) });
    for (const f of fields) expect(message.detail).not.toHaveProperty(f);
  });

  test('EventBridge\'s documented transformer: a missing variable leaves nothing, a quoted one is not escaped, $or matches one of its patterns', () => {
    const event = without('error');
    expect(targetInput({ InputTransformer: { InputPathsMap: { e: '$.detail.error', s: '$.detail.status' }, InputTemplate: '{"e":<e>,"s":<s>}' } }, event)).toBe('{"e":,"s":"FAILED"}');
    expect(targetInput({ InputTransformer: { InputPathsMap: { c: '$.detail.cause' }, InputTemplate: '"cause: <c>"' } }, full({ cause: 'a "b"' }))).toBe('"cause: a "b""');
    expect(matchesPattern({ detail: { $or: [{ error: [{ exists: false }] }, { cause: [{ exists: false }] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { $or: [{ error: [{ exists: false }] }, { cause: [{ exists: false }] }] } }, full())).toBe(false);
    // Exists works on leaf nodes only: an object answers neither.
    expect(matchesPattern({ detail: [{ exists: true }] }, event)).toBe(false);
    expect(matchesPattern({ detail: { error: [{ exists: true }] } }, full({ error: null }))).toBe(true);
  });
});
