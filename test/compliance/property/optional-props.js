// @ts-check
/**
 * Prints, as JSON, the optional props of every interface the library exports:
 * `{ "<InterfaceName>": ["<prop>", ...] }`, inherited props included when the parent is the
 * library's own (a task state's `comment`, `heartbeat`, ... come from aws-cdk-lib and are
 * aws-cdk-lib's to test).
 *
 * Run by prop-coverage.ts in a child process: loading the TypeScript compiler in a jest
 * worker costs about 4 CPU seconds per test file, in plain node a tenth of that. It parses
 * the sources only (no type checker): jsii keeps the library's props interfaces simple
 * (named `extends`, property signatures), which is all this reads.
 *
 * Usage: node optional-props.js <path to lib/index.ts>
 */
const fs = require('fs');
const path = require('path');
// eslint-disable-next-line import/no-extraneous-dependencies
const ts = require('typescript');

const index = path.resolve(process.argv[2]);
/** @type {Map<string, { optional: string[], parents: string[] }>} */
const interfaces = new Map();
/** @type {Set<string>} */
const exported = new Set();
/** @type {Set<string>} */
const visited = new Set();

/** @param {string} file */
function visit(file) {
  if (visited.has(file)) return;
  visited.add(file);
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2020, false);
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      visit(path.resolve(path.dirname(file), `${statement.moduleSpecifier.text}.ts`));
    } else if (ts.isInterfaceDeclaration(statement)) {
      const name = statement.name.text;
      const isExported = (ts.getModifiers(statement) ?? []).some(m => m.kind === ts.SyntaxKind.ExportKeyword);
      if (isExported) exported.add(name);
      const optional = statement.members
        .filter(m => ts.isPropertySignature(m) && m.questionToken && m.name && ts.isIdentifier(m.name))
        .map(m => /** @type {ts.Identifier} */ (m.name).text);
      // `extends Foo` names an interface of the library; `extends sfn.Foo` one of aws-cdk-lib.
      const parents = (statement.heritageClauses ?? []).flatMap(c => c.types)
        .filter(t => ts.isIdentifier(t.expression)).map(t => /** @type {ts.Identifier} */ (t.expression).text);
      if (!interfaces.has(name) || isExported) interfaces.set(name, { optional, parents });
    }
  }
}

/**
 * @param {string} name
 * @returns {string[]}
 */
function optionalProps(name) {
  const entry = interfaces.get(name);
  if (!entry) return [];
  return [...entry.optional, ...entry.parents.flatMap(optionalProps)];
}

visit(index);
/** @type {Record<string, string[]>} */
const result = {};
for (const name of [...exported].sort()) result[name] = [...new Set(optionalProps(name))].sort();
process.stdout.write(JSON.stringify(result));
