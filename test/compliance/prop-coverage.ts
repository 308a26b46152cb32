import * as path from 'path';
/* eslint-disable no-bitwise */ // TypeScript symbol flags are bit sets
import * as ts from 'typescript';

/**
 * How often each optional prop of a public props interface is set in the generated cases of
 * the bad-input search. The props are read from the library's source with the TypeScript
 * compiler (inherited ones included), so a new prop is measured without editing a list.
 */

const LIB = path.join(__dirname, '..', '..', 'lib', 'index.ts');
let checker: ts.TypeChecker | undefined;
let exportsOfLib: ts.Symbol[] | undefined;

/** The optional props of an exported interface of the library. */
export function optionalPropsOf(interfaceName: string): string[] {
  if (!checker) {
    const program = ts.createProgram([LIB], { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS, skipLibCheck: true });
    checker = program.getTypeChecker();
    exportsOfLib = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(LIB)!)!);
  }
  const symbol = exportsOfLib!.find(s => s.name === interfaceName);
  if (!symbol) throw new Error(`lib exports no ${interfaceName}`);
  const type = checker.getDeclaredTypeOfSymbol(symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  // The library's own props: those a props interface inherits from aws-cdk-lib (a task
  // state's comment, heartbeat, ...) are aws-cdk-lib's to test.
  const libDir = path.dirname(LIB);
  return checker.getPropertiesOfType(type)
    .filter(p => p.flags & ts.SymbolFlags.Optional)
    .filter(p => (p.declarations ?? []).some(d => d.getSourceFile().fileName.startsWith(libDir)))
    .map(p => p.name).sort();
}

const cases = new Map<string, number>();
const set = new Map<string, Map<string, number>>();

/** Records which props of `interfaceName` a generated case sets; returns the props unchanged. */
export function measure<T extends object>(interfaceName: string, props: T): T {
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
