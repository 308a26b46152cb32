import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { checkPythonSyntax, examplesOf, hashOf, mergeImports } from '../../scripts/readme-python';

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  test('shows both quick-start commands', () => {
    expect(readme).toContain('npm ci && npx cdk synth');
    expect(readme).toContain('npm ci && npm test');
  });

  // The generated diagrams and cost table are checked with the reference app's other checks
  // (test/compliance/reference-app.test.ts), on the one synthesis of it.

  // Mermaid itself needs a browser (checked by hand with mermaid-cli and Chromium); this
  // catches what broke rendering once: a subgraph left without its `end`, an edge to a node
  // never declared, a node named with a reserved word.
  test('Mermaid diagrams are well formed: subgraphs closed, edges between declared nodes', () => {
    const diagrams = [...readme.matchAll(/```mermaid\n([\s\S]*?)```/g)].map(m => m[1].trim().split('\n'));
    expect(diagrams).toHaveLength(2);
    for (const lines of diagrams) {
      expect(lines[0]).toMatch(/^flowchart (TD|LR)$/);
      const opened = lines.filter(l => /^\s*subgraph /.test(l)).length;
      expect(lines.filter(l => /^\s*end$/.test(l)).length).toBe(opened);
      const declared = new Set(lines.map(l => /^\s*(\w+)[[({]/.exec(l)?.[1]).filter(Boolean));
      const edges = lines.map(l => /^\s*(\w+) -(?:->|\.->)(?:\|[^|]+\|)? (\w+)$/.exec(l)).filter(Boolean) as RegExpExecArray[];
      expect(edges.length).toBeGreaterThan(5);
      for (const [, from, to] of edges) {
        expect(declared).toContain(from);
        expect(declared).toContain(to);
      }
      for (const node of declared) expect(['end', 'graph', 'subgraph', 'flowchart']).not.toContain(node!.toLowerCase());
      // every line is a header, a node, an edge, or a subgraph boundary
      expect(lines.filter(l => !/^(flowchart|\s*subgraph |\s*end$|\s*\w+[[({]|\s*\w+ -)/.test(l))).toEqual([]);
    }
  });

  test('TypeScript examples compile against the library', () => {
    // ```ts: the construct package's examples (each with its Python); ```typescript: the tools package's
    // (cdk-sagemaker-ml-local, Node only).
    const blocks = [...readme.matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)].map(m => m[1]);
    expect(blocks.length).toBeGreaterThan([...readme.matchAll(/^```ts$/gm)].length);
    expect(blocks.length).toBeGreaterThan(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
    const files = blocks.map((code, i) => {
      const file = path.join(dir, `example${i}.ts`);
      fs.writeFileSync(file, code);
      return file;
    });
    const root = path.join(__dirname, '..', '..');
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      types: ['node'],
      baseUrl: root,
      // 'aws-cdk-lib' itself as its core module, which it re-exports whole: the root's other exports are
      // the namespaces of every service module (aws_s3, ...), which the examples import by path
      // ('aws-cdk-lib/aws-s3'). Reading every service module's types was a third of the check.
      paths: { 'cdk-sagemaker-ml': ['lib/index.ts'], 'cdk-sagemaker-ml-local': ['local/src/index.ts'], 'aws-cdk-lib': ['node_modules/aws-cdk-lib/core/index.d.ts'], '*': ['node_modules/*'] },
      typeRoots: [path.join(root, 'node_modules/@types')],
    });
    // The examples' own diagnostics only: checking them checks what they use of the library, and
    // the library itself is type-checked before the tests run (a whole-program check took 15 s).
    const errors = files.map(file => program.getSourceFile(file)!)
      .flatMap(source => [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)])
      .map(d => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(errors).toEqual([]);
  }, 60_000);

  // The translations themselves are made by `npm run readme:python` (jsii-rosetta with the
  // library's types, ~2 minutes) and checked current in CI (.ci/run regenerates and diffs).
  test('every TypeScript example is followed by its Python translation, made from that very TypeScript', () => {
    const examples = examplesOf(readme);
    expect(examples.length).toBe([...readme.matchAll(/^```ts$/gm)].length);
    const stale = examples.filter(e => e.recordedHash !== hashOf(e.typescript)).map(e => e.typescript.split('\n').find(l => l.startsWith('import'))?.slice(0, 60) ?? e.typescript.slice(0, 60));
    expect(stale).toEqual([]); // an example changed without `npm run readme:python`
    expect([...readme.matchAll(/^```python$/gm)].length).toBe(examples.length);
  });

  test('every Python example is valid Python and imports from cdk_sagemaker_ml and aws_cdk', () => {
    const python = examplesOf(readme).map(e => e.python!);
    expect(() => checkPythonSyntax(python)).not.toThrow();
    expect(() => checkPythonSyntax(['prices = PriceList.bundled().with_prices([\n    region="us-east-1",\n])'])).toThrow(/example 1, line 2/);
    for (const p of python) expect(p).toMatch(/^from (cdk_sagemaker_ml|aws_cdk) import /m);
  });

  test('merges the struct imports jsii-rosetta adds into one import per module', () => {
    expect(mergeImports([
      'from cdk_sagemaker_ml import TrainingChannel, MetricDefinition, TrainingChannel',
      'from aws_cdk import Duration, Stack',
      'import aws_cdk.aws_stepfunctions as sfn',
      'from cdk_sagemaker_ml import TrainingWorkflow, ChannelDataSource',
      '',
      '# stack: Stack',
    ].join('\n'))).toBe([
      'from aws_cdk import Duration, Stack',
      'import aws_cdk.aws_stepfunctions as sfn',
      'from cdk_sagemaker_ml import ChannelDataSource, MetricDefinition, TrainingChannel, TrainingWorkflow',
      '',
      '# stack: Stack',
    ].join('\n'));
  });
});
