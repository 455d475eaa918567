/**
 * One `docker stats` sample of a running container: its cgroup's counters,
 * the system CPU counters read right after (so the CPU % deltas line up, as
 * moby's collector does), and the network counters of its network namespace.
 * camelCase; src/api turns samples into Docker's StatsResponse.
 */
import type { CgroupHandle, CgroupStats } from '../../host/cgroups/types';
import type { NetDevStats, ProcReader } from '../../host/proc';

export interface ContainerStatsSample {
  /** RFC 3339 with nanoseconds. */
  read: string;
  cpu: CgroupStats['cpu'] & { systemCpuUsageNs: number; onlineCpus: number };
  memory: CgroupStats['memory'];
  pids: CgroupStats['pids'];
  blkio: CgroupStats['blkio'];
  /** By interface name, `lo` excluded; undefined without a network namespace of its own (host mode). */
  networks: Record<string, NetDevStats> | undefined;
}

/** A container's stats: `sample` is undefined when it is not running (Docker then sends zeros). */
export interface ContainerStats {
  id: string;
  /** Without the leading '/'. */
  name: string;
  sample: ContainerStatsSample | undefined;
}

export async function sampleStats(options: {
  cgroup: CgroupHandle;
  proc: ProcReader;
  pid: number;
  /** False for `--network host`: no network stats, as dockerd. */
  ownNetwork: boolean;
  read: string;
}): Promise<ContainerStatsSample> {
  const stats = await options.cgroup.stats();
  const system = await options.proc.systemCpu();
  const networks = options.ownNetwork ? await options.proc.netDev(options.pid) : undefined;
  return {
    read: options.read,
    cpu: { ...stats.cpu, systemCpuUsageNs: system.systemCpuUsageNs, onlineCpus: system.onlineCpus },
    memory: stats.memory,
    pids: stats.pids,
    blkio: stats.blkio,
    networks,
  };
}
