/* eslint-disable import/no-extraneous-dependencies */
// One benchmark app, synthesized by the CDK CLI as a user runs it (bench.ts passes it as --app,
// through bin/ts-run.js as cdk.json runs bin/app.ts): `scenario.ts <floor|workflows|peer|reference-builtin|reference-nopacks> [N] [packs|nopacks] [broken]`.
// (The reference app is benchmarked with cdk.json's own app command.)
// The context (feature flags, schema validation) is cdk.json's, passed by the CLI. Writes its
// phase times to bench-timing.json beside the templates.
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';

const started = process.hrtime.bigint();
const [scenario, countArg, packsArg] = process.argv.slice(2);
const count = Number(countArg ?? 0);
const withPacks = packsArg !== 'nopacks';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
const app = new cdk.App();
const env = { account: '123456789012', region: 'us-east-1' };
// (reference-builtin leaves the cost estimate of bin/app.ts out: a few milliseconds.)
const loaded = process.hrtime.bigint();

/** The workflows' and peer's schema validation (bench-timing.json says whether the worker's early report was used). */
let validation: any;

function addPacks(): void {
  // The four packs bin/app.ts registers.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } = require('cdk-nag');
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app));
}

if (scenario === 'reference-builtin') {
  // The reference app as bin/app.ts builds it, but with aws-cdk-lib's built-in validation plugin
  // (on the main thread, after the packs) instead of BackgroundCloudFormationValidatePlugin.
  addPacks();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../bin/reference-app').addReferenceStacks(app, { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
} else if (scenario === 'reference-nopacks') {
  // The reference app's stacks alone, without the four packs (run with --no-validation: neither
  // check): what defining and synthesizing its 9 stacks costs on the runner, against the floor.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../bin/reference-app').addReferenceStacks(app, { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
} else if (scenario === 'floor') {
  // The floor: aws-cdk-lib loaded and one stack synthesized, no construct of this library.
  new cdk.CfnWaitConditionHandle(new cdk.Stack(app, 'Floor', { env }), 'Nothing');
} else if (scenario === 'workflows' || scenario === 'peer') {
  // N training workflows (train, evaluate, gate, model) each with a real-time endpoint, ten to a
  // stack; `peer`: the same units from aws-cdk-lib's stock constructs (bench/peer.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('../lib');
  // Schema validation on a worker thread, constructed before the stacks and registered after the packs, as in bin/app.ts.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  validation = new (require('../bin/validation/background-cloudformation-validate-plugin').BackgroundCloudFormationValidatePlugin)();
  if (withPacks) addPacks();
  cdk.Validations.of(app).addPlugins(validation);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ecr = require('aws-cdk-lib/aws-ecr');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const peer = scenario === 'peer' ? require('./peer') as typeof import('./peer') : undefined;
  const PER_STACK = 10;
  let stack!: import('aws-cdk-lib').Stack;
  let store: any;
  let image: any;
  let repository: any;
  for (let i = 0; i < count; i++) {
    if (i % PER_STACK === 0) {
      stack = new cdk.Stack(app, `Workflows${Math.floor(i / PER_STACK)}`, { env });
      store = new lib.MlDataStore(stack, 'Store');
      repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'glm');
      image = lib.SageMakerImage.fromEcrRepository(repository, 'v1');
    }
    const scope = new Construct(stack, `Unit${i}`);
    if (peer) {
      peer.addPeerUnit(scope, i, { bucket: store.artifactsBucket, bucketKey: store.encryptionKey, repository });
      if (withPacks) peer.acknowledgePeerFindings(scope, i);
      continue;
    }
    new lib.TrainingWorkflow(scope, 'Workflow', {
      train: { image, outputLocation: lib.JobS3Location.inBucket(store.artifactsBucket, `models/${i}`) },
      evaluate: {
        image,
        processingOutputs: [{ outputName: 'report', destination: lib.JobS3Location.perExecution(store.artifactsBucket, `eval/${i}`) }],
        reportOutputName: 'report',
        gate: { metricPath: 'metrics.rmse', comparison: lib.MetricComparison.LESS_THAN, threshold: 1 },
      },
    });
    const model = new lib.SageMakerModel(scope, 'Model', { image, modelData: lib.ModelData.fromBucket(store.artifactsBucket, `models/${i}/model.tar.gz`) });
    new lib.RealtimeEndpoint(scope, 'Endpoint', { variants: [{ model }] });
  }
  if (count === 0) new cdk.CfnWaitConditionHandle(new cdk.Stack(app, 'Empty', { env }), 'Nothing');
  // `workflows N packs broken`: a queue its resource schema refuses, and a bucket the packs flag
  // (no encryption, logging or versioning): synth must fail with both kinds of finding.
  if (process.argv.includes('broken')) {
    const bad = new cdk.Stack(app, 'Broken', { env });
    new cdk.CfnResource(bad, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'soon' } });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    new (require('aws-cdk-lib/aws-s3') as typeof import('aws-cdk-lib/aws-s3')).CfnBucket(bad, 'Bucket');
  }
} else {
  throw new Error(`unknown scenario '${scenario}'`);
}

const defined = process.hrtime.bigint();
app.synth();
const synthesized = process.hrtime.bigint();
const cpu = process.cpuUsage();
const ms = (a: bigint, b: bigint) => Math.round(Number(b - a) / 1e6);
fs.writeFileSync(path.join(app.outdir, 'bench-timing.json'), JSON.stringify({
  loadMs: ms(started, loaded),
  defineMs: ms(loaded, defined),
  synthMs: ms(defined, synthesized),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  // CPU of the app's process, every thread (the validation worker's too), up to here: the synth
  // without the CLI around it, steadier on a busy machine than the CLI's and the app's together.
  appCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  validatedEarly: validation?._validatedEarly,
  validationWaitMs: validation ? Math.round(validation._waitedMs) : undefined,
}));
