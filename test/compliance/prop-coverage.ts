import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * How often each optional prop of a public props interface is set in the generated cases of
 * the bad-input search. The props are read from the library's source (inherited ones
 * included, see property/optional-props.js), so a new prop is measured without editing a list.
 */

const LIB = path.join(__dirname, '..', '..', 'lib', 'index.ts');
const SCRIPT = path.join(__dirname, 'property', 'optional-props.js');
let optionalProps: Record<string, string[]> | undefined;

/** The optional props of every exported interface of the library, by interface name. */
export function libraryInterfaces(): Record<string, string[]> {
  optionalProps ??= JSON.parse(readOptionalProps());
  return optionalProps!;
}

/**
 * The script's output for the library's sources as they are: kept in the temporary directory
 * under a hash of every lib/ source and of the script, so that the test files of one run (six
 * read it) start the script once (a second of CPU each).
 */
function readOptionalProps(): string {
  const hash = createHash('sha256').update(fs.readFileSync(SCRIPT));
  const sources = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
    .flatMap(e => e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
  for (const file of sources(path.dirname(LIB))) hash.update(file).update(fs.readFileSync(file));
  const cached = path.join(os.tmpdir(), `optional-props-${hash.digest('hex')}.json`);
  if (fs.existsSync(cached)) return fs.readFileSync(cached, 'utf8');
  // In plain node: the TypeScript compiler loads ten times faster there than in a jest worker.
  const output = execFileSync(process.execPath, [SCRIPT, LIB], { encoding: 'utf8' });
  JSON.parse(output);
  const partial = `${cached}.${process.pid}`;
  fs.writeFileSync(partial, output);
  fs.renameSync(partial, cached);
  return output;
}

/** The optional props of an exported interface of the library. */
export function optionalPropsOf(interfaceName: string): string[] {
  const props = libraryInterfaces()[interfaceName];
  if (!props) throw new Error(`lib exports no ${interfaceName}`);
  return props;
}

const cases = new Map<string, number>();
const set = new Map<string, Map<string, number>>();

let paused = 0;

/** Runs `f` without measuring: a case built again (the harness's batches) counts once. */
export function withoutMeasuring<T>(f: () => T): T {
  paused++;
  try {
    return f();
  } finally {
    paused--;
  }
}

/** Records which props of `interfaceName` a generated case sets; returns the props unchanged. */
export function measure<T extends object>(interfaceName: string, props: T): T {
  if (paused > 0) return props;
  cases.set(interfaceName, (cases.get(interfaceName) ?? 0) + 1);
  const counts = set.get(interfaceName) ?? new Map<string, number>();
  set.set(interfaceName, counts);
  for (const [key, value] of Object.entries(props)) if (value !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  return props;
}

/** For each measured interface and optional prop, the share of cases that set it. */
export function coverage(): { interfaceName: string; prop: string; share: number }[] {
  return [...cases.entries()].flatMap(([interfaceName, n]) => optionalPropsOf(interfaceName).map(prop => ({
    interfaceName, prop, share: (set.get(interfaceName)?.get(prop) ?? 0) / n,
  })));
}

/** The interfaces measured so far. */
export function measuredInterfaces(): string[] {
  return [...cases.keys()].sort();
}
