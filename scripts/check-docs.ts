/* eslint-disable no-console */
// Fails when a public API element of the jsii assembly lacks a description, or an optional
// prop lacks a `@default` (users need both; API.md is generated from them).
import * as fs from 'fs';
import * as path from 'path';

const assembly = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '.jsii'), 'utf8'));
const problems: string[] = [];
for (const [fqn, type] of Object.entries<any>(assembly.types)) {
  if (!type.docs?.summary) problems.push(`${fqn}: no description`);
  for (const member of type.members ?? []) {
    if (!member.docs?.summary) problems.push(`${fqn}.${member.name}: no description`);
  }
  for (const prop of type.properties ?? []) {
    // Inherited-from-elsewhere overrides carry the parent's docs in jsii; own props must have their own.
    if (!prop.docs?.summary) problems.push(`${fqn}.${prop.name}: no description`);
    if (type.datatype && prop.optional && prop.docs?.default === undefined) problems.push(`${fqn}.${prop.name}: optional prop without @default`);
  }
  for (const method of type.methods ?? []) {
    if (!method.docs?.summary) problems.push(`${fqn}#${method.name}(): no description`);
  }
}
if (problems.length) {
  console.error(`${problems.length} public API elements need docs:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`docs: every public type, member and prop of ${Object.keys(assembly.types).length} types is described; every optional prop has a @default`);
