/**
 * The progress display shared by the launcher (a run on AWS) and the local runtime: one line
 * per state as it starts and ends.
 */

/** `42s`, `3m05s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A state started. */
export function startedLine(state: string): string {
  return `… ${state} running`;
}

/** A state ended well after `ms`. */
export function doneLine(state: string, ms: number): string {
  return `✓ ${state} (${formatDuration(ms)})`;
}

/** A state failed after `ms`. */
export function failedLine(state: string, ms: number, error?: string): string {
  return `✗ ${state} failed after ${formatDuration(ms)}${error ? `: ${error}` : ''}`;
}

/** A state is retried. */
export function retriedLine(state: string, attempt: number, error?: string): string {
  return `↻ ${state} retry ${attempt}${error ? ` after ${error}` : ''}`;
}
