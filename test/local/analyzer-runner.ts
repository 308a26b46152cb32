import * as fs from 'fs';
import * as path from 'path';
import { ContainerResult, ContainerRun, IJobRunner, RunningServer } from '../../local/src/runners';

/**
 * A job runner that stands in for SageMaker Model Monitor's analyzer image
 * (`sagemaker-model-monitor-analyzer`, which is AWS's and runs nowhere but SageMaker) in the local
 * runtime, with the contract the SageMaker developer guide documents for it
 * (model-monitor-pre-built-container.html, "Amazon SageMaker Model Monitor prebuilt container";
 * model-monitor-byoc-containers.html, "Container contract inputs" and "Container contract outputs"):
 * it reads `dataset_format` (`{"csv": {"header": false}}`), the CSV files under `dataset_source`,
 * and writes `statistics.json` and `constraints.json` (per feature: inferred type, completeness,
 * numerical or string statistics) to `output_path`. It fails, as the analyzer does, on a missing or
 * empty dataset or a format it does not read. Any other image fails: the test names the job it means.
 */
export class AnalyzerRunner implements IJobRunner {
  public readonly kind = 'model-monitor-analyzer';
  /** The runs it was asked for, for assertions. */
  public readonly runs: ContainerRun[] = [];

  public async run(run: ContainerRun): Promise<ContainerResult> {
    this.runs.push(run);
    if (!/\/sagemaker-model-monitor-analyzer(:|$)/.test(run.image)) return fail(`not the analyzer image: ${run.image}`);
    const env = run.environment;
    const local = (p: string | undefined) => p && path.join(run.smRoot, path.relative('/opt/ml', p));
    let format: any;
    try {
      format = JSON.parse(env.dataset_format ?? '');
    } catch {
      return fail(`dataset_format is not JSON: '${env.dataset_format}'`);
    }
    if (!format.csv) return fail(`this stand-in reads CSV datasets only, got dataset_format ${env.dataset_format}`);
    const source = local(env.dataset_source);
    const output = local(env.output_path);
    if (!source || !output) return fail('dataset_source and output_path are required');
    const files = fs.existsSync(source) ? walk(source).filter(f => f.endsWith('.csv')) : [];
    const rows = files.flatMap(f => fs.readFileSync(f, 'utf8').split('\n').filter(l => l.trim() !== '')).map(l => l.split(','));
    if (format.csv.header) rows.shift();
    if (rows.length === 0) return fail(`ClientError: no CSV records under ${env.dataset_source}`);
    const width = Math.max(...rows.map(r => r.length));
    const features = Array.from({ length: width }, (_, i) => {
      const values = rows.map(r => r[i]).filter(v => v !== undefined && v !== '');
      const numbers = values.map(Number);
      const numeric = numbers.every(n => Number.isFinite(n));
      return { name: `_c${i}`, values, numbers, numeric, completeness: values.length / rows.length };
    });
    fs.mkdirSync(output, { recursive: true });
    fs.writeFileSync(path.join(output, 'statistics.json'), JSON.stringify({
      version: 0.0,
      dataset: { item_count: rows.length },
      features: features.map(f => {
        const common = { num_present: f.values.length, num_missing: rows.length - f.values.length };
        return {
          name: f.name,
          inferred_type: f.numeric ? 'Fractional' : 'String',
          ...(f.numeric
            ? { numerical_statistics: { common, mean: mean(f.numbers), min: Math.min(...f.numbers), max: Math.max(...f.numbers) } }
            : { string_statistics: { common, distinct_count: new Set(f.values).size } }),
        };
      }),
    }));
    fs.writeFileSync(path.join(output, 'constraints.json'), JSON.stringify({
      version: 0.0,
      features: features.map(f => ({
        name: f.name,
        inferred_type: f.numeric ? 'Fractional' : 'String',
        completeness: f.completeness,
        ...(f.numeric ? { num_constraints: { is_non_negative: Math.min(...f.numbers) >= 0 } } : {}),
      })),
      monitoring_config: { evaluate_constraints: 'Enabled', emit_metrics: 'Enabled', distribution_constraints: { perform_comparison: 'Enabled' } },
    }));
    return { exitCode: 0, stdout: `analyzed ${rows.length} records of ${width} features`, stderr: '' };
  }

  public async serve(run: ContainerRun): Promise<RunningServer> {
    throw new Error(`the analyzer stand-in serves nothing (asked to serve ${run.image})`);
  }
}

function fail(message: string): ContainerResult {
  return { exitCode: 1, stdout: '', stderr: message };
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
