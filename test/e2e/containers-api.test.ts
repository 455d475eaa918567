/**
 * The container endpoints over raw HTTP against a real berthd (root): create,
 * start, wait, logs, inspect, list, attach (hijacked), stop, kill, rm, with
 * the busybox fixture loaded through POST /images/load.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fixtures } from '../../scripts/make-fixtures';
import type { ContainerInspectWire, ContainerSummaryWire } from '../../src/wire';
import { startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { safeName } from '../helpers/names';
import { requireAll, requireCommand, requireRoot } from '../helpers/requires';

const IMAGE = 'berth-test/busybox:latest';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = type;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** Splits a multiplexed body into [type, text] pairs. */
function frames(body: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let b = body;
  while (b.length >= 8) {
    const len = b.readUInt32BE(4);
    out.push([b[0] ?? -1, b.subarray(8, 8 + len).toString()]);
    b = b.subarray(8 + len);
  }
  assert.equal(b.length, 0, 'no partial frame');
  return out;
}

describe('container API against berthd', { skip: requireAll(requireRoot(), requireCommand('busybox')) }, () => {
  let d: TestDaemon;
  const created: string[] = [];
  const json = async <T>(
    method: string,
    path: string,
    body?: object,
  ): Promise<{ status: number; body: T; text: string }> => {
    const r = await d.request(method, path, body);
    return { status: r.status, body: (r.text.trim() === '' ? undefined : r.json<T>()) as T, text: r.text };
  };
  const create = async (body: object, name = safeName('c')): Promise<string> => {
    const r = await json<{ Id: string; Warnings: string[] }>('POST', `/v1.44/containers/create?name=${name}`, body);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.Warnings, []);
    created.push(r.body.Id);
    return r.body.Id;
  };

  before(async () => {
    d = await startDaemon();
    const fx = await fixtures();
    const r = await d.request('POST', '/v1.44/images/load?quiet=1', createReadStream(fx.busybox), {
      'Content-Type': 'application/x-tar',
    });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /Loaded image/);
  });

  after(async () => {
    try {
      for (const id of created) await d.request('DELETE', `/containers/${id}?force=1`);
      const left = await json<unknown[]>('GET', '/containers/json?all=1');
      assert.deepEqual(left.body, [], 'containers left behind');
    } finally {
      await d?.stop();
    }
  });

  it('creates, starts, waits, reads logs, inspects and removes', () =>
    withDaemonLog(d, async () => {
      const id = await create({ Image: IMAGE, Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
      const start = await d.request('POST', `/v1.44/containers/${id}/start`);
      assert.equal(start.status, 204, start.text);
      const wait = await json<{ StatusCode: number }>('POST', `/v1.44/containers/${id}/wait`);
      assert.equal(wait.status, 200);
      assert.deepEqual(wait.body, { StatusCode: 3 });
      const logs = await d.request('GET', `/v1.44/containers/${id}/logs?stdout=1&stderr=1`);
      assert.equal(logs.status, 200);
      assert.equal(logs.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
      assert.deepEqual(
        frames(logs.body).sort((a, b) => a[0] - b[0]),
        [
          [1, 'out\n'],
          [2, 'err\n'],
        ],
      );
      const onlyOut = await d.request('GET', `/v1.44/containers/${id}/logs?stdout=1`);
      assert.deepEqual(onlyOut.body, frame(1, 'out\n'));
      const inspect = await json<ContainerInspectWire>('GET', `/v1.44/containers/${id}/json`);
      assert.equal(inspect.status, 200);
      assert.equal(inspect.body.State.Status, 'exited');
      assert.equal(inspect.body.State.ExitCode, 3);
      assert.equal(inspect.body.State.Running, false);
      assert.notEqual(inspect.body.State.FinishedAt, '0001-01-01T00:00:00Z');
      assert.equal(inspect.body.Config.Image, IMAGE);
      assert.equal(inspect.body.HostConfig.NetworkMode, 'bridge');
      assert.deepEqual(inspect.body.HostConfig.LogConfig, { Type: 'json-file', Config: {} });
      assert.equal(inspect.body.Platform, 'linux');
      assert.equal(inspect.body.Driver, 'overlay2');
      assert.match(inspect.body.Image, /^sha256:/);
      const list = await json<ContainerSummaryWire[]>('GET', '/v1.44/containers/json?all=1');
      const item = list.body.find((c) => c.Id === id);
      assert.ok(item);
      assert.equal(item.Names[0], inspect.body.Name);
      assert.match(item.Status, /^Exited \(3\) /);
      assert.equal(item.Command, "sh -c 'echo out; echo err >&2; exit 3'");
      const running = await json<ContainerSummaryWire[]>('GET', '/v1.44/containers/json');
      assert.ok(!running.body.some((c) => c.Id === id));
      assert.equal((await d.request('DELETE', `/v1.44/containers/${id}`)).status, 204);
      assert.equal((await d.request('GET', `/v1.44/containers/${id}/json`)).status, 404);
    }));

  it('flushes wait headers before start and attaches over a hijacked connection', () =>
    withDaemonLog(d, async () => {
      const id = await create({ Image: IMAGE, Cmd: ['echo', 'hi'], AttachStdout: true, AttachStderr: true });
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ path: d.socket, allowHalfOpen: true }, () => resolve(s));
        s.once('error', reject);
      });
      socket.write(
        `POST /v1.44/containers/${id}/attach?stderr=1&stdout=1&stream=1 HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
      );
      const received: Buffer[] = [];
      socket.on('data', (c: Buffer) => received.push(c));
      const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
      while (!Buffer.concat(received).includes('\r\n\r\n')) await new Promise((r) => setTimeout(r, 10));
      socket.end(); // CloseWrite, as the CLI does without stdin
      const waitRes = await new Promise<IncomingMessage>((resolve, reject) => {
        const r = httpRequest(
          {
            socketPath: d.socket,
            method: 'POST',
            path: `/v1.44/containers/${id}/wait?condition=next-exit`,
            agent: false,
          },
          resolve,
        );
        r.on('error', reject);
        r.end();
      });
      assert.equal(waitRes.statusCode, 200, 'headers before the container started');
      const waitBody: Buffer[] = [];
      waitRes.on('data', (c: Buffer) => waitBody.push(c));
      const waitDone = new Promise((r) => waitRes.once('end', r));
      assert.equal((await d.request('POST', `/v1.44/containers/${id}/start`)).status, 204);
      await ended;
      await waitDone;
      socket.destroy();
      const all = Buffer.concat(received);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString();
      assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream/);
      assert.equal(all.subarray(split + 4).toString('hex'), '010000000000000368690a');
      assert.equal(Buffer.concat(waitBody).toString(), '{"StatusCode":0}\n');
    }));

  it('reports a missing command as Docker does', () =>
    withDaemonLog(d, async () => {
      const id = await create({ Image: IMAGE, Cmd: ['nosuchcommand'] });
      const r = await json<{ message: string }>('POST', `/v1.44/containers/${id}/start`);
      assert.equal(r.status, 400, r.text);
      assert.match(r.body.message, /executable file not found in \$PATH/);
    }));

  it('stops, kills and force-removes running containers', () =>
    withDaemonLog(d, async () => {
      const id = await create({ Image: IMAGE, Cmd: ['sleep', '300'] });
      assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
      assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 304);
      const list = await json<Array<{ Id: string; State: string; Status: string }>>('GET', '/containers/json');
      const item = list.body.find((c) => c.Id === id);
      assert.equal(item?.State, 'running');
      assert.match(item?.Status ?? '', /^Up /);
      assert.equal((await d.request('DELETE', `/containers/${id}`)).status, 409);
      assert.equal((await d.request('POST', `/containers/${id}/stop?t=1`)).status, 204);
      assert.equal((await d.request('POST', `/containers/${id}/stop`)).status, 304);
      assert.equal((await d.request('POST', `/containers/${id}/kill`)).status, 409);
      assert.equal((await d.request('POST', `/containers/${id}/start`)).status, 204);
      assert.equal((await d.request('POST', `/containers/${id}/kill?signal=KILL`)).status, 204);
      const w = await json<{ StatusCode: number }>('POST', `/containers/${id}/wait`);
      assert.equal(w.body.StatusCode, 137);
      const again = await create({ Image: IMAGE, Cmd: ['sleep', '300'] });
      assert.equal((await d.request('POST', `/containers/${again}/start`)).status, 204);
      assert.equal((await d.request('DELETE', `/containers/${again}?force=1`)).status, 204);
      assert.equal((await d.request('GET', `/containers/${again}/json`)).status, 404);
      const info = await json<{ Containers: number; ContainersRunning: number }>('GET', '/info');
      assert.equal(info.body.ContainersRunning, 0);
    }));
});
