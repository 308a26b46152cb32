#!/usr/bin/env bash
# Installs the repository's two npm packages the way a user gets them and uses them from a CDK app
# of their own:
#
#   1. `npm pack` the construct package (the top level: run `npx projen compile` first, or pass
#      --compile) and check the tarball: the compiled JavaScript and typings, the jsii assembly, the
#      README and LICENSE and nothing else (API.md, generated from the assembly, stays in the repository) (no node_modules/, no bundled dependencies, no
#      tests, sources, containers, scripts, docs, the tools package or build outputs of other
#      targets); at most 4 MB unpacked. The jsii assembly holds constructs only (no type of the
#      reference app's tooling, the reference stacks or the tools package) and depends on exactly
#      the peers; API.md documents exactly the assembly's types (a stale one documents removed types);
#   2. `npm pack -w local` the tools package (cdk-sagemaker-ml-local: its prepack compiles
#      local/src into local/dist) and check the tarball: package.json, README.md and the compiled
#      JavaScript and typings only;
#   3. for the oldest aws-cdk-lib of the peer range (package.json) and the newest 2.x release: a
#      fresh consumer project outside the repository (its own package.json) installs that
#      aws-cdk-lib, constructs and both tarballs (npm resolves the peers as a user's npm would: a
#      conflict fails here with ERESOLVE; one aws-cdk-lib, shared by both packages), type-checks
#      a small app (below) against the installed typings, compiles it and
#      synthesizes it with node as `cdk synth` runs an app (CDK_OUTDIR), aws-cdk-lib's built-in
#      CloudFormation validation on with its findings as errors: the reference training workflow
#      (the example GLM image in containers/glm, its sample data and configuration; preprocess,
#      train, evaluate, gate, register) and a serverless endpoint, from the public API only;
#   4. runs the installed `cdk-sagemaker-ml-local` command: --help; `run` with a state machine the
#      app does not have (fails, naming the app's); `run` of the app's training workflow with the
#      reference run's input (the example image's entry points as processes: needs Python with
#      numpy, pandas and statsmodels, CONSUMER_PYTHON or the first of python3 and /usr/bin/python3
#      that has them), which must end SUCCEEDED; `cost`, which writes ConsumerMl.cost.json.
#
#   scripts/consumer-check.sh [--compile] [--keep]
#   CONSUMER_CDK_VERSIONS="2.269.0 2.276.0" scripts/consumer-check.sh   # other aws-cdk-lib versions
#
# Needs the npm registry (installs use --prefer-offline, so a warm cache is enough). Prints the
# time of each phase, and a summary at the end; about 1-2 minutes on this project's 2-core machine
# with a warm npm cache (each consumer's npm install, tsc and synthesis take most of it).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# The construct package's tarball, unpacked (what npm reports as "unpacked size"), in bytes.
MAX_UNPACKED_BYTES=4000000

COMPILE=0
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --compile) COMPILE=1 ;;
    --keep) KEEP=1 ;;
    *) echo "usage: $0 [--compile] [--keep]" >&2; exit 2 ;;
  esac
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cdk-sagemaker-ml-consumer.XXXXXX")"
case "$WORK" in "$ROOT"/*) echo "the consumer must live outside the repository, got $WORK" >&2; exit 2 ;; esac
if [ "$KEEP" = 1 ]; then echo "keeping $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

SECONDS=0
PHASES=()
PHASE_NAME=""
PHASE_START=0
# Prints the elapsed time and the phase; the durations are summed up at the end.
phase() {
  if [ -n "$PHASE_NAME" ]; then PHASES+=("$(printf '%5ss  %s' "$((SECONDS - PHASE_START))" "$PHASE_NAME")"); fi
  PHASE_NAME="$*"
  PHASE_START=$SECONDS
  echo "== [${SECONDS}s] $*"
}
die() { echo "consumer-check: $*" >&2; exit 1; }

# The local run of the training workflow runs the example image's Python entry points as processes.
PYTHON="${CONSUMER_PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import numpy, pandas, statsmodels' > /dev/null 2>&1; then PYTHON="$(command -v "$candidate")"; break; fi
  done
fi
[ -n "$PYTHON" ] || die "no Python with numpy, pandas and statsmodels (python3, /usr/bin/python3): the local run of the training workflow needs one (CONSUMER_PYTHON=<path>)"

if [ "$COMPILE" = 1 ]; then phase "compile"; npx projen compile; fi
[ -f .jsii ] && [ -f dist/index.js ] || die "no compiled library (.jsii, dist/index.js): run npx projen compile first, or pass --compile"

# --- 1. the construct package: its jsii assembly, API.md and tarball --------------------------------
phase "the jsii assembly and API.md"
# The jsii assembly: constructs only, and the Python package's requirements (the assembly's
# dependencies, from the peer ranges) exactly the peers. API.md, generated beside it, documents
# exactly its types (docgen runs after compile: a stale API.md documents removed types).
node - "$ROOT/.jsii" "$ROOT/package.json" "$ROOT/API.md" <<'NODE'
const fs = require('fs');
const [jsiiFile, pkgJson, apiMd] = process.argv.slice(2);
const assembly = JSON.parse(fs.readFileSync(jsiiFile, 'utf8'));
const pkg = require(pkgJson);
const problems = [];
// Synthesis tooling (the reference app's validation plugin), the tools package's types (cost
// estimate, price list, local runtime) and the reference stacks stay out of the construct package.
const tooling = [/^BackgroundCloudFormationValidate/, /^CostEstimate/, /^PriceList$/, /^LocalRuntime/, /Stack$/, /StackProps$/];
const types = Object.values(assembly.types ?? {});
for (const t of types) {
  if (tooling.some(re => re.test(t.name))) problems.push(`.jsii has the ${t.kind} ${t.fqn}: synthesis tooling, the tools package's or a reference stack's, not a construct`);
}
const deps = assembly.dependencies ?? {};
const peers = pkg.peerDependencies ?? {};
for (const [name, range] of Object.entries(peers)) {
  if (deps[name] !== range) problems.push(`.jsii dependency ${name}: ${deps[name]}, package.json peer: ${range} (recompile)`);
}
const extra = Object.keys(deps).filter(d => !(d in peers));
if (extra.length) problems.push(`.jsii depends on ${extra.join(', ')}, which are not peers`);
const documented = new Set([...fs.readFileSync(apiMd, 'utf8').matchAll(/^### \S+ <a name="[^"]*" id="([^"]+)"><\/a>/gm)].map(m => m[1]));
const fqns = new Set(Object.keys(assembly.types ?? {}));
const stale = [...documented].filter(fqn => !fqns.has(fqn));
const undocumented = [...fqns].filter(fqn => !documented.has(fqn));
if (stale.length || undocumented.length) {
  problems.push(`API.md does not match the jsii assembly (regenerate it: npx projen docgen): `
    + (stale.length ? `it documents ${stale.length} types the assembly does not have (${stale.slice(0, 8).join(', ')}${stale.length > 8 ? ', ...' : ''})` : '')
    + (stale.length && undocumented.length ? '; ' : '')
    + (undocumented.length ? `it lacks ${undocumented.length} (${undocumented.slice(0, 8).join(', ')}${undocumented.length > 8 ? ', ...' : ''})` : ''));
}
console.log(`.jsii: ${types.length} types, dependencies ${JSON.stringify(deps)}; API.md documents ${documented.size} types`);
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
NODE

phase "npm pack (construct package)"
npm pack --pack-destination "$WORK" --json --silent > "$WORK/pack.json"
TARBALL="$WORK/$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")"
node - "$WORK/pack.json" "$ROOT/package.json" "$MAX_UNPACKED_BYTES" <<'NODE'
// What a user needs and nothing else: constructs only, no dependencies of its own.
const [packJson, pkgJson, maxUnpacked] = process.argv.slice(2);
const pack = require(packJson)[0];
const pkg = require(pkgJson);
const files = pack.files.map(f => f.path);
const allowed = [
  /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^\.jsii$/,
  // One compiled module (scripts/bundle-package.ts: npm install pays per file) and its typings per module.
  /^dist\/index\.js$/, /^dist\/.+\.d\.ts$/,
  /^dist\/monitoring\/analysis\/data_quality\.py$/, // MonitoringEngine.processingJob()'s analysis script (a file asset)
];
const unexpected = files.filter(f => !allowed.some(re => re.test(f)));
const required = ['package.json', 'README.md', 'LICENSE', '.jsii', 'dist/index.js', 'dist/index.d.ts', 'dist/monitoring/analysis/data_quality.py'];
const missing = required.filter(f => !files.includes(f));
const mb = bytes => `${(bytes / 1e6).toFixed(2)} MB`;
const nodeModules = files.filter(f => f.startsWith('node_modules/'));
const problems = [
  ...nodeModules.length ? [`the tarball has ${nodeModules.length} node_modules/ entries (${nodeModules[0]}, ...): the construct package bundles nothing`] : [],
  ...unexpected.filter(f => !f.startsWith('node_modules/')).map(f => `unexpected file in the tarball: ${f}`),
  ...missing.map(f => `missing from the tarball: ${f}`),
  ...(pack.bundled ?? []).length ? [`npm bundled ${pack.bundled.join(', ')} into the tarball`] : [],
  ...[...(pkg.bundledDependencies ?? []), ...(pkg.bundleDependencies ?? [])].map(d => `package.json bundles ${d}: the construct package has no bundled dependencies`),
  ...pkg.bin ? [`package.json has a bin (${JSON.stringify(pkg.bin)}): the commands are the tools package's (local/)`] : [],
  ...pack.unpackedSize > Number(maxUnpacked) ? [`the tarball is ${mb(pack.unpackedSize)} unpacked (${pack.unpackedSize} bytes), more than ${mb(Number(maxUnpacked))}; largest: `
    + [...pack.files].sort((a, b) => b.size - a.size).slice(0, 5).map(f => `${f.path} ${mb(f.size)}`).join(', ')] : [],
];
const modules = files.filter(f => f.startsWith('dist/') && f.endsWith('.js'));
console.log(`${pack.filename}: ${(pack.size / 1e6).toFixed(2)} MB packed (${pack.size} bytes), ${mb(pack.unpackedSize)} unpacked (${pack.unpackedSize} bytes, at most ${mb(Number(maxUnpacked))}); `
  + `${files.length} files (${modules.length} compiled modules)`);
if (problems.length) {
  console.error(problems.slice(0, 30).join('\n') + (problems.length > 30 ? `\n... and ${problems.length - 30} more` : ''));
  process.exit(1);
}
NODE

# --- 2. the tools package's tarball ----------------------------------------------------------------
phase "npm pack -w local (tools package, prepack compiles it)"
npm pack -w local --pack-destination "$WORK" --json --silent > "$WORK/pack-local.json" 2> "$WORK/pack-local.log" \
  || { cat "$WORK/pack-local.log" >&2; die "npm pack -w local failed"; }
LOCAL_TARBALL="$WORK/$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack-local.json")"
node - "$WORK/pack-local.json" "$ROOT/local/package.json" "$ROOT/.jsii" "$ROOT/local/dist" <<'NODE'
const fs = require('fs');
const path = require('path');
const [packJson, pkgJson, jsiiFile, distDir] = process.argv.slice(2);
const pack = require(packJson)[0];
const pkg = require(pkgJson);
const files = pack.files.map(f => f.path);
const allowed = [/^package\.json$/, /^README\.md$/, /^dist\/.+\.js$/, /^dist\/.+\.d\.ts$/];
const bins = Object.values(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : pkg.bin ?? {}).map(p => p.replace(/^\.\//, ''));
const required = ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', ...bins];
const problems = [
  ...files.filter(f => !allowed.some(re => re.test(f))).map(f => `unexpected file in the tools package's tarball: ${f}`),
  ...required.filter(f => !files.includes(f)).map(f => `missing from the tools package's tarball: ${f}`),
  ...(pack.bundled ?? []).length ? [`npm bundled ${pack.bundled.join(', ')} into the tools package's tarball`] : [],
  // tsc does not remove what a renamed or deleted source compiled to: such leftovers would ship.
  ...files.filter(f => /^dist\/.+\.(js|d\.ts)$/.test(f))
    .filter(f => !fs.existsSync(path.join(path.dirname(pkgJson), 'src', f.slice('dist/'.length).replace(/\.(js|d\.ts)$/, '.ts'))))
    .map(f => `${f} in the tools package's tarball has no source in local/src (left over in local/dist: remove it)`),
];
// No type of the tools package is in the construct package's assembly (it moved, it is not copied).
const walk = d => fs.readdirSync(d, { withFileTypes: true }).flatMap(e => e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith('.d.ts') ? [path.join(d, e.name)] : []);
const toolTypes = new Set();
for (const f of walk(distDir)) {
  for (const m of fs.readFileSync(f, 'utf8').matchAll(/^export (?:declare )?(?:abstract )?(?:class|interface|enum) (\w+)/gm)) toolTypes.add(m[1]);
}
const assembly = JSON.parse(fs.readFileSync(jsiiFile, 'utf8'));
for (const t of Object.values(assembly.types ?? {})) {
  if (toolTypes.has(t.name)) problems.push(`.jsii has ${t.fqn}, a type of the tools package (${pkg.name})`);
}
console.log(`${pack.filename}: ${(pack.size / 1e6).toFixed(2)} MB packed (${pack.size} bytes), ${(pack.unpackedSize / 1e6).toFixed(2)} MB unpacked (${pack.unpackedSize} bytes); `
  + `${files.length} files; dependencies ${JSON.stringify(pkg.dependencies ?? {})}, peers ${JSON.stringify(pkg.peerDependencies ?? {})}`);
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
NODE

# --- 3. consumers with the oldest and the newest aws-cdk-lib ------------------------------------
OLDEST="$(node -p 'require("semver").minVersion(require(process.argv[1]).peerDependencies["aws-cdk-lib"]).version' "$ROOT/package.json")"
NEWEST="$(npm view 'aws-cdk-lib@2' version --json --prefer-offline | node -e '
  const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).pop())')"
RANGE="$(node -p 'require(process.argv[1]).peerDependencies["aws-cdk-lib"]' "$ROOT/package.json")"
echo "aws-cdk-lib peer range $RANGE: oldest $OLDEST, newest 2.x $NEWEST; Python for the example image: $PYTHON"

# The reference training run's input: max_iter overridden by a JSON number.
RUN_INPUT='{"max_iter":50}'

cat > "$WORK/app.ts" <<'TS'
// A user's app (a fresh project outside the repository compiles it against the installed packages;
// kept here rather than in a .ts file of the repository, whose type-check and lint would resolve
// 'cdk-sagemaker-ml' to nothing): the repository's reference training workflow
// (bin/stacks/training-stack.ts: the example GLM image, its sample data and configuration;
// preprocess -> train -> evaluate -> quality gate -> model -> register, experiment tracking,
// weekly and new-data retraining) and a serverless endpoint, from the public API of the installed
// cdk-sagemaker-ml only. The example image's directory comes in as CONSUMER_GLM_IMAGE (the
// repository's containers/glm): a user would have their own.
//
// Run as `cdk synth` runs an app: CDK_OUTDIR=cdk.out node app.js. Schema validation is aws-cdk-lib's
// built-in CloudFormation validation, its findings errors (and its report, cdk.out/validation-report.json,
// must say it ran and found nothing). The construct path of the training
// workflow's state machine is written to state-machine.txt (beside app.js) for the local runtime.
import { App, CfnOutput, Duration, Size, Stack } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  BaselineDatasetFormat, ChannelDataSource, DataQualityBaselineStep, JobConfigFile, JobS3Location, MetricComparison, MlDataStore,
  MlflowTrackingServer, ModelData, ModelPackageGroup, MonitoringEngine, RetrainingOnNewData, RetrainingSchedule, SageMakerImage,
  SageMakerInstanceType, SageMakerModel, ServerlessEndpoint, TrainingWorkflow,
} from 'cdk-sagemaker-ml';

// The app is type-checked without @types/node (the consumer project installs aws-cdk-lib, constructs
// and the two packages only): the little of Node it uses, declared here.
declare const process: { env: Record<string, string | undefined> };
declare function require(id: string): any;
const fs = require('fs');

const imageDirectory = process.env.CONSUMER_GLM_IMAGE;
if (!imageDirectory) throw new Error('CONSUMER_GLM_IMAGE: the example GLM image directory (the repository\'s containers/glm)');
const outdir = process.env.CDK_OUTDIR;
if (!outdir) throw new Error('run as `cdk synth` runs an app: CDK_OUTDIR=cdk.out node app.js');

const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
const stack = new Stack(app, 'ConsumerMl', { env: { account: '123456789012', region: 'us-east-1' } });
const instanceType = SageMakerInstanceType.ML_M5_LARGE;

const store = new MlDataStore(stack, 'DataStore');
const { dataBucket, artifactsBucket } = store;
const image = SageMakerImage.fromAsset(imageDirectory);
const config = new JobConfigFile(stack, 'TrainingConfig', { path: `${imageDirectory}/sample/config.json` });
const rawData = JobS3Location.fromAsset(new s3assets.Asset(stack, 'SampleData', { path: `${imageDirectory}/sample/claims.csv` }));
const trackingServer = new MlflowTrackingServer(stack, 'Tracking', { artifactStore: JobS3Location.inBucket(artifactsBucket, 'mlflow') });

const processed = JobS3Location.perExecution(dataBucket, 'processed');
const models = JobS3Location.inBucket(artifactsBucket, 'models');
const evaluation = JobS3Location.perExecution(artifactsBucket, 'evaluation');
const modelPackageGroup = new ModelPackageGroup(stack, 'Models', { description: 'GLM claims models that passed the quality gate, pending approval' });

const workflow = new TrainingWorkflow(stack, 'TrainingWorkflow', {
  executionInputDefaults: { max_iter: '100', tol: '1e-8' },
  experimentTracking: { trackingServer, experimentName: 'glm-claims' },
  preprocess: {
    image,
    instanceType,
    containerEntrypoint: ['preprocess'],
    processingInputs: [
      { inputName: 'raw', source: rawData },
      { inputName: 'config', source: config.location },
    ],
    processingOutputs: [{ outputName: 'processed', destination: processed }],
    maxRuntime: Duration.hours(1),
  },
  train: {
    image,
    instanceType,
    volumeSize: Size.gibibytes(10),
    channels: [
      { channelName: 'train', source: ChannelDataSource.s3(processed.child('train')), contentType: 'text/csv' },
      { channelName: 'config', source: ChannelDataSource.s3(config.location), contentType: 'application/json' },
    ],
    hyperparameters: { max_iter: sfn.JsonPath.stringAt('$.max_iter'), tol: sfn.JsonPath.stringAt('$.tol') },
    metricDefinitions: [
      { name: 'train:deviance', regex: 'train_deviance=([-+0-9.eE]+)' },
      { name: 'train:aic', regex: 'train_aic=([-+0-9.eE]+)' },
    ],
    outputLocation: models,
    maxRuntime: Duration.hours(2),
  },
  evaluate: {
    image,
    instanceType,
    containerEntrypoint: ['evaluate'],
    processingInputs: [
      { inputName: 'validation', source: processed.child('validation'), localPath: '/opt/ml/processing/validation' },
      { inputName: 'config', source: config.location },
    ],
    processingOutputs: [{ outputName: 'evaluation', destination: evaluation }],
    maxRuntime: Duration.hours(1),
    reportOutputName: 'evaluation',
    gate: { metricPath: 'metrics.deviance_explained', comparison: MetricComparison.GREATER_THAN_OR_EQUAL, threshold: 0.2 },
  },
  register: { modelPackageGroup, contentTypes: ['text/csv'], responseContentTypes: ['application/json'] },
});
new RetrainingSchedule(stack, 'WeeklyRetraining', {
  stateMachine: workflow.stateMachine,
  schedule: scheduler.ScheduleExpression.expression('cron(0 3 ? * MON *)'),
  enabled: false,
});
new RetrainingOnNewData(stack, 'RetrainOnNewData', { stateMachine: workflow.stateMachine, bucket: dataBucket, prefix: 'incoming/', suffix: '_SUCCESS' });
new CfnOutput(stack, 'StateMachineArn', { value: workflow.stateMachine.stateMachineArn });

// A serverless endpoint for the models the workflow trains.
const model = new SageMakerModel(stack, 'Model', { image, modelData: ModelData.fromBucket(artifactsBucket, 'models/model.tar.gz') });
new ServerlessEndpoint(stack, 'Endpoint', { model, memorySizeInMB: 2048, maxConcurrency: 5 });

// A data-quality baseline on the library's own analysis script: a file asset the package ships
// beside its one module (dist/monitoring/analysis/data_quality.py).
new sfn.StateMachine(stack, 'BaselineWorkflow', {
  definitionBody: sfn.DefinitionBody.fromChainable(new DataQualityBaselineStep(stack, 'Baseline', {
    baselineDataset: JobS3Location.inBucket(dataBucket, 'baseline'),
    datasetFormat: BaselineDatasetFormat.csv(true),
    output: JobS3Location.inBucket(artifactsBucket, 'monitoring/baseline'),
    engine: MonitoringEngine.processingJob(),
  })),
});

const assembly = app.synth();
const template = assembly.getStackByName('ConsumerMl').template;
const types = Object.values<any>(template.Resources).map(r => r.Type);
for (const type of ['AWS::StepFunctions::StateMachine', 'AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint',
  'AWS::SageMaker::ModelPackageGroup', 'AWS::SageMaker::MlflowTrackingServer', 'AWS::Scheduler::Schedule']) {
  if (!types.includes(type)) throw new Error(`the synthesized template has no ${type}`);
}
// aws-cdk-lib's built-in CloudFormation validation ran on the assembly and found nothing (its
// errors fail the synthesis; this says it ran at all).
const report = JSON.parse(fs.readFileSync(`${assembly.directory}/validation-report.json`, 'utf8'));
const cfnValidate = (report.pluginReports ?? []).find((r: any) => r.pluginName === 'CloudFormation Validate');
if (!cfnValidate) throw new Error(`aws-cdk-lib's CloudFormation validation did not run (validation-report.json: ${JSON.stringify(report).slice(0, 300)})`);
if (cfnValidate.conclusion !== 'success' || cfnValidate.violations.length) {
  throw new Error(`CloudFormation validation: ${cfnValidate.conclusion}, ${JSON.stringify(cfnValidate.violations).slice(0, 1000)}`);
}
fs.writeFileSync('state-machine.txt', `${workflow.stateMachine.node.path}\n`);
console.log(`synthesized ConsumerMl into ${outdir}: ${types.length} resources, validated by CloudFormation Validate ${cfnValidate.pluginVersion} `
  + `(no violations, ${(cfnValidate.suppressedViolations ?? []).length} acknowledged); the training workflow's state machine is ${workflow.stateMachine.node.path}`);
TS

consumer() {
  local cdk="$1" dir="$WORK/consumer-$1"
  phase "install into a consumer with aws-cdk-lib $cdk"
  mkdir -p "$dir"
  cp "$WORK/app.ts" "$dir/app.ts"
  cat > "$dir/package.json" <<JSON
{ "name": "consumer-$cdk", "version": "1.0.0", "private": true, "license": "UNLICENSED" }
JSON
  cat > "$dir/tsconfig.json" <<'JSON'
{ "compilerOptions": { "strict": true, "target": "ES2022", "module": "commonjs", "moduleResolution": "node10",
  "skipLibCheck": true, "types": [], "outDir": "." }, "files": ["app.ts"] }
JSON
  (cd "$dir" && npm install --prefer-offline --no-audit --no-fund --loglevel=error \
    "aws-cdk-lib@$cdk" constructs "$TARBALL" "$LOCAL_TARBALL" > npm-install.log 2>&1) || { cat "$dir/npm-install.log"; die "npm install failed with aws-cdk-lib $cdk"; }
  (cd "$dir" && npm ls aws-cdk-lib constructs cdk-sagemaker-ml cdk-sagemaker-ml-local aws-local-stepfunctions) \
    || die "the consumer's dependency tree is invalid with aws-cdk-lib $cdk"
  local installed
  installed="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/aws-cdk-lib/package.json")"
  [ "$installed" = "$cdk" ] || die "asked for aws-cdk-lib $cdk, npm installed $installed"
  [ ! -d "$dir/node_modules/cdk-sagemaker-ml/node_modules" ] \
    || die "the construct package got packages of its own ($(ls "$dir/node_modules/cdk-sagemaker-ml/node_modules" | tr '\n' ' ')): peers not shared"
  [ ! -d "$dir/node_modules/cdk-sagemaker-ml-local/node_modules/aws-cdk-lib" ] || die "the tools package got its own aws-cdk-lib copy (peer not shared)"
  # Both packages load the app's aws-cdk-lib: the tools package reads the assembly the app wrote with it.
  node - "$dir" <<'NODE' || die "the packages do not share the consumer's aws-cdk-lib"
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const own = fs.realpathSync(path.join(dir, 'node_modules/aws-cdk-lib/package.json'));
for (const pkg of ['cdk-sagemaker-ml', 'cdk-sagemaker-ml-local']) {
  const resolved = fs.realpathSync(require.resolve('aws-cdk-lib/package.json', { paths: [fs.realpathSync(path.join(dir, 'node_modules', pkg))] }));
  if (resolved !== own) { console.error(`${pkg} loads ${resolved}, the app ${own}`); process.exit(1); }
}
NODE

  phase "type-check, compile and synthesize the consumer app (aws-cdk-lib $cdk)"
  (cd "$dir" && "$ROOT/node_modules/.bin/tsc" -p . && mkdir -p cdk.out \
    && CONSUMER_GLM_IMAGE="$ROOT/containers/glm" CDK_OUTDIR=cdk.out node app.js) || die "the consumer app failed with aws-cdk-lib $cdk"
  [ -s "$dir/state-machine.txt" ] || die "the consumer app did not name its training workflow's state machine (state-machine.txt)"
  local workflow
  workflow="$(cat "$dir/state-machine.txt")"

  phase "the packaged command: --help, run a missing state machine, cost (aws-cdk-lib $cdk)"
  local cli=./node_modules/.bin/cdk-sagemaker-ml-local
  [ -e "$dir/$cli" ] || die "the tools package installed no cdk-sagemaker-ml-local command (local/package.json bin)"
  (cd "$dir" && "$cli" --help > cli-help.txt 2>&1) || { cat "$dir/cli-help.txt"; die "cdk-sagemaker-ml-local --help failed"; }
  grep -q 'cdk-sagemaker-ml-local run' "$dir/cli-help.txt" && grep -q 'cdk-sagemaker-ml-local cost' "$dir/cli-help.txt" \
    || { cat "$dir/cli-help.txt"; die "cdk-sagemaker-ml-local --help does not describe its run and cost commands"; }
  echo "cdk-sagemaker-ml-local --help: ok ($(wc -l < "$dir/cli-help.txt") lines)"
  # The local runtime reads the user's cloud assembly: asked for a state machine the app does not
  # have, it must fail and name the one it has.
  if (cd "$dir" && "$cli" run --app cdk.out --state-machine ConsumerMl/NoSuchWorkflow > cli-missing.txt 2>&1); then
    cat "$dir/cli-missing.txt"; die "cdk-sagemaker-ml-local run accepted a state machine the app does not have"
  fi
  grep -qF "$workflow" "$dir/cli-missing.txt" \
    || { cat "$dir/cli-missing.txt"; die "cdk-sagemaker-ml-local run did not read the app's cloud assembly (no $workflow in its answer)"; }
  echo "cdk-sagemaker-ml-local run (missing state machine): $(head -c 200 "$dir/cli-missing.txt")"
  (cd "$dir" && "$cli" cost --app cdk.out --region us-east-1 > cli-cost.txt 2>&1) || { cat "$dir/cli-cost.txt"; die "cdk-sagemaker-ml-local cost failed"; }
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$dir/cdk.out/ConsumerMl.cost.json" 2> /dev/null \
    || { cat "$dir/cli-cost.txt"; die "cdk-sagemaker-ml-local cost wrote no cdk.out/ConsumerMl.cost.json"; }
  cat "$dir/cli-cost.txt"

  phase "the packaged command: run the training workflow locally (aws-cdk-lib $cdk)"
  local status=0
  (cd "$dir" && "$cli" run --app cdk.out --state-machine "$workflow" --input "$RUN_INPUT" --python "$PYTHON" --timeout-seconds 900 > cli-run.txt 2>&1) || status=$?
  if [ "$status" != 0 ] || ! grep -q 'SUCCEEDED' "$dir/cli-run.txt"; then
    tail -40 "$dir/cli-run.txt"; die "cdk-sagemaker-ml-local run $workflow exited $status (the execution must end SUCCEEDED, exit 0)"
  fi
  tail -15 "$dir/cli-run.txt"
}

if [ -n "${CONSUMER_CDK_VERSIONS:-}" ]; then
  for v in $CONSUMER_CDK_VERSIONS; do consumer "$v"; done
else
  consumer "$OLDEST"
  [ "$NEWEST" = "$OLDEST" ] || consumer "$NEWEST"
fi
phase "consumer check passed"
echo "phases:"
printf '%s\n' "${PHASES[@]}"
echo "total ${SECONDS}s"
