import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';

// What a user's npm or pip resolves: the peers must be ranges the published code needs, nothing
// else. (scripts/consumer-check.sh installs the packed library with the oldest and newest
// aws-cdk-lib of the range; this test keeps package.json honest between those runs.)
const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The packages lib/ imports (what dist/ will require at run time), by file. */
function importedPackages(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of sources(path.join(ROOT, 'lib'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|require\('([^']+)'\)/g)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      used.set(name, [...(used.get(name) ?? []), path.relative(ROOT, file)]);
    }
  }
  return used;
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

  test('the published code imports exactly its peers and bundled dependencies', () => {
    const used = importedPackages();
    const provided = new Set([...Object.keys(pkg.peerDependencies), ...(pkg.bundledDependencies ?? [])]);
    const missing = [...used.entries()].filter(([name]) => !provided.has(name)).map(([name, files]) => `${name} (imported by ${files[0]})`);
    expect(missing).toEqual([]); // a user's install would not have these
    const unused = Object.keys(pkg.peerDependencies).filter(name => !used.has(name));
    expect(unused).toEqual([]); // a peer nothing imports only makes installs fail
  });

  test('the tarball leaves out tests, sources, containers, scripts, docs and CI', () => {
    const ignored = fs.readFileSync(path.join(ROOT, '.npmignore'), 'utf8').split('\n').map(l => l.trim());
    for (const entry of ['/test/', '/lib/', 'containers', 'scripts', 'docs', 'bench', '.ci', 'bin', 'cdk.json', 'API.python.md']) {
      expect(ignored).toContain(entry);
    }
    expect(ignored).toContain('!/dist/**/*.js');
    expect(ignored).toContain('!.jsii');
  });

  test('the Python package keeps its distribution and module names', () => {
    expect(pkg.jsii.targets.python).toEqual({ distName: 'cdk-sagemaker-ml', module: 'cdk_sagemaker_ml' });
  });
});
