/**
 * EventBridge, for the one event the local runtime emits: `Step Functions Execution Status
 * Change`. Rules of the template whose pattern matches it deliver to their SNS targets, with
 * `Input`, `InputPath` or `InputTransformer` applied as EventBridge applies them.
 */

/** Whether an event matches an EventBridge event pattern (exact values, prefix, suffix, anything-but, exists, numeric). */
export function matchesPattern(pattern: any, event: any): boolean {
  for (const [key, expected] of Object.entries<any>(pattern)) {
    // "$or": one of the sub-patterns matches at this level (EventBridge user guide,
    // eb-create-pattern-operators.html, "Or matching").
    if (key === '$or') {
      if (!Array.isArray(expected) || !expected.some(sub => matchesPattern(sub, event))) return false;
      continue;
    }
    const actual = event?.[key];
    if (Array.isArray(expected)) {
      if (!matchesValues(expected, actual)) return false;
    } else if (expected && typeof expected === 'object') {
      if (actual === null || typeof actual !== 'object') return false;
      if (!matchesPattern(expected, actual)) return false;
    } else {
      return false;
    }
  }
  return true;
}

function matchesValues(rules: any[], actual: any): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  return rules.some(rule => {
    if (rule === null || typeof rule !== 'object') return actual !== undefined && values.some(v => v === rule);
    // "Exists matching works on the presence or absence of a field in the JSON of the event"
    // (a null value is present) and "only works on leaf nodes" (an object answers neither).
    if ('exists' in rule) {
      if (actual !== null && typeof actual === 'object' && !Array.isArray(actual)) return false;
      return rule.exists ? actual !== undefined : actual === undefined;
    }
    if (actual === undefined) return false;
    if ('prefix' in rule) return values.some(v => typeof v === 'string' && v.startsWith(rule.prefix));
    if ('suffix' in rule) return values.some(v => typeof v === 'string' && v.endsWith(rule.suffix));
    if ('equals-ignore-case' in rule) return values.some(v => typeof v === 'string' && v.toLowerCase() === String(rule['equals-ignore-case']).toLowerCase());
    if ('anything-but' in rule) {
      const but = rule['anything-but'];
      const excluded = Array.isArray(but) ? but : [but];
      if (but && typeof but === 'object' && !Array.isArray(but) && 'prefix' in but) return values.every(v => typeof v === 'string' && !v.startsWith(but.prefix));
      return values.every(v => !excluded.includes(v));
    }
    if ('numeric' in rule) {
      const conditions: any[] = rule.numeric;
      return values.some(v => {
        if (typeof v !== 'number') return false;
        for (let i = 0; i < conditions.length; i += 2) {
          const [op, n] = [conditions[i], conditions[i + 1]];
          const ok = op === '=' ? v === n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : op === '>=' ? v >= n : false;
          if (!ok) return false;
        }
        return true;
      });
    }
    return false;
  });
}

function jsonPath(event: any, p: string): any {
  if (p === '$') return event;
  return p.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce((o, k) => o?.[k], event);
}

/**
 * The message a target receives: Input, InputPath, InputTransformer, or the event itself.
 *
 * The transformer follows EventBridge's user guide (eb-transform-target-input.html): a
 * variable in a JSON value position becomes its JSON value (`"instance": <instance>` gives
 * `"instance": "i-0123456789"`, an object as is); inside a quoted string it becomes its text,
 * unescaped ("EventBridge doesn't escape values extracted by Input Path, when populating the
 * Input Template"); a variable whose path is not in the event "isn't created and won't appear
 * in the output", so its placeholder becomes nothing (which leaves `"error": ,` where a
 * template expected it).
 */
export function targetInput(target: any, event: any): string {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) return JSON.stringify(jsonPath(event, target.InputPath));
  const transformer = target.InputTransformer;
  if (!transformer) return JSON.stringify(event);
  const values: Record<string, any> = {};
  for (const [name, p] of Object.entries<string>(transformer.InputPathsMap ?? {})) {
    const value = jsonPath(event, p);
    if (value !== undefined) values[name] = value;
  }
  const declared = new Set(Object.keys(transformer.InputPathsMap ?? {}));
  const template: string = transformer.InputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === '"' && template[i - 1] !== '\\') inString = !inString;
    const m = ch === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    const reserved = m?.[1].startsWith('aws.events.event');
    if (!m || !(declared.has(m[1]) || reserved)) {
      out += ch;
      continue;
    }
    i += m[0].length - 1;
    if (!reserved && !(m[1] in values)) continue; // not created: nothing in the output
    const value = reserved ? event : values[m[1]];
    if (inString) out += typeof value === 'string' ? value : JSON.stringify(value);
    else out += JSON.stringify(value);
  }
  return out;
}
