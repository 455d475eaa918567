/**
 * cgroups as berth uses them: one cgroup per container, nested under the
 * daemon's own cgroup in each hierarchy (or under --cgroup-parent), limits
 * written before the container's init execs, stats read for `docker stats`,
 * the freezer for pause. v1 (one directory per controller) and v2 (one
 * unified directory) behind one interface; tests run v2 against a fake
 * cgroupfs tree.
 */

export type CgroupVersion = 1 | 2;

/** A device rule as in the OCI spec's linux.resources.devices. */
export interface DeviceRule {
  allow: boolean;
  /** 'a' (all), 'c' (char) or 'b' (block). */
  type: 'a' | 'c' | 'b';
  /** -1 means any ('*'). */
  major: number;
  minor: number;
  /** Some of 'r', 'w', 'm'. */
  access: string;
}

/** Limits in Docker's units (bytes, CFS microseconds, shares); undefined or 0 means "not set". */
export interface CgroupResources {
  /** memory.limit_in_bytes / memory.max (bytes). */
  memory?: number;
  /** Memory + swap (bytes); -1 unlimited swap. v2: memory.swap.max = memorySwap - memory. */
  memorySwap?: number;
  /** memory.soft_limit_in_bytes / memory.low (bytes). */
  memoryReservation?: number;
  /** v1 cpu.shares (2..262144); v2 cpu.weight converted as runc does. */
  cpuShares?: number;
  /** CFS quota and period in microseconds (v1 cpu.cfs_quota_us/cfs_period_us; v2 cpu.max). */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** cpuset.cpus / cpuset.mems, e.g. '0-1'. */
  cpusetCpus?: string;
  cpusetMems?: string;
  /** pids.max; <= 0 means unlimited. */
  pidsLimit?: number;
  /** v1 blkio.weight (10..1000); v2 io.weight (converted). Skipped with a warning where the kernel lacks it. */
  blkioWeight?: number;
  /** The device allow-list, in order (v1 devices.deny/allow; v2 needs eBPF: recorded as a warning when unsupported). */
  devices?: DeviceRule[];
}

export interface CgroupStats {
  memory: { usage: number; limit: number; maxUsage?: number; stats: Record<string, number> };
  cpu: {
    totalUsageNs: number;
    userNs: number;
    systemNs: number;
    perCpuNs: number[];
    throttled?: { periods: number; throttledPeriods: number; throttledTimeNs: number };
  };
  pids: { current: number; limit: number | undefined };
  blkio: Array<{ major: number; minor: number; op: 'read' | 'write'; value: number }>;
}

/** One container's cgroup (all its hierarchies). */
export interface CgroupHandle {
  /** The directories to put the init process in (one per v1 hierarchy, or the one v2 dir). */
  readonly paths: string[];
  /** Docker's CgroupParent-relative name, e.g. '/berth/<id>' or the full path under the parent. */
  readonly name: string;
  /** Applies (or re-applies, for `update`) the limits. Returns warnings for limits the kernel lacks. */
  apply(resources: CgroupResources): Promise<string[]>;
  /** PIDs of every process in the cgroup. */
  pids(): Promise<number[]>;
  stats(): Promise<CgroupStats>;
  /** True once the kernel OOM-killed a process of this cgroup (v1 memory.oom_control under_oom/oom_kill; v2 memory.events oom_kill). */
  oomKilled(): Promise<boolean>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Kills what is left (SIGKILL to every pid), then removes the directories (retrying while busy). Idempotent. */
  destroy(): Promise<void>;
  /**
   * Where the kernel counts OOM kills, for the native shim to watch: v1 `memory.oom_control`
   * key `oom_kill`; v2 `memory.events` key `oom_kill`. Undefined when there is no memory controller.
   */
  oomCounter?(): OomCounter | undefined;
  /** Writes `pid` into `cgroup.procs` of every path (retrying the kernel's transient EINVAL). */
  addProcess?(pid: number): Promise<void>;
}

/** A flat-keyed cgroup file and the key whose value counts OOM kills. */
export interface OomCounter {
  path: string;
  key: string;
}

export interface CgroupManagerOptions {
  /** The cgroupfs mount root (default /sys/fs/cgroup; tests pass a fake tree). */
  root?: string;
  /** Contents of /proc/self/cgroup (default read from the file): where the daemon itself lives. */
  selfCgroup?: string;
  /** Contents of /proc/self/mountinfo (default read from the file), to find the hierarchies. */
  mountinfo?: string;
  /**
   * Tests only: called after each cgroup directory berth creates, so that a fake tree can
   * add the interface files the kernel would (`hierarchy` is the hierarchy's mount point).
   */
  onMkdir?: (dir: string, hierarchy: string) => void;
  /** Tests only: called before every write to a cgroup file; throwing makes the write fail with that error. */
  onWrite?: (file: string, value: string) => void;
  /** Tests only: a value to read instead of freezer.state while freeze() polls (a fake kernel's FREEZING). */
  onFreezerRead?: (file: string) => string | undefined;
  /** How long freeze() waits for the kernel to report the cgroup frozen (default 10000 ms). */
  freezeTimeoutMs?: number;
}

export interface CgroupManager {
  readonly version: CgroupVersion;
  /** Controllers available, e.g. ['cpu','cpuacct','cpuset','memory','pids','blkio','devices','freezer']. */
  readonly controllers: string[];
  /** v1 controllers with a cgroup2 mount beside them (systemd's hybrid layout); the cgroup2 tree is not used. */
  readonly hybrid?: boolean;
  /** The cgroup2 mount point in hybrid mode (reported, not used). */
  readonly unifiedMount?: string | undefined;
  /**
   * Creates the container's cgroup: `<parent>/<name>` in every hierarchy, where parent is the
   * daemon's own cgroup in that hierarchy unless `cgroupParent` is given (absolute under the
   * hierarchy root, as Docker's --cgroup-parent). Never moves any process out of its cgroup.
   */
  create(name: string, options: { cgroupParent?: string }): Promise<CgroupHandle>;
  /** Re-opens an existing container cgroup (daemon restart). */
  open(name: string, options: { cgroupParent?: string }): Promise<CgroupHandle>;
}
