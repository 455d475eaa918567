/**
 * cgroup v2 against a fake cgroupfs tree: plain files standing in for the kernel's. `onMkdir`
 * adds the interface files the kernel would create; `onWrite` records writes and can fail one.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { blkioWeightToIoWeight, cpuSharesToWeight, memorySwapToV2 } from './convert';
import { createCgroupManager } from './index';
import type { CgroupManager, CgroupManagerOptions } from './types';
import { CgroupV2Handle, V2_DEVICES_WARNING } from './v2';

const MOUNTINFO = '26 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n';
const ALL = 'cpuset cpu io memory hugetlb pids rdma misc';

function interfaceFiles(dir: string, controllers: string): void {
  const files: Record<string, string> = {
    'cgroup.controllers': controllers,
    'cgroup.subtree_control': '',
    'cgroup.procs': '',
    'cgroup.freeze': '0',
    'cgroup.events': 'populated 0\nfrozen 0\n',
    'memory.max': 'max',
    'memory.swap.max': 'max',
    'memory.low': '0',
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n',
    'cpu.weight': '100',
    'cpu.max': 'max 100000',
    'cpuset.cpus': '',
    'cpuset.mems': '',
    'pids.max': 'max',
    'io.weight': 'default 100',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
}

/**
 * The kernel's view of cgroup.subtree_control: writes add (+x) or remove (-x) controllers; the
 * fake file only keeps the last write, so the enabled sets are tracked here per directory.
 */
class SubtreeControl {
  readonly #enabled = new Map<string, Set<string>>();
  #get(dir: string): Set<string> {
    let set = this.#enabled.get(dir);
    if (set === undefined) {
      set = new Set(readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/).filter(Boolean));
      this.#enabled.set(dir, set);
    }
    return set;
  }
  write(file: string, value: string): void {
    if (path.basename(file) !== 'cgroup.subtree_control') return;
    const set = this.#get(path.dirname(file));
    for (const t of value.split(/\s+/)) {
      if (t.startsWith('+')) set.add(t.slice(1));
      else if (t.startsWith('-')) set.delete(t.slice(1));
    }
  }
  /** What a child of `dir` is offered (cgroup.controllers), in the root's order. */
  childControllers(dir: string): string {
    const set = this.#get(dir);
    return ALL.split(' ')
      .filter((c) => set.has(c))
      .join(' ');
  }
}

interface Fake {
  root: string;
  writes: Array<[string, string]>;
  manager: CgroupManager;
}

async function fakeV2(base: string, options: Partial<CgroupManagerOptions> = {}): Promise<Fake> {
  const root = path.join(base, `cg-${Math.random().toString(16).slice(2)}`);
  mkdirSync(root);
  interfaceFiles(root, ALL);
  // systemd already delegates the common controllers below the root.
  writeFileSync(path.join(root, 'cgroup.subtree_control'), 'cpuset cpu io memory pids');
  const daemon = path.join(root, 'daemon.slice');
  mkdirSync(daemon);
  interfaceFiles(daemon, ALL);
  writeFileSync(path.join(daemon, 'cgroup.procs'), '4242\n');
  const writes: Array<[string, string]> = [];
  const onWrite = options.onWrite;
  const kernel = new SubtreeControl();
  const manager = await createCgroupManager({
    root,
    mountinfo: MOUNTINFO,
    selfCgroup: '0::/daemon.slice\n',
    onMkdir: (dir) => interfaceFiles(dir, kernel.childControllers(path.dirname(dir))),
    ...options,
    onWrite: (file, value) => {
      writes.push([path.relative(root, file), value]);
      onWrite?.(file, value);
      kernel.write(file, value);
    },
  });
  return { root, writes, manager };
}

const read = (file: string) => readFileSync(file, 'utf8');

describe('cgroup v2 (fake tree)', () => {
  let base = '';
  before(() => {
    base = testDir('cgroups-v2');
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('reads the version and controllers from the root', async () => {
    const { manager } = await fakeV2(base);
    assert.equal(manager.version, 2);
    assert.deepEqual(manager.controllers, ['cpu', 'cpuset', 'hugetlb', 'io', 'memory', 'misc', 'pids', 'rdma']);
  });

  it('creates <daemon cgroup>/<name>, enabling controllers from the root down', async () => {
    const { root, writes, manager } = await fakeV2(base);
    const h = await manager.create('berth-test-c1', {});
    assert.deepEqual(h.paths, [path.join(root, 'daemon.slice', 'berth-test-c1')]);
    assert.equal(h.name, 'berth-test-c1');
    assert.ok(existsSync(h.paths[0] ?? ''));
    assert.deepEqual(
      writes.filter(([f]) => f.endsWith('subtree_control')),
      [
        ['cgroup.subtree_control', '+hugetlb +rdma +misc'],
        ['daemon.slice/cgroup.subtree_control', '+cpuset +cpu +io +memory +pids +hugetlb +rdma +misc'],
      ],
    );
    // Re-opening finds it; a missing one is not found.
    const again = await manager.open('berth-test-c1', {});
    assert.deepEqual(again.paths, h.paths);
    await assert.rejects(manager.open('berth-test-nope', {}), /does not exist/);
  });

  it('writes every limit in v2 units', async () => {
    const { manager } = await fakeV2(base);
    const h = await manager.create('berth-test-c2', {});
    const dir = h.paths[0] ?? '';
    const warnings = await h.apply({
      memory: 64 * 1024 * 1024,
      memorySwap: 96 * 1024 * 1024,
      memoryReservation: 32 * 1024 * 1024,
      cpuShares: 512,
      cpuQuota: 50000,
      cpuPeriod: 100000,
      cpusetCpus: '0-1',
      cpusetMems: '0',
      pidsLimit: 100,
      blkioWeight: 500,
    });
    assert.deepEqual(warnings, []);
    assert.equal(read(`${dir}/memory.max`), String(64 * 1024 * 1024));
    assert.equal(read(`${dir}/memory.swap.max`), String(32 * 1024 * 1024));
    assert.equal(read(`${dir}/memory.low`), String(32 * 1024 * 1024));
    assert.equal(read(`${dir}/cpu.weight`), '59'); // runc's quadratic mapping of 512 shares
    assert.equal(read(`${dir}/cpu.max`), '50000 100000');
    assert.equal(read(`${dir}/cpuset.cpus`), '0-1');
    assert.equal(read(`${dir}/cpuset.mems`), '0');
    assert.equal(read(`${dir}/pids.max`), '100');
    assert.equal(read(`${dir}/io.weight`), '4950'); // 1 + (490 * 9999) / 990

    // Unlimited values.
    await h.apply({ memory: -1, memorySwap: -1, pidsLimit: 0, cpuQuota: -1 });
    assert.equal(read(`${dir}/memory.max`), 'max');
    assert.equal(read(`${dir}/memory.swap.max`), 'max');
    assert.equal(read(`${dir}/pids.max`), 'max');
    assert.equal(read(`${dir}/cpu.max`), 'max');
  });

  it('warns for device rules and rejects swap below memory', async () => {
    const { manager } = await fakeV2(base);
    const h = await manager.create('berth-test-c3', {});
    const warnings = await h.apply({ devices: [{ allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' }] });
    assert.deepEqual(warnings, [V2_DEVICES_WARNING]);
    await assert.rejects(h.apply({ memory: 100, memorySwap: 50 }), { kind: 'invalid-argument' });
    await assert.rejects(h.apply({ memorySwap: 50 }), /without memory limit/);
  });

  it('applies what it can when the daemon cgroup holds processes (EBUSY on subtree_control)', async () => {
    const busy = (file: string) => {
      if (file.includes('daemon.slice') && file.endsWith('cgroup.subtree_control')) {
        throw Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' });
      }
    };
    const { root, manager } = await fakeV2(base, { onWrite: busy });
    const h = await manager.create('berth-test-c4', {});
    const dir = h.paths[0] ?? '';
    assert.equal(read(`${dir}/cgroup.controllers`), '');
    const warnings = await h.apply({ memory: 1 << 26, pidsLimit: 10, devices: [] });
    assert.equal(read(`${dir}/memory.max`), 'max', 'not written');
    assert.ok(
      warnings.some((w) => w.includes('cannot enable the memory controller') && w.includes('no internal processes')),
    );
    assert.ok(warnings.some((w) => w.includes('memory controller is not available') && w.includes('memory limits')));
    assert.ok(warnings.some((w) => w.includes('pids controller is not available')));
    // The daemon stayed where it was.
    assert.equal(read(path.join(root, 'daemon.slice', 'cgroup.procs')), '4242\n');
  });

  it('places under --cgroup-parent, creating missing levels', async () => {
    const { root, manager } = await fakeV2(base);
    const h = await manager.create('berth-test-c5', { cgroupParent: 'berth-test-parent/sub' });
    assert.deepEqual(h.paths, [path.join(root, 'berth-test-parent', 'sub', 'berth-test-c5')]);
    assert.equal(h.name, '/berth-test-parent/sub/berth-test-c5');
    assert.equal(read(path.join(root, 'berth-test-parent', 'sub', 'berth-test-c5', 'cgroup.controllers')), ALL);
    await assert.rejects(manager.create('../escape', {}), { kind: 'invalid-argument' });
  });

  it('parses stats', async () => {
    const { manager } = await fakeV2(base);
    const h = await manager.create('berth-test-c6', {});
    const dir = h.paths[0] ?? '';
    writeFileSync(`${dir}/memory.current`, '1048576\n');
    writeFileSync(`${dir}/memory.max`, '67108864\n');
    writeFileSync(`${dir}/memory.stat`, 'anon 4096\nfile 8192\ninactive_file 4096\n');
    writeFileSync(
      `${dir}/cpu.stat`,
      'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n',
    );
    writeFileSync(`${dir}/pids.current`, '3\n');
    writeFileSync(`${dir}/pids.max`, '50\n');
    writeFileSync(`${dir}/io.stat`, '8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n');
    const s = await h.stats();
    assert.deepEqual(s.memory, {
      usage: 1048576,
      limit: 67108864,
      stats: { anon: 4096, file: 8192, inactive_file: 4096 },
    });
    assert.deepEqual(s.cpu, {
      totalUsageNs: 2_500_000,
      userNs: 2_000_000,
      systemNs: 500_000,
      perCpuNs: [],
      throttled: { periods: 10, throttledPeriods: 2, throttledTimeNs: 300_000 },
    });
    assert.deepEqual(s.pids, { current: 3, limit: 50 });
    assert.deepEqual(s.blkio, [
      { major: 8, minor: 0, op: 'read', value: 1024 },
      { major: 8, minor: 0, op: 'write', value: 2048 },
    ]);
    writeFileSync(`${dir}/pids.max`, 'max\n');
    assert.equal((await h.stats()).pids.limit, undefined);
  });

  it('detects OOM kills from memory.events and names the counter for the shim', async () => {
    const { manager } = await fakeV2(base);
    const h = await manager.create('berth-test-c7', {});
    const dir = h.paths[0] ?? '';
    assert.equal(await h.oomKilled(), false);
    writeFileSync(`${dir}/memory.events`, 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    assert.equal(await h.oomKilled(), true);
    assert.deepEqual(h.oomCounter?.(), { path: `${dir}/memory.events`, key: 'oom_kill' });
  });

  it('freezes by waiting for cgroup.events frozen 1, and thaws', async () => {
    const { manager } = await fakeV2(base, { freezeTimeoutMs: 2000 });
    const h = await manager.create('berth-test-c8', {});
    const dir = h.paths[0] ?? '';
    const timer = setTimeout(() => writeFileSync(`${dir}/cgroup.events`, 'populated 1\nfrozen 1\n'), 50);
    const started = Date.now();
    await h.freeze();
    clearTimeout(timer);
    assert.ok(Date.now() - started >= 40, 'waited for the kernel to report frozen');
    assert.equal(read(`${dir}/cgroup.freeze`), '1');
    await h.thaw();
    assert.equal(read(`${dir}/cgroup.freeze`), '0');
  });

  it('gives up freezing after the timeout and leaves the cgroup thawed', async () => {
    const { manager } = await fakeV2(base, { freezeTimeoutMs: 100 });
    const h = await manager.create('berth-test-c9', {});
    await assert.rejects(h.freeze(), /did not freeze/);
    assert.equal(read(`${h.paths[0]}/cgroup.freeze`), '0');
  });

  it('lists pids, destroys (idempotently)', async () => {
    const { manager } = await fakeV2(base);
    const h = await manager.create('berth-test-c10', {});
    assert.ok(h instanceof CgroupV2Handle);
    assert.deepEqual(await h.pids(), []);
    // A real cgroup's interface files vanish with rmdir; a bare fake dir behaves the same.
    const bare = await (await fakeV2(base, { onMkdir: () => {} })).manager.create('berth-test-c11', {});
    await bare.destroy();
    assert.equal(existsSync(bare.paths[0] ?? ''), false);
    await bare.destroy();
  });
});

describe('v2 conversions', () => {
  it('converts shares, blkio weight and swap as runc does', () => {
    assert.equal(cpuSharesToWeight(0), 0);
    assert.equal(cpuSharesToWeight(2), 1);
    assert.equal(cpuSharesToWeight(1024), 100);
    assert.equal(cpuSharesToWeight(512), 59);
    assert.equal(cpuSharesToWeight(262144), 10000);
    assert.equal(cpuSharesToWeight(1), 1);
    assert.equal(blkioWeightToIoWeight(10), 1);
    assert.equal(blkioWeightToIoWeight(1000), 10000);
    assert.equal(blkioWeightToIoWeight(0), 0);
    assert.equal(memorySwapToV2(undefined, 100), undefined);
    assert.equal(memorySwapToV2(-1, 100), 'max');
    assert.equal(memorySwapToV2(0, -1), 'max');
    assert.equal(memorySwapToV2(100, 100), '0');
    assert.equal(memorySwapToV2(300, 100), '200');
  });
});
