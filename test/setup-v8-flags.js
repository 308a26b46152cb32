// Jest runs this in every test file before its tests (jestConfig.setupFiles in .projenrc.ts).
// aws-cdk-lib's CloudFormation validation is a 9 MB WebAssembly module that each test file
// compiles afresh; V8's optimizing tier (TurboFan) then recompiles its hot functions, which
// costs more CPU than the short validations it speeds up. Liftoff only: the same results,
// faster (bin/ts-run.js does the same for `cdk synth`; `npm run bench` measures it).
require('v8').setFlagsFromString('--liftoff-only');
