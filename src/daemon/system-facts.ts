/** Facts about the machine for `/info` and `/version`, read from /proc, /sys and /etc. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { HostFacts } from '../api';

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function osRelease(text: string | undefined = read('/etc/os-release') ?? read('/usr/lib/os-release')): {
  prettyName: string;
  versionId: string;
} {
  const fields: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) fields[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return { prettyName: fields.PRETTY_NAME ?? 'Linux', versionId: fields.VERSION_ID ?? '' };
}

export function memTotal(text: string | undefined = read('/proc/meminfo')): number {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text ?? '');
  return m?.[1] ? Number(m[1]) * 1024 : os.totalmem();
}

type StaticFacts = Omit<HostFacts, 'openFds'>;

export function gatherStaticFacts(): StaticFacts {
  const release = osRelease();
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const warnings: string[] = [];
  let memoryLimit: boolean;
  let swapLimit: boolean;
  let cpuCfsPeriod: boolean;
  let cpuCfsQuota: boolean;
  let cpuShares: boolean;
  let cpuSet: boolean;
  let pidsLimit: boolean;
  let oomKillDisable: boolean;
  if (v2) {
    const controllers = (read('/sys/fs/cgroup/cgroup.controllers') ?? '').split(/\s+/);
    memoryLimit = controllers.includes('memory');
    swapLimit = memoryLimit && existsSync('/sys/fs/cgroup/memory.swap.max');
    cpuCfsPeriod = cpuCfsQuota = cpuShares = controllers.includes('cpu');
    cpuSet = controllers.includes('cpuset');
    pidsLimit = controllers.includes('pids');
    oomKillDisable = false;
  } else {
    const cg = '/sys/fs/cgroup';
    memoryLimit = existsSync(`${cg}/memory/memory.limit_in_bytes`);
    swapLimit = existsSync(`${cg}/memory/memory.memsw.limit_in_bytes`);
    cpuCfsPeriod = existsSync(`${cg}/cpu/cpu.cfs_period_us`);
    cpuCfsQuota = existsSync(`${cg}/cpu/cpu.cfs_quota_us`);
    cpuShares = existsSync(`${cg}/cpu/cpu.shares`);
    cpuSet = existsSync(`${cg}/cpuset/cpuset.cpus`);
    pidsLimit = existsSync(`${cg}/pids/pids.max`);
    oomKillDisable = existsSync(`${cg}/memory/memory.oom_control`);
  }
  if (!memoryLimit) warnings.push('WARNING: No memory limit support');
  else if (!swapLimit) warnings.push('WARNING: No swap limit support');
  if (!cpuCfsQuota) warnings.push('WARNING: No cpu cfs quota support');
  if (!cpuCfsPeriod) warnings.push('WARNING: No cpu cfs period support');
  const ipv4Forwarding = (read('/proc/sys/net/ipv4/ip_forward') ?? '').trim() === '1';
  if (!ipv4Forwarding) warnings.push('WARNING: IPv4 forwarding is disabled');
  return {
    nCpu: os.availableParallelism?.() ?? os.cpus().length,
    memTotal: memTotal(),
    kernelVersion: os.release(),
    operatingSystem: release.prettyName,
    osVersion: release.versionId,
    architecture: os.machine(),
    hostname: os.hostname(),
    cgroupVersion: v2 ? '2' : '1',
    cgroupDriver: 'cgroupfs',
    memoryLimit,
    swapLimit,
    cpuCfsPeriod,
    cpuCfsQuota,
    cpuShares,
    cpuSet,
    pidsLimit,
    oomKillDisable,
    ipv4Forwarding,
    warnings,
  };
}

/** A provider that reads the static facts once and the changing ones on each call. */
export function hostFactsProvider(): () => Promise<HostFacts> {
  let cached: StaticFacts | undefined;
  return async () => {
    cached ??= gatherStaticFacts();
    let openFds = 0;
    try {
      openFds = readdirSync('/proc/self/fd').length;
    } catch {
      // not Linux /proc
    }
    return { ...cached, openFds };
  };
}

/** The hard and soft RLIMIT_NOFILE of this process, from /proc/self/limits. */
export function openFileLimits(
  text: string | undefined = read('/proc/self/limits'),
): { soft: number; hard: number } | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text ?? '');
  if (!m?.[1] || !m[2]) return undefined;
  const n = (v: string) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: n(m[1]), hard: n(m[2]) };
}

const FS_MAGIC: Record<number, string> = {
  61267: 'extfs',
  1481003842: 'xfs',
  2435016766: 'btrfs',
  16914836: 'tmpfs',
  2035054128: 'overlayfs',
  801189825: 'zfs',
  26985: 'nfs',
  1702057286: 'fuse',
};

/** `docker info`'s storage driver lines for the data root. */
export async function overlayDriverStatus(dataRoot: string): Promise<Array<[string, string]>> {
  let backing = 'unknown';
  try {
    const st = await statfs(dataRoot);
    backing = FS_MAGIC[Number(st.type)] ?? `0x${Number(st.type).toString(16)}`;
  } catch {
    // keep 'unknown'
  }
  return [
    ['Backing Filesystem', backing],
    ['Supports d_type', 'true'],
    ['Using metacopy', 'false'],
    ['Native Overlay Diff', 'true'],
    ['userxattr', 'false'],
  ];
}
