import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { SageMakerTrainingStack } from '../../bin/stacks';
import { definitionOf, ENV, testApp } from '../util';

/**
 * SageMaker's container contract, run locally: the real entry points of the example image
 * in a temporary /opt/ml tree (SM_ROOT), no Docker, no AWS. The expectations come from the
 * synthesized training stack, so the image and the workflow cannot drift apart.
 */
const IMAGE = path.join(__dirname, '..', '..', 'containers', 'glm');
const SAMPLE = path.join(IMAGE, 'sample');

function findPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    // Looked up, not imported: importing them costs a CPU second, and every test below imports them.
    // gunicorn too: `serve` runs it, and without it the serving tests wait out their timeouts.
    const probe = spawnSync(candidate, ['-c', 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("numpy", "pandas", "statsmodels", "gunicorn")) else 1)'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

const python = findPython();
if (!python && process.env.CI) {
  throw new Error('the container contract tests need Python with numpy, pandas, statsmodels and gunicorn: .ci/run installs python3-statsmodels python3-pandas python3-gunicorn');
}
const describeContract = python ? describe : describe.skip;
if (!python) {
  // eslint-disable-next-line no-console
  console.warn('skipping the GLM container contract tests: install python3-statsmodels python3-pandas python3-gunicorn (Debian) to run them');
}

function run(root: string, command: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(python!, [path.join(IMAGE, 'bin', command)], {
    env: { ...process.env, SM_ROOT: root, PYTHONPATH: IMAGE, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function copy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

type Reply = { status: number; body: string };
function request(port: number, method: string, route: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: route, headers }, res => {
      let data = '';
      res.on('data', chunk => data += chunk);
      res.on('end', () => resolve({ status: res.statusCode!, body: data }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function freePort(): Promise<number> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

describeContract('the example GLM image honours the SageMaker container contract', () => {
  const definition = definitionOf(new SageMakerTrainingStack(testApp(), 'Training', { env: ENV }));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opt-ml-'));
  let trainOutput = '';
  let server: ChildProcess | undefined;

  beforeAll(() => {
    // Processing: raw data and config in, train/ and validation/ out.
    copy(path.join(SAMPLE, 'claims.csv'), path.join(root, 'processing/input/raw/claims.csv'));
    copy(path.join(SAMPLE, 'config.json'), path.join(root, 'processing/input/config/abc123.json'));
    const pre = run(root, 'preprocess');
    expect(pre.stderr).toBe('');
    expect(pre.status).toBe(0);
    // Training: channels under input/data/<channel>/, hyperparameters.json from the execution input defaults.
    copy(path.join(root, 'processing/output/processed/train/data.csv'), path.join(root, 'input/data/train/data.csv'));
    copy(path.join(SAMPLE, 'config.json'), path.join(root, 'input/data/config/abc123.json'));
    fs.mkdirSync(path.join(root, 'input/config'), { recursive: true });
    fs.writeFileSync(path.join(root, 'input/config/hyperparameters.json'), JSON.stringify(definition.States.InputDefaults.Result));
    const train = run(root, 'train');
    expect(train.status).toBe(0);
    trainOutput = train.stdout;
  });

  afterAll(() => {
    server?.kill();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('preprocess splits the raw data into train and validation', () => {
    const lines = (f: string) => fs.readFileSync(path.join(root, 'processing/output/processed', f, 'data.csv'), 'utf8').trim().split('\n').length - 1;
    expect(lines('train') + lines('validation')).toBe(800);
    expect(lines('validation')).toBeGreaterThan(100);
  });

  test('train writes the model to /opt/ml/model and prints metrics the training step parses', () => {
    const model = JSON.parse(fs.readFileSync(path.join(root, 'model/model.json'), 'utf8'));
    expect(Object.keys(model.coefficients)).toEqual(['const', 'age', 'vehicle_value', 'region_south', 'region_west']);
    // The sample was generated with age -0.03, vehicle_value +0.03, south +0.5, west -0.4.
    expect(model.coefficients.age).toBeCloseTo(-0.03, 1);
    expect(model.coefficients.vehicle_value).toBeCloseTo(0.03, 1);
    expect(model.coefficients.region_south).toBeGreaterThan(0.2);
    expect(model.coefficients.region_west).toBeLessThan(-0.1);
    const definitions = definition.States.Train.Parameters.AlgorithmSpecification.MetricDefinitions;
    expect(definitions.length).toBeGreaterThan(0);
    for (const { Name, Regex } of definitions) {
      const match = new RegExp(Regex).exec(trainOutput);
      expect({ Name, value: match && Number(match[1]) }).toEqual({ Name, value: expect.any(Number) });
    }
  });

  test('evaluate writes the report the quality gate reads, and the sample model passes the gate', () => {
    const dir = path.join(root, 'model');
    fs.mkdirSync(path.join(root, 'processing/model'), { recursive: true });
    spawnSync('tar', ['-czf', path.join(root, 'processing/model/model.tar.gz'), '-C', dir, 'model.json']);
    copy(path.join(root, 'processing/output/processed/validation/data.csv'), path.join(root, 'processing/validation/data.csv'));
    const evaluation = run(root, 'evaluate');
    expect(evaluation.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(root, 'processing/output/evaluation/evaluation.json'), 'utf8'));
    // The evaluation stage's gate: a Choice whose last condition compares the report's metric.
    const gate = definition.States['Evaluate gate'].Choices[0].And[2];
    const metric = gate.Variable.replace('$.results.Evaluate.read.report.', '').split('.').reduce((o: any, k: string) => o[k], report);
    expect(typeof metric).toBe('number');
    expect(metric).toBeGreaterThanOrEqual(gate.NumericGreaterThanEquals);
  });

  test('train fails with an actionable message in /opt/ml/output/failure on bad config', () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'opt-ml-bad-'));
    copy(path.join(root, 'input/data/train/data.csv'), path.join(bad, 'input/data/train/data.csv'));
    const config = JSON.parse(fs.readFileSync(path.join(SAMPLE, 'config.json'), 'utf8'));
    fs.mkdirSync(path.join(bad, 'input/data/config'), { recursive: true });
    fs.writeFileSync(path.join(bad, 'input/data/config/c.json'), JSON.stringify({ ...config, predictors: ['age', 'horsepower', 'region'] }));
    const unknown = run(bad, 'train');
    expect(unknown.status).toBe(1);
    expect(fs.readFileSync(path.join(bad, 'output/failure'), 'utf8')).toMatch(/unknown column\(s\) horsepower; the data has age, vehicle_value, region/);
    fs.writeFileSync(path.join(bad, 'input/data/config/c.json'), JSON.stringify({ ...config, family: 'gamma', link: 'logit' }));
    const pair = run(bad, 'train');
    expect(pair.status).toBe(1);
    expect(fs.readFileSync(path.join(bad, 'output/failure'), 'utf8')).toMatch(/config 'link' 'logit' is not supported with family 'gamma'; use one of inverse_power, log, identity/);
    fs.rmSync(bad, { recursive: true, force: true });
  });

  test('an MLFLOW_TRACKING_URI the job cannot reach does not fail training', () => {
    const result = run(root, 'train', { MLFLOW_TRACKING_URI: 'http://127.0.0.1:9', MLFLOW_EXPERIMENT_NAME: 'glm-claims' });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/warning: MLflow logging failed/);
  });

  describe('serve', () => {
    let port = 0;
    let model: any;

    beforeAll(async () => {
      port = await freePort();
      model = JSON.parse(fs.readFileSync(path.join(root, 'model/model.json'), 'utf8'));
      server = spawn(python!, [path.join(IMAGE, 'bin', 'serve')], {
        env: { ...process.env, SM_ROOT: root, PYTHONPATH: IMAGE, SAGEMAKER_BIND_TO_PORT: String(port), MODEL_SERVER_WORKERS: '1' },
        stdio: 'ignore',
      });
      for (let i = 0; i < 100; i++) {
        const ok = await request(port, 'GET', '/ping').then(r => r.status === 200, () => false);
        if (ok) return;
        await new Promise(r => setTimeout(r, 100));
      }
      throw new Error('serve did not answer /ping within 10 seconds');
    }, 20_000);

    const expected = (age: number, value: number, region: string) => {
      const c = model.coefficients;
      return Math.exp(c.const + c.age * age + c.vehicle_value * value + (region === 'south' ? c.region_south : 0) + (region === 'west' ? c.region_west : 0));
    };

    test('GET /ping answers 200', async () => {
      expect((await request(port, 'GET', '/ping')).status).toBe(200);
    });

    test('POST /invocations scores a CSV batch with the fitted coefficients', async () => {
      const res = await request(port, 'POST', '/invocations', '40,20.5,north\n25,55,south\n70,3,west\n', { 'Content-Type': 'text/csv' });
      expect(res.status).toBe(200);
      const predictions = JSON.parse(res.body).predictions;
      expect(predictions).toHaveLength(3);
      [[40, 20.5, 'north'], [25, 55, 'south'], [70, 3, 'west']].forEach(([a, v, r], i) => expect(predictions[i]).toBeCloseTo(expected(a as number, v as number, r as string), 9));
    });

    test('POST /invocations scores JSON instances and answers CSV when asked', async () => {
      const body = JSON.stringify({ instances: [{ age: 33, vehicle_value: 12, region: 'west' }] });
      const res = await request(port, 'POST', '/invocations', body, { 'Content-Type': 'application/json', 'Accept': 'text/csv' });
      expect(res.status).toBe(200);
      expect(Number(res.body.trim())).toBeCloseTo(expected(33, 12, 'west'), 9);
    });

    test.each([
      ['a row with too few values', '40,20.5\n', 'text/csv', 400, /each row needs 3 values, in this order: age, vehicle_value, region/],
      ['a level never seen in training', '40,20.5,east\n', 'text/csv', 400, /column 'region' has levels not seen in training: east/],
      ['a non-numeric value', 'old,20.5,north\n', 'text/csv', 400, /column 'age' is not numeric/],
      ['broken JSON', '{"instances": [', 'application/json', 400, /body is not valid JSON/],
      ['an unsupported content type', 'x', 'application/x-protobuf', 415, /content type 'application\/x-protobuf' is not supported/],
    ])('answers %s with a 4xx and a reason', async (_name, body, contentType, status, reason) => {
      const res = await request(port, 'POST', '/invocations', body, { 'Content-Type': contentType });
      expect(res.status).toBe(status);
      expect(JSON.parse(res.body).error).toMatch(reason);
    });
  });
});
