#!/usr/bin/env node
// First, so that the validation engine loads on its worker thread while the modules below do.
// eslint-disable-next-line import/order
import { schemaValidation } from './schema-validation';
import { performance } from 'perf_hooks';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { writePhaseTimes } from './phase-times';
import { addReferenceStacks } from './reference-app';
// The cost estimate's own module: the tools package's index loads the local runtime too (about 0.2 s).
import { CostEstimate } from '../local/src/cost/cost-estimate';

const loaded = performance.now();

// The reference app: one deployable stack per capability, all reviewed at synth by cdk-nag's
// AwsSolutions, HIPAA Security, NIST 800-53 rev 5 and PCI DSS 3.2.1 packs (an unacknowledged
// finding fails `cdk synth`).
const app = new App();
// Schema validation after the packs, so that they run while the worker validates.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app),
  schemaValidation,
);

addReferenceStacks(app, { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
const defined = performance.now();

const assembly = app.synth();
const synthesized = performance.now();

// The SageMaker capacity each stack provisions and what it costs idle and per run, from the
// bundled, dated on-demand prices: a table on stderr and <stack>.cost.json beside the
// templates. Stacks synthesized without a Region (no AWS configuration) are priced in
// us-east-1, and the table says so.
const estimate = CostEstimate.fromAssembly(assembly, { region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' });
estimate.writeTo(assembly.directory);
console.error(estimate.toTable());

// Where the synth's time went (the benchmark reads it): only with BENCH_PHASE_TIMES=1.
writePhaseTimes(assembly.directory, { loaded, defined, synthesized, validationWaitMs: schemaValidation._waitedMs });
