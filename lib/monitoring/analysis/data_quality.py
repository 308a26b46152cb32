#!/usr/bin/env python3
"""Data-quality analysis of a SageMaker endpoint's captured traffic, without Model Monitor.

Runs in AWS's SageMaker scikit-learn processing container (standard library, pandas and numpy
only) with the environment contract of Model Monitor's analyzer (model-monitor-byoc-containers.html):

  data_quality.py baseline   dataset_format, dataset_source, output_path
      writes statistics.json and constraints.json in the analyzer's formats.
  data_quality.py analyze    dataset_source (captured JSONL), baseline_statistics,
      baseline_constraints, output_path, sagemaker_endpoint_name,
      sagemaker_monitoring_schedule_name
      writes statistics.json, constraint_violations.json and cloudwatch_metrics.json (the
      MetricData of a PutMetricData request: feature_baseline_drift_<feature> and
      feature_non_null_<feature>, dimensions Endpoint and MonitoringSchedule).

A baseline from either this script or the analyzer serves both. Errors exit 1 with the reason
in /opt/ml/output/message and /opt/ml/output/failure (the job's failure reason) and on stderr.
"""
import base64
import csv
import io
import json
import math
import os
import sys

import numpy as np
import pandas as pd

SM_ROOT = os.environ.get('SM_ROOT', '/opt/ml')
BUCKETS = 10
MAX_METRICS = 1000  # PutMetricData takes at most 1000 metrics per request


class AnalysisError(Exception):
    pass


def local(path):
    """A container path under /opt/ml, on this machine when SM_ROOT relocates /opt/ml."""
    if path and path.startswith('/opt/ml') and SM_ROOT != '/opt/ml':
        return os.path.join(SM_ROOT, os.path.relpath(path, '/opt/ml'))
    return path


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None or value == '':
        raise AnalysisError('%s is required in the environment' % name)
    return value


def read_text(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def read_json(path):
    return json.loads(read_text(path))


def files_under(folder, suffixes):
    found = []
    for root, _, names in os.walk(folder):
        found.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(suffixes))
    return sorted(found)


# ---------- reading records ----------

def parse_csv_rows(text):
    return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]


def records_of_json(value):
    """JSON payloads: an object, a list of scalars (one record), a list of records, {"instances": [...]}."""
    if isinstance(value, dict) and isinstance(value.get('instances'), list):
        value = value['instances']
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        if all(isinstance(v, (dict, list)) for v in value) and value:
            return [v if isinstance(v, dict) else {'_c%d' % i: x for i, x in enumerate(v)} for v in value]
        return [{'_c%d' % i: x for i, x in enumerate(value)}]
    raise AnalysisError('a JSON record must be an object or an array, got %s' % type(value).__name__)


def csv_frame(rows, names=None):
    width = max(len(r) for r in rows)
    columns = names if names is not None else ['_c%d' % i for i in range(width)]
    if len(columns) < width:
        columns = list(columns) + ['_c%d' % i for i in range(len(columns), width)]
    padded = [[None if c.strip() == '' else c for c in r] + [None] * (len(columns) - len(r)) for r in rows]
    return pd.DataFrame(padded, columns=columns)


def read_dataset(source, dataset_format):
    fmt = json.loads(dataset_format)
    if 'csv' in fmt:
        header = bool(fmt['csv'].get('header', True))
        rows = []
        names = None
        for f in files_under(source, ('.csv',)):
            file_rows = parse_csv_rows(read_text(f))
            if header and file_rows:
                names = names or [n.strip() for n in file_rows[0]]
                file_rows = file_rows[1:]
            rows.extend(file_rows)
        if not rows:
            raise AnalysisError('ClientError: no CSV records under %s' % source)
        return csv_frame(rows, names)
    if 'json' in fmt:
        records = []
        for f in files_under(source, ('.json', '.jsonl')):
            text = read_text(f)
            if fmt['json'].get('lines', True):
                for line in text.splitlines():
                    if line.strip():
                        records.extend(records_of_json(json.loads(line)))
            else:
                records.extend(records_of_json(json.loads(text)))
        if not records:
            raise AnalysisError('ClientError: no JSON records under %s' % source)
        return pd.DataFrame(records)
    raise AnalysisError('dataset_format must name csv or json, got %s' % dataset_format)


def read_capture(source, feature_names):
    """The endpoint inputs of SageMaker's capture files (captureData.endpointInput: data, encoding CSV, JSON or BASE64)."""
    csv_rows = []
    json_records = []
    for f in files_under(source, ('.jsonl',)):
        for number, line in enumerate(read_text(f).splitlines(), 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
                endpoint_input = event['captureData']['endpointInput']
                data = endpoint_input['data']
                encoding = endpoint_input.get('encoding', 'CSV').upper()
            except (ValueError, KeyError, TypeError) as e:
                raise AnalysisError('%s line %d is not a capture record with captureData.endpointInput (%s)' % (os.path.basename(f), number, e))
            content_type = endpoint_input.get('observedContentType', '')
            if encoding == 'BASE64':
                data = base64.b64decode(data).decode('utf-8')
                encoding = 'JSON' if 'json' in content_type else 'CSV'
            if encoding == 'JSON':
                json_records.extend(records_of_json(json.loads(data) if isinstance(data, str) else data))
            elif encoding == 'CSV':
                csv_rows.extend(parse_csv_rows(data))
            else:
                raise AnalysisError('%s line %d: encoding %s is not CSV, JSON or BASE64' % (os.path.basename(f), number, encoding))
    frames = []
    if csv_rows:
        frames.append(csv_frame(csv_rows, feature_names))
    if json_records:
        frames.append(pd.DataFrame(json_records))
    if not frames:
        raise AnalysisError('ClientError: no captured requests under %s' % source)
    return pd.concat(frames, ignore_index=True, sort=False)


# ---------- statistics ----------

def as_numbers(series):
    return pd.to_numeric(series, errors='coerce')


def infer_type(series):
    present = series.dropna()
    if present.empty:
        return 'Unknown'
    numbers = as_numbers(present)
    if numbers.notna().all():
        return 'Integral' if np.all(np.mod(numbers.to_numpy(dtype=float), 1) == 0) else 'Fractional'
    return 'String'


def numeric_buckets(values, lower, upper):
    if upper <= lower:
        return [{'lower_bound': float(lower), 'upper_bound': float(upper), 'count': float(len(values))}]
    counts, edges = np.histogram(values, bins=BUCKETS, range=(lower, upper))
    return [{'lower_bound': float(edges[i]), 'upper_bound': float(edges[i + 1]), 'count': float(counts[i])} for i in range(len(counts))]


def feature_statistics(name, series, kind):
    present = series.dropna()
    common = {'num_present': int(len(present)), 'num_missing': int(len(series) - len(present))}
    entry = {'name': str(name), 'inferred_type': kind}
    if kind in ('Integral', 'Fractional'):
        values = as_numbers(present).to_numpy(dtype=float)
        entry['numerical_statistics'] = {
            'common': common,
            'mean': float(values.mean()), 'sum': float(values.sum()),
            'std_dev': float(values.std()), 'min': float(values.min()), 'max': float(values.max()),
            'distribution': {'kll': {'buckets': numeric_buckets(values, values.min(), values.max())}},
        }
    else:
        counts = present.astype(str).value_counts()
        entry['string_statistics'] = {
            'common': common,
            'distinct_count': float(len(counts)),
            'distribution': {'categorical': {'buckets': [{'value': str(v), 'count': float(c)} for v, c in counts.items()]}},
        }
    return entry


def statistics_of(frame):
    return {
        'version': 0.0,
        'dataset': {'item_count': int(len(frame))},
        'features': [feature_statistics(c, frame[c], infer_type(frame[c])) for c in frame.columns],
    }


def constraints_of(frame, statistics):
    features = []
    for f in statistics['features']:
        series = frame[f['name']]
        entry = {'name': f['name'], 'inferred_type': f['inferred_type'], 'completeness': float(series.notna().mean())}
        if 'numerical_statistics' in f:
            entry['num_constraints'] = {'is_non_negative': bool(f['numerical_statistics']['min'] >= 0)}
        features.append(entry)
    return {
        'version': 0.0,
        'features': features,
        'monitoring_config': {
            'evaluate_constraints': 'Enabled', 'emit_metrics': 'Enabled',
            'datatype_check_threshold': 1.0, 'domain_content_threshold': 1.0,
            'distribution_constraints': {'perform_comparison': 'Enabled', 'comparison_threshold': 0.1, 'comparison_method': 'Robust'},
        },
    }


# ---------- drift ----------

def numeric_drift(baseline_feature, values):
    """L-infinity distance of the empirical CDFs at the baseline's bucket bounds."""
    buckets = baseline_feature['numerical_statistics'].get('distribution', {}).get('kll', {}).get('buckets', [])
    if not buckets or len(values) == 0:
        return None
    total = sum(b['count'] for b in buckets) or 1.0
    distance = 0.0
    cumulative = 0.0
    for b in buckets:
        cumulative += b['count']
        current = float(np.mean(values <= b['upper_bound']))
        distance = max(distance, abs(cumulative / total - current))
    lowest = buckets[0]['lower_bound']
    return max(distance, float(np.mean(values < lowest)))


def categorical_drift(baseline_feature, values):
    """L-infinity distance of the category frequencies (values outside the baseline count as their own)."""
    buckets = baseline_feature['string_statistics'].get('distribution', {}).get('categorical', {}).get('buckets', [])
    if not buckets or len(values) == 0:
        return None
    total = sum(b['count'] for b in buckets) or 1.0
    base = {str(b['value']): b['count'] / total for b in buckets}
    current = values.astype(str).value_counts(normalize=True).to_dict()
    return float(max(abs(base.get(v, 0.0) - current.get(v, 0.0)) for v in set(base) | set(current)))


def analyze(frame, statistics, constraints):
    by_name = {f['name']: f for f in statistics['features']}
    limits = {f['name']: f for f in constraints.get('features', [])}
    config = constraints.get('monitoring_config', {})
    distribution = config.get('distribution_constraints', {})
    threshold = float(distribution.get('comparison_threshold', 0.1))
    compare = distribution.get('perform_comparison', 'Enabled') == 'Enabled'
    violations = []
    results = []
    for name, baseline_feature in by_name.items():
        if name not in frame.columns:
            violations.append({'feature_name': name, 'constraint_check_type': 'missing_column_check',
                               'description': 'feature %s of the baseline is missing from the captured data' % name})
            continue
        series = frame[name]
        completeness = float(series.notna().mean()) if len(series) else 0.0
        expected = float(limits.get(name, {}).get('completeness', 0.0))
        if completeness < expected:
            violations.append({'feature_name': name, 'constraint_check_type': 'completeness_check',
                               'description': 'completeness %.4f is below the baseline constraint %.4f' % (completeness, expected)})
        present = series.dropna()
        drift = None
        if 'numerical_statistics' in baseline_feature:
            numbers = as_numbers(present)
            if numbers.isna().any():
                violations.append({'feature_name': name, 'constraint_check_type': 'data_type_check',
                                   'description': '%d values are not numbers, expected %s' % (int(numbers.isna().sum()), baseline_feature['inferred_type'])})
            drift = numeric_drift(baseline_feature, numbers.dropna().to_numpy(dtype=float))
        elif 'string_statistics' in baseline_feature:
            drift = categorical_drift(baseline_feature, present)
        if compare and drift is not None and drift > threshold:
            violations.append({'feature_name': name, 'constraint_check_type': 'baseline_drift_check',
                               'description': 'baseline drift distance %.4f exceeds the threshold %.4f' % (drift, threshold)})
        results.append((name, drift, completeness))
    extra = [c for c in frame.columns if c not in by_name]
    for name in extra:
        violations.append({'feature_name': str(name), 'constraint_check_type': 'extra_column_check',
                           'description': 'feature %s of the captured data is not in the baseline' % name})
    return results, violations


def metric_data(results, endpoint, schedule):
    dimensions = [{'Name': 'Endpoint', 'Value': endpoint}, {'Name': 'MonitoringSchedule', 'Value': schedule}]
    data = []
    for name, drift, completeness in results:
        if drift is not None and math.isfinite(drift):
            data.append({'MetricName': 'feature_baseline_drift_%s' % name, 'Dimensions': dimensions, 'Value': round(drift, 6), 'Unit': 'None'})
        data.append({'MetricName': 'feature_non_null_%s' % name, 'Dimensions': dimensions, 'Value': round(completeness, 6), 'Unit': 'None'})
    if len(data) > MAX_METRICS:
        raise AnalysisError('%d metrics exceed the %d a PutMetricData request takes: monitor at most %d features' % (len(data), MAX_METRICS, MAX_METRICS // 2))
    return data


# ---------- entry points ----------

def write_json(folder, name, value, indent=1):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), 'w', encoding='utf-8') as f:
        json.dump(value, f, indent=indent, separators=None if indent else (',', ':'))


def baseline():
    frame = read_dataset(local(env('dataset_source')), env('dataset_format'))
    statistics = statistics_of(frame)
    output = local(env('output_path'))
    write_json(output, 'statistics.json', statistics)
    write_json(output, 'constraints.json', constraints_of(frame, statistics))
    print('baseline of %d records, %d features' % (len(frame), len(frame.columns)))


def monitor():
    statistics = read_json(local(env('baseline_statistics')))
    constraints = read_json(local(env('baseline_constraints')))
    names = [f['name'] for f in statistics.get('features', [])]
    frame = read_capture(local(env('dataset_source')), names)
    results, violations = analyze(frame, statistics, constraints)
    output = local(env('output_path'))
    write_json(output, 'statistics.json', statistics_of(frame))
    write_json(output, 'constraint_violations.json', {'violations': violations})
    emit = constraints.get('monitoring_config', {}).get('emit_metrics', 'Enabled') == 'Enabled'
    metrics = metric_data(results, env('sagemaker_endpoint_name'), env('sagemaker_monitoring_schedule_name')) if emit else []
    # Compact: the workflow reads it into its state (at most 256 KiB).
    write_json(output, 'cloudwatch_metrics.json', metrics, indent=None)
    print('analyzed %d captured records: %d violations, %d metrics' % (len(frame), len(violations), len(metrics)))


def main(argv):
    commands = {'baseline': baseline, 'analyze': monitor}
    if len(argv) != 2 or argv[1] not in commands:
        raise AnalysisError('usage: data_quality.py baseline|analyze, got %s' % ' '.join(argv[1:]))
    commands[argv[1]]()


if __name__ == '__main__':
    try:
        main(sys.argv)
    except (AnalysisError, ValueError, OSError) as e:
        message = str(e)
        sys.stderr.write(message + '\n')
        try:
            os.makedirs(local('/opt/ml/output'), exist_ok=True)
            # 'message' (the processing and monitoring container contract), 'failure' (training's)
            for name in ('message', 'failure'):
                with open(os.path.join(local('/opt/ml/output'), name), 'w', encoding='utf-8') as f:
                    f.write(message[:1024])
        except OSError:
            pass
        sys.exit(1)
