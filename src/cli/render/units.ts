/**
 * Docker's human units (the go-units package): sizes as `docker images` and
 * `docker stats` print them, "About an hour" durations, and RAMInBytes for
 * flags such as `--memory 512m`.
 */
import { humanDuration } from '../../common/human-duration';

export { humanDuration };

import { formatFloat } from './go-fmt';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scale(size: number, base: number, units: readonly string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/**
 * Decimal size with `precision` significant digits (go-units
 * HumanSizeWithPrecision): 1.23MB, 124kB, 0B, 1.5GB. docker images uses 3,
 * go-units' HumanSize uses 4.
 */
export function humanSize(bytes: number, precision = 3): string {
  const [n, unit] = scale(bytes, 1000, DECIMAL_UNITS);
  return formatFloat(n, 'g', precision) + unit;
}

/** Binary size with 4 significant digits (go-units BytesSize): 1.5MiB, 44KiB. */
export function bytesSize(bytes: number): string {
  const [n, unit] = scale(bytes, 1024, BINARY_UNITS);
  return formatFloat(n, 'g', 4) + unit;
}

/** "5 minutes ago", as docker prints CREATED columns. */
export function timeAgo(date: Date | number | string, now: Date | number = Date.now()): string {
  const then = date instanceof Date ? date.getTime() : typeof date === 'string' ? Date.parse(date) : date;
  const current = now instanceof Date ? now.getTime() : now;
  return `${humanDuration(current - then)} ago`;
}

const BINARY_MULTIPLIERS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

const DECIMAL_MULTIPLIERS: Record<string, number> = {
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  p: 1e15,
};

/** Thrown for a size go-units cannot parse; the message is go-units' text. */
export class InvalidSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSizeError';
  }
}

function parseSize(input: string, multipliers: Record<string, number>): number {
  let num: string;
  let suffix: string;
  const space = input.indexOf(' ');
  if (space >= 0) {
    num = input.slice(0, space);
    suffix = input.slice(space + 1);
  } else {
    let sep = -1;
    for (let i = input.length - 1; i >= 0; i--) {
      if ('0123456789.'.includes(input[i]!)) {
        sep = i;
        break;
      }
    }
    if (sep < 0) throw new InvalidSizeError(`invalid size: '${input}'`);
    num = input.slice(0, sep + 1);
    suffix = input.slice(sep + 1);
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) {
    throw new InvalidSizeError(`strconv.ParseFloat: parsing "${num}": invalid syntax`);
  }
  let size = Number(num);
  if (size < 0) throw new InvalidSizeError(`invalid size: '${input}'`);
  if (suffix === '') return Math.trunc(size);
  const sfx = suffix.toLowerCase();
  const bad = (): never => {
    throw new InvalidSizeError(`invalid suffix: '${sfx.length > 3 ? suffix : sfx}'`);
  };
  if (sfx.length > 3) bad();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) bad();
    return Math.trunc(size);
  }
  const mul = multipliers[sfx[0]!];
  if (mul === undefined) bad();
  size *= mul!;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) bad();
  return Math.trunc(size);
}

/**
 * go-units RAMInBytes: "512m", "1.5g", "64MiB", "100" (bytes), binary
 * multiples of b k m g t p, case-insensitive, optional b / ib suffix.
 */
export function parseBytes(input: string): number {
  return parseSize(input, BINARY_MULTIPLIERS);
}

/** go-units FromHumanSize: the same syntax with decimal multiples (1kB = 1000). */
export function parseHumanSize(input: string): number {
  return parseSize(input, DECIMAL_MULTIPLIERS);
}
