/* eslint-disable import/no-extraneous-dependencies */
// One benchmark scenario in a fresh process: load, define the app, synthesize; print JSON.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Construct } from 'constructs';

const started = process.hrtime.bigint();
const [scenario, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 0);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;
const app = new cdk.App({ outdir, context });
const env = { account: '123456789012', region: 'us-east-1' };
const loaded = process.hrtime.bigint();

if (scenario === 'floor') {
  // The floor: aws-cdk-lib loaded and an app synthesized, no construct of this library.
  const stack = new cdk.Stack(app, 'Floor', { env });
  new cdk.CfnWaitConditionHandle(stack, 'Nothing');
} else if (scenario === 'reference') {
  // The reference app as bin/app.ts builds it (its cost estimate is timed with the synthesis).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } = require('cdk-nag');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { addReferenceStacks } = require('../bin/reference-app');
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app));
  addReferenceStacks(app, env);
} else if (scenario === 'workflows') {
  // N training workflows (train, evaluate, gate, model) each with a real-time endpoint, ten to a
  // stack: a unit is about 25 resources, and CloudFormation allows 500 per stack.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('../lib');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ecr = require('aws-cdk-lib/aws-ecr');
  const PER_STACK = 10;
  let stack!: import('aws-cdk-lib').Stack;
  let store: any;
  let image: any;
  for (let i = 0; i < count; i++) {
    if (i % PER_STACK === 0) {
      stack = new cdk.Stack(app, `Workflows${Math.floor(i / PER_STACK)}`, { env });
      store = new lib.MlDataStore(stack, 'Store');
      image = lib.SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'glm'), 'v1');
    }
    const scope = new Construct(stack, `Unit${i}`);
    new lib.TrainingWorkflow(scope, 'Workflow', {
      train: { image, outputLocation: lib.JobS3Location.inBucket(store.artifactsBucket, `models/${i}`) },
      evaluate: { image, processingOutputs: [{ outputName: 'report', destination: lib.JobS3Location.perExecution(store.artifactsBucket, `eval/${i}`) }] },
      qualityGate: { outputName: 'report', metricPath: 'metrics.rmse', comparison: lib.MetricComparison.LESS_THAN, threshold: 1 },
    });
    const model = new lib.SageMakerModel(scope, 'Model', { image, modelData: lib.ModelData.fromBucket(store.artifactsBucket, `models/${i}/model.tar.gz`) });
    new lib.RealtimeEndpoint(scope, 'Endpoint', { variants: [{ model }] });
  }
} else {
  throw new Error(`unknown scenario '${scenario}'`);
}

const defined = process.hrtime.bigint();
const assembly = app.synth();
if (scenario === 'reference') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../lib').CostEstimate.fromAssembly(assembly).writeTo(assembly.directory);
}
const synthesized = process.hrtime.bigint();
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
const stacks = assembly.stacks.map(s => {
  const bytes = fs.statSync(s.templateFullPath).size;
  return { name: s.stackName, resources: Object.keys(s.template.Resources ?? {}).length, bytes };
});
fs.rmSync(outdir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({
  scenario, count,
  loadMs: ms(started, loaded), defineMs: ms(loaded, defined), synthMs: ms(defined, synthesized), totalMs: ms(started, synthesized),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  stacks,
}));
