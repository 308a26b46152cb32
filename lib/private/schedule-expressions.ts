import { Token } from 'aws-cdk-lib';
import { fail } from './validate';

const MINUTES_PER_MONTH = 30 * 24 * 60;

/**
 * Validates an EventBridge Scheduler expression and returns how many runs it starts in a
 * 30-day month: exact for rate expressions, an upper estimate for cron expressions (the
 * year field is checked, not counted), 1 for a one-time schedule.
 *
 * The syntax is EventBridge's (Scheduler user guide, "Schedule types"; EventBridge user guide,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html and
 * eb-rate-expressions.html): `rate(value unit)` with a positive whole value, the unit singular
 * for 1 and plural above ("rate(1 hours) and rate(5 hour) aren't valid"); six cron fields
 * (minutes 0-59, hours 0-23, day-of-month 1-31 with ? L W, month 1-12 or JAN-DEC, day-of-week
 * 1-7 or SUN-SAT with ? L #, year 1970-2199), `?` in exactly one of the two day fields;
 * `at(yyyy-mm-ddThh:mm:ss)`.
 */
export function runsPerMonth(prop: string, expression: string): number {
  if (Token.isUnresolved(expression)) return 0;
  const allowed = 'rate(<n> minute(s)|hour(s)|day(s)), cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) or at(yyyy-mm-ddThh:mm:ss)';
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    if (value < 1) fail(`${prop} rate must be a positive number of ${rate[2]}, got '${expression}'`);
    const plural = rate[2].endsWith('s');
    if ((value === 1) === plural) {
      const unit = rate[2].replace(/s$/, '');
      fail(`${prop} rate unit must be singular for 1 and plural above ('rate(1 ${unit})', 'rate(${Math.max(value, 2)} ${unit}s)'), got '${expression}'`);
    }
    const minutes = value * (rate[2].startsWith('minute') ? 1 : rate[2].startsWith('hour') ? 60 : 1440);
    return Math.max(1, Math.floor(MINUTES_PER_MONTH / minutes));
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    validateAt(prop, expression, at.slice(1).map(Number));
    return 1;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) fail(`${prop} must be ${allowed}, got '${expression}'`);
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) fail(`${prop} cron expression must have 6 fields (${allowed}), got ${fields.length} in '${expression}'`);
  const [minute, hour, dayOfMonth, month, dayOfWeek, year] = fields;
  const counts = [
    count(prop, expression, 'minutes', minute, 0, 59),
    count(prop, expression, 'hours', hour, 0, 23),
    dayOfMonth === '?' ? undefined : count(prop, expression, 'day-of-month', dayOfMonth.replace(/[LW]/g, '') || '1', 1, 31),
    count(prop, expression, 'month', monthNumbers(month), 1, 12),
    // 'L' alone is the last day of the week; '<n>L' and '<n>#<k>' one day of it.
    dayOfWeek === '?' ? undefined : count(prop, expression, 'day-of-week', nthDay(prop, expression, dayNumbers(dayOfWeek)).replace(/[L#].*$/, '') || '7', 1, 7),
    count(prop, expression, 'year', year, 1970, 2199),
  ];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    fail(`${prop} cron expression must have '?' in exactly one of day-of-month and day-of-week, got '${expression}'`);
  }
  // '<day>#<n>' is one day a month; other day-of-week fields at most ceil(31/7) per weekday.
  const daysPerMonth = counts[2] !== undefined ? counts[2] : dayOfWeek.includes('#') ? 1 : Math.ceil(counts[4]! * 31 / 7);
  return Math.max(1, Math.ceil(counts[0]! * counts[1]! * daysPerMonth * counts[3]! / 12));
}

/**
 * `at(yyyy-mm-ddThh:mm:ss)` names a real calendar date and time of day (Scheduler user guide,
 * "Schedule types", one-time schedules: the date and time at which the schedule runs):
 * month 1-12, a day the month has (29 February in leap years only), hours 0-23, minutes and
 * seconds 0-59.
 */
function validateAt(prop: string, expression: string, [year, month, day, hour, minute, second]: number[]): void {
  const problem = (what: string) => fail(`${prop} at expression must name a real date and time (yyyy-mm-ddThh:mm:ss, month 01-12, a day of that month, hours 00-23, minutes and seconds 00-59): ${what}, got '${expression}'`);
  if (month < 1 || month > 12) problem(`month ${month} does not exist`);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) problem(`${year}-${String(month).padStart(2, '0')} has days 01-${days}, not ${day}`);
  if (hour > 23) problem(`hour ${hour} does not exist`);
  if (minute > 59) problem(`minute ${minute} does not exist`);
  if (second > 59) problem(`second ${second} does not exist`);
}

/**
 * The '#' wildcard of day-of-week: '<day>#<n>', the n-th such day of the month, alone in the
 * field ("If you use a '#' character, you can define only one expression in the day-of-week
 * field": EventBridge user guide, eb-scheduled-rule-pattern.html). A month has at most five
 * of any weekday, so n is 1 to 5 (the guide gives no range; Quartz, whose syntax this is,
 * documents 1-5). Returns the field unchanged.
 */
function nthDay(prop: string, expression: string, field: string): string {
  if (!field.includes('#')) return field;
  const m = /^([1-7])#([1-5])$/.exec(field);
  if (!m) fail(`${prop} cron day-of-week '#' must be one '<day>#<n>' with day 1-7 (SUN-SAT) and n 1-5 (a month has at most five of a weekday), got '${field}' in '${expression}'`);
  return field;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function monthNumbers(field: string): string {
  return field.toUpperCase().replace(/[A-Z]{3}/g, m => MONTHS.includes(m) ? String(MONTHS.indexOf(m) + 1) : m);
}

function dayNumbers(field: string): string {
  return field.toUpperCase().replace(/[A-Z]{3}/g, d => DAYS.includes(d) ? String(DAYS.indexOf(d) + 1) : d);
}

/** How many values a cron field matches; throws on a field that does not parse. */
function count(prop: string, expression: string, name: string, field: string, min: number, max: number): number {
  const bad = (): never => fail(`${prop} cron ${name} field must be '*', a value, a range, a list or a step between ${min} and ${max}, got '${field}' in '${expression}'`);
  let total = 0;
  for (const part of field.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) bad();
    const from = m![1] === '*' ? min : Number(m![1]);
    const to = m![1] === '*' ? max : m![2] !== undefined ? Number(m![2]) : m![3] !== undefined ? max : from;
    const step = m![3] !== undefined ? Number(m![3]) : 1;
    if (from < min || to > max || from > to || step < 1) bad();
    total += Math.floor((to - from) / step) + 1;
  }
  return total;
}
