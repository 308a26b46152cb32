import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';

// What a user's npm or pip resolves: the peers must be ranges the published code needs, nothing
// else. The repository publishes two npm packages: the construct package (the top level: lib/,
// jsii, constructs only) and the tools package `cdk-sagemaker-ml-local` (the npm workspace local/:
// the local runtime and the cost estimate, plain TypeScript). scripts/consumer-check.sh packs
// both and installs them with the oldest and newest aws-cdk-lib of the range; this test keeps the
// two package.json files honest between those runs.
const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const LOCAL = path.join(ROOT, 'local');
const localPkg = JSON.parse(fs.readFileSync(path.join(LOCAL, 'package.json'), 'utf8'));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|require\('([^']+)'\)|import\('([^']+)'\)/g;

/** The packages the sources under `dir` import (what their compiled code requires at run time), by file. */
function importedPackages(dir: string): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of sources(dir)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      used.set(name, [...(used.get(name) ?? []), path.relative(ROOT, file)]);
    }
  }
  return used;
}

/** Relative imports of the sources under `dir` that leave it (the package would not have those files). */
function importsOutside(dir: string): string[] {
  const outside: string[] = [];
  for (const file of sources(dir)) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (path.relative(dir, target).startsWith('..')) outside.push(`${path.relative(ROOT, file)}: '${spec}'`);
    }
  }
  return outside;
}

describe('package.json', () => {
  test('aws-cdk-lib and constructs are peer ranges up to the next major, never a pinned version', () => {
    expect(pkg.peerDependencies['aws-cdk-lib']).toMatch(/^\^2\.\d+\.\d+$/);
    expect(pkg.peerDependencies.constructs).toMatch(/^\^10\.\d+\.\d+$/);
  });

  test('no prerelease (alpha) module is a peer: npm would match one version only', () => {
    const prerelease = Object.entries<string>(pkg.peerDependencies).filter(([name, range]) => /-alpha|-/.test(range) || name.endsWith('-alpha'));
    expect(prerelease).toEqual([]);
  });

  test('constructs only: no bundled dependencies, no runtime dependencies, no command', () => {
    expect(pkg.bundledDependencies ?? []).toEqual([]);
    expect(pkg.bundleDependencies ?? []).toEqual([]);
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.bin).toBeUndefined();
  });

  test('the tools package is the npm workspace local/', () => {
    expect(pkg.workspaces).toContain('local');
  });

  test('the published code imports exactly its peers', () => {
    const used = importedPackages(path.join(ROOT, 'lib'));
    const provided = new Set(Object.keys(pkg.peerDependencies));
    const missing = [...used.entries()].filter(([name]) => !provided.has(name)).map(([name, files]) => `${name} (imported by ${files[0]})`);
    expect(missing).toEqual([]); // a user's install would not have these
    const unused = Object.keys(pkg.peerDependencies).filter(name => !used.has(name));
    expect(unused).toEqual([]); // a peer nothing imports only makes installs fail
  });

  test('the tarball leaves out tests, sources, containers, scripts, docs, CI and the tools package', () => {
    const ignored = fs.readFileSync(path.join(ROOT, '.npmignore'), 'utf8').split('\n').map(l => l.trim());
    for (const entry of ['/test/', '/lib/', 'containers', 'scripts', 'docs', 'bench', '.ci', 'bin', 'cdk.json', 'API.python.md', 'local']) {
      expect(ignored).toContain(entry);
    }
    expect(ignored).toContain('!/dist/**/*.js');
    expect(ignored).toContain('!.jsii');
  });

  test('the Python package keeps its distribution and module names', () => {
    expect(pkg.jsii.targets.python).toEqual({ distName: 'cdk-sagemaker-ml', module: 'cdk_sagemaker_ml' });
  });
});

describe('local/package.json (the tools package)', () => {
  test('is cdk-sagemaker-ml-local, with the command cdk-sagemaker-ml-local', () => {
    expect(localPkg.name).toBe('cdk-sagemaker-ml-local');
    expect(localPkg.bin).toEqual({ 'cdk-sagemaker-ml-local': 'dist/cli.js' });
  });

  test('its ASL interpreter is an ordinary dependency, not bundled', () => {
    expect(Object.keys(localPkg.dependencies ?? {})).toContain('aws-local-stepfunctions');
    expect(localPkg.bundledDependencies ?? []).toEqual([]);
    expect(localPkg.bundleDependencies ?? []).toEqual([]);
  });

  test('aws-cdk-lib is a peer with the construct package\'s range (the app\'s own copy reads its assembly)', () => {
    expect(localPkg.peerDependencies?.['aws-cdk-lib']).toBe(pkg.peerDependencies['aws-cdk-lib']);
    expect(localPkg.dependencies?.['aws-cdk-lib']).toBeUndefined();
  });

  test('its sources import only its dependencies, its peers and Node built-ins, and nothing outside local/src', () => {
    const src = path.join(LOCAL, 'src');
    const used = importedPackages(src);
    const provided = new Set([...Object.keys(localPkg.dependencies ?? {}), ...Object.keys(localPkg.peerDependencies ?? {})]);
    const missing = [...used.entries()].filter(([name]) => !provided.has(name)).map(([name, files]) => `${name} (imported by ${files[0]})`);
    expect(missing).toEqual([]); // a user's install would not have these
    const unused = [...provided].filter(name => !used.has(name));
    expect(unused).toEqual([]); // a dependency nothing imports only costs installs
    expect(importsOutside(src)).toEqual([]); // lib/, bin/ or test/ are not in its tarball
  });
});
