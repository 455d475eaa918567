/** IPv4 addresses and prefixes as unsigned 32-bit numbers. */
import { invalidArgument } from '../../common/errors';

export interface Prefix {
  /** The network address (host bits cleared). */
  base: number;
  /** Prefix length, 0..32. */
  bits: number;
}

export function parseIPv4(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (m === null) throw invalidArgument(`invalid IPv4 address: ${text}`);
  let n = 0;
  for (const part of m.slice(1)) {
    const o = Number(part);
    if (o > 255 || (part.length > 1 && part.startsWith('0'))) throw invalidArgument(`invalid IPv4 address: ${text}`);
    n = n * 256 + o;
  }
  return n;
}

export function isIPv4(text: string): boolean {
  try {
    parseIPv4(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses `a.b.c.d/n`; host bits are cleared ("172.20.0.5/16" is 172.20.0.0/16). */
export function parsePrefix(text: string): Prefix {
  const [addr, bits, ...rest] = text.trim().split('/');
  if (addr === undefined || bits === undefined || rest.length > 0 || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) {
    throw invalidArgument(`invalid CIDR address: ${text}`);
  }
  const b = Number(bits);
  return { base: (parseIPv4(addr) & maskOf(b)) >>> 0, bits: b };
}

export function formatPrefix(p: Prefix): string {
  return `${formatIPv4(p.base)}/${p.bits}`;
}

export function prefixSize(p: Prefix): number {
  return 2 ** (32 - p.bits);
}

export function lastAddress(p: Prefix): number {
  return p.base + prefixSize(p) - 1;
}

export function prefixContains(p: Prefix, ip: number): boolean {
  return ip >= p.base && ip <= lastAddress(p);
}

export function prefixOverlaps(a: Prefix, b: Prefix): boolean {
  return a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

/** True when `inner` lies wholly within `outer`. */
export function prefixWithin(inner: Prefix, outer: Prefix): boolean {
  return inner.bits >= outer.bits && prefixContains(outer, inner.base);
}

export function isLoopback(ip: string): boolean {
  return isIPv4(ip) ? parseIPv4(ip) >>> 24 === 127 : ip === '::1';
}
