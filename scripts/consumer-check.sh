#!/usr/bin/env bash
# Installs the library the way a user gets it and uses it from a CDK app of their own:
#
#   1. `npm pack` the compiled library (run `npx projen compile` first, or pass --compile), and
#      check the tarball's file list: the compiled JavaScript and typings, the jsii assembly, the
#      README, LICENSE and API.md, the bundled local-runtime interpreter; nothing else (no tests,
#      sources, containers, scripts, docs, build outputs of other targets);
#   2. for the oldest aws-cdk-lib of the peer range (package.json) and the newest 2.x release: a
#      fresh consumer project outside the repository (its own package.json) installs that
#      aws-cdk-lib and the tarball (npm resolves the peers as a user's npm would: a conflict fails
#      here with ERESOLVE), type-checks a small TypeScript app against the installed typings,
#      compiles it and synthesizes it with node as `cdk synth` runs an app (CDK_OUTDIR): a
#      training workflow and a serverless endpoint, schema validation on the worker thread of
#      BackgroundCloudFormationValidatePlugin, which must have validated the assembly early;
#   3. runs the packaged `cdk-sagemaker-ml` command (`--help`).
#
#   scripts/consumer-check.sh [--compile] [--keep]
#   CONSUMER_CDK_VERSIONS="2.268.0 2.269.0" scripts/consumer-check.sh   # other aws-cdk-lib versions
#
# Needs the npm registry (installs use --prefer-offline, so a warm cache is enough). Prints the
# time of each phase; about 3-6 minutes on this project's 2-core machine with a warm npm cache.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# The package's `bin` (cdk-sagemaker-ml -> dist/local/cli.js) must be there and answer --help with
# exit 0; REQUIRE_CLI=0 skips the packaged command's check when it is missing.
REQUIRE_CLI="${REQUIRE_CLI:-1}"

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
phase() { echo "== [${SECONDS}s] $*"; }
die() { echo "consumer-check: $*" >&2; exit 1; }

if [ "$COMPILE" = 1 ]; then phase "compile"; npx projen compile; fi
[ -f .jsii ] && [ -f dist/index.js ] || die "no compiled library (.jsii, dist/index.js): run npx projen compile first, or pass --compile"

# --- 1. the tarball --------------------------------------------------------------------------
phase "npm pack"
npm pack --pack-destination "$WORK" --json --silent > "$WORK/pack.json"
TARBALL="$WORK/$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")"
node - "$WORK/pack.json" "$ROOT/package.json" <<'NODE'
// What a user needs and nothing else.
const [packJson, pkgJson] = process.argv.slice(2);
const pack = require(packJson)[0];
const pkg = require(pkgJson);
const files = pack.files.map(f => f.path);
const allowed = [
  /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^API\.md$/, /^\.jsii$/,
  /^dist\/.+\.(js|d\.ts)$/,
  /^dist\/.+\.json$/, // data the compiled code loads (e.g. bundled price lists), if any
];
// Bundled dependencies (the local runtime's interpreter and what it needs) ship under node_modules/.
const bundled = pack.bundled ?? [];
const inBundled = f => bundled.some(name => f.startsWith(`node_modules/${name}/`));
const unexpected = files.filter(f => !allowed.some(re => re.test(f)) && !inBundled(f));
const required = ['package.json', 'README.md', 'LICENSE', '.jsii', 'dist/index.js', 'dist/index.d.ts',
  ...Object.values(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : pkg.bin ?? {}).map(p => p.replace(/^\.\//, ''))];
const missing = required.filter(f => !files.includes(f));
const problems = [
  ...unexpected.map(f => `unexpected file in the tarball: ${f}`),
  ...missing.map(f => `missing from the tarball: ${f}`),
  ...(pkg.bundledDependencies ?? []).filter(d => !bundled.includes(d)).map(d => `bundled dependency not in the tarball: ${d}`),
];
const own = files.filter(f => !inBundled(f));
const modules = own.filter(f => f.startsWith('dist/') && f.endsWith('.js'));
console.log(`${pack.filename}: ${(pack.size / 1024).toFixed(0)} KB packed, ${(pack.unpackedSize / 1024).toFixed(0)} KB unpacked; `
  + `${own.length} files of its own (${modules.length} compiled modules), ${files.length - own.length} bundled (${bundled.length} packages: ${(pkg.bundledDependencies ?? []).join(', ')} and what they need)`);
if (problems.length) {
  console.error(problems.slice(0, 30).join('\n') + (problems.length > 30 ? `\n... and ${problems.length - 30} more` : ''));
  process.exit(1);
}
NODE

# The Python package's requirement on aws-cdk-lib is the jsii assembly's, from the peer range.
node -e '
  const deps = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).dependencies ?? {};
  const peers = require(process.argv[2]).peerDependencies ?? {};
  for (const [name, range] of Object.entries(peers)) if (deps[name] !== range) { console.error(`.jsii dependency ${name}: ${deps[name]}, package.json peer: ${range} (recompile)`); process.exit(1); }
  const extra = Object.keys(deps).filter(d => !(d in peers) && !(require(process.argv[2]).bundledDependencies ?? []).includes(d));
  if (extra.length) { console.error(`.jsii depends on ${extra.join(", ")}, which are not peers`); process.exit(1); }
  console.log(`.jsii dependencies: ${JSON.stringify(deps)}`);' "$ROOT/.jsii" "$ROOT/package.json"

# --- 2. consumers with the oldest and the newest aws-cdk-lib ------------------------------------
OLDEST="$(node -p 'require("semver").minVersion(require(process.argv[1]).peerDependencies["aws-cdk-lib"]).version' "$ROOT/package.json")"
NEWEST="$(npm view 'aws-cdk-lib@2' version --json --prefer-offline | node -e '
  const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).pop())')"
RANGE="$(node -p 'require(process.argv[1]).peerDependencies["aws-cdk-lib"]' "$ROOT/package.json")"
echo "aws-cdk-lib peer range $RANGE: oldest $OLDEST, newest 2.x $NEWEST"

cat > "$WORK/app.ts" <<'TS'
// A user's app: a training workflow and a serverless endpoint, from the installed package.
import { App, CfnWaitConditionHandle, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import {
  BackgroundCloudFormationValidatePlugin, ChannelDataSource, JobS3Location, MlDataStore, ModelData, SageMakerImage, SageMakerModel,
  ServerlessEndpoint, TrainingWorkflow,
} from 'cdk-sagemaker-ml';

// Run as `cdk synth` runs an app: CDK_OUTDIR=cdk.out (the App writes there).
// Schema validation on a worker thread (the installed aws-cdk-lib's own plugin, run there),
// constructed first; under cdk synth it validates the cloud assembly as soon as it is written.
const validation = new BackgroundCloudFormationValidatePlugin();
const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
// A plugin before it that waits (at most a minute) until the worker has validated the assembly,
// as cdk-nag's packs give it time to in a real app.
const waited = new Int32Array(new SharedArrayBuffer(4));
const waitForWorker = {
  name: 'WaitForWorker',
  validate: () => {
    for (let i = 0; i < 600 && (validation as any)._earlyValidations() === 0; i++) Atomics.wait(waited, 0, 0, 100);
    return { success: true, violations: [] };
  },
};
Validations.of(app).addPlugins(waitForWorker, validation);
const stack = new Stack(app, 'ConsumerMl', { env: { account: '123456789012', region: 'eu-west-1' } });
// A second stack, defined after the one that depends on it: aws-cdk-lib hands the plugins the
// stacks dependencies first, not in the order they were defined.
const base = new Stack(app, 'ConsumerMlBase', { env: { account: '123456789012', region: 'eu-west-1' } });
new CfnWaitConditionHandle(base, 'Nothing');
stack.addDependency(base);
const store = new MlDataStore(stack, 'Store');
const image = SageMakerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'team/model'), 'v1');
new TrainingWorkflow(stack, 'Workflow', {
  train: {
    image,
    instanceType: 'ml.m5.large',
    channels: [{ channelName: 'train', source: ChannelDataSource.s3(JobS3Location.inBucket(store.dataBucket, 'train')) }],
    outputLocation: JobS3Location.inBucket(store.artifactsBucket, 'models'),
    maxRuntime: Duration.hours(1),
  },
});
const model = new SageMakerModel(stack, 'Model', { image, modelData: ModelData.fromBucket(store.artifactsBucket, 'models/model.tar.gz') });
new ServerlessEndpoint(stack, 'Endpoint', { model, memorySizeInMB: 2048, maxConcurrency: 5 });

const template = app.synth().getStackByName('ConsumerMl').template;
const types = Object.values<any>(template.Resources).map(r => r.Type);
for (const type of ['AWS::StepFunctions::StateMachine', 'AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint']) {
  if (!types.includes(type)) throw new Error(`the synthesized template has no ${type}`);
}
const validatedOn = (validation as any)._validatedOn;
if (validatedOn !== 'worker') throw new Error(`CloudFormation validation ran on the ${validatedOn}, not on the worker thread`);
if ((validation as any)._validatedEarly !== true) throw new Error('the worker did not validate the cloud assembly before it was asked (or its report was not of the stacks asked about)');
console.log(`synthesized ConsumerMl: ${types.length} resources, validated on a worker thread by CloudFormation Validate ${validation.version}, before aws-cdk-lib asked`);
TS

consumer() {
  local cdk="$1" dir="$WORK/consumer-$1"
  phase "consumer with aws-cdk-lib $cdk"
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
    "aws-cdk-lib@$cdk" "$TARBALL" > npm-install.log 2>&1) || { cat "$dir/npm-install.log"; die "npm install failed with aws-cdk-lib $cdk"; }
  (cd "$dir" && npm ls aws-cdk-lib constructs cdk-sagemaker-ml) || die "the consumer's dependency tree is invalid with aws-cdk-lib $cdk"
  local installed
  installed="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/aws-cdk-lib/package.json")"
  [ "$installed" = "$cdk" ] || die "asked for aws-cdk-lib $cdk, npm installed $installed"
  [ ! -d "$dir/node_modules/cdk-sagemaker-ml/node_modules/aws-cdk-lib" ] || die "the library got its own aws-cdk-lib copy (peer not shared)"
  phase "type-check, compile and synthesize the consumer app (aws-cdk-lib $cdk)"
  (cd "$dir" && "$ROOT/node_modules/.bin/tsc" -p . && mkdir -p cdk.out && CDK_OUTDIR=cdk.out node app.js) || die "the consumer app failed with aws-cdk-lib $cdk"

  phase "the packaged command (aws-cdk-lib $cdk)"
  if [ -e "$dir/node_modules/.bin/cdk-sagemaker-ml" ]; then
    (cd "$dir" && ./node_modules/.bin/cdk-sagemaker-ml --help > cli-help.txt 2>&1) || { cat "$dir/cli-help.txt"; die "cdk-sagemaker-ml --help failed"; }
    grep -q 'local' "$dir/cli-help.txt" || { cat "$dir/cli-help.txt"; die "cdk-sagemaker-ml --help does not mention the local command"; }
    echo "cdk-sagemaker-ml --help: ok ($(wc -l < "$dir/cli-help.txt") lines)"
    # The packaged local runtime reads the user's cloud assembly: asked for a state machine the app
    # does not have, it must fail and name the one it has.
    if (cd "$dir" && ./node_modules/.bin/cdk-sagemaker-ml local --app cdk.out --state-machine ConsumerMl/NoSuchWorkflow > cli-local.txt 2>&1); then
      cat "$dir/cli-local.txt"; die "cdk-sagemaker-ml local accepted a state machine the app does not have"
    fi
    grep -q 'ConsumerMl/Workflow' "$dir/cli-local.txt" || { cat "$dir/cli-local.txt"; die "cdk-sagemaker-ml local did not read the app's cloud assembly (no ConsumerMl/Workflow in its answer)"; }
    echo "cdk-sagemaker-ml local: reads the app's cloud assembly ($(head -c 160 "$dir/cli-local.txt"))"
  elif [ "$REQUIRE_CLI" = 1 ]; then
    die "the package has no cdk-sagemaker-ml command (package.json bin)"
  else
    echo "SKIPPED: the package has no cdk-sagemaker-ml command (REQUIRE_CLI=0)"
  fi
}

if [ -n "${CONSUMER_CDK_VERSIONS:-}" ]; then
  for v in $CONSUMER_CDK_VERSIONS; do consumer "$v"; done
else
  consumer "$OLDEST"
  [ "$NEWEST" = "$OLDEST" ] || consumer "$NEWEST"
fi
phase "consumer check passed"
