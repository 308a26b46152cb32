import { awscdk, javascript } from 'projen';

// What users install beside: a range, so the library fits the CDK version a team already has.
// The floor is the oldest aws-cdk-lib the library really works with. `Validations.of(c).acknowledge()`
// (lib/private/nag.ts) exists from 2.252.0 (lib/ type-checks against it, not against 2.251.0:
// scripts/cdk-floor.sh), but before 2.269.0 it throws InvalidValidationId on an id with more than one
// `::`, as every `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:...]` acknowledgement has: found by
// scripts/consumer-check.sh, which installs the packed library with this floor and with the newest 2.x
// and synthesizes an app with each. Raise it when lib/ starts using a newer API.
const CDK_MIN_VERSION = '2.269.0';
// What this repository develops, tests and snapshots against (devDependency).
const CDK_VERSION = '2.276.0';
// aws-cdk-lib 2.269.0 itself requires constructs ^10.5.0: a looser floor could never be installed.
const CONSTRUCTS_MIN_VERSION = '10.5.0';
const CONSTRUCTS_VERSION = '10.8.1';
// The CLI's `latest` tag on this registry is an old 3.0.0 that cannot read 2.276's cloud assembly.
const CDK_CLI_VERSION = '2.1148.1';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-sagemaker-ml',
  description: 'AWS CDK constructs for machine learning on Amazon SageMaker: images, data stores, least-privilege roles, training and processing workflows, and hosting.',
  author: 'cdk-sagemaker-ml developers',
  authorAddress: 'cdk-sagemaker-ml@users.noreply.github.com',
  repositoryUrl: 'https://github.com/cdk-sagemaker-ml/cdk-sagemaker-ml.git',
  keywords: ['aws', 'cdk', 'sagemaker', 'machine-learning', 'step-functions', 'mlops'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  projenVersion: '0.103.25',
  packageManager: javascript.NodePackageManager.NPM,

  // Peers `aws-cdk-lib ^2.269.0` (>=2.269.0 <3) and `constructs ^10.5.0`; development uses the pinned
  // versions below (devDeps) rather than projen's default of the range's minimum.
  cdkVersion: CDK_MIN_VERSION,
  cdkVersionPinning: false,
  constructsVersion: CONSTRUCTS_MIN_VERSION,
  peerDependencyOptions: { pinnedDevDependency: false },
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~5.9.3',
  minNodeVersion: '20.16.0',

  // Most SageMaker users write Python: jsii checks every public API is expressible there.
  publishToPypi: { distName: 'cdk-sagemaker-ml', module: 'cdk_sagemaker_ml' },

  // The published JavaScript carries no inline source maps (they were 0.9 MB of the 2 MB dist/: a
  // user's install pays for them, and stack traces into the library's constructs read well without).
  // Tests and the reference app's runner (bin/ts-run.js) keep their own inline maps.
  tsconfig: { compilerOptions: { inlineSourceMap: false, inlineSources: false } },
  srcdir: 'lib',
  libdir: 'dist',
  entrypoint: 'dist/index.js',
  artifactsDirectory: 'dist-pkg',

  // Constructs only: no bundled dependencies, no command. The local runtime and the cost estimate are
  // their own package in this repository (local/, `cdk-sagemaker-ml-local`, an npm workspace below).
  // bin/ is the reference app, not commands of the package.
  autoDetectBin: false,
  // No other peers: the published code (dist/) imports neither cdk-nag nor @aws-cdk/aws-sagemaker-alpha.
  // cdk-nag is what the reference app, tests and README examples register (`Validations.of(app)
  // .addPlugins(...)`): a user who wants the reviews installs it in their app. The sagemaker-alpha
  // module had no role (nothing imports it, no test shows interop) and, as a prerelease, a pin on it
  // matched one version only (npm ERESOLVE for every other CDK version): removed.
  devDeps: [
    `aws-cdk-lib@${CDK_VERSION}`,
    'cdk-nag@3.0.2',
    `aws-cdk@${CDK_CLI_VERSION}`,
    'ts-node@10.9.2',
    // Deploy-readiness checks without an AWS account (test/compliance):
    'asl-validator@4.0.0',
    '@cdklabs/cdk-validator-cfnguard@0.0.62',
    '@aws-sdk/client-sagemaker@3.1142.0',
    'fast-check@4.10.2',
    // IAM sufficiency checks: the documented run-time calls evaluated against the synthesized policies.
    '@cloud-copilot/iam-simulate@0.1.173',
    // The launcher in bin/ (a developer command, not part of the library).
    '@aws-sdk/client-sfn@3.1142.0',
    // The launcher's `--stack`: the state machine ARN from a stack output.
    '@aws-sdk/client-cloudformation@3.1142.0',
    // Integration tests (test/integ.*.ts): deployable assertions; their snapshots are checked in CI.
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    // test/workflow/deploy-stage.local.test.ts drives the ASL interpreter directly (the tools package
    // depends on it; the construct package does not).
    'aws-local-stepfunctions@3.0.0',
    // The package's compiled modules as one module (scripts/bundle-package.ts, after jsii in the compile task).
    'esbuild@0.28.2',
  ],

  // No hosted CI or release pipeline: `.ci/run` is the gate.
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  sampleCode: false,
  docgen: true,

  jestOptions: {
    jestVersion: '^29',
    // The default (ALL) rewrites changed snapshots silently; `npx projen test:update` updates them on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      collectCoverage: false,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // A worker that ran the property search holds 1.4-1.7 GB, and every later file then spends
      // 7-12 s instead of 1-1.5 s building aws-cdk-lib's validation engine: recycle it instead.
      workerIdleMemoryLimit: '800MB',
      // Both cores: most of a test file's time is loading and transpiling, which parallelizes.
      maxWorkers: 2,
      // The longest files first, also in a fresh clone (no cached durations): test/sequencer.js.
      testSequencer: '<rootDir>/test/sequencer.js',
      // Not --liftoff-only as bin/ts-run.js sets for one `cdk synth`: over the thousands of
      // validations of the bad-input search V8's optimizing tier pays off (hosting.property at
      // CI=1: 41 and 39 CPU s with it, 45 and 43 with Liftoff only, paired runs).
    },
  },
  // test/tsconfig.json: what ts-jest compiles and `tsc` type-checks before the tests run.
  tsconfigDev: {
    include: ['../bin/**/*.ts', '../lib/**/*.ts'],
    compilerOptions: {},
  },
  gitignore: ['cdk.out', '.cdk.staging', 'bench/results.json', '.ci/timings.json'],
  // The tarball: dist/ (JavaScript and typings), .jsii, README, LICENSE and API.md;
  // scripts/consumer-check.sh fails on anything else.
  npmIgnoreOptions: {
    ignorePatterns: ['bin', 'cdk.out', '.cache', 'containers', 'bench', '.ci', 'scripts', 'docs', 'cdk.json', 'API.python.md', '.jsii.tabl.json', 'dist-pkg', 'local'],
  },
});

// projen's eslint adds eslint-import-resolver-typescript unpinned; 3.7+ pulls unrs-resolver, whose
// per-platform binaries this registry lacks, so the lock file misses them and `npm ci` fails.
project.deps.removeDependency('eslint-import-resolver-typescript');
// After the constructor: projen's CDK setup replaces any earlier `constructs` build dependency.
project.addDevDeps(`constructs@${CONSTRUCTS_VERSION}`);
project.addDevDeps('eslint-import-resolver-typescript@3.6.3');

// Typed linting (no-floating-promises, return-await) on one TypeScript program for lib/ and test/:
// test/tsconfig.json includes lib/, bin/, bench/ and scripts/. projen's project service built one program
// per nearest tsconfig (the root one for lib/, test's for test/): about 8 of eslint's 41 CPU seconds.
// .projenrc.ts is in projenrc/tsconfig.json's program.
// The reference app, the launcher, the benchmark and the repository's scripts are linted too
// (they are TypeScript users read and run); they may use dev dependencies (cdk-nag, the SDKs).
for (const dir of ['bin', 'bench', 'scripts']) {
  project.eslint!.addLintPattern(dir);
  project.eslint!.allowDevDeps(`${dir}/**`);
}
const eslintrc = project.tryFindObjectFile('.eslintrc.json')!;
eslintrc.addDeletionOverride('parserOptions.projectService');
eslintrc.addOverride('parserOptions.project', ['./test/tsconfig.json', './projenrc/tsconfig.json']);

// `npm run bench` (not part of `npm test`; `-- --quick` for synth only, one round): `cdk synth` against the
// floor, the N-scaling curve with and without the policy packs, `npm test` and the `.ci/run` phases.
project.addTask('bench', { description: 'Benchmark synthesis and tests', exec: 'ts-node --transpile-only bench/bench.ts', receiveArgs: true });
project.tsconfigDev.addInclude('../bench/**/*.ts');
project.tsconfigDev.addInclude('../scripts/**/*.ts');

// `npm run launch -- train --state-machine-arn <arn> --set max_iter=50`: start and follow a training run.
project.addTask('launch', { description: 'Start the training workflow and follow it', exec: 'ts-node --transpile-only bin/launch.ts', receiveArgs: true });

// MonitoringEngine.processingJob()'s analysis script (Python, run by SageMaker's scikit-learn
// container) is a file asset of the construct package: jsii compiles only TypeScript, so the
// compile task copies it beside the compiled monitoring module (dist/monitoring/analysis/), and the
// package ships it (consumer-check fails without it).
project.compileTask.exec('mkdir -p dist/monitoring/analysis && cp lib/monitoring/analysis/data_quality.py dist/monitoring/analysis/');
project.npmignore?.addPatterns('!/dist/monitoring/analysis/data_quality.py');
// Install time is mostly per file (issue 26: a one-file tarball installs as fast as the alpha module;
// 241 files cost about 2 ms each). After jsii (which rebuilds dist/ whole: no incremental build info),
// scripts/bundle-package.ts writes the compiled modules as one module (dist/index.js, esbuild, with
// aws-cdk-lib and constructs left as imports), the file `main` names, and leaves in dist/ only what
// ships: that module, the typings dist/index.d.ts reaches (jsii's per-module layout) and the analysis
// script. The typings keep jsii's layout: jsii-rosetta (the README's Python examples here, Construct
// Hub's translations) finds each type by its declaration's file (the assembly's symbol IDs,
// lib/<module>:<Type>); a rolled-up index.d.ts (API Extractor) installed in 1.08x the alpha module's
// time, but left rosetta guessing all 125 names of the README's examples.
project.compileTask.exec('ts-node --transpile-only scripts/bundle-package.ts');
// API.md (1.5 MB, generated from the jsii assembly the package ships) is read in the repository and
// on Construct Hub, not from node_modules: leaving it out keeps the package within its 4 MB bound
// (issue 21) as the API grows.
project.npmignore?.addPatterns('/API.md');

// The tools package (local/: `cdk-sagemaker-ml-local`, plain TypeScript on Node, not jsii): the local
// runtime and the cost estimate. An npm workspace of this repository, so `npm ci` installs its
// dependencies and links it for the tests and the reference app; the construct package neither depends
// on it nor ships it (.npmignore). `npm pack -w local` builds and packs it (its prepack runs tsc).
project.package.addField('workspaces', ['local']);
project.tsconfigDev.addInclude('../local/src/**/*.ts');
project.eslint!.addLintPattern('local/src');

// `npm run local -- SageMakerMlTraining`: synthesize the reference app into a temporary folder and
// run its training workflow locally (process runner, sample data); exits non-zero when the run fails.
project.addTask('local', { description: 'Run a reference state machine locally', exec: 'ts-node --transpile-only local/src/cli.ts run --synth', receiveArgs: true });

// `npm run readme`: the README's Mermaid diagrams and cost table, from the synthesized reference app.
project.addTask('readme', { description: 'Regenerate the README diagrams and cost table', exec: 'ts-node --transpile-only scripts/readme.ts' });

// `npm run readme:python`: each README TypeScript example's Python translation (jsii-rosetta); CI checks it is current.
project.addTask('readme:python', { description: 'Translate the README examples to Python', exec: 'ts-node --transpile-only scripts/readme-python.ts' });

// `npm run consumer-check`: pack the library and use it from fresh apps with the oldest and newest aws-cdk-lib.
project.addTask('consumer-check', { description: 'Install the packed library into fresh consumer apps and synthesize them', exec: 'scripts/consumer-check.sh', receiveArgs: true });

// `npm run docgen:python`: the Python API reference beside API.md (after `npx projen compile`); CI checks it is current.
project.addTask('docgen:python', { description: 'Generate API.python.md', exec: 'jsii-docgen -l python -o API.python.md' });
project.gitattributes.addAttributes('/API.python.md', 'linguist-generated');

// The reference app: `npx cdk synth` synthesizes every reference stack with cdk-nag checks.
// bin/ts-run.js transpiles as ts-node --transpile-only does, and keeps the output in .cache/ (by content):
// a later synth loads no compiler (about a sixth of the reference app's synth time), with no build step.
//
// --single-threaded-gc: V8 collects garbage on the thread that made it, without helper threads (it
// can only be set when Node starts: v8.setFlagsFromString crashes a running process with it). The
// validation engine's worker grows its WebAssembly memory again and again, and each time V8 starts
// a concurrent old-space collection whose helper threads take the cores the app and the worker
// need (88 full collections in one validation of the reference templates; 18 with the flag). On
// this 2-core machine the reference app's synth went from 4.8 to 3.5 s wall and its process from
// 6.0 to 3.9 CPU s, its wait for the validation worker from about 700 to 50 ms (3 alternating pairs;
// bench/NOTES.md). bench/ runs its scenarios with this same command line.
new awscdk.CdkConfig(project, {
  app: 'node --single-threaded-gc bin/ts-run.js bin/app.ts',
  featureFlags: awscdk.CdkFeatureFlagsV2.ALL,
  // Templates that fail CloudFormation's resource schemas fail synth rather than deploy.
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
  watchIncludes: ['bin/**/*.ts', 'lib/**/*.ts'],
});

// Tests run through ts-jest with isolated modules (fast, no type-check): the type-check and eslint run
// side by side, then jest (test/run-tests.js; its arguments go to jest). One after the other around
// jest they left a core idle for 30 s (test/compliance/property/PERFORMANCE.md, "npm test").
const testTask = project.tasks.tryFind('test')!;
testTask.reset('node test/run-tests.js', { receiveArgs: true });

project.synth();
