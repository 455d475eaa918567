/**
 * cgroup v1: one directory per hierarchy (`<mount>/<parent>/<name>` in each of memory, cpu,
 * cpuacct, cpuset, pids, blkio, devices, freezer, name=systemd, ...). The container's directory
 * sits below the daemon's own cgroup of that hierarchy (which can differ per hierarchy) or below
 * --cgroup-parent.
 */
import os from 'node:os';
import path from 'node:path';
import { errnoCode, notFound, notImplemented } from '../../common/errors';
import { checkCgroupName, deviceRuleText, normalizeCgroupParent } from './convert';
import { type CgroupHierarchy, cgroupDir, cgroupPathIn, type ProcCgroupEntry } from './detect';
import {
  exists,
  killPid,
  mkdirBelow,
  parseFlatKeyed,
  readCgroupFile,
  readNumber,
  readProcs,
  removeCgroupDir,
  sleep,
  toEngineError,
  type WriteHook,
  writeCgroupFile,
  writeProc,
} from './fs';
import type { CgroupHandle, CgroupManager, CgroupResources, CgroupStats, CgroupVersion, OomCounter } from './types';

/** Linux's USER_HZ (cpuacct.stat ticks) is 100 on every architecture Docker supports. */
const NS_PER_TICK = 1e9 / 100;

export const SWAP_WARNING =
  'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.';
export const BLKIO_WEIGHT_WARNING =
  'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.';

export interface CgroupV1ManagerOptions {
  hierarchies: CgroupHierarchy[];
  self: ProcCgroupEntry[];
  unifiedMount?: string | undefined;
  onMkdir?: ((dir: string, hierarchy: string) => void) | undefined;
  onWrite?: WriteHook;
  onFreezerRead?: ((file: string) => string | undefined) | undefined;
  freezeTimeoutMs?: number | undefined;
}

export class CgroupV1Manager implements CgroupManager {
  readonly version: CgroupVersion = 1;
  readonly controllers: string[];
  readonly hybrid: boolean;
  readonly unifiedMount: string | undefined;
  readonly #options: CgroupV1ManagerOptions;

  constructor(options: CgroupV1ManagerOptions) {
    this.#options = options;
    this.controllers = options.hierarchies
      .flatMap((h) => h.subsystems)
      .filter((s) => !s.startsWith('name='))
      .sort();
    this.unifiedMount = options.unifiedMount;
    this.hybrid = options.unifiedMount !== undefined;
  }

  /** The parent directory in each hierarchy: the daemon's own cgroup there, or --cgroup-parent. */
  #placement(name: string, cgroupParent: string | undefined): { name: string; dirs: Map<CgroupHierarchy, string> } {
    const rel = checkCgroupName(name);
    const parent = cgroupParent ? normalizeCgroupParent(cgroupParent) : undefined;
    const dirs = new Map<CgroupHierarchy, string>();
    for (const h of this.#options.hierarchies) {
      const base = parent ?? cgroupPathIn(this.#options.self, h.subsystems) ?? '/';
      dirs.set(h, path.join(cgroupDir(h, base), rel));
    }
    return { name: parent ? path.posix.join(parent, rel) : rel, dirs };
  }

  async create(name: string, options: { cgroupParent?: string }): Promise<CgroupHandle> {
    const { name: full, dirs } = this.#placement(name, options.cgroupParent);
    const made: string[] = [];
    try {
      for (const [h, dir] of dirs) {
        made.push(...(await mkdirBelow(h.mountPoint, dir, async (d) => this.#options.onMkdir?.(d, h.mountPoint))));
        if (h.subsystems.includes('cpuset')) await copyCpusetDown(h.mountPoint, dir, this.#options.onWrite);
      }
    } catch (err) {
      // Leave nothing half made behind.
      for (const d of made.reverse()) await removeCgroupDir(d, 1).catch(() => {});
      throw toEngineError(err);
    }
    return new CgroupV1Handle(full, dirs, this.#options);
  }

  async open(name: string, options: { cgroupParent?: string }): Promise<CgroupHandle> {
    const { name: full, dirs } = this.#placement(name, options.cgroupParent);
    let found = false;
    for (const dir of dirs.values()) if (await exists(dir)) found = true;
    if (!found) throw notFound(`cgroup ${full} does not exist`);
    return new CgroupV1Handle(full, dirs, this.#options);
  }
}

/**
 * A new cpuset cgroup starts with empty cpuset.cpus/mems and takes no tasks until they are set:
 * copy them down from the nearest ancestor, level by level, for every empty level below the mount.
 */
async function copyCpusetDown(mount: string, leaf: string, hook: WriteHook): Promise<void> {
  let cpus = (await readCgroupFile(`${mount}/cpuset.cpus`)) ?? '';
  let mems = (await readCgroupFile(`${mount}/cpuset.mems`)) ?? '';
  let dir = mount;
  for (const part of leaf.slice(mount.length).split('/').filter(Boolean)) {
    dir = `${dir}/${part}`;
    const ownCpus = await readCgroupFile(`${dir}/cpuset.cpus`);
    const ownMems = await readCgroupFile(`${dir}/cpuset.mems`);
    if (ownCpus === '' && cpus !== '') await writeCgroupFile(`${dir}/cpuset.cpus`, cpus, hook);
    else if (ownCpus) cpus = ownCpus;
    if (ownMems === '' && mems !== '') await writeCgroupFile(`${dir}/cpuset.mems`, mems, hook);
    else if (ownMems) mems = ownMems;
  }
}

export class CgroupV1Handle implements CgroupHandle {
  readonly name: string;
  readonly paths: string[];
  /** Controller (or 'name=x') → directory. */
  readonly dirs: ReadonlyMap<string, string>;
  readonly #options: CgroupV1ManagerOptions;

  constructor(name: string, dirs: Map<CgroupHierarchy, string>, options: CgroupV1ManagerOptions) {
    this.name = name;
    this.#options = options;
    this.paths = [...dirs.values()];
    const bySubsystem = new Map<string, string>();
    for (const [h, dir] of dirs) for (const s of h.subsystems) bySubsystem.set(s, dir);
    this.dirs = bySubsystem;
  }

  #file(controller: string, file: string): string | undefined {
    const dir = this.dirs.get(controller);
    return dir === undefined ? undefined : `${dir}/${file}`;
  }

  async #write(controller: string, file: string, value: string): Promise<void> {
    const target = this.#file(controller, file);
    if (target === undefined) throw notImplemented(`the ${controller} cgroup controller is not mounted`);
    await writeCgroupFile(target, value, this.#options.onWrite);
  }

  async apply(r: CgroupResources): Promise<string[]> {
    const warnings: string[] = [];
    try {
      await this.#applyMemory(r, warnings);
      await this.#applyCpu(r, warnings);
      if (r.cpusetCpus || r.cpusetMems) {
        if (!this.dirs.has('cpuset')) warnings.push('cpuset cgroup controller is not mounted: cpuset discarded.');
        else {
          if (r.cpusetCpus) await this.#write('cpuset', 'cpuset.cpus', r.cpusetCpus);
          if (r.cpusetMems) await this.#write('cpuset', 'cpuset.mems', r.cpusetMems);
        }
      }
      if (r.pidsLimit !== undefined) {
        if (!this.dirs.has('pids'))
          warnings.push('Your kernel does not support pids limit capabilities. PIDs limit discarded.');
        else await this.#write('pids', 'pids.max', r.pidsLimit > 0 ? String(r.pidsLimit) : 'max');
      }
      if (r.blkioWeight) {
        const weight = this.#file('blkio', 'blkio.weight');
        const bfq = this.#file('blkio', 'blkio.bfq.weight');
        if (weight && (await exists(weight))) await this.#write('blkio', 'blkio.weight', String(r.blkioWeight));
        else if (bfq && (await exists(bfq))) await this.#write('blkio', 'blkio.bfq.weight', String(r.blkioWeight));
        else warnings.push(BLKIO_WEIGHT_WARNING);
      }
      if (r.devices !== undefined) {
        if (!this.dirs.has('devices'))
          warnings.push('devices cgroup controller is not mounted: device rules not enforced');
        else {
          // Default deny, then the rules in order (an allow rule of type 'a' re-opens everything).
          await this.#write('devices', 'devices.deny', 'a');
          for (const rule of r.devices) {
            if (!rule.allow && rule.type === 'a') continue;
            await this.#write('devices', rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleText(rule));
          }
        }
      }
    } catch (err) {
      throw toEngineError(err);
    }
    return warnings;
  }

  async #applyMemory(r: CgroupResources, warnings: string[]): Promise<void> {
    const memory = r.memory ?? 0;
    let swap = r.memorySwap ?? 0;
    if (memory !== 0 || swap !== 0 || r.memoryReservation) {
      if (!this.dirs.has('memory')) {
        warnings.push('memory cgroup controller is not mounted: memory limits discarded.');
        return;
      }
    }
    const memsw = this.#file('memory', 'memory.memsw.limit_in_bytes');
    const hasSwap = memsw !== undefined && (await exists(memsw));
    if (!hasSwap && (memory > 0 || swap > 0) && swap !== -1) warnings.push(SWAP_WARNING);
    if (memory === -1 && swap === 0) swap = -1;
    const setMemory = () =>
      memory !== 0 ? this.#write('memory', 'memory.limit_in_bytes', String(memory)) : Promise.resolve();
    const setSwap = () =>
      hasSwap && swap !== 0 ? this.#write('memory', 'memory.memsw.limit_in_bytes', String(swap)) : Promise.resolve();
    // memory ≤ memory+swap at every step: raising memsw goes first, lowering it goes last.
    const current = hasSwap ? await readNumber(memsw) : undefined;
    if (memory !== 0 && swap !== 0 && hasSwap && (swap === -1 || (current !== undefined && current < swap))) {
      await setSwap();
      await setMemory();
    } else {
      await setMemory();
      await setSwap();
    }
    if (r.memoryReservation) await this.#write('memory', 'memory.soft_limit_in_bytes', String(r.memoryReservation));
  }

  async #applyCpu(r: CgroupResources, warnings: string[]): Promise<void> {
    if (!r.cpuShares && !r.cpuPeriod && !r.cpuQuota) return;
    if (!this.dirs.has('cpu')) {
      warnings.push('cpu cgroup controller is not mounted: CPU limits discarded.');
      return;
    }
    if (r.cpuShares) await this.#write('cpu', 'cpu.shares', String(r.cpuShares));
    // The period first; the kernel may refuse a smaller period while the old quota/new period
    // ratio exceeds the parent's: then write the quota and retry the period (as runc does).
    let periodPending = false;
    if (r.cpuPeriod) {
      try {
        await this.#write('cpu', 'cpu.cfs_period_us', String(r.cpuPeriod));
      } catch (err) {
        if (errnoCode(err) !== 'EINVAL' || !r.cpuQuota) throw err;
        periodPending = true;
      }
    }
    if (r.cpuQuota) {
      await this.#write('cpu', 'cpu.cfs_quota_us', String(r.cpuQuota));
      if (periodPending) await this.#write('cpu', 'cpu.cfs_period_us', String(r.cpuPeriod));
    }
  }

  async pids(): Promise<number[]> {
    const dir = this.dirs.get('pids') ?? this.dirs.get('memory') ?? this.dirs.get('freezer') ?? this.paths[0];
    return dir === undefined ? [] : readProcs(dir);
  }

  async addProcess(pid: number): Promise<void> {
    try {
      for (const dir of this.paths) await writeProc(dir, pid, this.#options.onWrite);
    } catch (err) {
      throw toEngineError(err);
    }
  }

  async stats(): Promise<CgroupStats> {
    const mem = (f: string) => this.#file('memory', f);
    const read = async (f: string | undefined) => (f === undefined ? undefined : readCgroupFile(f));
    const num = async (f: string | undefined) => (f === undefined ? undefined : readNumber(f));

    const limit = (await num(mem('memory.limit_in_bytes'))) ?? 0;
    const maxUsage = await num(mem('memory.max_usage_in_bytes'));
    const memory: CgroupStats['memory'] = {
      usage: (await num(mem('memory.usage_in_bytes'))) ?? 0,
      limit: limit === 0 ? os.totalmem() : Math.min(limit, os.totalmem()),
      stats: parseFlatKeyed(await read(mem('memory.stat'))),
    };
    if (maxUsage !== undefined) memory.maxUsage = maxUsage;

    const acct = (f: string) => this.#file('cpuacct', f);
    const ticks = parseFlatKeyed(await read(acct('cpuacct.stat')));
    const perCpu = ((await read(acct('cpuacct.usage_percpu'))) ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((n) => Number.isFinite(n));
    const cpu: CgroupStats['cpu'] = {
      totalUsageNs: (await num(acct('cpuacct.usage'))) ?? 0,
      userNs: (ticks.user ?? 0) * NS_PER_TICK,
      systemNs: (ticks.system ?? 0) * NS_PER_TICK,
      perCpuNs: perCpu,
    };
    const throttle = await read(this.#file('cpu', 'cpu.stat'));
    if (throttle !== undefined) {
      const t = parseFlatKeyed(throttle);
      cpu.throttled = {
        periods: t.nr_periods ?? 0,
        throttledPeriods: t.nr_throttled ?? 0,
        throttledTimeNs: t.throttled_time ?? 0,
      };
    }

    const pids = {
      current: (await num(this.#file('pids', 'pids.current'))) ?? 0,
      limit: await num(this.#file('pids', 'pids.max')),
    };

    const blkioText =
      (await read(this.#file('blkio', 'blkio.throttle.io_service_bytes_recursive'))) ||
      (await read(this.#file('blkio', 'blkio.io_service_bytes_recursive'))) ||
      (await read(this.#file('blkio', 'blkio.bfq.io_service_bytes_recursive')));
    return { memory, cpu, pids, blkio: parseBlkioV1(blkioText) };
  }

  async oomKilled(): Promise<boolean> {
    const file = this.#file('memory', 'memory.oom_control');
    if (file === undefined) return false;
    const values = parseFlatKeyed(await readCgroupFile(file));
    // oom_kill exists since 4.13; older kernels only say whether the cgroup is under OOM now.
    return (values.oom_kill ?? values.under_oom ?? 0) > 0;
  }

  oomCounter(): OomCounter | undefined {
    const file = this.#file('memory', 'memory.oom_control');
    return file === undefined ? undefined : { path: file, key: 'oom_kill' };
  }

  async freeze(): Promise<void> {
    const state = this.#file('freezer', 'freezer.state');
    if (state === undefined) throw notImplemented('the freezer cgroup controller is not mounted');
    const hook = this.#options.onWrite;
    const deadline = Date.now() + (this.#options.freezeTimeoutMs ?? 10_000);
    try {
      for (let i = 0; ; i++) {
        // Now and then thaw for a moment: a task stuck in FREEZING (e.g. in vfork) may need it.
        if (i > 0 && i % 50 === 0) {
          await writeCgroupFile(state, 'THAWED', hook);
          await sleep(10);
        }
        await writeCgroupFile(state, 'FROZEN', hook);
        const now = this.#options.onFreezerRead?.(state) ?? (await readCgroupFile(state));
        if (now === 'FROZEN') return;
        if (Date.now() > deadline) throw new Error(`cgroup did not freeze (freezer.state ${now ?? 'missing'})`);
        await sleep(i % 25 === 24 ? 10 : 1);
      }
    } catch (err) {
      // Never leave it half frozen.
      await writeCgroupFile(state, 'THAWED', hook).catch(() => {});
      throw toEngineError(err);
    }
  }

  async thaw(): Promise<void> {
    const state = this.#file('freezer', 'freezer.state');
    if (state === undefined) throw notImplemented('the freezer cgroup controller is not mounted');
    try {
      await writeCgroupFile(state, 'THAWED', this.#options.onWrite);
    } catch (err) {
      throw toEngineError(err);
    }
  }

  async destroy(): Promise<void> {
    const freezer = this.#file('freezer', 'freezer.state');
    for (let round = 0; round < 100; round++) {
      const pids = new Set<number>();
      for (const dir of this.paths) for (const pid of await readProcs(dir)) pids.add(pid);
      if (pids.size === 0) break;
      // Freeze so nothing forks while we kill; killed tasks die once thawed.
      const frozen = freezer !== undefined && (await exists(freezer));
      if (frozen) await writeCgroupFile(freezer, 'FROZEN', this.#options.onWrite).catch(() => {});
      for (const pid of pids) killPid(pid);
      if (frozen) await writeCgroupFile(freezer, 'THAWED', this.#options.onWrite).catch(() => {});
      await sleep(round < 10 ? 5 : 20);
    }
    for (const dir of this.paths) await removeCgroupDir(dir);
  }
}

/** `8:0 Read 4096` lines (plus `Write`, `Sync`, `Async`, `Discard`, `Total`); only reads and writes are kept. */
export function parseBlkioV1(text: string | undefined): CgroupStats['blkio'] {
  const out: CgroupStats['blkio'] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+)\s+(\w+)\s+(\d+)$/.exec(line.trim());
    if (!m) continue;
    const op = m[3]?.toLowerCase();
    if (op !== 'read' && op !== 'write') continue;
    out.push({ major: Number(m[1]), minor: Number(m[2]), op, value: Number(m[4]) });
  }
  return out;
}
