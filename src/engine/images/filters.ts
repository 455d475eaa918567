/** Helpers for `docker images --filter`: Go's path.Match globs, label lists, timestamps. */
import { invalidArgument } from '../../common/errors';
import { parseGoDuration } from './changes';

/** Go's path.Match: `*` and `?` do not match '/', `[...]` classes, `\` escapes. */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i] ?? '');
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument('syntax error in pattern');
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`).test(name);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Each of `filters` ('key' or 'key=value') must match `labels` (AND). */
export function matchLabels(filters: readonly string[], labels: Record<string, string> | null | undefined): boolean {
  return filters.every((f) => {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (labels == null || !(key in labels)) return false;
    return eq < 0 || labels[key] === f.slice(eq + 1);
  });
}

/**
 * Docker's timestamp filter values (`until`, `since` for events): a Unix time
 * with optional fraction, an RFC 3339 date or date-time (local time when no
 * zone is given), or a Go duration meaning that long before `now`.
 * Returns milliseconds since the epoch.
 */
export function parseTimestamp(value: string, now: Date = new Date()): number {
  if (value === '') throw invalidArgument('invalid timestamp: empty');
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)/.test(value)) {
    return now.getTime() - parseGoDuration(value) / 1e6;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (m === null) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}`;
  const t = zone === undefined ? new Date(iso).getTime() : Date.parse(`${iso}${zone === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(t)) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  return t;
}
