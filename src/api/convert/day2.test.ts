import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import type { ContainerStats } from '../../engine/containers';
import type { EngineEvent } from '../../engine/events';
import { encodeEvent, parseEventTime, toEventMessage } from './event';
import { toStatsResponse } from './stats';

const T = 1_795_422_296_561_079_640n;

describe('event messages', () => {
  it('container events carry the legacy status/id/from and an exact timeNano', () => {
    const e: EngineEvent = {
      type: 'container',
      action: 'die',
      actor: { id: 'c1', attributes: { exitCode: '3', image: 'bb', name: 'web' } },
      scope: 'local',
      timeNano: T,
    };
    const m = toEventMessage(e);
    assert.equal(m.status, 'die');
    assert.equal(m.id, 'c1');
    assert.equal(m.from, 'bb');
    assert.equal(m.time, 1_795_422_296);
    const line = encodeEvent(e);
    assert.ok(line.endsWith(`"timeNano":${T}}\n`), line);
    assert.deepEqual(Object.keys(JSON.parse(line)), [
      'status',
      'id',
      'from',
      'Type',
      'Action',
      'Actor',
      'scope',
      'time',
      'timeNano',
    ]);
  });

  it('image events have status and id but no from; network events neither', () => {
    const img = toEventMessage({
      type: 'image',
      action: 'tag',
      actor: { id: 'sha256:1', attributes: { name: 'a:b' } },
      scope: 'local',
      timeNano: T,
    });
    assert.equal(img.status, 'tag');
    assert.equal(img.from, undefined);
    const net = toEventMessage({
      type: 'network',
      action: 'connect',
      actor: { id: 'n', attributes: {} },
      scope: 'local',
      timeNano: T,
    });
    assert.equal(net.status, undefined);
    assert.equal(net.id, undefined);
  });

  it('parses the CLI timestamps (seconds.nanoseconds) and RFC 3339', () => {
    assert.equal(parseEventTime(''), undefined);
    assert.equal(parseEventTime('1700000000'), 1_700_000_000_000_000_000n);
    assert.equal(parseEventTime('1700000000.5'), 1_700_000_000_500_000_000n);
    assert.equal(parseEventTime('1700000000.000000001'), 1_700_000_000_000_000_001n);
    assert.equal(parseEventTime('2023-11-14T22:13:20Z'), 1_700_000_000_000_000_000n);
    assert.throws(
      () => parseEventTime('abc'),
      (err) => isEngineError(err, 'invalid-argument'),
    );
  });
});

describe('stats responses', () => {
  const stats: ContainerStats = {
    id: 'c1',
    name: 'web',
    sample: {
      read: '2024-01-01T00:00:01Z',
      cpu: {
        totalUsageNs: 2e9,
        userNs: 1e9,
        systemNs: 5e8,
        perCpuNs: [1e9, 1e9],
        systemCpuUsageNs: 4e11,
        onlineCpus: 2,
      },
      memory: { usage: 10_000, limit: 100_000, maxUsage: 20_000, stats: { total_inactive_file: 2000 } },
      pids: { current: 3, limit: undefined },
      blkio: [{ major: 8, minor: 0, op: 'read', value: 4096 }],
      networks: {
        eth0: {
          rxBytes: 10,
          rxPackets: 1,
          rxErrors: 0,
          rxDropped: 0,
          txBytes: 20,
          txPackets: 2,
          txErrors: 0,
          txDropped: 0,
        },
      },
    },
  };

  it('has the v1 fields the CLI reads', () => {
    const r = toStatsResponse(stats);
    assert.equal(r.name, '/web');
    assert.equal(r.preread, '0001-01-01T00:00:00Z');
    assert.equal(r.cpu_stats.cpu_usage.total_usage, 2e9);
    assert.deepEqual(r.cpu_stats.cpu_usage.percpu_usage, [1e9, 1e9]);
    assert.equal(r.cpu_stats.system_cpu_usage, 4e11);
    assert.equal(r.cpu_stats.online_cpus, 2);
    assert.equal(r.precpu_stats.cpu_usage.total_usage, 0);
    assert.equal(r.memory_stats.usage, 10_000);
    assert.equal(r.memory_stats.stats?.total_inactive_file, 2000);
    assert.deepEqual(r.pids_stats, { current: 3 });
    assert.equal(r.blkio_stats.io_service_bytes_recursive?.[0]?.op, 'read');
    assert.equal(r.networks?.eth0?.tx_bytes, 20);
  });

  it('fills precpu_stats and preread from the previous sample', () => {
    const prev = { ...stats.sample!, read: '2024-01-01T00:00:00Z', cpu: { ...stats.sample!.cpu, totalUsageNs: 1e9 } };
    const r = toStatsResponse(stats, prev);
    assert.equal(r.preread, '2024-01-01T00:00:00Z');
    assert.equal(r.precpu_stats.cpu_usage.total_usage, 1e9);
  });

  it('a stopped container gets the zero response with its name and ID', () => {
    const r = toStatsResponse({ id: 'c1', name: 'web', sample: undefined });
    assert.equal(r.read, '0001-01-01T00:00:00Z');
    assert.deepEqual(r.memory_stats, {});
    assert.equal(r.blkio_stats.io_service_bytes_recursive, null);
    assert.equal(r.networks, undefined);
  });
});
