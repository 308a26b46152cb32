// Runs per month of the schedule expressions a synthesized template holds (EventBridge rules,
// EventBridge Scheduler schedules, monitoring schedules). The construct package rejects a bad
// expression at synth; here an expression that does not parse is simply not counted.

const MINUTES_PER_MONTH = 30 * 24 * 60;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * How many runs `expression` starts in a 30-day month: exact for `rate(...)`, an upper estimate for
 * `cron(...)` (the year field is not counted), 1 for `at(...)`; undefined for anything else.
 */
export function monthlyRuns(expression: unknown): number | undefined {
  if (typeof expression !== 'string') return undefined;
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    const minutes = Number(rate[1]) * ({ minute: 1, hour: 60, day: 1440 } as Record<string, number>)[rate[2]];
    return minutes > 0 ? Math.max(1, Math.floor(MINUTES_PER_MONTH / minutes)) : undefined;
  }
  if (/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/.test(expression)) return 1;
  const cron = /^cron\((.*)\)$/.exec(expression);
  const fields = cron?.[1].trim().split(/\s+/);
  if (!fields || fields.length !== 6) return undefined;
  const names = (field: string, list: string[]) => field.toUpperCase().replace(/[A-Z]{3}/g, n => list.includes(n) ? String(list.indexOf(n) + 1) : n);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  const minutes = values(minute, 0, 59);
  const hours = values(hour, 0, 23);
  const months = values(names(month, MONTHS), 1, 12);
  const days = dayOfMonth !== '?' ? values(dayOfMonth.replace(/[LW]/g, '') || '1', 1, 31)
    : ceilDays(values(names(dayOfWeek, DAYS).replace(/[L#].*$/, '') || '7', 1, 7));
  if ([minutes, hours, months, days].some(v => v === undefined)) return undefined;
  return Math.max(1, Math.ceil(minutes! * hours! * days! * months! / 12));
}

/** Days of a month on which a day-of-week field with `perWeek` days matches. */
function ceilDays(perWeek: number | undefined): number | undefined {
  return perWeek === undefined ? undefined : Math.ceil(perWeek * 31 / 7);
}

/** How many values a cron field matches, or undefined when it does not parse. */
function values(field: string, min: number, max: number): number | undefined {
  let total = 0;
  for (const part of field.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = m[1] === '*' ? min : Number(m[1]);
    const to = m[1] === '*' ? max : m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? max : from;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (from < min || to > max || from > to || step < 1) return undefined;
    total += Math.floor((to - from) / step) + 1;
  }
  return total;
}
