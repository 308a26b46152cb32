import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { README, regeneratedReadme } from '../../scripts/readme';

const readme = fs.readFileSync(README, 'utf8');

describe('README', () => {
  test('shows both quick-start commands', () => {
    expect(readme).toContain('npm ci && npx cdk synth');
    expect(readme).toContain('npm ci && npm test');
  });

  test('diagrams and cost table are those of the reference app as it synthesizes today (npm run readme)', () => {
    expect(regeneratedReadme(readme)).toBe(readme);
  });

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
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);
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
      paths: { 'cdk-sagemaker-ml': ['lib/index.ts'], '*': ['node_modules/*'] },
      typeRoots: [path.join(root, 'node_modules/@types')],
    });
    const errors = ts.getPreEmitDiagnostics(program).filter(d => d.file && files.includes(path.resolve(d.file.fileName)))
      .map(d => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(errors).toEqual([]);
  }, 60_000);
});
