import * as lib from '../../lib';

/**
 * Everything the TypeScript index exports is something jsii carries to Python: classes and enums
 * (interfaces have no run-time value). A free function or constant would be dropped from the Python
 * package without a word, so none is exported; what they did is a static member of a class.
 */
test('the index exports only classes and enums', () => {
  const kinds = Object.entries(lib).map(([name, value]) => {
    if (typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value))) return [name, 'class'];
    const isEnum = typeof value === 'object' && value !== null && Object.values(value).every(v => typeof v === 'string' || typeof v === 'number');
    return [name, isEnum ? 'enum' : typeof value];
  });
  expect(kinds.filter(([, kind]) => kind !== 'class' && kind !== 'enum')).toEqual([]);
  expect(kinds.length).toBeGreaterThan(50);
});

test('what were free functions and constants are static members', () => {
  expect(lib.ModelMonitorImage.uriForRegion('eu-south-2')).toBe('437450045455.dkr.ecr.eu-south-2.amazonaws.com/sagemaker-model-monitor-analyzer');
  expect(lib.DataQualityMonitor.METRICS_NAMESPACE).toBe('aws/sagemaker/Endpoints/data-metrics');
  expect(lib.HyperParameterTuningJobStep.MAX_NAME_LENGTH).toBe(32);
  expect(typeof lib.WorkflowStage.of).toBe('function');
});
