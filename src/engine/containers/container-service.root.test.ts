/**
 * The container engine end to end against the real kernel: CoreRuntime and
 * berth-core, cgroups, the overlay snapshotter and the busybox fixture image.
 * Everything lives under a berth-test- directory and cgroups are named
 * berth-test-<id>; the suite checks nothing is left behind.
 */
import assert from 'node:assert/strict';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fixtures } from '../../../scripts/make-fixtures';
import { testDir } from '../../../test/helpers/names';
import { requireAll, requireCommand, requireFile, requireRoot } from '../../../test/helpers/requires';
import { isEngineError } from '../../common/errors';
import { silentLogger } from '../../common/log';
import { LinuxHost } from '../../host';
import { createCgroupManager } from '../../host/cgroups';
import type { CgroupManager } from '../../host/cgroups/types';
import { FileContentStore } from '../content';
import { LocalImageService } from '../images';
import { CoreRuntime } from '../runtime';
import { OverlaySnapshotter } from '../snapshots';
import { LocalContainerService } from './container-service';
import { defaultHostConfig, defaultContainerConfig as userConfig } from './defaults';
import type { ContainerConfig, HostConfig, LogEntry } from './types';

const hostConfig = (over: Partial<HostConfig> = {}, resources: Partial<HostConfig['resources']> = {}) =>
  defaultHostConfig({ networkMode: 'none', ...over }, resources);

const CORE = path.resolve(__dirname, '../../../native/build/berth-core');
const skip = requireAll(requireRoot(), requireFile(CORE, 'berth-core (make -C native)'), requireCommand('busybox'));

describe('LocalContainerService (root)', { skip }, () => {
  let dir = '';
  let root = '';
  let execRoot = '';
  let host: LinuxHost;
  let snapshotter: OverlaySnapshotter;
  let images: LocalImageService;
  let cgroups: CgroupManager;
  const runtime = new CoreRuntime();
  let service: LocalContainerService;
  const created = new Set<string>();
  const services: LocalContainerService[] = [];

  function newService(): LocalContainerService {
    const s = new LocalContainerService({
      root,
      execRoot,
      images,
      snapshotter,
      host,
      runtime,
      cgroups,
      logger: silentLogger,
      cgroupPrefix: 'berth-test-',
    });
    services.push(s);
    return s;
  }

  before(async () => {
    dir = testDir('ctr');
    root = path.join(dir, 'data', 'containers');
    execRoot = path.join(dir, 'exec', 'containers');
    host = new LinuxHost();
    snapshotter = new OverlaySnapshotter({ root: path.join(dir, 'data', 'overlay2'), host });
    images = new LocalImageService({
      root: path.join(dir, 'data', 'image'),
      content: new FileContentStore({ root: path.join(dir, 'data', 'content') }),
      snapshotter,
      logger: silentLogger,
    });
    const fx = await fixtures();
    await images.load(createReadStream(fx.busybox), () => {});
    cgroups = await createCgroupManager();
    service = newService();
    await service.recover();
  });

  after(async () => {
    const s = newService();
    await s.recover();
    for (const id of created) await s.remove(id, { force: true, volumes: false }).catch(() => undefined);
    for (const x of services) await x.close();
    const mounts = await host.mountsUnder(dir);
    for (const m of mounts) await host.unmount(m, { detach: true });
    await fs.rm(dir, { recursive: true, force: true });
    assert.deepEqual(mounts, [], 'mounts left behind');
    for (const id of created) {
      for (const h of ['memory', 'pids', 'cpu,cpuacct', 'unified', '']) {
        for (const p of [`/sys/fs/cgroup/${h}`]) {
          const found = await findCgroup(p, `berth-test-${id}`);
          assert.equal(found, undefined, `cgroup left behind: ${found}`);
        }
      }
    }
  });

  async function create(
    cmd: string[],
    config: Partial<ContainerConfig> = {},
    hc: Partial<HostConfig> = {},
    resources: Partial<HostConfig['resources']> = {},
  ) {
    const c = await service.create({
      name: undefined,
      config: userConfig({ image: 'berth-test/busybox', cmd, ...config }),
      hostConfig: hostConfig(hc, resources),
    });
    created.add(c.id);
    return c;
  }

  async function run(
    cmd: string[],
    config: Partial<ContainerConfig> = {},
    hc: Partial<HostConfig> = {},
    resources: Partial<HostConfig['resources']> = {},
  ) {
    const c = await create(cmd, config, hc, resources);
    const exited = service.wait(c.id, 'next-exit');
    await service.start(c.id);
    const result = await exited;
    return { id: c.id, result };
  }

  async function logsOf(id: string): Promise<string> {
    const out: Buffer[] = [];
    for await (const e of service.logs(id, {
      stdout: true,
      stderr: true,
      follow: false,
      since: 0,
      until: 0,
      timestamps: false,
      tail: -1,
    }))
      out.push(e.data);
    return Buffer.concat(out).toString();
  }

  it('runs echo hi: exit 0, the output in the log, the state recorded', async () => {
    const { id, result } = await run(['echo', 'hi']);
    assert.deepEqual(result, { statusCode: 0 });
    assert.equal(await logsOf(id), 'hi\n');
    const c = await service.get(id);
    assert.equal(c.state.status, 'exited');
    assert.equal(c.state.exitCode, 0);
    assert.equal(c.state.pid, 0);
    assert.notEqual(c.state.finishedAt, '0001-01-01T00:00:00Z');
    assert.equal(existsSync(c.bundleDir), false, 'the bundle is gone after the exit');
    assert.equal(
      (await service.list({ all: false, limit: 0, size: false, filters: {} })).some((s) => s.container.id === id),
      false,
    );
    assert.equal(
      (await service.list({ all: true, limit: 0, size: true, filters: { id: [id.slice(0, 10)] } }))[0]?.container.id,
      id,
    );
    await service.remove(id, { force: false, volumes: false });
    await assert.rejects(
      service.get(id),
      (e) => isEngineError(e, 'not-found') && e.message === `No such container: ${id}`,
    );
  });

  it('passes the exit code through', async () => {
    const { id, result } = await run(['sh', '-c', 'echo oops >&2; exit 3']);
    assert.equal(result.statusCode, 3);
    const entries: LogEntry[] = [];
    for await (const e of service.logs(id, {
      stdout: false,
      stderr: true,
      follow: false,
      since: 0,
      until: 0,
      timestamps: false,
      tail: -1,
    }))
      entries.push(e);
    assert.deepEqual(
      entries.map((e) => [e.stream, e.data.toString()]),
      [['stderr', 'oops\n']],
    );
    await service.remove(id, { force: false, volumes: false });
  });

  it('a missing binary fails the start with 127 and State.Error; the container stays created', async () => {
    const c = await create(['nosuch-binary']);
    await assert.rejects(service.start(c.id), (err: unknown) => {
      assert.ok(isEngineError(err));
      assert.equal((err as unknown as { exitCode: number }).exitCode, 127);
      assert.match(err.message, /executable file not found/);
      return true;
    });
    const after = await service.get(c.id);
    assert.equal(after.state.status, 'created');
    assert.equal(after.state.exitCode, 127);
    assert.match(after.state.error, /executable file not found/);
    assert.equal((await service.wait(c.id, 'not-running')).statusCode, 127);
    assert.deepEqual(await host.mountsUnder(dir), []);
    await service.remove(c.id, { force: false, volumes: false });
  });

  it('stops a container ignoring SIGTERM: SIGKILL after the timeout, 137', async () => {
    const c = await create(['sleep', '100']);
    await service.start(c.id);
    assert.equal((await service.get(c.id)).state.status, 'running');
    await assert.rejects(service.start(c.id), (e) => isEngineError(e, 'not-modified'));
    await assert.rejects(
      service.remove(c.id, { force: false, volumes: false }),
      (e) =>
        isEngineError(e, 'conflict') &&
        /container is running: stop the container before removing or force remove/.test(e.message),
    );
    const t0 = Date.now();
    await service.stop(c.id, { timeout: 1 });
    const took = Date.now() - t0;
    assert.ok(took >= 900 && took < 8000, `stop took ${took} ms`);
    const s = await service.get(c.id);
    assert.equal(s.state.status, 'exited');
    assert.equal(s.state.exitCode, 137);
    await assert.rejects(service.stop(c.id, {}), (e) => isEngineError(e, 'not-modified'));
    await service.remove(c.id, { force: false, volumes: false });
  });

  it('kills, refuses bad signals and stopped containers', async () => {
    const c = await create(['sleep', '100']);
    await service.start(c.id);
    await assert.rejects(
      service.kill(c.id, 'NOPE'),
      (e) => isEngineError(e, 'invalid-argument') && e.message === 'Invalid signal: NOPE',
    );
    await service.kill(c.id, undefined);
    const r = await service.wait(c.id, 'not-running');
    assert.equal(r.statusCode, 137);
    await assert.rejects(
      service.kill(c.id, 'KILL'),
      (e) =>
        isEngineError(e, 'conflict') &&
        e.message === `cannot kill container: ${c.id}: container ${c.id} is not running`,
    );
    await service.remove(c.id, { force: false, volumes: false });
  });

  it('rm -f removes a running container and everything it had', async () => {
    const c = await create(['sleep', '100']);
    const removed = service.wait(c.id, 'removed');
    await service.start(c.id);
    await service.remove(c.id, { force: true, volumes: false });
    assert.equal((await removed).statusCode, 137);
    assert.equal(existsSync(path.join(root, c.id)), false);
    assert.equal(existsSync(c.bundleDir), false);
    assert.equal(await snapshotter.stat(c.id), undefined);
  });

  it("writes go to the container's RW layer only and vanish with rm", async () => {
    const { id, result } = await run([
      'sh',
      '-c',
      'echo data > /tmp/file && echo more > /bin/added && cat /etc/hostname',
    ]);
    assert.equal(result.statusCode, 0);
    assert.equal(await logsOf(id), `${id.slice(0, 12)}\n`);
    const upper = await snapshotter.diffDir(id);
    assert.equal(await fs.readFile(path.join(upper, 'tmp/file'), 'utf8'), 'data\n');
    const image = await images.get('berth-test/busybox');
    const lower = await snapshotter.diffDir(image.chainIds.at(-1) as string);
    assert.equal(existsSync(path.join(lower, 'tmp/file')), false);
    assert.equal(existsSync(path.join(lower, 'bin/added')), false);
    const { id: id2 } = await run(['sh', '-c', 'test ! -e /tmp/file']);
    assert.equal((await service.get(id2)).state.exitCode, 0, 'another container does not see the write');
    await service.remove(id, { force: false, volumes: false });
    await service.remove(id2, { force: false, volumes: false });
    assert.equal(existsSync(upper), false);
  });

  it('--memory 8m and a big allocation: OOMKilled, 137', async () => {
    const { id, result } = await run(
      ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'],
      {},
      {},
      { memory: 8 * 1024 * 1024 },
    );
    assert.equal(result.statusCode, 137);
    const c = await service.get(id);
    assert.equal(c.state.oomKilled, true);
    await service.remove(id, { force: false, volumes: false });
  });

  it('recover(): a second service over the same roots finds the running container and its exit', async () => {
    const c = await create(['sh', '-c', 'sleep 1; echo done; exit 7']);
    await service.start(c.id);
    await service.close(); // the daemon goes away; the container keeps running
    const restarted = newService();
    await restarted.recover();
    const seen = await restarted.get(c.id);
    assert.equal(seen.state.status, 'running');
    const r = await restarted.wait(c.id, 'not-running');
    assert.equal(r.statusCode, 7);
    assert.equal((await restarted.get(c.id)).state.status, 'exited');
    service = restarted;
    assert.equal(await logsOf(c.id), 'done\n');
    assert.equal(existsSync(c.bundleDir), false);
    await service.remove(c.id, { force: false, volumes: false });
  });

  it('recover(): a container that exited while the daemon was down gets its exit code', async () => {
    const c = await create(['sh', '-c', 'exit 5']);
    await service.close();
    const old = service;
    // Start through a service that is then dropped without watching.
    const starter = newService();
    await starter.recover();
    await starter.start(c.id);
    await starter.close();
    await new Promise((r) => setTimeout(r, 500));
    const restarted = newService();
    await restarted.recover();
    const s = await restarted.get(c.id);
    assert.equal(s.state.status, 'exited');
    assert.equal(s.state.exitCode, 5);
    assert.notEqual(old, restarted);
    service = restarted;
    await service.remove(c.id, { force: false, volumes: false });
  });

  it('AutoRemove: removed after the exit, and after a failed start', async () => {
    const c = await create(['echo', 'bye'], {}, { autoRemove: true });
    const removed = service.wait(c.id, 'removed');
    await service.start(c.id);
    assert.deepEqual(await removed, { statusCode: 0 });
    await assert.rejects(service.get(c.id), (e) => isEngineError(e, 'not-found'));
    const bad = await create(['nosuch'], {}, { autoRemove: true });
    const badRemoved = service.wait(bad.id, 'removed');
    await assert.rejects(service.start(bad.id));
    assert.equal((await badRemoved).statusCode, 127);
    await assert.rejects(service.get(bad.id), (e) => isEngineError(e, 'not-found'));
  });

  it('attach before start streams the run; stdin is forwarded and closed with stdinOnce', async () => {
    const c = await create(['sh', '-c', 'read line; echo "got $line"; echo err >&2'], {
      openStdin: true,
      stdinOnce: true,
      attachStdin: true,
    });
    const input = new PassThrough();
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const e of service.attach(c.id, {
        stdin: true,
        stdout: true,
        stderr: true,
        logs: false,
        stream: true,
        input,
      })) {
        chunks.push(`${e.stream}:${e.data.toString()}`);
      }
    })();
    await service.start(c.id);
    input.end('hello\n');
    await reading;
    assert.deepEqual(chunks.sort(), ['stderr:err\n', 'stdout:got hello\n']);
    assert.equal((await service.wait(c.id, 'not-running')).statusCode, 0);
    await service.remove(c.id, { force: false, volumes: false });
  });
});

async function findCgroup(dir: string, name: string, depth = 4): Promise<string | undefined> {
  if (depth === 0) return undefined;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const p = path.join(dir, e.name);
    if (e.name === name) return p;
    const deeper = await findCgroup(p, name, depth - 1);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}
