#!/usr/bin/env node
// Runs a TypeScript entry point (`node bin/ts-run.js bin/app.ts`) the way `ts-node --transpile-only
// --prefer-ts-exts` does, but keeps each transpiled file in .cache/ts-run/ (gitignored), keyed by
// its content, the TypeScript version and the compiler options. `cdk synth` then loads no compiler
// at all once the sources have been seen: transpiling lib/ on every synth was a sixth of the
// reference app's synth time. A fresh clone needs no build step: the first run fills the cache.
// Like ts-node --transpile-only, this does not type-check (`npm test` does).
'use strict';
// WebAssembly's baseline compiler (Liftoff) only. The one WebAssembly module a synth runs is
// aws-cdk-lib's CloudFormation validation engine (9 MB); V8's optimizing tier recompiles its hot
// functions in the background while a template is validated, which costs more than it saves in
// a run this short: with Liftoff only, building the engine and validating the reference app's
// templates took 1.9 + 0.5 CPU s against 3.2 + 1.8 (same findings). Set before anything loads it.
require('v8').setFlagsFromString('--liftoff-only');
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
// TS_RUN_CACHE_DIR: another place (the benchmark times a first run with an empty one).
const CACHE_DIR = process.env.TS_RUN_CACHE_DIR || path.join(ROOT, '.cache', 'ts-run');

let ts; // loaded only when a file is not in the cache
let options;
function compilerOptions() {
  ts ??= require('typescript');
  if (!options) {
    const { config } = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    options = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT).options;
    // What ts-node emits for a CommonJS package, with inline source maps for stack traces.
    Object.assign(options, { module: ts.ModuleKind.CommonJS, inlineSourceMap: true, inlineSources: true, sourceMap: false, declaration: false, noEmit: false });
  }
  return options;
}

// Part of every key: a cached file is stale when the compiler or its options change.
const TS_VERSION = JSON.parse(fs.readFileSync(require.resolve('typescript/package.json'), 'utf8')).version;
const TSCONFIG = fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8');

function transpiled(source, filename) {
  const key = crypto.createHash('sha256').update(`${TS_VERSION}\0${TSCONFIG}\0${filename}\0${source}`).digest('hex');
  const cached = path.join(CACHE_DIR, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  const compiled = compilerOptions();
  const { outputText } = ts.transpileModule(source, { fileName: filename, compilerOptions: compiled });
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const temporary = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, outputText);
    fs.renameSync(temporary, cached); // atomic: a concurrent run never reads half a file
  } catch {
    // a read-only checkout still runs, uncached
  }
  return outputText;
}

// .ts first, so lib/foo.ts wins over a stray compiled lib/foo.js (ts-node's --prefer-ts-exts).
const others = Object.entries(Module._extensions);
for (const [ext] of others) delete Module._extensions[ext];
Module._extensions['.ts'] = (module, filename) => {
  if (filename.endsWith('.d.ts') || filename.includes(`${path.sep}node_modules${path.sep}`)) {
    throw new Error(`ts-run: will not run ${filename}`);
  }
  module._compile(transpiled(fs.readFileSync(filename, 'utf8'), filename), filename);
};
for (const [ext, loader] of others) Module._extensions[ext] = loader;

// Source-mapped stack traces only when asked for (TS_RUN_SOURCE_MAPS=1, or node's own
// --enable-source-maps): with them on, Node decodes every inline source map a module carries (some
// in node_modules do) and maps every stack trace the CDK captures (one per construct and per
// acknowledgement): 4.5% of the reference app's CPU (bench/NOTES.md, "source maps"). The
// transpiled files keep their inline maps, so turning them on needs no new transpile.
const SOURCE_MAPS = process.env.TS_RUN_SOURCE_MAPS === '1';
if (SOURCE_MAPS) {
  process.setSourceMapsEnabled(true);
} else {
  process.on('exit', code => {
    if (code !== 0 && !process.execArgv.includes('--enable-source-maps')) {
      console.error('(ts-run: stack trace lines are those of the transpiled code; TS_RUN_SOURCE_MAPS=1 maps them to the .ts sources)');
    }
  });
}
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bin/ts-run.js <file.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...args];
require(path.resolve(entry));
