import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatsResponse } from '../../wire';
import { cpuPercent, memoryUsage, parseRestartFlag, statsRow } from './container-ops';
import { formatEventLine } from './events';

function frame(over: { total: number; system: number; preTotal: number; preSystem: number }): StatsResponse {
  const cpu = (total: number, system: number) => ({
    cpu_usage: { total_usage: total, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: system,
    online_cpus: 4,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  return {
    name: '/web',
    id: 'abcdef0123456789',
    read: '',
    preread: '',
    pids_stats: { current: 5 },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 8, minor: 0, op: 'Read', value: 1000 },
        { major: 8, minor: 0, op: 'write', value: 2_000_000 },
      ],
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
    cpu_stats: cpu(over.total, over.system),
    precpu_stats: cpu(over.preTotal, over.preSystem),
    memory_stats: { usage: 3 * 1024 * 1024, limit: 100 * 1024 * 1024, stats: { total_inactive_file: 1024 * 1024 } },
    networks: {
      eth0: {
        rx_bytes: 1500,
        rx_packets: 0,
        rx_errors: 0,
        rx_dropped: 0,
        tx_bytes: 0,
        tx_packets: 0,
        tx_errors: 0,
        tx_dropped: 0,
      },
    },
  };
}

describe('docker stats arithmetic', () => {
  it('CPU % is Δcontainer / Δsystem × online CPUs × 100', () => {
    const f = frame({ total: 3e8, system: 4e9, preTotal: 1e8, preSystem: 2e9 });
    assert.equal(cpuPercent({ total: 1e8, system: 2e9 }, f), 40);
    assert.equal(cpuPercent({ total: 3e8, system: 2e9 }, f), 0, 'no container delta');
    assert.equal(cpuPercent({ total: 1e8, system: 4e9 }, f), 0, 'no system delta');
  });

  it('memory excludes the inactive file cache', () => {
    assert.equal(memoryUsage(frame({ total: 0, system: 0, preTotal: 0, preSystem: 0 })), 2 * 1024 * 1024);
  });

  it('renders a row as docker does', () => {
    const row = statsRow('web', frame({ total: 3e8, system: 4e9, preTotal: 1e8, preSystem: 2e9 }));
    assert.deepEqual(row, {
      Container: 'web',
      Name: 'web',
      ID: 'abcdef012345',
      CPUPerc: '40.00%',
      MemUsage: '2MiB / 100MiB',
      MemPerc: '2.00%',
      NetIO: '1.5kB / 0B',
      BlockIO: '1kB / 2MB',
      PIDs: '5',
    });
  });

  it('parses --restart', () => {
    assert.deepEqual(parseRestartFlag('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(parseRestartFlag('unless-stopped'), { Name: 'unless-stopped', MaximumRetryCount: 0 });
    assert.throws(() => parseRestartFlag('always:2'));
    assert.throws(() => parseRestartFlag('sometimes'));
  });
});

describe('docker events lines', () => {
  it('prints time, type, action, actor and sorted attributes', () => {
    const line = formatEventLine({
      Type: 'container',
      Action: 'die',
      Actor: { ID: 'c1', Attributes: { name: 'web', exitCode: '0', image: 'bb' } },
      scope: 'local',
      time: 1_700_000_000,
      timeNano: 1_700_000_000_000_000_000,
    });
    assert.equal(line, '2023-11-14T22:13:20.000000000Z container die c1 (exitCode=0, image=bb, name=web)\n');
  });
});
