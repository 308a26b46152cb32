import * as fs from 'fs';
import * as path from 'path';

const LIB = path.join(__dirname, '..', '..', 'lib');

/** The library's public source files: what lib/index.ts re-exports. */
function publicSources(): string[] {
  const index = fs.readFileSync(path.join(LIB, 'index.ts'), 'utf8');
  return [...index.matchAll(/export \* from '\.\/(.+)';/g)].map(m => fs.readFileSync(path.join(LIB, `${m[1]}.ts`), 'utf8'));
}

describe('API naming', () => {
  test('every exported *Props interface is the props of a construct; other option structs are *Options', () => {
    const sources = publicSources();
    const all = sources.join('\n');
    const props = sources.flatMap(s => [...s.matchAll(/export interface (\w+Props)\b/g)].map(m => m[1]));
    expect(props.length).toBeGreaterThan(30);
    // A construct's constructor: (scope, id, props).
    const notConstructProps = props.filter(name => !new RegExp(`constructor\\(scope: Construct, id: string, props\\??: ${name}\\b`).test(all));
    expect(notConstructProps).toEqual([]);
  });

  test('no exported interface or class is named after an option struct the library renamed', () => {
    const all = publicSources().join('\n');
    for (const old of ['ExperimentTrackingProps', 'ProductionVariantProps', 'PromoteToEndpointProps', 'QualityGateProps', 'WorkflowEvaluationProps',
      'WorkflowModelProps', 'DeepLearningContainerProps']) {
      expect(all).not.toMatch(new RegExp(`\\b${old}\\b`));
    }
    expect(all).not.toMatch(/export interface (Async|Variant)AutoScaling\b/);
  });
});
