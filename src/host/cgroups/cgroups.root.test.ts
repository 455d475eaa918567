/**
 * The real cgroupfs of this machine (v1 or v2): a cgroup named berth-test-* below the test
 * process's own cgroups, limits read back from the kernel, processes placed, limited, OOM-killed,
 * frozen and killed, and every directory removed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { safeName } from '../../../test/helpers/names';
import { requireFile, requireRoot } from '../../../test/helpers/requires';
import { cgroupPathsFor, createCgroupManager } from './index';
import type { CgroupHandle, CgroupManager } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (file: string) => readFileSync(file, 'utf8').trim();
const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** A shell that waits for one line on stdin (so it can be put into the cgroup first), then runs `script`. */
function gated(script: string): ChildProcess {
  return spawn('/bin/sh', ['-c', `read go; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('cgroups on the real kernel', { skip: requireRoot() }, () => {
  let manager: CgroupManager;
  const handles: CgroupHandle[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    manager = await createCgroupManager();
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const h of handles) await h.destroy();
  });

  async function create(label: string): Promise<CgroupHandle> {
    const h = await manager.create(safeName(label), {});
    handles.push(h);
    return h;
  }

  it('creates the cgroup below our own, applies limits the kernel reads back', async (t) => {
    const h = await create('cg');
    const own = await cgroupPathsFor('self');
    assert.equal(h.paths.length, Object.keys(own).length);
    for (const p of h.paths) {
      assert.ok(existsSync(p), p);
      assert.ok(
        Object.values(own).some((dir) => p === `${dir}/${h.name}`),
        `${p} is below one of our own cgroups`,
      );
    }
    const warnings = await h.apply({
      memory: 64 << 20,
      memorySwap: 128 << 20,
      memoryReservation: 32 << 20,
      cpuShares: 512,
      cpuQuota: 50000,
      cpuPeriod: 100000,
      cpusetCpus: '0',
      cpusetMems: '0',
      pidsLimit: 32,
      blkioWeight: 300,
      devices: [
        { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'rw' },
      ],
    });
    t.diagnostic(`version ${manager.version}, warnings: ${JSON.stringify(warnings)}`);
    const dir = (c: string) => h.paths.find((p) => p.includes(`/${c}/`)) ?? '';
    if (manager.version === 1) {
      assert.equal(read(`${dir('memory')}/memory.limit_in_bytes`), String(64 << 20));
      if (existsSync(`${dir('memory')}/memory.memsw.limit_in_bytes`)) {
        assert.equal(read(`${dir('memory')}/memory.memsw.limit_in_bytes`), String(128 << 20));
      }
      assert.equal(read(`${dir('memory')}/memory.soft_limit_in_bytes`), String(32 << 20));
      assert.equal(read(`${dir('cpu')}/cpu.shares`), '512');
      assert.equal(read(`${dir('cpu')}/cpu.cfs_quota_us`), '50000');
      assert.equal(read(`${dir('cpu')}/cpu.cfs_period_us`), '100000');
      assert.equal(read(`${dir('cpuset')}/cpuset.cpus`), '0');
      assert.equal(read(`${dir('cpuset')}/cpuset.mems`), '0');
      assert.equal(read(`${dir('pids')}/pids.max`), '32');
      const blkio = dir('blkio');
      const weightFile = existsSync(`${blkio}/blkio.weight`) ? 'blkio.weight' : 'blkio.bfq.weight';
      if (existsSync(`${blkio}/${weightFile}`)) assert.match(read(`${blkio}/${weightFile}`), /\b300$/);
      assert.deepEqual(read(`${dir('devices')}/devices.list`).split('\n'), ['c 1:3 rwm', 'c 1:5 rw']);
    } else {
      const p = h.paths[0] ?? '';
      if (existsSync(`${p}/memory.max`)) assert.equal(read(`${p}/memory.max`), String(64 << 20));
      if (existsSync(`${p}/pids.max`)) assert.equal(read(`${p}/pids.max`), '32');
    }
    // Lower the CFS period below the old one (the kernel's ordering rule), then unlimited.
    await h.apply({ cpuPeriod: 10000, cpuQuota: 5000, pidsLimit: 0, memory: -1, memorySwap: -1 });
    if (manager.version === 1) {
      assert.equal(read(`${dir('cpu')}/cpu.cfs_period_us`), '10000');
      assert.equal(read(`${dir('cpu')}/cpu.cfs_quota_us`), '5000');
      assert.equal(read(`${dir('pids')}/pids.max`), 'max');
    }
    // A bad value is the user's error.
    await assert.rejects(h.apply({ cpusetCpus: '4095' }), { kind: 'invalid-argument' });
  });

  it('puts a process into every path, lists it, reads stats', async (t) => {
    const h = await create('proc');
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    children.push(child);
    const pid = child.pid ?? 0;
    await h.addProcess?.(pid);
    const where = Object.values(await cgroupPathsFor(pid));
    for (const p of h.paths) assert.ok(where.includes(p), `/proc/${pid}/cgroup shows ${p}`);
    assert.deepEqual(await h.pids(), [pid]);
    const stats = await h.stats();
    assert.equal(stats.pids.current, 1);
    t.diagnostic(`stats: ${JSON.stringify({ ...stats, memory: { ...stats.memory, stats: undefined } })}`);
    // v1 does not move a task's earlier memory charges with it (move_charge_at_immigrate 0): usage may be 0.
    assert.ok(stats.memory.usage >= 0);
    assert.ok(stats.memory.limit > 0);
    assert.ok(Object.keys(stats.memory.stats).length > 0, 'memory.stat parsed');
    assert.ok(stats.cpu.totalUsageNs >= 0);
  });

  it('enforces pids.max (fork fails with EAGAIN past the limit)', async () => {
    const h = await create('pids');
    await h.apply({ pidsLimit: 8 });
    const child = gated('i=0; while [ $i -lt 40 ]; do sleep 100 & i=$((i+1)); done; echo spawned-all');
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    await h.addProcess?.(child.pid ?? 0);
    child.stdin?.end('go\n');
    await exited(child);
    const stats = await h.stats();
    assert.ok(stats.pids.current <= 8, `pids.current ${stats.pids.current}`);
    assert.doesNotMatch(out, /spawned-all/);
    assert.match(out, /fork|Resource temporarily unavailable/i);
    await h.destroy();
    assert.deepEqual(await h.pids(), []);
  });

  it('reports an OOM kill', { skip: requireFile('/usr/bin/python3', 'python3') }, async () => {
    const h = await create('oom');
    await h.apply({ memory: 16 << 20, memorySwap: 16 << 20 });
    assert.equal(await h.oomKilled(), false);
    const child = gated(`exec /usr/bin/python3 -c 'b = b"x" * (256 << 20); print(len(b))'`);
    children.push(child);
    await h.addProcess?.(child.pid ?? 0);
    child.stdin?.end('go\n');
    const { signal } = await exited(child);
    assert.equal(signal, 'SIGKILL');
    assert.equal(await h.oomKilled(), true);
    const counter = h.oomCounter?.();
    assert.ok(counter && existsSync(counter.path));
    assert.match(read(counter.path), new RegExp(`${counter.key} [1-9]`));
  });

  it('freezes and thaws the processes', async () => {
    const h = await create('frz');
    const child = gated('while :; do echo tick; sleep 0.02; done');
    children.push(child);
    let ticks = 0;
    child.stdout?.on('data', () => {
      ticks++;
    });
    await h.addProcess?.(child.pid ?? 0);
    child.stdin?.write('go\n');
    await sleep(200);
    assert.ok(ticks > 0, 'running');
    await h.freeze();
    if (manager.version === 1) {
      const freezer = h.paths.find((p) => p.includes('/freezer/')) ?? '';
      assert.equal(read(`${freezer}/freezer.state`), 'FROZEN');
    }
    await sleep(50);
    const frozenAt = ticks;
    await sleep(300);
    assert.equal(ticks, frozenAt, 'no output while frozen');
    await h.thaw();
    await sleep(300);
    assert.ok(ticks > frozenAt, 'runs again after thaw');
  });

  it('destroy kills everything and removes every directory, twice', async () => {
    const h = await create('rm');
    const child = gated('sleep 1000 & sleep 1000 & wait');
    children.push(child);
    await h.addProcess?.(child.pid ?? 0);
    child.stdin?.end('go\n');
    for (let i = 0; i < 100 && (await h.pids()).length < 3; i++) await sleep(10);
    assert.equal((await h.pids()).length, 3);
    await h.destroy();
    const { signal } = await exited(child);
    assert.equal(signal, 'SIGKILL');
    for (const p of h.paths) assert.equal(existsSync(p), false, p);
    await h.destroy();
  });
});
