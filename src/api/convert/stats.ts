/**
 * Container stats samples to Docker's StatsResponse (the cgroup v1 shape the
 * docker CLI reads, moby daemon/stats_unix.go). A container that is not
 * running gets the zero response with its name and ID, as dockerd sends.
 */
import type { ContainerStats, ContainerStatsSample } from '../../engine/containers';
import type { CpuStatsWire, NetworkStatsWire, StatsResponse } from '../../wire';
import { ZERO_TIME } from './container';

function zeroCpu(): CpuStatsWire {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

function cpuOf(s: ContainerStatsSample): CpuStatsWire {
  const c = s.cpu;
  const out: CpuStatsWire = {
    cpu_usage: {
      total_usage: c.totalUsageNs,
      ...(c.perCpuNs.length > 0 ? { percpu_usage: [...c.perCpuNs] } : {}),
      usage_in_kernelmode: c.systemNs,
      usage_in_usermode: c.userNs,
    },
    system_cpu_usage: c.systemCpuUsageNs,
    online_cpus: c.onlineCpus,
    throttling_data: {
      periods: c.throttled?.periods ?? 0,
      throttled_periods: c.throttled?.throttledPeriods ?? 0,
      throttled_time: c.throttled?.throttledTimeNs ?? 0,
    },
  };
  return out;
}

/** `previous` fills precpu_stats/preread (zero when absent, as the first frame of a stream). */
export function toStatsResponse(stats: ContainerStats, previous?: ContainerStatsSample): StatsResponse {
  const s = stats.sample;
  const identity = { name: `/${stats.name}`, id: stats.id };
  if (s === undefined) {
    return {
      ...identity,
      read: ZERO_TIME,
      preread: ZERO_TIME,
      pids_stats: {},
      blkio_stats: {
        io_service_bytes_recursive: null,
        io_serviced_recursive: null,
        io_queue_recursive: null,
        io_service_time_recursive: null,
        io_wait_time_recursive: null,
        io_merged_recursive: null,
        io_time_recursive: null,
        sectors_recursive: null,
      },
      num_procs: 0,
      storage_stats: {},
      cpu_stats: zeroCpu(),
      precpu_stats: zeroCpu(),
      memory_stats: {},
    };
  }
  const m = s.memory;
  const out: StatsResponse = {
    ...identity,
    read: s.read,
    preread: previous?.read ?? ZERO_TIME,
    pids_stats: {
      ...(s.pids.current > 0 ? { current: s.pids.current } : {}),
      ...(s.pids.limit !== undefined && s.pids.limit > 0 ? { limit: s.pids.limit } : {}),
    },
    blkio_stats: {
      io_service_bytes_recursive: s.blkio.map((b) => ({ major: b.major, minor: b.minor, op: b.op, value: b.value })),
      io_serviced_recursive: [],
      io_queue_recursive: [],
      io_service_time_recursive: [],
      io_wait_time_recursive: [],
      io_merged_recursive: [],
      io_time_recursive: [],
      sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuOf(s),
    precpu_stats: previous === undefined ? zeroCpu() : cpuOf(previous),
    memory_stats: {
      ...(m.usage > 0 ? { usage: m.usage } : {}),
      ...(m.maxUsage !== undefined && m.maxUsage > 0 ? { max_usage: m.maxUsage } : {}),
      ...(Object.keys(m.stats).length > 0 ? { stats: { ...m.stats } } : {}),
      ...(m.limit > 0 ? { limit: m.limit } : {}),
    },
  };
  if (s.networks !== undefined && Object.keys(s.networks).length > 0) {
    const networks: Record<string, NetworkStatsWire> = {};
    for (const [name, n] of Object.entries(s.networks)) {
      networks[name] = {
        rx_bytes: n.rxBytes,
        rx_packets: n.rxPackets,
        rx_errors: n.rxErrors,
        rx_dropped: n.rxDropped,
        tx_bytes: n.txBytes,
        tx_packets: n.txPackets,
        tx_errors: n.txErrors,
        tx_dropped: n.txDropped,
      };
    }
    out.networks = networks;
  }
  return out;
}
