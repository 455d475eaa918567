/**
 * Linux capabilities as Docker applies them: the 14 defaults, --cap-add and
 * --cap-drop (names with or without CAP_, any case, `ALL`), --privileged (all
 * of them), and the 64-bit masks the launch plan carries. Docker (and
 * containerd's WithCapabilities) put the list into the bounding, effective and
 * permitted sets; inheritable and ambient stay empty (CVE-2022-24769).
 */
import { invalidArgument } from '../../common/errors';

/** Every capability the kernel defines, in bit order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

const NUMBERS = new Map(ALL_CAPABILITIES.map((name, i) => [name, i]));

/** Docker's default set (moby daemon/pkg/oci/caps/defaults.go), in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** The number of a capability (CAP_ name), or undefined. */
export function capabilityNumber(name: string): number | undefined {
  return NUMBERS.get(name);
}

export function capabilityName(n: number): string | undefined {
  return ALL_CAPABILITIES[n];
}

/**
 * Normalizes user input to `CAP_XXX` (or `ALL`); unknown names are an
 * invalid-argument error with Docker's wording: `unknown capability: "CAP_FOO"`.
 */
export function normalizeCapability(input: string): string {
  let c = input.trim().toUpperCase();
  if (c === 'ALL') return c;
  if (!c.startsWith('CAP_')) c = `CAP_${c}`;
  if (!NUMBERS.has(c)) throw invalidArgument(`unknown capability: ${JSON.stringify(c)}`);
  return c;
}

export interface CapabilityOptions {
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  privileged?: boolean;
  /** The capabilities the daemon itself holds (its bounding set): "all" means all of these. */
  available?: bigint;
}

/**
 * The container's capability list as Docker computes it (TweakCapabilities):
 * privileged → all; drop ALL → only the added ones; add ALL → all but the
 * dropped ones; else defaults + added − dropped. Sorted by number.
 */
export function resolveCapabilities(options: CapabilityOptions = {}): string[] {
  const available = options.available;
  const all =
    available === undefined
      ? [...ALL_CAPABILITIES]
      : ALL_CAPABILITIES.filter((c) => (available >> BigInt(NUMBERS.get(c) ?? 0)) & 1n);
  if (options.privileged) return all;
  const add = (options.capAdd ?? []).map(normalizeCapability);
  const drop = (options.capDrop ?? []).map(normalizeCapability);
  let set: Set<string>;
  if (drop.includes('ALL')) {
    set = add.includes('ALL') ? new Set(all) : new Set(add);
  } else if (add.includes('ALL')) {
    set = new Set(all.filter((c) => !drop.includes(c)));
  } else {
    set = new Set(DEFAULT_CAPABILITIES);
    for (const c of add) set.add(c);
    for (const c of drop) set.delete(c);
  }
  return [...set].sort((a, b) => (NUMBERS.get(a) ?? 0) - (NUMBERS.get(b) ?? 0));
}

/** The 64-bit mask of a list of CAP_ names. */
export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) {
    const n = NUMBERS.get(name);
    if (n === undefined) throw invalidArgument(`unknown capability: ${JSON.stringify(name)}`);
    mask |= 1n << BigInt(n);
  }
  return mask;
}

/** The CAP_ names of a mask (bits beyond the known ones are ignored). */
export function capabilitiesOfMask(mask: bigint): string[] {
  return ALL_CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}
