"""Fine-grained tests of lib/monitoring/analysis/data_quality.py (run by data-quality-analysis.test.ts)."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, '..', '..', '..', 'lib', 'monitoring', 'analysis', 'data_quality.py')
sys.path.insert(0, os.path.dirname(SCRIPT))
import data_quality as dq  # noqa: E402
import pandas as pd  # noqa: E402


def capture_line(data, encoding='CSV', content_type='text/csv'):
    if encoding == 'BASE64':
        data = base64.b64encode(data.encode()).decode()
    return json.dumps({'captureData': {'endpointInput': {'observedContentType': content_type, 'mode': 'INPUT', 'data': data, 'encoding': encoding}},
                       'eventMetadata': {'eventId': 'e', 'inferenceTime': '2026-12-07T10:00:00Z'}, 'eventVersion': '0'})


class Folder(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, rel, text):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def run_script(self, mode, env):
        return subprocess.run([sys.executable, SCRIPT, mode], env={**os.environ, **env}, capture_output=True, text=True)


class StatisticsTest(Folder):
    def test_types_completeness_and_buckets(self):
        frame = dq.csv_frame([['1', '2.5', 'a'], ['3', '', 'b'], ['5', '4.5', 'a']])
        stats = dq.statistics_of(frame)
        self.assertEqual([f['inferred_type'] for f in stats['features']], ['Integral', 'Fractional', 'String'])
        self.assertEqual(stats['features'][1]['numerical_statistics']['common'], {'num_present': 2, 'num_missing': 1})
        self.assertEqual(sum(b['count'] for b in stats['features'][0]['numerical_statistics']['distribution']['kll']['buckets']), 3)
        self.assertEqual(stats['features'][2]['string_statistics']['distribution']['categorical']['buckets'][0], {'value': 'a', 'count': 2.0})
        constraints = dq.constraints_of(frame, stats)
        self.assertAlmostEqual(constraints['features'][1]['completeness'], 2 / 3)
        self.assertEqual(constraints['monitoring_config']['distribution_constraints']['comparison_threshold'], 0.1)

    def test_header_names_and_json_lines(self):
        self.write('d/a.csv', 'age,region\n1,a\n2,b\n')
        self.assertEqual(list(dq.read_dataset(os.path.join(self.dir, 'd'), '{"csv": {"header": true}}').columns), ['age', 'region'])
        self.write('j/a.jsonl', '{"age": 1, "region": "a"}\n{"age": 2}\n')
        frame = dq.read_dataset(os.path.join(self.dir, 'j'), '{"json": {"lines": true}}')
        self.assertEqual(frame['region'].notna().tolist(), [True, False])

    def test_empty_dataset_is_an_error(self):
        os.makedirs(os.path.join(self.dir, 'empty'))
        with self.assertRaisesRegex(dq.AnalysisError, 'no CSV records'):
            dq.read_dataset(os.path.join(self.dir, 'empty'), '{"csv": {"header": false}}')
        with self.assertRaisesRegex(dq.AnalysisError, 'csv or json'):
            dq.read_dataset(os.path.join(self.dir, 'empty'), '{"parquet": {}}')


class CaptureTest(Folder):
    def test_csv_json_and_base64_requests(self):
        self.write('c/x.jsonl', '\n'.join([
            capture_line('1,a'),
            capture_line('2,b\n3,c'),
            capture_line('4,d', 'BASE64', 'application/octet-stream'),
            capture_line(json.dumps({'_c0': 5, '_c1': 'e'}), 'JSON', 'application/json'),
        ]) + '\n')
        frame = dq.read_capture(os.path.join(self.dir, 'c'), ['_c0', '_c1'])
        self.assertEqual(sorted(frame['_c0'].astype(float).tolist()), [1, 2, 3, 4, 5])

    def test_a_line_that_is_no_capture_record(self):
        self.write('c/x.jsonl', '{"something": 1}\n')
        with self.assertRaisesRegex(dq.AnalysisError, 'x.jsonl line 1 is not a capture record'):
            dq.read_capture(os.path.join(self.dir, 'c'), [])


class DriftTest(unittest.TestCase):
    def baseline(self, rows):
        frame = dq.csv_frame(rows)
        stats = dq.statistics_of(frame)
        return stats, dq.constraints_of(frame, stats)

    def test_same_distribution_no_drift(self):
        rows = [[str(i), 'a' if i % 2 else 'b'] for i in range(100)]
        stats, constraints = self.baseline(rows)
        results, violations = dq.analyze(dq.csv_frame(rows), stats, constraints)
        self.assertEqual([(n, d) for n, d, _ in results], [('_c0', 0.0), ('_c1', 0.0)])
        self.assertEqual(violations, [])

    def test_shifted_numbers_and_new_categories_drift(self):
        stats, constraints = self.baseline([[str(i), 'a'] for i in range(100)])
        results, violations = dq.analyze(dq.csv_frame([[str(i + 50), 'z'] for i in range(100)]), stats, constraints)
        drift = {n: d for n, d, _ in results}
        self.assertAlmostEqual(drift['_c0'], 0.5, delta=0.05)
        self.assertEqual(drift['_c1'], 1.0)
        self.assertEqual(sorted(v['constraint_check_type'] for v in violations), ['baseline_drift_check', 'baseline_drift_check'])

    def test_completeness_type_missing_and_extra_columns(self):
        stats, constraints = self.baseline([['1', '2'], ['3', '4']])
        frame = pd.DataFrame({'_c0': ['1', None], '_c2': ['x', 'y']})
        results, violations = dq.analyze(frame, stats, constraints)
        checks = sorted((v['feature_name'], v['constraint_check_type']) for v in violations)
        self.assertIn(('_c0', 'completeness_check'), checks)
        self.assertIn(('_c1', 'missing_column_check'), checks)
        self.assertIn(('_c2', 'extra_column_check'), checks)
        _, violations = dq.analyze(pd.DataFrame({'_c0': ['1', 'x'], '_c1': ['2', '4']}), stats, constraints)
        self.assertIn(('_c0', 'data_type_check'), [(v['feature_name'], v['constraint_check_type']) for v in violations])

    def test_a_model_monitor_baseline_is_read(self):
        # The analyzer's statistics (KLL buckets, categorical buckets) as Model Monitor writes them.
        stats = {'version': 0.0, 'dataset': {'item_count': 4}, 'features': [
            {'name': '_c0', 'inferred_type': 'Fractional', 'numerical_statistics': {'common': {'num_present': 4, 'num_missing': 0}, 'mean': 2.5,
             'distribution': {'kll': {'buckets': [{'lower_bound': 0, 'upper_bound': 2, 'count': 2}, {'lower_bound': 2, 'upper_bound': 4, 'count': 2}], 'sketch': {}}}}},
            {'name': '_c1', 'inferred_type': 'String', 'string_statistics': {'common': {'num_present': 4, 'num_missing': 0}, 'distinct_count': 1,
             'distribution': {'categorical': {'buckets': [{'value': 'a', 'count': 4}]}}}}]}
        constraints = {'version': 0.0, 'features': [{'name': '_c0', 'completeness': 1.0}, {'name': '_c1', 'completeness': 1.0}],
                       'monitoring_config': {'emit_metrics': 'Enabled', 'distribution_constraints': {'perform_comparison': 'Enabled', 'comparison_threshold': 0.3}}}
        results, violations = dq.analyze(dq.csv_frame([['1', 'a'], ['3', 'a']]), stats, constraints)
        self.assertEqual({n: d for n, d, _ in results}, {'_c0': 0.0, '_c1': 0.0})
        self.assertEqual(violations, [])

    def test_metric_names_dimensions_and_limit(self):
        data = dq.metric_data([('age', 0.25, 0.5)], 'churn', 'churn-dq')
        self.assertEqual([m['MetricName'] for m in data], ['feature_baseline_drift_age', 'feature_non_null_age'])
        self.assertEqual(data[0]['Dimensions'], [{'Name': 'Endpoint', 'Value': 'churn'}, {'Name': 'MonitoringSchedule', 'Value': 'churn-dq'}])
        with self.assertRaisesRegex(dq.AnalysisError, 'exceed the 1000'):
            dq.metric_data([('f%d' % i, 0.1, 1.0) for i in range(501)], 'e', 's')


class EntryPointTest(Folder):
    def test_baseline_then_analyze_end_to_end(self):
        self.write('data/f.csv', '1,a\n2,b\n3,a\n')
        out = self.run_script('baseline', {'dataset_format': '{"csv": {"header": false}}', 'dataset_source': os.path.join(self.dir, 'data'), 'output_path': os.path.join(self.dir, 'base')})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.write('cap/x.jsonl', capture_line('2,a') + '\n')
        out = self.run_script('analyze', {
            'dataset_source': os.path.join(self.dir, 'cap'), 'output_path': os.path.join(self.dir, 'res'),
            'baseline_statistics': os.path.join(self.dir, 'base', 'statistics.json'), 'baseline_constraints': os.path.join(self.dir, 'base', 'constraints.json'),
            'sagemaker_endpoint_name': 'e', 'sagemaker_monitoring_schedule_name': 's'})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir, 'res'))), ['cloudwatch_metrics.json', 'constraint_violations.json', 'statistics.json'])

    def test_failure_writes_the_reason(self):
        out = self.run_script('analyze', {'SM_ROOT': self.dir, 'dataset_source': '/opt/ml/processing/input/endpoint'})
        self.assertEqual(out.returncode, 1)
        with open(os.path.join(self.dir, 'output', 'message')) as f:
            self.assertIn('required in the environment', f.read())
        self.assertEqual(self.run_script('nonsense', {}).returncode, 1)


if __name__ == '__main__':
    unittest.main()
