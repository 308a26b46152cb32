import * as fs from 'fs';
import * as path from 'path';

/**
 * The README's policy-review section lists every acknowledgement a composition can receive:
 * each acknowledged finding id in lib/ is named there, and each place that acknowledges or
 * registers a wildcard is described. A new acknowledgement fails this test until documented.
 */

const ROOT = path.join(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('\n## Policy review\n'), readme.indexOf('\n## ', readme.indexOf('\n## Policy review\n') + 5));

function sources(dir: string): [string, string][] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory()
    ? sources(path.join(dir, e.name))
    : e.name.endsWith('.ts') ? [[path.relative(ROOT, path.join(dir, e.name)), fs.readFileSync(path.join(dir, e.name), 'utf8')] as [string, string]] : []);
}
const lib = sources(path.join(ROOT, 'lib')).filter(([file]) => file !== path.join('lib', 'private', 'nag.ts'));

/** Where the library acknowledges `AwsSolutions-IAM5[Resource::*]` or registers wildcards, and how the README names it. */
const PLACES: Record<string, string[]> = {
  'lib/roles/sagemaker-execution-role.ts': ['**runtime policy**', '**VPC access policy**', '`log-group:/aws/sagemaker/*`'],
  'lib/workflows/private/observable-state-machine.ts': ["**state machine role's policy**"],
  'lib/domain/team-domain.ts': ['**Studio policy**', '`user-profile/<domain id>/*`', '`space/<domain id>/*`', '`app/<domain id>/*`'],
  'lib/jobs/sagemaker-task.ts': ['`training-job/<prefix>-*`', '`processing-job/<prefix>-*`', '`transform-job/<prefix>-*`',
    '`hyper-parameter-tuning-job/<prefix>-*`', '`model/<prefix>-*`', '`endpoint-config/<prefix>-*`'],
  'lib/jobs/private/list-tags.ts': ['**`sagemaker:ListTags` on `*`**'],
  'lib/stages/tuning-stage.ts': ["`TuningStage`'s best training job"],
  'lib/hosting/private/deployment.ts': ['`DeployStage`', "under the endpoint's own configuration prefix"],
  'lib/stages/private/deploy-cleanup.ts': ['the model a failed deployment deletes'],
  'lib/stages/evaluation-stage.ts': ["`EvaluationStage`'s report", '`<bucket>/<prefix>*/<report file>`'],
  'lib/stages/register-model-stage.ts': ["`RegisterModelStage`'s model versions", '`model-package/<group>/*`'],
  'lib/data/job-s3-location.ts': ['(`<bucket>/<prefix>*`)'],
  'lib/accounts/deployment-account.ts': ["a `DeploymentAccount`'s model role", '`kms:EncryptionContext:aws:s3:arn`'],
  'lib/accounts/private/promotion-stages.ts': ['a staged promotion\'s check and record'],
  'lib/stages/private/component-steps.ts': ["a `DeployComponentStage`'s"],
  'lib/workflows/private/model-from-package-step.ts': ["`ApprovedModelDeployment`'s approved version", "an `ApprovedComponentDeployment`'s"],
  'lib/hosting/model-data.ts': ['`ModelData.fromS3Prefix`'],
  'lib/monitoring/private/processing-monitor.ts': ['**data-quality workflow**', '`cloudwatch_metrics.json`'],
};

test('names every acknowledged finding id', () => {
  const ids = new Set(lib.flatMap(([, text]) => [...text.matchAll(/acknowledge(?:InCompliancePacks)?\([^;]*?,\s*'([^']+)'/g)].map(m => m[1])));
  expect(ids.size).toBeGreaterThan(5);
  expect([...ids].filter(id => !section.includes(`\`${id}\``))).toEqual([]);
});

test('describes each place that acknowledges a wildcard resource or registers wildcard ARNs', () => {
  const places = lib.filter(([, text]) => /'AwsSolutions-IAM5\[Resource::\*\]'|registerWildcardResource\(|grantWithWildcardResources\(/.test(text)).map(([file]) => file.split(path.sep).join('/'));
  expect(places.sort()).toEqual(Object.keys(PLACES).sort());
  expect(Object.values(PLACES).flat().filter(phrase => !section.includes(phrase))).toEqual([]);
  const acknowledgedEverywhere = lib.flatMap(([, text]) => [...text.matchAll(/'AwsSolutions-IAM5\[Resource::\*\]'/g)]).length;
  expect(acknowledgedEverywhere).toBe(6);
  expect(section).toContain('`AwsSolutions-IAM5[Resource::*]`, on six policies');
});
