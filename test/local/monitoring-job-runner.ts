import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ContainerResult, ContainerRun, IJobRunner, RunningServer } from '../../local/src/runners';

/** The first Python on this machine that imports pandas and numpy (the scikit-learn container has both). */
export function pythonWithPandas(): string | undefined {
  const candidates = [process.env.CDK_SAGEMAKER_ML_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find(c => spawnSync(c, ['-c', 'import pandas, numpy'], { encoding: 'utf8' }).status === 0);
}

/**
 * A job runner for AWS's SageMaker scikit-learn processing container
 * (`sagemaker-scikit-learn:<version>-cpu-py3`), which the library's data-quality analysis
 * (`MonitoringEngine.processingJob()`) runs in: the job's `ContainerEntrypoint`
 * (`python3 /opt/ml/processing/code/<script>.py <mode>`) runs with this machine's Python (one
 * with pandas and numpy), `/opt/ml` being the job's folder (`SM_ROOT`, which the script
 * honours). Any other image fails: the test names the job it means.
 */
export class ScikitLearnRunner implements IJobRunner {
  public readonly kind = 'scikit-learn';
  public readonly runs: ContainerRun[] = [];

  constructor(private readonly python: string) {}

  public async run(run: ContainerRun): Promise<ContainerResult> {
    this.runs.push(run);
    if (!/\/sagemaker-scikit-learn:[^/]+$/.test(run.image)) return { exitCode: 1, stdout: '', stderr: `not the scikit-learn image: ${run.image}` };
    const [interpreter, script, ...args] = run.command;
    if (!/^python3?$/.test(interpreter) || !script?.startsWith('/opt/ml/')) {
      return { exitCode: 127, stdout: '', stderr: `the stand-in runs 'python3 /opt/ml/...' entry points, got ${run.command.join(' ')}` };
    }
    const file = path.join(run.smRoot, path.relative('/opt/ml', script));
    if (!fs.existsSync(file)) return { exitCode: 2, stdout: '', stderr: `python3: can't open file '${script}': [Errno 2] No such file or directory` };
    const result = spawnSync(this.python, [file, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...run.environment, SM_ROOT: run.smRoot, PYTHONDONTWRITEBYTECODE: '1' },
      timeout: run.timeoutMs,
    });
    return { exitCode: result.status ?? 137, stdout: result.stdout ?? '', stderr: (result.stderr ?? '') + (result.error ? String(result.error) : '') };
  }

  public async serve(run: ContainerRun): Promise<RunningServer> {
    throw new Error(`the scikit-learn stand-in serves nothing (asked to serve ${run.image})`);
  }
}
