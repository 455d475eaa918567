/**
 * The client's container methods against berth's real API routes, served in
 * process with the FakeContainerService (no root needed).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../../src/api/testing/test-api';
import { ClientError, EngineClient, type OutputChunk } from '../../src/client';

async function collect(it: AsyncIterable<OutputChunk>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of it) out.push(`${c.stream}:${c.data.toString()}`);
  return out;
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('EngineClient: containers', () => {
  let api: TestApi;
  let client: EngineClient;
  before(async () => {
    api = await startTestApi();
    api.images.add({ tags: ['busybox:latest'] });
    client = new EngineClient({ host: `unix://${api.socket}` });
  });
  after(async () => {
    client.close();
    await api.close();
  });

  it('runs like docker run: create, attach, wait (ready), start, output, exit code', async () => {
    const { Id: id, Warnings } = await client.createContainer(
      { Image: 'busybox', Cmd: ['echo', 'hi'], AttachStdout: true, AttachStderr: true },
      { name: 'cl-run' },
    );
    assert.deepEqual(Warnings, []);
    const attach = await client.attachContainer(id, { stream: true, stdout: true, stderr: true });
    assert.equal(attach.tty, false);
    const waiter = client.waitContainer(id, 'next-exit');
    await waiter.ready;
    attach.closeWrite();
    await client.startContainer(id);
    await client.startContainer(id); // 304 is not an error
    const output = collect(attach.output);
    await tick();
    api.containers.emit(id, 'stdout', 'hi\n');
    api.containers.emit(id, 'stderr', 'oops\n');
    await tick();
    api.containers.exit(id, 7);
    assert.deepEqual(await output, ['stdout:hi\n', 'stderr:oops\n']);
    assert.deepEqual(await waiter.result, { StatusCode: 7 });
    await client.removeContainer(id);
  });

  it('pipes stdin and half-closes at its end', async () => {
    api.containers.echoStdin = true;
    try {
      const { Id: id } = await client.createContainer({ Image: 'busybox', OpenStdin: true, StdinOnce: true });
      await client.startContainer(id);
      const attach = await client.attachContainer(id, { stream: true, stdin: true, stdout: true });
      const output = collect(attach.output);
      attach.pipeStdin(Readable.from([Buffer.from('ping\n')]));
      assert.deepEqual(await output, ['stdout:ping\n']);
      assert.equal((await client.inspectContainer(id)).State.Status, 'exited');
      await client.removeContainer(id);
    } finally {
      api.containers.echoStdin = false;
    }
  });

  it('reads logs (frames and raw), lists, inspects, kills, prunes', async () => {
    const { Id: id } = await client.createContainer({ Image: 'busybox', Tty: true }, { name: 'cl-logs' });
    await client.startContainer(id);
    api.containers.emit(id, 'stdout', 'raw\r\n');
    assert.deepEqual(await collect(client.containerLogs(id, { tty: true })), ['stdout:raw\r\n']);
    assert.deepEqual(await collect(client.containerLogs(id)), ['stdout:raw\r\n'], 'raw by Content-Type');
    const list = await client.listContainers({ filters: { name: ['cl-logs'] }, size: true });
    assert.equal(list.length, 1);
    assert.deepEqual(list[0]?.Names, ['/cl-logs']);
    assert.equal(list[0]?.SizeRw, 12);
    const info = await client.inspectContainer('cl-logs', { size: true });
    assert.equal(info.Id, id);
    assert.equal(info.Config.Tty, true);
    assert.equal(info.SizeRootFs, 3456);
    await client.killContainer(id, 'TERM');
    await assert.rejects(client.killContainer(id), (err: unknown) => err instanceof ClientError && err.isConflict);
    await client.stopContainer(id, { t: 1 }); // 304: already stopped
    const report = await client.pruneContainers();
    assert.ok(report.ContainersDeleted.includes(id));
    await assert.rejects(client.inspectContainer(id), (err: unknown) => {
      assert.ok(err instanceof ClientError && err.isNotFound);
      assert.equal(err.message, `No such container: ${id}`);
      return true;
    });
  });

  it('decodes frames with a TTY-less container and cancels a wait', async () => {
    const { Id: id } = await client.createContainer({ Image: 'busybox' });
    await client.startContainer(id);
    api.containers.emit(id, 'stderr', 'e1\n');
    api.containers.emit(id, 'stdout', 'o1\n');
    assert.deepEqual(await collect(client.containerLogs(id, { stdout: true, stderr: true })), [
      'stderr:e1\n',
      'stdout:o1\n',
    ]);
    const waiter = client.waitContainer(id, 'next-exit');
    await waiter.ready;
    waiter.cancel();
    await assert.rejects(waiter.result);
    await client.restartContainer(id, { t: 0 });
    await client.removeContainer(id, { force: true });
    const missing = client.waitContainer('nosuch');
    await assert.rejects(missing.ready, (err: unknown) => err instanceof ClientError && err.isNotFound);
  });

  it('surfaces create errors with status and message', async () => {
    await assert.rejects(client.createContainer({ Image: 'nope' }), (err: unknown) => {
      assert.ok(err instanceof ClientError);
      assert.equal(err.status, 404);
      assert.equal(err.message, 'No such image: nope:latest');
      return true;
    });
    await assert.rejects(client.attachContainer('nosuch', { stream: true }), (err: unknown) => {
      assert.ok(err instanceof ClientError && err.isNotFound, String(err));
      return true;
    });
  });
});
