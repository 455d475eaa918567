/**
 * cgroup v2: one unified tree. The container's cgroup is `<parent>/<name>` where parent is the
 * daemon's own cgroup (or --cgroup-parent); the controllers berth uses are enabled in
 * `cgroup.subtree_control` of every level from the root down to the leaf's parent.
 *
 * Placement and the "no internal processes" rule: a non-root cgroup that holds processes cannot
 * hand domain controllers (memory, io, cpu, pids...) to its children, and berth never moves the
 * daemon (or anything else) out of its cgroup. So when the daemon's own cgroup holds the daemon,
 * enabling controllers there fails with EBUSY: the container cgroup is still created there (so
 * processes are grouped, frozen and killed together), and `apply()` skips every limit whose
 * controller the leaf lacks and returns a warning for it. To get limits, run berthd in a leaf of
 * its own (a systemd unit with `Delegate=yes` whose processes live in a child) or pass
 * --cgroup-parent pointing at a cgroup without processes (as Docker's default `/docker` is).
 */
import os from 'node:os';
import path from 'node:path';
import { errnoCode, errorMessage, notFound, notImplemented } from '../../common/errors';
import {
  blkioWeightToIoWeight,
  checkCgroupName,
  cpuSharesToWeight,
  memorySwapToV2,
  normalizeCgroupParent,
} from './convert';
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
import { SWAP_WARNING } from './v1';

/** The controllers berth enables for containers, when the kernel offers them. */
const WANTED = ['cpuset', 'cpu', 'io', 'memory', 'pids', 'hugetlb', 'rdma', 'misc'];

export const V2_DEVICES_WARNING = 'device rules not enforced on cgroup v2';

export interface CgroupV2ManagerOptions {
  hierarchy: CgroupHierarchy;
  self: ProcCgroupEntry[];
  /** Controllers of the root (cgroup.controllers at the mount). */
  controllers: string[];
  onMkdir?: ((dir: string, hierarchy: string) => void) | undefined;
  onWrite?: WriteHook;
  freezeTimeoutMs?: number | undefined;
}

export class CgroupV2Manager implements CgroupManager {
  readonly version: CgroupVersion = 2;
  readonly controllers: string[];
  readonly #options: CgroupV2ManagerOptions;

  constructor(options: CgroupV2ManagerOptions) {
    this.#options = options;
    this.controllers = [...options.controllers].sort();
  }

  #placement(name: string, cgroupParent: string | undefined): { name: string; dir: string } {
    const rel = checkCgroupName(name);
    const parent = cgroupParent ? normalizeCgroupParent(cgroupParent) : undefined;
    const base = parent ?? cgroupPathIn(this.#options.self, []) ?? '/';
    return {
      name: parent ? path.posix.join(parent, rel) : rel,
      dir: path.join(cgroupDir(this.#options.hierarchy, base), rel),
    };
  }

  async create(name: string, options: { cgroupParent?: string }): Promise<CgroupHandle> {
    const { name: full, dir } = this.#placement(name, options.cgroupParent);
    const mount = this.#options.hierarchy.mountPoint;
    const warnings: string[] = [];
    // Enable controllers from the root down to the leaf's parent, creating missing levels on the way.
    const parts = dir.slice(mount.length).split('/').filter(Boolean);
    let level = mount;
    const made: string[] = [];
    try {
      for (const part of parts) {
        await this.#enableControllers(level, warnings);
        const next = `${level}/${part}`;
        made.push(...(await mkdirBelow(level, next, async (d) => this.#options.onMkdir?.(d, mount))));
        level = next;
      }
    } catch (err) {
      for (const d of made.reverse()) await removeCgroupDir(d, 1).catch(() => {});
      throw toEngineError(err);
    }
    return new CgroupV2Handle(full, dir, this.#options, warnings);
  }

  async #enableControllers(dir: string, warnings: string[]): Promise<void> {
    const available = ((await readCgroupFile(`${dir}/cgroup.controllers`)) ?? '').split(/\s+/).filter(Boolean);
    const enabled = new Set(((await readCgroupFile(`${dir}/cgroup.subtree_control`)) ?? '').split(/\s+/));
    const missing = WANTED.filter((c) => available.includes(c) && !enabled.has(c));
    if (missing.length === 0) return;
    const file = `${dir}/cgroup.subtree_control`;
    try {
      await writeCgroupFile(file, missing.map((c) => `+${c}`).join(' '), this.#options.onWrite);
      return;
    } catch {
      // One at a time, to enable what can be enabled.
    }
    for (const c of missing) {
      try {
        await writeCgroupFile(file, `+${c}`, this.#options.onWrite);
      } catch (err) {
        const why =
          errnoCode(err) === 'EBUSY' ? 'the cgroup holds processes (no internal processes rule)' : errorMessage(err);
        warnings.push(`cgroup v2: cannot enable the ${c} controller in ${dir}: ${why}`);
      }
    }
  }

  async open(name: string, options: { cgroupParent?: string }): Promise<CgroupHandle> {
    const { name: full, dir } = this.#placement(name, options.cgroupParent);
    if (!(await exists(dir))) throw notFound(`cgroup ${full} does not exist`);
    return new CgroupV2Handle(full, dir, this.#options, []);
  }
}

export class CgroupV2Handle implements CgroupHandle {
  readonly name: string;
  readonly path: string;
  readonly paths: string[];
  readonly #options: CgroupV2ManagerOptions;
  /** Problems found at create time, reported by the first apply(). */
  #pendingWarnings: string[];

  constructor(name: string, dir: string, options: CgroupV2ManagerOptions, warnings: string[]) {
    this.name = name;
    this.path = dir;
    this.paths = [dir];
    this.#options = options;
    this.#pendingWarnings = warnings;
  }

  #write(file: string, value: string): Promise<void> {
    return writeCgroupFile(`${this.path}/${file}`, value, this.#options.onWrite);
  }

  async apply(r: CgroupResources): Promise<string[]> {
    const warnings = this.#pendingWarnings;
    this.#pendingWarnings = [];
    const have = new Set(((await readCgroupFile(`${this.path}/cgroup.controllers`)) ?? '').split(/\s+/));
    const need = (controller: string, what: string): boolean => {
      if (have.has(controller)) return true;
      warnings.push(`cgroup v2: the ${controller} controller is not available in ${this.path}: ${what} not applied`);
      return false;
    };
    try {
      const memory = r.memory ?? 0;
      const swap = memorySwapToV2(r.memorySwap, r.memory);
      if ((memory !== 0 || swap !== undefined || r.memoryReservation) && need('memory', 'memory limits')) {
        if (swap !== undefined) {
          if (await exists(`${this.path}/memory.swap.max`)) await this.#write('memory.swap.max', swap);
          else if (swap !== 'max') warnings.push(SWAP_WARNING);
        }
        if (memory !== 0) await this.#write('memory.max', memory < 0 ? 'max' : String(memory));
        if (r.memoryReservation) await this.#write('memory.low', String(r.memoryReservation));
      }
      if ((r.cpuShares || r.cpuQuota || r.cpuPeriod) && need('cpu', 'CPU limits')) {
        if (r.cpuShares) await this.#write('cpu.weight', String(cpuSharesToWeight(r.cpuShares)));
        if (r.cpuQuota || r.cpuPeriod) {
          let value = r.cpuQuota && r.cpuQuota > 0 ? String(r.cpuQuota) : 'max';
          if (r.cpuPeriod) value += ` ${r.cpuPeriod}`;
          await this.#write('cpu.max', value);
        }
      }
      if ((r.cpusetCpus || r.cpusetMems) && need('cpuset', 'cpuset')) {
        if (r.cpusetCpus) await this.#write('cpuset.cpus', r.cpusetCpus);
        if (r.cpusetMems) await this.#write('cpuset.mems', r.cpusetMems);
      }
      if (r.pidsLimit !== undefined && need('pids', 'the PIDs limit')) {
        await this.#write('pids.max', r.pidsLimit > 0 ? String(r.pidsLimit) : 'max');
      }
      if (r.blkioWeight && need('io', 'the block I/O weight')) {
        // BFQ takes the v1 value as is; otherwise io.weight on its own scale.
        if (await exists(`${this.path}/io.bfq.weight`)) await this.#write('io.bfq.weight', String(r.blkioWeight));
        else if (await exists(`${this.path}/io.weight`)) {
          await this.#write('io.weight', String(blkioWeightToIoWeight(r.blkioWeight)));
        } else
          warnings.push(
            'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
          );
      }
      if (r.devices !== undefined && r.devices.length > 0) warnings.push(V2_DEVICES_WARNING);
    } catch (err) {
      throw toEngineError(err);
    }
    return warnings;
  }

  async pids(): Promise<number[]> {
    return readProcs(this.path);
  }

  async addProcess(pid: number): Promise<void> {
    try {
      await writeProc(this.path, pid, this.#options.onWrite);
    } catch (err) {
      throw toEngineError(err);
    }
  }

  async stats(): Promise<CgroupStats> {
    const f = (name: string) => `${this.path}/${name}`;
    const limit = await readNumber(f('memory.max'));
    const peak = await readNumber(f('memory.peak'));
    const memory: CgroupStats['memory'] = {
      usage: (await readNumber(f('memory.current'))) ?? 0,
      limit: limit === undefined ? os.totalmem() : Math.min(limit, os.totalmem()),
      stats: parseFlatKeyed(await readCgroupFile(f('memory.stat'))),
    };
    if (peak !== undefined) memory.maxUsage = peak;

    const c = parseFlatKeyed(await readCgroupFile(f('cpu.stat')));
    const cpu: CgroupStats['cpu'] = {
      totalUsageNs: (c.usage_usec ?? 0) * 1000,
      userNs: (c.user_usec ?? 0) * 1000,
      systemNs: (c.system_usec ?? 0) * 1000,
      perCpuNs: [],
    };
    if (c.nr_periods !== undefined) {
      cpu.throttled = {
        periods: c.nr_periods,
        throttledPeriods: c.nr_throttled ?? 0,
        throttledTimeNs: (c.throttled_usec ?? 0) * 1000,
      };
    }
    const pids = { current: (await readNumber(f('pids.current'))) ?? 0, limit: await readNumber(f('pids.max')) };
    return { memory, cpu, pids, blkio: parseIoStat(await readCgroupFile(f('io.stat'))) };
  }

  async oomKilled(): Promise<boolean> {
    const events = parseFlatKeyed(await readCgroupFile(`${this.path}/memory.events`));
    return (events.oom_kill ?? 0) > 0;
  }

  oomCounter(): OomCounter | undefined {
    return { path: `${this.path}/memory.events`, key: 'oom_kill' };
  }

  async freeze(): Promise<void> {
    if (!(await exists(`${this.path}/cgroup.freeze`))) {
      throw notImplemented('cgroup v2 freezer (cgroup.freeze, Linux 5.2+) is not available');
    }
    const deadline = Date.now() + (this.#options.freezeTimeoutMs ?? 10_000);
    try {
      await this.#write('cgroup.freeze', '1');
      for (;;) {
        const events = parseFlatKeyed(await readCgroupFile(`${this.path}/cgroup.events`));
        if (events.frozen === 1) return;
        if (Date.now() > deadline) throw new Error(`cgroup ${this.path} did not freeze`);
        await sleep(10);
      }
    } catch (err) {
      await this.#write('cgroup.freeze', '0').catch(() => {});
      throw toEngineError(err);
    }
  }

  async thaw(): Promise<void> {
    if (!(await exists(`${this.path}/cgroup.freeze`))) {
      throw notImplemented('cgroup v2 freezer (cgroup.freeze, Linux 5.2+) is not available');
    }
    try {
      await this.#write('cgroup.freeze', '0');
    } catch (err) {
      throw toEngineError(err);
    }
  }

  async destroy(): Promise<void> {
    // cgroup.kill (5.14+) kills everything atomically, forks included.
    if (await exists(`${this.path}/cgroup.kill`)) await this.#write('cgroup.kill', '1').catch(() => {});
    for (let round = 0; round < 100; round++) {
      const pids = await readProcs(this.path);
      if (pids.length === 0) break;
      for (const pid of pids) killPid(pid);
      await sleep(round < 10 ? 5 : 20);
    }
    await removeCgroupDir(this.path);
  }
}

/** io.stat: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`. */
export function parseIoStat(text: string | undefined): CgroupStats['blkio'] {
  const out: CgroupStats['blkio'] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(pairs.map((p) => p.split('=') as [string, string]));
    const major = Number(m[1]);
    const minor = Number(m[2]);
    if (kv.rbytes !== undefined) out.push({ major, minor, op: 'read', value: Number(kv.rbytes) });
    if (kv.wbytes !== undefined) out.push({ major, minor, op: 'write', value: Number(kv.wbytes) });
  }
  return out;
}
