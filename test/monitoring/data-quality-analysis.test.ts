import { spawnSync } from 'child_process';
import * as path from 'path';
import { pythonWithPandas } from '../local/monitoring-job-runner';

/**
 * The analysis script of MonitoringEngine.processingJob() (lib/monitoring/analysis/data_quality.py):
 * its Python unit tests (statistics, constraints, capture decoding, drift, completeness,
 * metrics, failure reason), run with this machine's Python 3 with pandas and numpy.
 */
const PYTHON = pythonWithPandas();
jest.setTimeout(120_000);

(PYTHON ? test : test.skip)('the analysis script passes its Python unit tests', () => {
  const result = spawnSync(PYTHON!, ['-W', 'error::ResourceWarning', path.join(__dirname, 'analysis', 'test_data_quality.py'), '-v'], { encoding: 'utf8' });
  expect(result.stderr).toMatch(/Ran 1\d tests/);
  expect(result.stderr).toMatch(/\nOK\s*$/);
  expect(result.status).toBe(0);
});

test('a Python with pandas and numpy is on this machine (the script needs them)', () => {
  expect(PYTHON).toBeDefined();
});
