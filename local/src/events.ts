/**
 * EventBridge, for the one event the local runtime emits: `Step Functions Execution Status
 * Change`. Rules of the template whose pattern matches it deliver to their SNS targets, with
 * `Input`, `InputPath` or `InputTransformer` applied as EventBridge applies them.
 */

/** Whether an event matches an EventBridge event pattern (exact values, prefix, suffix, anything-but, exists, numeric). */
export function matchesPattern(pattern: any, event: any): boolean {
  for (const [key, expected] of Object.entries<any>(pattern)) {
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
    if ('exists' in rule) return rule.exists ? actual !== undefined : actual === undefined;
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

/** The message a target receives: Input, InputPath, InputTransformer, or the event itself. */
export function targetInput(target: any, event: any): string {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) return JSON.stringify(jsonPath(event, target.InputPath));
  const transformer = target.InputTransformer;
  if (!transformer) return JSON.stringify(event);
  const values: Record<string, any> = {};
  for (const [name, p] of Object.entries<string>(transformer.InputPathsMap ?? {})) values[name] = jsonPath(event, p);
  const template: string = transformer.InputTemplate;
  // A placeholder inside a JSON string gets the value as text; elsewhere, as JSON.
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === '"' && template[i - 1] !== '\\') inString = !inString;
    const m = ch === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (!m || !(m[1] in values || m[1].startsWith('aws.events.event'))) {
      out += ch;
      continue;
    }
    const value = m[1].startsWith('aws.events.event') ? event : values[m[1]];
    if (inString) out += typeof value === 'string' ? JSON.stringify(value).slice(1, -1) : JSON.stringify(value ?? null).replace(/"/g, '\\"');
    else out += JSON.stringify(value ?? null);
    i += m[0].length - 1;
  }
  return out;
}
