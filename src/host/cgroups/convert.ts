/**
 * Unit conversions between Docker's (cgroup v1) values and cgroup v2 files, and the
 * validation of cgroup names. Formulas as runc states them (facts, not code, taken from
 * opencontainers/cgroups `utils.go`).
 */
import path from 'node:path';
import { invalidArgument } from '../../common/errors';
import type { DeviceRule } from './types';

/**
 * cpu.shares (2..262144) → cpu.weight (1..10000) with the quadratic mapping
 * current runc and crun use, `10^((l² + 125·l)/612 − 7/34)` with l = log2(shares),
 * rounded up: 2 → 1, 1024 (Docker's default) → 100 (v2's default), 262144 → 10000.
 * 0 → unset.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares <= 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
}

/** blkio.weight (10..1000) → io.weight (1..10000): `1 + ((weight - 10) * 9999) / 990`; 0 → unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight <= 0) return 0;
  const w = Math.min(Math.max(weight, 10), 1000);
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

/**
 * Docker's memory+swap total → v2 memory.swap.max (swap alone). Returns 'max' for unlimited,
 * undefined for "leave alone". Errors mirror runc's: swap without a memory limit, or swap < memory.
 */
export function memorySwapToV2(memorySwap: number | undefined, memory: number | undefined): string | undefined {
  const swap = memorySwap ?? 0;
  const mem = memory ?? 0;
  if (mem === -1 && swap === 0) return 'max';
  if (swap === -1) return 'max';
  if (swap === 0) return undefined;
  if (mem === 0 || mem === -1) throw invalidArgument('unable to set swap limit without memory limit');
  if (swap < mem) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  return String(swap - mem);
}

/** A device rule as v1 devices.allow / devices.deny take it: `c 1:3 rwm`, `a *:* rwm`. */
export function deviceRuleText(rule: DeviceRule): string {
  if (rule.type === 'a') return 'a *:* rwm';
  const num = (n: number) => (n < 0 ? '*' : String(n));
  return `${rule.type} ${num(rule.major)}:${num(rule.minor)} ${rule.access || 'rwm'}`;
}

const COMPONENT = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/;

/** Checks a container cgroup name (`berth-<id>`, or nested `a/b`): no empty, '.' or '..' components. */
export function checkCgroupName(name: string): string {
  const parts = name.split('/').filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..' || !COMPONENT.test(p))) {
    throw invalidArgument(`invalid cgroup name: ${JSON.stringify(name)}`);
  }
  return parts.join('/');
}

/** Normalizes --cgroup-parent to an absolute path within a hierarchy ('foo' → '/foo'). */
export function normalizeCgroupParent(parent: string): string {
  const p = path.posix.normalize(`/${parent}`);
  if (p.split('/').some((c) => c === '..')) throw invalidArgument(`invalid cgroup parent: ${JSON.stringify(parent)}`);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
