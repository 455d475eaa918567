/**
 * cgroup v1 against a fake cgroupfs tree shaped like this machine's (hybrid: one mount per
 * controller, cpu and cpuacct apart, the daemon's memory cgroup nested, the rest at the root).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { createCgroupManager } from './index';
import type { CgroupManager, CgroupManagerOptions } from './types';
import { BLKIO_WEIGHT_WARNING, CgroupV1Handle, parseBlkioV1, SWAP_WARNING } from './v1';

const HIERARCHIES = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd'];
const MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  ...HIERARCHIES.map(
    (h, i) =>
      `${32 + i} 31 0:${29 + i} / /sys/fs/cgroup/${h} rw,relatime - cgroup cgroup rw,${h === 'systemd' ? 'name=systemd' : h}`,
  ),
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '',
].join('\n');
const SELF = `${HIERARCHIES.map((h, i) => `${9 - i}:${h === 'systemd' ? 'name=systemd' : h}:${h === 'memory' ? '/process_api/abc' : '/'}`).join('\n')}\n0::/\n`;
const UNLIMITED = '9223372036854771712';

interface Variant {
  swap?: boolean;
  blkio?: 'weight' | 'bfq' | 'none';
}

function interfaceFiles(dir: string, hierarchy: string, variant: Variant): void {
  const files: Record<string, string> = { 'cgroup.procs': '', tasks: '' };
  switch (hierarchy) {
    case 'cpu':
      Object.assign(files, { 'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1' });
      break;
    case 'cpuset':
      Object.assign(files, { 'cpuset.cpus': '', 'cpuset.mems': '' });
      break;
    case 'memory':
      Object.assign(files, {
        'memory.limit_in_bytes': UNLIMITED,
        'memory.soft_limit_in_bytes': UNLIMITED,
        'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
      });
      if (variant.swap !== false) files['memory.memsw.limit_in_bytes'] = UNLIMITED;
      break;
    case 'devices':
      Object.assign(files, { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm' });
      break;
    case 'freezer':
      files['freezer.state'] = 'THAWED';
      break;
    case 'blkio':
      if (variant.blkio === 'weight' || variant.blkio === undefined) files['blkio.weight'] = '500';
      if (variant.blkio === 'bfq') files['blkio.bfq.weight'] = '100';
      break;
    case 'pids':
      files['pids.max'] = 'max';
      break;
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
}

interface Fake {
  root: string;
  writes: Array<[string, string]>;
  manager: CgroupManager;
}

async function fakeV1(base: string, variant: Variant = {}, options: Partial<CgroupManagerOptions> = {}): Promise<Fake> {
  const root = path.join(base, `cg-${Math.random().toString(16).slice(2)}`);
  for (const h of HIERARCHIES) {
    mkdirSync(path.join(root, h), { recursive: true });
    if (h !== 'cpuset') interfaceFiles(path.join(root, h), h, variant);
  }
  writeFileSync(path.join(root, 'cpuset', 'cpuset.cpus'), '0-3\n');
  writeFileSync(path.join(root, 'cpuset', 'cpuset.mems'), '0\n');
  writeFileSync(path.join(root, 'cpuset', 'cgroup.procs'), '1\n');
  mkdirSync(path.join(root, 'memory', 'process_api', 'abc'), { recursive: true });
  interfaceFiles(path.join(root, 'memory', 'process_api', 'abc'), 'memory', variant);
  mkdirSync(path.join(root, 'unified'));
  const writes: Array<[string, string]> = [];
  const onWrite = options.onWrite;
  const manager = await createCgroupManager({
    root,
    mountinfo: MOUNTINFO,
    selfCgroup: SELF,
    onMkdir: (dir, hierarchy) => interfaceFiles(dir, path.basename(hierarchy), variant),
    ...options,
    onWrite: (file, value) => {
      writes.push([path.relative(root, file), value]);
      onWrite?.(file, value);
    },
  });
  return { root, writes, manager };
}

const read = (file: string) => readFileSync(file, 'utf8');

describe('cgroup v1 (fake tree)', () => {
  let base = '';
  before(() => {
    base = testDir('cgroups-v1');
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('reports v1, the controllers, and the hybrid unified mount', async () => {
    const { root, manager } = await fakeV1(base);
    assert.equal(manager.version, 1);
    assert.equal(manager.hybrid, true);
    assert.equal(manager.unifiedMount, path.join(root, 'unified'));
    assert.deepEqual(manager.controllers, [
      'blkio',
      'cpu',
      'cpuacct',
      'cpuset',
      'devices',
      'freezer',
      'memory',
      'pids',
    ]);
  });

  it("creates <daemon's cgroup>/<name> in every hierarchy and copies cpuset down", async () => {
    const { root, manager } = await fakeV1(base);
    const h = await manager.create('berth-test-c1', {});
    assert.deepEqual(
      h.paths,
      HIERARCHIES.map((x) => path.join(root, x, x === 'memory' ? 'process_api/abc' : '', 'berth-test-c1')),
    );
    for (const p of h.paths) assert.ok(existsSync(p), p);
    assert.equal(read(path.join(root, 'cpuset', 'berth-test-c1', 'cpuset.cpus')), '0-3');
    assert.equal(read(path.join(root, 'cpuset', 'berth-test-c1', 'cpuset.mems')), '0');
  });

  it('copies cpuset into every new (or empty) level below --cgroup-parent', async () => {
    const { root, manager } = await fakeV1(base);
    // An existing parent level whose cpuset was never set.
    mkdirSync(path.join(root, 'cpuset', 'berth-test-p'));
    interfaceFiles(path.join(root, 'cpuset', 'berth-test-p'), 'cpuset', {});
    const h = await manager.create('berth-test-c2', { cgroupParent: '/berth-test-p/inner' });
    assert.equal(h.name, '/berth-test-p/inner/berth-test-c2');
    assert.ok(h.paths.includes(path.join(root, 'memory', 'berth-test-p', 'inner', 'berth-test-c2')));
    for (const level of ['berth-test-p', 'berth-test-p/inner', 'berth-test-p/inner/berth-test-c2']) {
      assert.equal(read(path.join(root, 'cpuset', level, 'cpuset.cpus')), '0-3', level);
      assert.equal(read(path.join(root, 'cpuset', level, 'cpuset.mems')), '0', level);
    }
  });

  it('writes every limit to its v1 file', async () => {
    const { root, writes, manager } = await fakeV1(base);
    const h = await manager.create('berth-test-c3', {});
    const mem = path.join(root, 'memory', 'process_api', 'abc', 'berth-test-c3');
    const at = (x: string, f: string) => read(path.join(root, x, 'berth-test-c3', f));
    writes.length = 0;
    const warnings = await h.apply({
      memory: 64 << 20,
      memorySwap: 128 << 20,
      memoryReservation: 32 << 20,
      cpuShares: 512,
      cpuQuota: 50000,
      cpuPeriod: 100000,
      cpusetCpus: '1',
      cpusetMems: '0',
      pidsLimit: 20,
      blkioWeight: 300,
      devices: [
        { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 136, minor: -1, access: 'rw' },
        { allow: false, type: 'c', major: 10, minor: 200, access: 'rwm' },
      ],
    });
    assert.deepEqual(warnings, []);
    assert.equal(read(`${mem}/memory.limit_in_bytes`), String(64 << 20));
    assert.equal(read(`${mem}/memory.memsw.limit_in_bytes`), String(128 << 20));
    assert.equal(read(`${mem}/memory.soft_limit_in_bytes`), String(32 << 20));
    assert.equal(at('cpu', 'cpu.shares'), '512');
    assert.equal(at('cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(at('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(at('cpuset', 'cpuset.cpus'), '1');
    assert.equal(at('cpuset', 'cpuset.mems'), '0');
    assert.equal(at('pids', 'pids.max'), '20');
    assert.equal(at('blkio', 'blkio.weight'), '300');
    // Lowering memory under an unlimited memsw: memory first, then memsw. Period before quota.
    const order = writes.map(([f, v]) => `${path.basename(f)}=${v}`);
    assert.ok(
      order.indexOf(`memory.limit_in_bytes=${64 << 20}`) < order.indexOf(`memory.memsw.limit_in_bytes=${128 << 20}`),
    );
    assert.ok(order.indexOf('cpu.cfs_period_us=100000') < order.indexOf('cpu.cfs_quota_us=50000'));
    // Devices: deny all, then the rules in order.
    assert.deepEqual(
      writes.filter(([f]) => f.startsWith('devices/')).map(([f, v]) => `${path.basename(f)} ${v}`),
      ['devices.deny a', 'devices.allow c 1:3 rwm', 'devices.allow c 136:* rw', 'devices.deny c 10:200 rwm'],
    );
    // Unlimited pids.
    await h.apply({ pidsLimit: -1 });
    assert.equal(at('pids', 'pids.max'), 'max');
  });

  it('raises memsw before memory when the new total exceeds the current one', async () => {
    const { root, writes, manager } = await fakeV1(base);
    const h = await manager.create('berth-test-c4', {});
    const mem = path.join(root, 'memory', 'process_api', 'abc', 'berth-test-c4');
    writeFileSync(`${mem}/memory.limit_in_bytes`, String(64 << 20));
    writeFileSync(`${mem}/memory.memsw.limit_in_bytes`, String(128 << 20));
    writes.length = 0;
    await h.apply({ memory: 256 << 20, memorySwap: 512 << 20 });
    assert.deepEqual(
      writes.map(([f, v]) => `${path.basename(f)}=${v}`),
      [`memory.memsw.limit_in_bytes=${512 << 20}`, `memory.limit_in_bytes=${256 << 20}`],
    );
    // Unlimited memory alone also makes memsw unlimited (memsw first, as it only grows).
    writes.length = 0;
    await h.apply({ memory: -1 });
    assert.deepEqual(
      writes.map(([f, v]) => `${path.basename(f)}=${v}`),
      ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1'],
    );
  });

  it('retries the CFS period after the quota when the kernel refuses it first (EINVAL)', async () => {
    let refused = false;
    const { writes, manager } = await fakeV1(
      base,
      {},
      {
        onWrite: (file, value) => {
          if (!refused && file.endsWith('cpu.cfs_period_us') && value === '10000') {
            refused = true;
            throw Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' });
          }
        },
      },
    );
    const h = await manager.create('berth-test-c5', {});
    writes.length = 0;
    await h.apply({ cpuPeriod: 10000, cpuQuota: 5000 });
    assert.deepEqual(
      writes.map(([f, v]) => `${path.basename(f)}=${v}`),
      ['cpu.cfs_period_us=10000', 'cpu.cfs_quota_us=5000', 'cpu.cfs_period_us=10000'],
    );
    // Without a quota to write, the error is the user's.
    refused = false;
    await assert.rejects(h.apply({ cpuPeriod: 10000 }), { kind: 'invalid-argument' });
  });

  it('warns as Docker does when swap accounting is off, and for a missing blkio weight', async () => {
    const { root, manager } = await fakeV1(base, { swap: false, blkio: 'none' });
    const h = await manager.create('berth-test-c6', {});
    const warnings = await h.apply({ memory: 64 << 20, memorySwap: 128 << 20, blkioWeight: 300 });
    assert.deepEqual(warnings, [SWAP_WARNING, BLKIO_WEIGHT_WARNING]);
    assert.equal(
      read(path.join(root, 'memory', 'process_api', 'abc', 'berth-test-c6', 'memory.limit_in_bytes')),
      String(64 << 20),
    );
    assert.equal(
      existsSync(path.join(root, 'memory', 'process_api', 'abc', 'berth-test-c6', 'memory.memsw.limit_in_bytes')),
      false,
    );
    assert.deepEqual(await h.apply({ memory: 64 << 20, memorySwap: -1 }), []);
  });

  it('falls back to blkio.bfq.weight', async () => {
    const { root, manager } = await fakeV1(base, { blkio: 'bfq' });
    const h = await manager.create('berth-test-c7', {});
    assert.deepEqual(await h.apply({ blkioWeight: 250 }), []);
    assert.equal(read(path.join(root, 'blkio', 'berth-test-c7', 'blkio.bfq.weight')), '250');
  });

  it('parses stats from the memory, cpuacct, cpu, pids and blkio hierarchies', async () => {
    const { root, manager } = await fakeV1(base);
    const h = await manager.create('berth-test-c8', {});
    const mem = path.join(root, 'memory', 'process_api', 'abc', 'berth-test-c8');
    const at = (x: string) => path.join(root, x, 'berth-test-c8');
    writeFileSync(`${mem}/memory.usage_in_bytes`, '2097152\n');
    writeFileSync(`${mem}/memory.limit_in_bytes`, '67108864\n');
    writeFileSync(`${mem}/memory.max_usage_in_bytes`, '4194304\n');
    writeFileSync(`${mem}/memory.stat`, 'cache 4096\nrss 8192\ntotal_inactive_file 1024\n');
    writeFileSync(`${at('cpuacct')}/cpuacct.usage`, '123456789\n');
    writeFileSync(`${at('cpuacct')}/cpuacct.usage_percpu`, '100000000 23456789 \n');
    writeFileSync(`${at('cpuacct')}/cpuacct.stat`, 'user 7\nsystem 3\n');
    writeFileSync(`${at('cpu')}/cpu.stat`, 'nr_periods 5\nnr_throttled 1\nthrottled_time 999\n');
    writeFileSync(`${at('pids')}/pids.current`, '4\n');
    writeFileSync(`${at('pids')}/pids.max`, '64\n');
    writeFileSync(
      `${at('blkio')}/blkio.throttle.io_service_bytes_recursive`,
      '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n',
    );
    const s = await h.stats();
    assert.deepEqual(s.memory, {
      usage: 2097152,
      limit: 67108864,
      maxUsage: 4194304,
      stats: { cache: 4096, rss: 8192, total_inactive_file: 1024 },
    });
    assert.deepEqual(s.cpu, {
      totalUsageNs: 123456789,
      userNs: 70_000_000,
      systemNs: 30_000_000,
      perCpuNs: [100000000, 23456789],
      throttled: { periods: 5, throttledPeriods: 1, throttledTimeNs: 999 },
    });
    assert.deepEqual(s.pids, { current: 4, limit: 64 });
    assert.deepEqual(s.blkio, [
      { major: 8, minor: 0, op: 'read', value: 4096 },
      { major: 8, minor: 0, op: 'write', value: 8192 },
    ]);
    assert.deepEqual(parseBlkioV1(''), []);
  });

  it('detects OOM kills from memory.oom_control and names the counter', async () => {
    const { root, manager } = await fakeV1(base);
    const h = await manager.create('berth-test-c9', {});
    const file = path.join(root, 'memory', 'process_api', 'abc', 'berth-test-c9', 'memory.oom_control');
    assert.equal(await h.oomKilled(), false);
    writeFileSync(file, 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    assert.equal(await h.oomKilled(), true);
    assert.deepEqual(h.oomCounter?.(), { path: file, key: 'oom_kill' });
  });

  it('freezes and thaws through freezer.state, polling through FREEZING', async () => {
    let freezing = 3;
    const { root, writes, manager } = await fakeV1(
      base,
      {},
      {
        // The kernel answers FREEZING for a while before FROZEN.
        onFreezerRead: () => (freezing-- > 0 ? 'FREEZING' : undefined),
      },
    );
    const h = await manager.create('berth-test-c10', {});
    const state = path.join(root, 'freezer', 'berth-test-c10', 'freezer.state');
    await h.freeze();
    assert.equal(read(state), 'FROZEN');
    assert.equal(
      writes.filter(([f, v]) => f.endsWith('freezer.state') && v === 'FROZEN').length,
      4,
      'wrote FROZEN until the kernel said so',
    );
    await h.thaw();
    assert.equal(read(state), 'THAWED');
  });

  it('lists pids from the pids hierarchy and destroys every directory (idempotently)', async () => {
    const { root, manager } = await fakeV1(base);
    const h = await manager.create('berth-test-c11', {});
    assert.ok(h instanceof CgroupV1Handle);
    writeFileSync(path.join(root, 'pids', 'berth-test-c11', 'cgroup.procs'), '');
    assert.deepEqual(await h.pids(), []);
    const bare = await (await fakeV1(base, {}, { onMkdir: () => {} })).manager.create('berth-test-c12', {});
    await bare.destroy();
    for (const p of bare.paths) assert.equal(existsSync(p), false, p);
    await bare.destroy();
    await assert.rejects(manager.open('berth-test-gone', {}), { kind: 'not-found' });
    assert.deepEqual((await manager.open('berth-test-c11', {})).paths, h.paths);
  });
});
