import { awscdk, javascript } from 'projen';

// The one place the CDK version is pinned; the alpha module and the CLI are derived from it.
const CDK_VERSION = '2.276.0';
// The newest reachable alpha release; it is compatible with any aws-cdk-lib >= its own version.
const SAGEMAKER_ALPHA_VERSION = '2.159.1-alpha.0';
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

  cdkVersion: CDK_VERSION,
  cdkVersionPinning: true,
  constructsVersion: '10.8.1',
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~5.9.3',
  minNodeVersion: '20.16.0',

  // Most SageMaker users write Python: jsii checks every public API is expressible there.
  publishToPypi: { distName: 'cdk-sagemaker-ml', module: 'cdk_sagemaker_ml' },

  srcdir: 'lib',
  libdir: 'dist',
  entrypoint: 'dist/index.js',
  artifactsDirectory: 'dist-pkg',

  // The local runtime (`cdk-sagemaker-ml local`) is part of the published package: its ASL
  // interpreter ships inside the tarball (jsii requires non-jsii runtime dependencies to be bundled).
  bundledDeps: ['aws-local-stepfunctions@3.0.0'],
  // `npx cdk-sagemaker-ml local --app cdk.out --state-machine <stack>/<path>`: the local runtime's command.
  bin: { 'cdk-sagemaker-ml': 'dist/local/cli.js' },
  peerDeps: [`@aws-cdk/aws-sagemaker-alpha@${SAGEMAKER_ALPHA_VERSION}`, 'cdk-nag@^3.0.2'],
  devDeps: [
    `@aws-cdk/aws-sagemaker-alpha@${SAGEMAKER_ALPHA_VERSION}`,
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
    // Integration tests (test/integ.*.ts): deployable assertions; their snapshots are checked in CI.
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
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
    },
  },
  // test/tsconfig.json: what ts-jest compiles and `tsc` type-checks before the tests run.
  tsconfigDev: {
    include: ['../bin/**/*.ts', '../lib/**/*.ts'],
    compilerOptions: {},
  },
  gitignore: ['cdk.out', '.cdk.staging', 'bench/results.json', '.ci/timings.json'],
  npmIgnoreOptions: { ignorePatterns: ['bin', 'cdk.out', '.cache', 'containers', 'bench', '.ci'] },
});

// projen's eslint adds eslint-import-resolver-typescript unpinned; 3.7+ pulls unrs-resolver, whose
// per-platform binaries this registry lacks, so the lock file misses them and `npm ci` fails.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@3.6.3');

// `npm run bench` (not part of `npm test`; `-- --quick` for synth only, one round): `cdk synth` against the
// floor, the N-scaling curve with and without the policy packs, `npm test` and the `.ci/run` phases.
project.addTask('bench', { description: 'Benchmark synthesis and tests', exec: 'ts-node --transpile-only bench/bench.ts', receiveArgs: true });
project.tsconfigDev.addInclude('../bench/**/*.ts');
project.tsconfigDev.addInclude('../scripts/**/*.ts');

// `npm run launch -- train --state-machine-arn <arn> --set max_iter=50`: start and follow a training run.
project.addTask('launch', { description: 'Start the training workflow and follow it', exec: 'ts-node --transpile-only bin/launch.ts', receiveArgs: true });

// `npm run local -- SageMakerMlTraining`: synthesize the reference app into a temporary folder and
// run its training workflow locally (process runner, sample data); exits non-zero when the run fails.
project.addTask('local', { description: 'Run a reference state machine locally', exec: 'ts-node --transpile-only lib/local/cli.ts local --synth', receiveArgs: true });

// `npm run readme`: the README's Mermaid diagrams and cost table, from the synthesized reference app.
project.addTask('readme', { description: 'Regenerate the README diagrams and cost table', exec: 'ts-node --transpile-only scripts/readme.ts' });

// The reference app: `npx cdk synth` synthesizes every reference stack with cdk-nag checks.
// bin/ts-run.js transpiles as ts-node --transpile-only does, and keeps the output in .cache/ (by content):
// a later synth loads no compiler (about a sixth of the reference app's synth time), with no build step.
new awscdk.CdkConfig(project, {
  app: 'node bin/ts-run.js bin/app.ts',
  featureFlags: awscdk.CdkFeatureFlagsV2.ALL,
  // Templates that fail CloudFormation's resource schemas fail synth rather than deploy.
  context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
  watchIncludes: ['bin/**/*.ts', 'lib/**/*.ts'],
});

// Tests run through ts-jest with isolated modules (fast, no type-check): type-check them first.
const testTask = project.tasks.tryFind('test')!;
testTask.prependExec('tsc -p test/tsconfig.json --noEmit');

project.synth();
