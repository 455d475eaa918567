/**
 * The service's logic without root: the real image service (over the
 * in-memory FakeSnapshotter), RecordingHost for mounts, and fakes for the
 * two things that need root: FakeRuntime (no berth-core) and
 * FakeCgroupManager (no cgroupfs).
 */
import assert from 'node:assert/strict';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { fixtures } from '../../../scripts/make-fixtures';
import { testDir } from '../../../test/helpers/names';
import { isEngineError } from '../../common/errors';
import { silentLogger } from '../../common/log';
import { RecordingHost } from '../../host';
import type { CgroupHandle, CgroupManager, CgroupResources } from '../../host/cgroups/types';
import { FileContentStore } from '../content';
import { FakeSnapshotter, LocalImageService } from '../images';
import type { ExitStatus, OutputChunk, Runtime, RuntimeRequest, Task, TaskState } from '../runtime/types';
import { type ContainerEvent, LocalContainerService } from './container-service';
import { defaultContainerConfig, defaultHostConfig } from './defaults';
import type { ContainerConfig, HostConfig } from './types';

class FakeTask implements Task {
  readonly signals: number[] = [];
  stdin: Buffer[] = [];
  stdinClosed = false;
  deleted = false;
  private exit: ExitStatus | undefined;
  private readonly waiters: Array<(e: ExitStatus) => void> = [];
  constructor(
    readonly pid: number,
    /** Signals that make the fake exit (128 + signal). */
    private readonly fatal: Set<number>,
  ) {}
  finish(exitCode: number, oomKilled = false): void {
    if (this.exit !== undefined) return;
    this.exit = { exitCode, signal: 0, finishedAt: '2024-01-01T00:00:09.5Z', oomKilled };
    for (const w of this.waiters.splice(0)) w(this.exit);
  }
  async state(): Promise<TaskState> {
    return this.exit === undefined
      ? { status: 'running', pid: this.pid }
      : { status: 'exited', pid: this.pid, ...this.exit };
  }
  async kill(signal: number): Promise<void> {
    if (this.exit !== undefined) throw new Error('ESRCH');
    this.signals.push(signal);
    if (this.fatal.has(signal)) setImmediate(() => this.finish(128 + signal));
  }
  wait(): Promise<ExitStatus> {
    if (this.exit !== undefined) return Promise.resolve(this.exit);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  /** No output; the stream ends when the container exits. */
  attach(): AsyncIterable<OutputChunk> {
    const exited = this.wait();
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<OutputChunk>> => {
          await exited;
          return { done: true, value: undefined };
        },
      }),
    };
  }
  async writeStdin(data: Buffer): Promise<void> {
    this.stdin.push(data);
  }
  async closeStdin(): Promise<void> {
    this.stdinClosed = true;
  }
  readonly resizes: Array<[number, number]> = [];
  async resize(rows: number, cols: number): Promise<void> {
    this.resizes.push([rows, cols]);
  }
  async delete(): Promise<void> {
    this.deleted = true;
  }
  close(): void {}
}

class FakeRuntime implements Runtime {
  readonly requests: RuntimeRequest[] = [];
  readonly tasks = new Map<string, FakeTask>();
  readonly exits = new Map<string, ExitStatus>();
  fail: Error | undefined;
  fatal = new Set([9]);
  private pid = 1000;
  async start(request: RuntimeRequest) {
    if (this.fail !== undefined) throw this.fail;
    this.requests.push(request);
    const task = new FakeTask(++this.pid, this.fatal);
    this.tasks.set(request.bundleDir, task);
    return { pid: task.pid, shimPid: task.pid + 1, warnings: [] };
  }
  async connect(bundleDir: string): Promise<Task> {
    const t = this.tasks.get(bundleDir);
    if (t === undefined) throw Object.assign(new Error('gone'), {});
    return t;
  }
  async readExit(bundleDir: string) {
    return this.exits.get(bundleDir);
  }
}

class FakeCgroupManager implements CgroupManager {
  readonly version = 1 as const;
  readonly controllers = ['memory', 'cpu'];
  readonly live = new Map<string, CgroupResources>();
  oom = false;
  async create(name: string): Promise<CgroupHandle> {
    this.live.set(name, {});
    return this.handle(name);
  }
  async open(name: string): Promise<CgroupHandle> {
    if (!this.live.has(name)) throw new Error('no such cgroup');
    return this.handle(name);
  }
  private handle(name: string): CgroupHandle {
    return {
      paths: [`/fake/${name}`],
      name,
      apply: async (r) => {
        this.live.set(name, r);
        return [];
      },
      pids: async () => [],
      stats: async () => {
        throw new Error('no stats');
      },
      oomKilled: async () => this.oom,
      freeze: async () => {},
      thaw: async () => {},
      destroy: async () => {
        this.live.delete(name);
      },
    };
  }
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

describe('LocalContainerService (fake runtime and cgroups)', () => {
  let dir: string;
  let images: LocalImageService;
  let snapshotter: FakeSnapshotter;
  let host: RecordingHost;
  let runtime: FakeRuntime;
  let cgroups: FakeCgroupManager;
  let events: ContainerEvent[];
  let service: LocalContainerService;

  const make = () =>
    new LocalContainerService({
      root: path.join(dir, 'containers'),
      execRoot: path.join(dir, 'exec'),
      images,
      snapshotter,
      host,
      runtime,
      cgroups,
      logger: silentLogger,
      cgroupPrefix: 'berth-test-',
      hostFiles: { resolvConf: path.join(dir, 'resolv.conf'), hosts: path.join(dir, 'hosts'), hostname: 'thehost' },
      ncpu: 2,
      onEvent: (e) => events.push(e),
    });

  beforeEach(async () => {
    dir = testDir('ctr-unit');
    dirs.push(dir);
    await fs.writeFile(path.join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\nnameserver 10.1.1.1\n');
    await fs.writeFile(path.join(dir, 'hosts'), '127.0.0.1 localhost thehost\n');
    snapshotter = new FakeSnapshotter();
    images = new LocalImageService({
      root: path.join(dir, 'image'),
      content: new FileContentStore({ root: path.join(dir, 'content') }),
      snapshotter,
      logger: silentLogger,
    });
    await images.load(createReadStream((await fixtures()).busybox), () => {});
    host = new RecordingHost();
    runtime = new FakeRuntime();
    cgroups = new FakeCgroupManager();
    events = [];
    service = make();
    await service.recover();
  });

  const create = (
    config: Partial<ContainerConfig> = {},
    hc: Partial<HostConfig> = {},
    res: Partial<HostConfig['resources']> = {},
    name?: string,
  ) =>
    service.create({
      name,
      config: defaultContainerConfig({ image: 'berth-test/busybox', ...config }),
      hostConfig: defaultHostConfig(hc, res),
    });

  const taskOf = (bundleDir: string) => runtime.tasks.get(bundleDir) as FakeTask;

  it('creates a record, the /etc files and the RW layer; the image config is merged', async () => {
    const c = await create({ env: ['A=1'] }, {}, {}, 'web');
    assert.equal(c.name, 'web');
    assert.equal(c.path, 'sh');
    assert.equal(c.config.hostname, c.id.slice(0, 12));
    assert.deepEqual(c.config.env, ['A=1', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.equal(c.state.status, 'created');
    assert.equal(c.hostConfig.networkMode, 'default');
    const d = path.join(dir, 'containers', c.id);
    assert.deepEqual((await fs.readdir(d)).sort(), [
      'config.v2.json',
      'hostconfig.json',
      'hostname',
      'hosts',
      'resolv.conf',
    ]);
    assert.equal(await fs.readFile(c.resolvConfPath, 'utf8'), 'nameserver 10.1.1.1\n');
    assert.match(await fs.readFile(c.hostsPath, 'utf8'), new RegExp(`127.0.0.1\\t${c.id.slice(0, 12)}\\n$`));
    assert.equal((await snapshotter.stat(c.id))?.kind, 'active');
    assert.equal(c.logPath, path.join(d, `${c.id}-json.log`));
    assert.deepEqual(
      events.map((e) => e.action),
      ['create'],
    );
    assert.equal(service.imageInUse(c.imageId), c.id);
    assert.deepEqual(service.imageUsage(c.imageId), { containerId: c.id, running: false });
  });

  it("resolves names, IDs and prefixes; refuses clashes with moby's words", async () => {
    const a = await create({}, {}, {}, 'web');
    assert.equal((await service.get('/web')).id, a.id);
    assert.equal((await service.get(a.id.slice(0, 6))).id, a.id);
    await assert.rejects(
      create({}, {}, {}, '/web'),
      (e) =>
        isEngineError(e, 'conflict') &&
        e.message ===
          `Conflict. The container name "/web" is already in use by container "${a.id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
    await assert.rejects(
      create({}, {}, {}, 'a'),
      (e) => isEngineError(e, 'invalid-argument') && /Invalid container name \(a\)/.test(e.message),
    );
    await assert.rejects(
      service.get('nope'),
      (e) => isEngineError(e, 'not-found') && e.message === 'No such container: nope',
    );
    await assert.rejects(
      service.create({
        name: undefined,
        config: defaultContainerConfig({ image: 'missing:1' }),
        hostConfig: defaultHostConfig(),
      }),
      (e) => isEngineError(e, 'not-found') && /No such image/.test(e.message),
    );
    await assert.rejects(
      create({}, { networkMode: 'mynet' }),
      (e) => isEngineError(e, 'not-found') && e.message === 'network mynet not found',
    );
    const b = await create();
    assert.match(b.name, /^[a-z]+_[a-z]+\d?$/);
    assert.equal((await fs.readdir(path.join(dir, 'containers'))).filter((n) => !n.startsWith('.')).length, 2);
  });

  it('starts: mounts the rootfs, makes the cgroup, builds the request; the exit releases everything', async () => {
    const c = await create(
      { cmd: ['echo', 'hi'], tty: true },
      { logConfig: { type: 'json-file', config: { 'max-size': '10m', 'max-file': '3' } } },
      { nanoCpus: 1.5e9, memory: 64 << 20 },
    );
    const nextExit = service.wait(c.id, 'next-exit');
    await service.start(c.id);
    const req = runtime.requests[0] as RuntimeRequest;
    assert.deepEqual(req.args, ['echo', 'hi']);
    assert.deepEqual(req.log, { path: c.logPath, maxSize: 10 << 20, maxFile: 3 });
    assert.equal(req.namespaces.net.kind, 'private');
    assert.equal(req.namespaces.cgroup.kind, 'host');
    assert.ok(req.env.includes('TERM=xterm'));
    assert.ok(req.env.includes(`HOSTNAME=${c.id.slice(0, 12)}`));
    assert.equal(req.shmSize, 64 << 20);
    const res = cgroups.live.get(`berth-test-${c.id}`);
    assert.equal(res?.cpuQuota, 150000);
    assert.equal(res?.cpuPeriod, 100000);
    assert.equal(res?.memorySwap, 128 << 20);
    assert.ok(existsSync(path.join(c.bundleDir, 'rootfs')), 'the rootfs mount point exists');
    const running = await service.get(c.id);
    assert.equal(running.state.status, 'running');
    assert.equal(running.state.pid, 1001);
    assert.deepEqual(service.imageUsage(c.imageId), { containerId: c.id, running: true });
    await assert.rejects(service.start(c.id), (e) => isEngineError(e, 'not-modified'));

    cgroups.oom = true;
    taskOf(c.bundleDir).finish(137);
    assert.deepEqual(await nextExit, { statusCode: 137 });
    const exited = await service.get(c.id);
    assert.equal(exited.state.status, 'exited');
    assert.equal(exited.state.oomKilled, true);
    assert.equal(exited.state.finishedAt, '2024-01-01T00:00:09.5Z');
    assert.deepEqual(host.mounted, []);
    assert.equal(cgroups.live.size, 0);
    assert.equal(taskOf(c.bundleDir).deleted, true);
    assert.equal(existsSync(c.bundleDir), false);
    assert.deepEqual(
      events.map((e) => e.action),
      ['create', 'start', 'oom', 'die'],
    );
  });

  it('a failed start records the error and cleans up', async () => {
    const c = await create({ cmd: ['nosuch'] });
    runtime.fail = Object.assign(
      new (await import('../../common/errors')).EngineError(
        'invalid-argument',
        'exec: "nosuch": executable file not found in $PATH',
      ),
      { exitCode: 127 as const, step: 'exec' },
    );
    const nextExit = service.wait(c.id, 'next-exit');
    await assert.rejects(service.start(c.id), /executable file not found/);
    assert.deepEqual(await nextExit, { statusCode: 127, error: 'exec: "nosuch": executable file not found in $PATH' });
    const s = await service.get(c.id);
    assert.deepEqual([s.state.status, s.state.exitCode], ['created', 127]);
    assert.deepEqual(host.mounted, []);
    assert.equal(cgroups.live.size, 0);
  });

  it('stop sends the stop signal, then SIGKILL after the timeout', async () => {
    const c = await create({ cmd: ['sleep', '9'], stopSignal: 'SIGUSR1' });
    await service.start(c.id);
    await service.stop(c.id, { timeout: 0.05 });
    assert.deepEqual(taskOf(c.bundleDir).signals, [10, 9]);
    assert.equal((await service.get(c.id)).state.exitCode, 137);
    await assert.rejects(service.stop(c.id, {}), (e) => isEngineError(e, 'not-modified'));
    runtime.fatal.add(15);
    await service.start(c.id);
    const second = runtime.requests.length;
    assert.equal(second, 2);
    await service.stop(c.id, { signal: 'TERM', timeout: 5 });
    assert.equal((await service.get(c.id)).state.exitCode, 143);
  });

  it('remove: refuses a running container without force; force kills; waiters see removed', async () => {
    const c = await create({ cmd: ['sleep', '9'] }, {}, {}, 'victim');
    await service.start(c.id);
    await assert.rejects(
      service.remove('victim', { force: false, volumes: false }),
      (e) =>
        isEngineError(e, 'conflict') &&
        e.message ===
          'cannot remove container "/victim": container is running: stop the container before removing or force remove',
    );
    const removed = service.wait(c.id, 'removed');
    await service.remove('victim', { force: true, volumes: false });
    assert.deepEqual(await removed, { statusCode: 137 });
    assert.equal(await snapshotter.stat(c.id), undefined);
    assert.equal(existsSync(path.join(dir, 'containers', c.id)), false);
    await assert.rejects(service.get('victim'), (e) => isEngineError(e, 'not-found'));
    await create({}, {}, {}, 'victim'); // the name is free again
  });

  it('AutoRemove removes after the exit; on-failure restarts up to its count', async () => {
    const a = await create({ cmd: ['true'] }, { autoRemove: true });
    const removed = service.wait(a.id, 'removed');
    await service.start(a.id);
    taskOf(a.bundleDir).finish(0);
    assert.deepEqual(await removed, { statusCode: 0 });

    const b = await create({ cmd: ['false'] }, { restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } });
    await service.start(b.id);
    for (let i = 0; i < 3; i++) {
      const exited = service.wait(b.id, 'next-exit');
      taskOf(b.bundleDir).finish(1);
      await exited;
      await new Promise((r) => setTimeout(r, 500));
    }
    const s = await service.get(b.id);
    assert.equal(s.restartCount, 2);
    assert.equal(s.state.status, 'exited');
    assert.equal(runtime.requests.length, 4);
  });

  it('lists newest first with filters; prunes stopped containers', async () => {
    const a = await create({ labels: { tier: 'web' } }, {}, {}, 'alpha');
    const b = await create({ cmd: ['sleep', '9'] }, {}, {}, 'beta');
    const c = await create({ cmd: ['true'] }, {}, {}, 'gamma');
    await service.start(b.id);
    await service.start(c.id);
    taskOf(c.bundleDir).finish(3);
    await service.wait(c.id, 'not-running');
    const names = async (o: Partial<Parameters<LocalContainerService['list']>[0]> = {}) =>
      (await service.list({ all: false, limit: 0, size: false, filters: {}, ...o })).map((s) => s.container.name);
    assert.deepEqual(await names(), ['beta']);
    assert.deepEqual(await names({ all: true }), ['gamma', 'beta', 'alpha']);
    assert.deepEqual(await names({ limit: 2 }), ['gamma', 'beta']);
    assert.deepEqual(await names({ filters: { status: ['exited'] } }), ['gamma']);
    assert.deepEqual(await names({ all: true, filters: { exited: ['3'] } }), ['gamma']);
    assert.deepEqual(await names({ all: true, filters: { label: ['tier=web'] } }), ['alpha']);
    assert.deepEqual(await names({ all: true, filters: { name: ['^/al'] } }), ['alpha']);
    assert.deepEqual(await names({ all: true, filters: { id: [b.id.slice(0, 8)] } }), ['beta']);
    assert.deepEqual(await names({ all: true, filters: { since: ['alpha'], before: ['gamma'] } }), ['beta']);
    assert.deepEqual(await names({ all: true, filters: { ancestor: ['berth-test/busybox'] } }), [
      'gamma',
      'beta',
      'alpha',
    ]);
    assert.deepEqual(await names({ all: true, filters: { ancestor: ['nope:1'] } }), []);
    await assert.rejects(
      names({ filters: { bogus: ['x'] } }),
      (e) => isEngineError(e, 'invalid-argument') && e.message === "invalid filter 'bogus'",
    );
    const sized = await service.list({ all: true, limit: 1, size: true, filters: {} });
    assert.equal(sized[0]?.sizeRw, 0);
    assert.ok((sized[0]?.sizeRootFs ?? 0) > 0);

    const pruned = await service.prune({ 'label!': ['tier=web'] });
    assert.deepEqual(pruned.containersDeleted, [c.id]);
    assert.deepEqual(await names({ all: true }), ['beta', 'alpha']);
    assert.equal(a.name, 'alpha');
  });

  it('attach forwards stdin and closes it at EOF with stdinOnce', async () => {
    const { PassThrough } = await import('node:stream');
    const c = await create(
      { cmd: ['cat'], openStdin: true, stdinOnce: true },
      { logConfig: { type: 'none', config: {} } },
    );
    await service.start(c.id);
    const input = new PassThrough();
    const done = (async () => {
      for await (const _ of service.attach(c.id, {
        stdin: true,
        stdout: true,
        stderr: true,
        logs: false,
        stream: true,
        input,
      })) {
        // the fake produces no output
      }
    })();
    input.end('data');
    await new Promise((r) => setTimeout(r, 20));
    const t = taskOf(c.bundleDir);
    assert.equal(Buffer.concat(t.stdin).toString(), 'data');
    assert.equal(t.stdinClosed, true);
    t.finish(0);
    await done;
    assert.throws(
      () =>
        service.logs(c.id, {
          stdout: true,
          stderr: true,
          follow: false,
          since: 0,
          until: 0,
          timestamps: false,
          tail: -1,
        }),
      (e) => isEngineError(e, 'not-implemented'),
    );
  });

  it('recover(): drops half-made dirs, quarantines corrupt records, finishes removals, re-watches running containers', async () => {
    const running = await create({ cmd: ['sleep', '9'] });
    const lost = await create({ cmd: ['sleep', '9'] });
    const exitedMeanwhile = await create({ cmd: ['sleep', '9'] });
    for (const c of [running, lost, exitedMeanwhile]) await service.start(c.id);
    await service.close();

    const root = path.join(dir, 'containers');
    const half = 'a'.repeat(64);
    await fs.mkdir(path.join(root, half));
    await fs.writeFile(path.join(root, half, 'hostname'), 'x\n');
    const corrupt = await create();
    await fs.writeFile(path.join(root, corrupt.id, 'config.v2.json'), '{"version":1,');
    const removing = await create();
    await fs.rename(path.join(root, removing.id), path.join(root, `.removing-${removing.id}`));

    runtime.tasks.delete(lost.bundleDir);
    runtime.tasks.delete(exitedMeanwhile.bundleDir);
    runtime.exits.set(exitedMeanwhile.bundleDir, {
      exitCode: 4,
      signal: 0,
      finishedAt: '2024-01-01T00:00:01Z',
      oomKilled: false,
    });

    const again = make();
    await again.recover();
    const ids = (await again.list({ all: true, limit: 0, size: false, filters: {} })).map((s) => s.container.id).sort();
    assert.deepEqual(ids, [running.id, lost.id, exitedMeanwhile.id].sort());
    assert.equal(existsSync(path.join(root, half)), false);
    assert.equal(existsSync(path.join(root, `.removing-${removing.id}`)), false);
    assert.equal(await snapshotter.stat(removing.id), undefined);
    assert.equal((await fs.readdir(path.join(root, '.quarantine'))).length, 1);

    assert.equal((await again.get(running.id)).state.status, 'running');
    const l = await again.get(lost.id);
    assert.deepEqual([l.state.status, l.state.exitCode, l.state.error], ['exited', 255, 'container was lost']);
    const m = await again.get(exitedMeanwhile.id);
    assert.deepEqual([m.state.status, m.state.exitCode], ['exited', 4]);
    assert.equal(cgroups.live.has(`berth-test-${lost.id}`), false);

    const waiting = again.wait(running.id, 'not-running');
    taskOf(running.bundleDir).finish(9);
    assert.equal((await waiting).statusCode, 9);
    assert.deepEqual(host.mounted, []);
    assert.equal(cgroups.live.size, 0);
  });
});
