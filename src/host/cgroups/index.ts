/**
 * berth's cgroups (cgroupfs driver): `createCgroupManager()` reads /proc/self/mountinfo and
 * /proc/self/cgroup, picks v1 (also for hybrid hosts) or v2, and places each container's cgroup
 * below the daemon's own cgroup in every hierarchy (or below --cgroup-parent). See types.ts for
 * the contract, v1.ts and v2.ts for the file mapping, v2.ts for the placement rule on v2.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type CgroupLayout,
  cgroupDir,
  cgroupPathIn,
  DEFAULT_CGROUP_ROOT,
  detectCgroupLayout,
  parseProcCgroup,
} from './detect';
import { readCgroupFile } from './fs';
import type { CgroupManager, CgroupManagerOptions } from './types';
import { CgroupV1Manager } from './v1';
import { CgroupV2Manager } from './v2';

export async function createCgroupManager(options: CgroupManagerOptions = {}): Promise<CgroupManager> {
  const root = options.root ?? DEFAULT_CGROUP_ROOT;
  const mountinfo = options.mountinfo ?? (await readFile('/proc/self/mountinfo', 'utf8'));
  const self = parseProcCgroup(options.selfCgroup ?? (await readFile('/proc/self/cgroup', 'utf8')));
  const layout = detectCgroupLayout(mountinfo, root);
  if (layout.mode === 'v2' && layout.unified !== undefined) {
    const controllers = ((await readCgroupFile(`${layout.unified.mountPoint}/cgroup.controllers`)) ?? '')
      .split(/\s+/)
      .filter(Boolean);
    return new CgroupV2Manager({
      hierarchy: layout.unified,
      self,
      controllers,
      onMkdir: options.onMkdir,
      onWrite: options.onWrite,
      freezeTimeoutMs: options.freezeTimeoutMs,
    });
  }
  return new CgroupV1Manager({
    hierarchies: layout.v1,
    self,
    unifiedMount: layout.mode === 'hybrid' ? layout.unified?.mountPoint : undefined,
    onMkdir: options.onMkdir,
    onWrite: options.onWrite,
    onFreezerRead: options.onFreezerRead,
    freezeTimeoutMs: options.freezeTimeoutMs,
  });
}

/**
 * The cgroup directories of a process, keyed by hierarchy: the v1 subsystem list
 * ('cpu,cpuacct', 'memory', 'name=systemd') or '' for the v2 tree.
 */
export async function cgroupPathsFor(
  pid: number | 'self',
  options: Pick<CgroupManagerOptions, 'root' | 'mountinfo'> = {},
): Promise<Record<string, string>> {
  const layout: CgroupLayout = detectCgroupLayout(
    options.mountinfo ?? (await readFile('/proc/self/mountinfo', 'utf8')),
    options.root ?? DEFAULT_CGROUP_ROOT,
  );
  const entries = parseProcCgroup(await readFile(path.join('/proc', String(pid), 'cgroup'), 'utf8'));
  const out: Record<string, string> = {};
  const hierarchies = layout.mode === 'v2' ? [] : layout.v1;
  for (const h of hierarchies) {
    const p = cgroupPathIn(entries, h.subsystems);
    if (p !== undefined) out[h.subsystems.join(',')] = cgroupDir(h, p);
  }
  if (layout.mode === 'v2' && layout.unified !== undefined) {
    const p = cgroupPathIn(entries, []);
    if (p !== undefined) out[''] = cgroupDir(layout.unified, p);
  }
  return out;
}

export { blkioWeightToIoWeight, cpuSharesToWeight, deviceRuleText, memorySwapToV2 } from './convert';
export {
  type CgroupHierarchy,
  type CgroupLayout,
  DEFAULT_CGROUP_ROOT,
  detectCgroupLayout,
  type ProcCgroupEntry,
  parseProcCgroup,
} from './detect';
export { CgroupWriteError } from './fs';
export type {
  CgroupHandle,
  CgroupManager,
  CgroupManagerOptions,
  CgroupResources,
  CgroupStats,
  CgroupVersion,
  DeviceRule,
  OomCounter,
} from './types';
export { BLKIO_WEIGHT_WARNING, CgroupV1Handle, CgroupV1Manager, parseBlkioV1, SWAP_WARNING } from './v1';
export { CgroupV2Handle, CgroupV2Manager, parseIoStat, V2_DEVICES_WARNING } from './v2';
