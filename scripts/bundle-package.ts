// The construct package's one module (issue 26: `npm install` pays about 2 ms per file, and the
// per-module layout was 241 files, 67 now). Runs in the compile task after jsii, which rebuilds dist/ whole
// from lib/ (it keeps no incremental build info), so the input is always jsii's fresh output, never
// a previous bundle: jsii's compiled modules (with the runtime type information jsii adds to them,
// which the jsii kernel reads for Python users) become dist/index.js, one CommonJS module, by
// esbuild. aws-cdk-lib, constructs and Node's own modules stay imports: they are the package's peers.
//
// Then dist/ holds what the package ships: that module, the typings a user's compiler reads (those
// dist/index.d.ts reaches by its imports, per module: jsii's layout, by which jsii-rosetta finds each
// type of the assembly for the README's and Construct Hub's Python examples) and the analysis
// script. The other modules' files go: the bundle holds their code, and no shipped typing imports
// them (the private modules' typings). Nothing in the repository reads them: jsii-docgen and
// jsii-rosetta read the assembly and the typings, the tests and the reference app lib/'s sources.
// scripts/consumer-check.sh installs the tarball and type-checks, compiles and synthesizes an app
// against it.
import * as fs from 'fs';
import * as path from 'path';
// eslint-disable-next-line import/no-extraneous-dependencies
import * as esbuild from 'esbuild';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const BANNER = '// cdk-sagemaker-ml: the compiled modules of lib/ as one module (scripts/bundle-package.ts).';

function fail(message: string): never {
  process.stderr.write(`bundle-package: ${message}\n`);
  process.exit(1);
}

const entry = path.join(DIST, 'index.js');
if (!fs.existsSync(entry)) fail('dist/index.js is missing: run jsii first (npx projen compile)');
if (fs.readFileSync(entry, 'utf8').startsWith(BANNER)) {
  fail('dist/index.js is already a bundle: jsii did not rebuild dist/ (run npx projen compile)');
}

const work = fs.mkdtempSync(path.join(DIST, '.bundle-'));
try {
  const js = path.join(work, 'index.js');
  const result = esbuild.buildSync({
    entryPoints: [entry],
    outfile: js,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The peers (and anything under them, such as aws-cdk-lib/aws-iam) are the user's.
    external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
    // Class and function names as jsii compiled them: error messages and stack traces name them.
    keepNames: true,
    banner: { js: BANNER },
    logLevel: 'warning',
    metafile: true,
  });
  if (result.errors.length > 0) fail(result.errors.map(e => e.text).join('\n'));
  // Every import left is a peer's or Node's.
  const imports = new Set(Object.values(result.metafile!.inputs).flatMap(i => i.imports.filter(x => x.external).map(x => x.path)));
  const foreign = [...imports].filter(i => i !== '<runtime>' && !/^(aws-cdk-lib(\/.*)?|constructs|(node:)?(fs|path|crypto|os|util|assert))$/.test(i));
  if (foreign.length > 0) fail(`the bundle imports what is not a peer: ${foreign.join(', ')}`);

  // The typings a user's compiler reads: dist/index.d.ts and what it imports, transitively.
  const typings = new Set<string>();
  const pending = [path.join(DIST, 'index.d.ts')];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (typings.has(file)) continue;
    if (!fs.existsSync(file)) fail(`${path.relative(ROOT, file)} is imported by the typings but missing`);
    typings.add(file);
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const ref of [...info.importedFiles, ...info.referencedFiles]) {
      if (!ref.fileName.startsWith('.')) continue; // a peer's, or Node's
      const target = path.resolve(path.dirname(file), ref.fileName);
      pending.push(fs.existsSync(`${target}.d.ts`) ? `${target}.d.ts` : path.join(target, 'index.d.ts'));
    }
  }

  fs.renameSync(js, entry);
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap(e => e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
  for (const file of walk(DIST)) {
    const compiled = file.endsWith('.js') && file !== entry;
    if (compiled || (file.endsWith('.d.ts') && !typings.has(file))) fs.rmSync(file);
  }
  const prune = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) prune(path.join(dir, e.name));
    if (dir !== DIST && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  };
  prune(DIST);
  process.stdout.write(`bundle-package: dist/index.js (${Object.keys(result.metafile!.inputs).length} modules), ${typings.size} typings\n`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
