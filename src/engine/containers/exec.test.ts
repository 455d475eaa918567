import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import type { Logger } from '../../common/log';
import { type ExecExit, type ExecProcess, type ExecRequest, ExecStartError } from '../runtime/exec';
import type { OutputChunk } from '../runtime/types';
import { defaultContainerConfig, defaultHostConfig } from './defaults';
import { type ExecEvent, ExecService, mergeEnv } from './exec';
import { initialState } from './state';
import type { Container } from './types';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

function container(over: Partial<Container['state']> = {}): Container {
  return {
    id: 'c'.repeat(64),
    name: 'web',
    created: '2024-01-01T00:00:00Z',
    path: 'sleep',
    args: ['1000'],
    config: defaultContainerConfig({
      hostname: 'cccccccccccc',
      env: ['PATH=/bin', 'A=container'],
      workingDir: '/srv',
      user: 'app',
      labels: { l: 'v' },
    }),
    hostConfig: defaultHostConfig({ groupAdd: ['extra'] }),
    imageId: 'sha256:1' as Container['imageId'],
    state: { ...initialState(), status: 'running', running: true, pid: 4242, ...over },
    restartCount: 0,
    logPath: '',
    hostnamePath: '',
    hostsPath: '',
    resolvConfPath: '',
    bundleDir: '/run/berth/c',
    graphDriver: { name: 'overlay2', data: {} },
    warnings: [],
  };
}

/** A process that writes what it is told and exits when told. */
class FakeProcess implements ExecProcess {
  readonly pid = 99;
  readonly stdin: Buffer[] = [];
  stdinClosed = false;
  killed: Array<NodeJS.Signals | number> = [];
  resized: Array<[number, number]> = [];
  private readonly chunks: Array<OutputChunk | ExecExit> = [];
  private wake: (() => void) | undefined;

  push(item: OutputChunk | ExecExit): void {
    this.chunks.push(item);
    this.wake?.();
  }

  async *output(): AsyncGenerator<OutputChunk, ExecExit, void> {
    for (;;) {
      const item = this.chunks.shift();
      if (item === undefined) {
        await new Promise<void>((r) => {
          this.wake = r;
        });
        continue;
      }
      if ('exitCode' in item) return item;
      yield item;
    }
  }
  async writeStdin(data: Buffer): Promise<void> {
    this.stdin.push(data);
  }
  async closeStdin(): Promise<void> {
    this.stdinClosed = true;
  }
  async resize(rows: number, cols: number): Promise<void> {
    this.resized.push([rows, cols]);
  }
  kill(signal: NodeJS.Signals | number): void {
    this.killed.push(signal);
    this.push({ exitCode: 137, signal: 9 });
  }
  close(): void {}
}

function setup(c: Container = container(), fail?: ExecStartError) {
  const requests: ExecRequest[] = [];
  const events: ExecEvent[] = [];
  let proc = new FakeProcess();
  const service = new ExecService({
    containers: {
      get: async (ref) => (ref === c.id || ref === c.name ? structuredClone(c) : Promise.reject(new Error('no'))),
    },
    runtime: {
      exec: async (r) => {
        requests.push(r);
        if (fail) throw fail;
        proc = new FakeProcess();
        return proc;
      },
    },
    logger: quiet,
    onEvent: (e) => events.push(e),
  });
  return { service, requests, events, proc: () => proc };
}

const base = {
  env: [],
  workingDir: '',
  user: '',
  privileged: false,
  tty: false,
  attachStdin: false,
  attachStdout: true,
  attachStderr: true,
  detachKeys: '',
};

async function collect(it: AsyncIterable<OutputChunk>): Promise<string> {
  let out = '';
  for await (const c of it) out += `${c.stream}:${c.data.toString()}`;
  return out;
}

describe('ExecService', () => {
  it("runs the command with the container's env, user and cwd, records the exit before the output ends", async () => {
    const { service, requests, events, proc } = setup();
    const id = await service.create('web', { ...base, cmd: ['sh', '-c', 'echo hi'], env: ['A=exec', 'B=1'] });
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.deepEqual(service.idsOf('c'.repeat(64)), [id]);
    const before = await service.inspect(id);
    assert.equal(before.running, false);
    assert.equal(before.exitCode, null);
    const output = await service.start(id, { detach: false });
    const r = requests[0]!;
    assert.deepEqual(r.args, ['sh', '-c', 'echo hi']);
    assert.deepEqual(r.env, ['PATH=/bin', 'HOSTNAME=cccccccccccc', 'A=exec', 'B=1']);
    assert.equal(r.user, 'app');
    assert.equal(r.cwd, '/srv');
    assert.deepEqual(r.groupAdd, ['extra']);
    assert.equal(r.initPid, 4242);
    assert.equal(r.rootfs, '/run/berth/c/rootfs');
    assert.equal((await service.inspect(id)).running, true);
    proc().push({ stream: 'stdout', data: Buffer.from('hi\n') });
    proc().push({ stream: 'stderr', data: Buffer.from('oops\n') });
    proc().push({ exitCode: 3, signal: 0 });
    const seen: string[] = [];
    for await (const c of output) seen.push(c.data.toString());
    // The generator has ended: the exit is already recorded.
    const after = await service.inspect(id);
    assert.deepEqual(seen, ['hi\n', 'oops\n']);
    assert.equal(after.exitCode, 3);
    assert.equal(after.running, false);
    assert.equal(service.idsOf('c'.repeat(64)), null);
    assert.deepEqual(
      events.map((e) => e.action),
      ['exec_create: sh -c echo hi', 'exec_start: sh -c echo hi', 'exec_die'],
    );
    assert.equal(events[2]!.attributes.exitCode, '3');
    assert.equal(events[2]!.attributes.execID, id);
    assert.equal(events[2]!.attributes.l, 'v');
  });

  it('uses its own user and working directory, a TTY with TERM and its size', async () => {
    const { service, requests, proc } = setup();
    const id = await service.create('web', {
      ...base,
      cmd: ['sh'],
      user: '0:0',
      workingDir: '/tmp',
      tty: true,
      consoleSize: [24, 80],
    });
    const out = await service.start(id, { detach: false, consoleSize: [30, 100] });
    assert.equal(requests[0]!.user, '0:0');
    assert.equal(requests[0]!.cwd, '/tmp');
    assert.ok(requests[0]!.env.includes('TERM=xterm'));
    assert.deepEqual(requests[0]!.consoleSize, [30, 100]);
    await service.resize(id, 40, 120);
    assert.deepEqual(proc().resized, [[40, 120]]);
    proc().push({ exitCode: 0, signal: 0 });
    await collect(out);
  });

  it('forwards stdin and closes it at EOF', async () => {
    const { service, requests, proc } = setup();
    const id = await service.create('web', { ...base, cmd: ['cat'], attachStdin: true });
    const input = new PassThrough();
    const out = await service.start(id, { detach: false, input });
    assert.equal(requests[0]!.openStdin, true);
    input.end('hello');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(Buffer.concat(proc().stdin).toString(), 'hello');
    assert.equal(proc().stdinClosed, true);
    proc().push({ exitCode: 0, signal: 0 });
    await collect(out);
  });

  it('a client that goes away ends its session only: the exec goes on, its exit is recorded later', async () => {
    const { service, proc } = setup();
    const id = await service.create('web', { ...base, cmd: ['sleep', '100'] });
    const abort = new AbortController();
    const out = await service.start(id, { detach: false, signal: abort.signal });
    const done = collect(out);
    abort.abort();
    assert.equal(await done, '');
    assert.deepEqual(proc().killed, []);
    assert.equal((await service.inspect(id)).running, true);
    proc().push({ exitCode: 0, signal: 0 });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal((await service.inspect(id)).exitCode, 0);
  });

  it('killOnAbort (health probes): the process is killed', async () => {
    const { service, proc } = setup();
    const id = await service.create('web', { ...base, cmd: ['sleep', '100'] });
    const abort = new AbortController();
    const out = await service.start(id, { detach: false, signal: abort.signal, killOnAbort: true });
    const done = collect(out);
    abort.abort();
    await done;
    assert.deepEqual(proc().killed, ['SIGKILL']);
    assert.equal((await service.inspect(id)).exitCode, 137);
  });

  it('a TTY exec: the detach keys are swallowed and end the session, the exec goes on', async () => {
    const { service, proc } = setup();
    const id = await service.create('web', {
      ...base,
      cmd: ['sh'],
      tty: true,
      attachStdin: true,
      detachKeys: 'ctrl-x,x',
    });
    const input = new PassThrough();
    const out = await service.start(id, { detach: false, input });
    const done = collect(out);
    input.write('ls\r\x18');
    input.write('xmore');
    assert.equal(await done, '');
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(Buffer.concat(proc().stdin).toString(), 'ls\r');
    assert.equal((await service.inspect(id)).running, true);
    proc().push({ exitCode: 0, signal: 0 });
  });

  it('detached: returns at once, the exit is recorded later', async () => {
    const { service, proc } = setup();
    const id = await service.create('web', { ...base, cmd: ['sleep', '1'] });
    assert.equal(await collect(await service.start(id, { detach: true })), '');
    assert.equal((await service.inspect(id)).running, true);
    proc().push({ stream: 'stdout', data: Buffer.from('dropped') });
    proc().push({ exitCode: 0, signal: 0 });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal((await service.inspect(id)).exitCode, 0);
  });

  it("answers with Docker's errors", async () => {
    const stopped = setup(container({ status: 'exited', running: false, pid: 0 }));
    await assert.rejects(stopped.service.create('web', { ...base, cmd: ['true'] }), (e: unknown) => {
      assert.ok(isEngineError(e, 'conflict'));
      assert.equal((e as Error).message, `container ${'c'.repeat(64)} is not running`);
      return true;
    });
    const paused = setup(container({ status: 'paused', paused: true }));
    await assert.rejects(paused.service.create('web', { ...base, cmd: ['true'] }), {
      message: 'container web is paused, unpause the container before exec',
    });
    const { service } = setup();
    await assert.rejects(service.create('web', { ...base, cmd: [] }), { message: 'No exec command specified' });
    await assert.rejects(service.inspect('nope'), { message: 'No such exec instance: nope' });
    await assert.rejects(service.start('nope', { detach: false }), (e: unknown) => isEngineError(e, 'not-found'));
    const id = await service.create('web', { ...base, cmd: ['true'] });
    const out = await service.start(id, { detach: true });
    await collect(out);
    await assert.rejects(service.start(id, { detach: false }), (e: unknown) => isEngineError(e, 'conflict'));
  });

  it('records 127 for a command that is not found, 126 for other start failures', async () => {
    for (const [code, want] of [
      [127, 127],
      [126, 126],
      [125, 126],
    ] as const) {
      const { service } = setup(container(), new ExecStartError('invalid-argument', 'no', code, 'exec'));
      const id = await service.create('web', { ...base, cmd: ['nosuch'] });
      await assert.rejects(service.start(id, { detach: false }), { message: 'no' });
      assert.equal((await service.inspect(id)).exitCode, want);
    }
  });

  it('forgets the execs of a removed container', async () => {
    const { service } = setup();
    const id = await service.create('web', { ...base, cmd: ['true'] });
    service.containerRemoved('c'.repeat(64));
    assert.equal(service.exists(id), false);
  });
});

describe('mergeEnv (moby ReplaceOrAppendEnvValues)', () => {
  it('replaces by name, appends new names, unsets bare names', () => {
    assert.deepEqual(mergeEnv(['A=1', 'B=2', 'C=3'], ['B=x', 'D=4', 'C', 'E']), ['A=1', 'B=x', 'D=4']);
  });
});
