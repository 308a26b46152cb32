import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { README, diagramsSection, readmeWithDiagrams } from '../../scripts/diagrams';

const readme = fs.readFileSync(README, 'utf8');

describe('README', () => {
  test('shows both quick-start commands', () => {
    expect(readme).toContain('npm ci && npx cdk synth');
    expect(readme).toContain('npm ci && npm test');
  });

  test('diagrams are those of the reference app as it synthesizes today (npm run diagrams)', () => {
    expect(readmeWithDiagrams(readme, diagramsSection())).toBe(readme);
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
