/* eslint-disable no-bitwise */ // the SDK's schema encoding packs list and map flags into bits
// eslint-disable-next-line import/no-extraneous-dependencies
import * as sm from '@aws-sdk/client-sagemaker';

/**
 * Checks a SageMaker request, as rendered in a state's Parameters, against SageMaker's own
 * API model (the schemas @aws-sdk/client-sagemaker ships): member names, required members,
 * scalar types, and the instance-type enums. `Key.$` members are evaluated at run time, so
 * only their names are checked.
 *
 * Schema encoding: structure `[3, ns, name, traits, memberNames, memberSchemas, requiredCount?]`
 * (required members first), list `[1, ns, name, traits, member]`, map `[2, ns, name, traits, key, value]`,
 * and numbers: 0 string, 1 number, 2 boolean, 64|n list of n, 128|n map of n.
 */
const INSTANCE_TYPE_ENUMS: Record<string, string[]> = {
  'ResourceConfig.InstanceType': Object.values(sm.TrainingInstanceType),
  'ClusterConfig.InstanceType': Object.values(sm.ProcessingInstanceType),
  'TransformResources.InstanceType': Object.values(sm.TransformInstanceType),
  'ProductionVariant.InstanceType': Object.values(sm.ProductionVariantInstanceType),
};

function resolve(schema: any): any {
  return typeof schema === 'function' ? schema() : schema;
}

function checkValue(schema: any, value: any, path: string, errors: string[]): void {
  schema = resolve(schema);
  if (typeof schema === 'number') {
    if (schema & 128) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) errors.push(`${path}: expected a map, got ${JSON.stringify(value)}`);
      else for (const [k, v] of Object.entries(value)) if (!k.endsWith('.$')) checkValue(schema & 63, v, `${path}.${k}`, errors);
      return;
    }
    if (schema & 64) {
      if (!Array.isArray(value)) errors.push(`${path}: expected a list, got ${JSON.stringify(value)}`);
      else value.forEach((v, i) => checkValue(schema & 63, v, `${path}[${i}]`, errors));
      return;
    }
    const expected = schema === 1 ? 'number' : schema === 2 ? 'boolean' : schema === 0 ? 'string' : undefined;
    if (expected && typeof value !== expected) errors.push(`${path}: expected a ${expected}, got ${JSON.stringify(value)}`);
    return;
  }
  if (!Array.isArray(schema)) return;
  const [kind, , name] = schema;
  if (kind === 3) {checkStructure(schema, value, path, errors);} else if (kind === 1) {
    if (!Array.isArray(value)) errors.push(`${path}: expected a list of ${name}, got ${JSON.stringify(value)}`);
    else value.forEach((v, i) => checkValue(schema[4], v, `${path}[${i}]`, errors));
  } else if (kind === 2) {
    if (typeof value !== 'object' || value === null) errors.push(`${path}: expected a map, got ${JSON.stringify(value)}`);
    else for (const [k, v] of Object.entries(value)) if (!k.endsWith('.$')) checkValue(schema[5], v, `${path}.${k}`, errors);
  }
}

function checkStructure(schema: any[], value: any, path: string, errors: string[]): void {
  const [, , name, , names, members, required = 0] = schema;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push(`${path}: expected a ${name} object, got ${JSON.stringify(value)}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const member = key.replace(/\.\$$/, '');
    const index = names.indexOf(member);
    if (index < 0) {
      errors.push(`${path}: ${name} has no member '${member}' (members: ${names.join(', ')})`);
      continue;
    }
    if (key.endsWith('.$')) {
      if (typeof v !== 'string') errors.push(`${path}.${key}: a JSONPath value must be a string`);
      continue;
    }
    const enumValues = INSTANCE_TYPE_ENUMS[`${name}.${member}`];
    if (enumValues && typeof v === 'string' && !v.startsWith('${') && !enumValues.includes(v)) {
      errors.push(`${path}.${member}: '${v}' is not a ${name} instance type SageMaker accepts`);
    }
    checkValue(members[index], v, `${path}.${member}`, errors);
  }
  for (const member of names.slice(0, required)) {
    if (!(member in value) && !(`${member}.$` in value)) errors.push(`${path}: ${name} requires '${member}'`);
  }
}

/** The request schema of a SageMaker API named in a state's Resource, if it is one. */
export function requestSchemaOf(resource: string): any[] | undefined {
  const match = /:states:::(?:aws-sdk:)?sagemaker:([a-zA-Z]+?)(?:\.sync)?$/.exec(resource);
  if (!match) return undefined;
  const api = match[1][0].toUpperCase() + match[1].slice(1);
  const schema = (sm as any)[`${api}Request$`] ?? (sm as any)[`${api}Input$`];
  if (!schema) throw new Error(`no SageMaker request schema for ${api}`);
  return schema;
}

/** The contract violations of every SageMaker task in a state machine definition. */
export function sagemakerContractViolations(definition: any): string[] {
  const errors: string[] = [];
  const visit = (states: Record<string, any>) => {
    for (const [id, state] of Object.entries(states)) {
      if (state.Type === 'Parallel') state.Branches.forEach((b: any) => visit(b.States));
      if (state.Type === 'Map') visit((state.ItemProcessor ?? state.Iterator).States);
      if (state.Type !== 'Task') continue;
      const schema = requestSchemaOf(state.Resource);
      if (schema) checkStructure(schema, state.Parameters ?? {}, id, errors);
    }
  };
  visit(definition.States);
  return errors;
}

/** The number of SageMaker tasks the check covers. */
export function sagemakerTaskCount(definition: any): number {
  return Object.values<any>(definition.States).filter(s => s.Type === 'Task' && requestSchemaOf(s.Resource)).length;
}
