/**
 * Go's time.Duration text (`30s`, `1m30s`, `1.5h`, `500ms`, `2h45m0.5s`):
 * parsed as `time.ParseDuration` does (the docker CLI's duration flags) and
 * formatted as `Duration.String()` (messages such as "Health check exceeded
 * timeout (30s)"). Values are nanoseconds, as in Docker's JSON.
 */

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX = (1n << 63n) - 1n;

/** time.ParseDuration; undefined when `text` is not a duration. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s !== '') {
    const m = re.exec(s);
    if (m === null) return undefined;
    const whole = m[1] ?? '';
    const frac = m[2] ?? '';
    if (whole === '' && frac === '') return undefined;
    const unit = UNITS[m[3] as string] as bigint;
    let v = BigInt(whole === '' ? '0' : whole) * unit;
    if (frac !== '') {
      const scale = 10n ** BigInt(frac.length);
      v += (BigInt(frac) * unit) / scale;
    }
    total += v;
    if (total > MAX) return undefined;
    s = s.slice(m[0].length);
  }
  return Number(negative ? -total : total);
}

function fraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = v / scale;
  let rest = (v % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  if (rest !== '') rest = `.${rest}`;
  return `${whole}${rest}`;
}

/** Duration.String(): "0s", "1.5s", "500ms", "1m30s", "2h0m0s", "1µs". */
export function formatGoDuration(ns: number): string {
  let v = BigInt(Math.trunc(ns));
  if (v === 0n) return '0s';
  const sign = v < 0n ? '-' : '';
  if (v < 0n) v = -v;
  if (v < 1_000n) return `${sign}${v}ns`;
  if (v < 1_000_000n) return `${sign}${fraction(v, 3)}µs`;
  if (v < 1_000_000_000n) return `${sign}${fraction(v, 6)}ms`;
  const h = v / UNITS.h!;
  v %= UNITS.h!;
  const m = v / UNITS.m!;
  v %= UNITS.m!;
  const sec = fraction(v, 9);
  if (h > 0n) return `${sign}${h}h${m}m${sec}s`;
  if (m > 0n) return `${sign}${m}m${sec}s`;
  return `${sign}${sec}s`;
}
