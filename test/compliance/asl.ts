import * as path from 'path';

/**
 * asl-validator 4.0.0 with its JSON schemas compiled once per test file. Its entry point builds
 * a new Ajv and compiles the Amazon States Language schemas on every call (50-70 ms, against
 * well under 1 ms to run them once compiled), which was 40% of the bad-input search.
 *
 * The checks are asl-validator's own: its entry point still runs, with its schema step answered
 * by one compiled validator whose formats are registered as asl-validator registers them. When
 * that validator rejects a definition, or the options are not the defaults, asl-validator's own
 * schema step runs instead, so every error is reported with asl-validator's exact message.
 * test/compliance/asl.test.ts checks the two agree, on valid and on broken definitions.
 */

const ASL_DIR = path.dirname(require.resolve('asl-validator'));
/** Loads a module as asl-validator resolves it (it has its own Ajv 8). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fromAsl = (id: string) => require(id.startsWith('.') ? path.join(ASL_DIR, id) : require.resolve(id, { paths: [ASL_DIR] }));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator: (definition: unknown, options?: AslOptions) => AslResult = require('asl-validator');
const schemaStep = fromAsl('./checks/json-schema-errors');
const uncompiledSchemaErrors: (definition: unknown, options: AslOptions) => unknown[] = schemaStep.jsonSchemaErrors;

interface AslOptions { readonly checkPaths?: boolean; readonly checkArn?: boolean }
/** What asl-validator returns. */
export interface AslResult {
  readonly isValid: boolean;
  readonly errors: unknown[];
  errorsText(separator?: string): string;
}

const SCHEMAS = ['common', 'paths', 'jsonata', 'choice', 'fail', 'parallel', 'pass', 'base-state-machine', 'state-machine', 'state', 'succeed', 'task', 'wait', 'map', 'errors'];
const STATE_MACHINE_SCHEMA = 'http://asl-validator.cloud/state-machine.json#';

let compiled: ((definition: unknown) => boolean) | undefined;

function compile(): (definition: unknown) => boolean {
  const Ajv = fromAsl('ajv').default;
  const ajv = new Ajv({ schemas: SCHEMAS.map(name => fromAsl(`./schemas/${name}.json`)), allowUnionTypes: true });
  fromAsl('ajv-formats').default(ajv);
  const jsonata = fromAsl('jsonata');
  // A JSONata expression, with or without its {% %} delimiters, must parse.
  const parses = (value: string): boolean => {
    let expression = value.trim();
    if (expression.startsWith('{%')) expression = expression.slice(2);
    if (expression.endsWith('%}')) expression = expression.slice(0, -2);
    try {
      jsonata(expression);
      return true;
    } catch {
      return false;
    }
  };
  ajv.addFormat('jsonata_string', parses);
  ajv.addFormat('maybe_jsonata_string', (value: string) => {
    const trimmed = value.trim();
    return trimmed.startsWith('{%') || trimmed.endsWith('%}') ? parses(trimmed) : true;
  });
  // The default options: paths and ARNs are checked.
  fromAsl('asl-path-validator').registerAll(ajv);
  ajv.addFormat('asl_arn', fromAsl('./checks/formats').isArnFormatValid);
  const validate = ajv.getSchema(STATE_MACHINE_SCHEMA);
  return (definition: unknown) => validate(definition) === true;
}

let useCompiled = true;

schemaStep.jsonSchemaErrors = (definition: unknown, options: AslOptions): unknown[] => {
  const defaults = options.checkPaths === true && options.checkArn === true;
  if (useCompiled && defaults) {
    compiled ??= compile();
    if (compiled(definition)) return [];
  }
  return uncompiledSchemaErrors(definition, options);
};

/** Validates a state machine definition with asl-validator, its schemas compiled once. */
export function validateAsl(definition: unknown): AslResult {
  return aslValidator(definition);
}

/** asl-validator as it runs unmodified (a new Ajv per call), to compare with. */
export function validateAslUncompiled(definition: unknown): AslResult {
  useCompiled = false;
  try {
    return aslValidator(definition);
  } finally {
    useCompiled = true;
  }
}
