import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { testDir } from '../../test/helpers/names';
import { startTestApi, type TestApi } from '../api/testing/test-api';
import { EngineClient } from './engine-client';
import { ClientError } from './errors';
import { parseDaemonAddress, resolveHost } from './host';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('EngineClient against berth', () => {
  let api: TestApi;
  let client: EngineClient;
  before(async () => {
    api = await startTestApi();
    client = new EngineClient({ host: `unix://${api.socket}` });
  });
  after(async () => {
    client.close();
    await api.close();
  });

  it('pings and negotiates 1.44', async () => {
    const p = await client.ping();
    assert.equal(p.apiVersion, '1.44');
    assert.equal(p.osType, 'linux');
    assert.equal(p.experimental, false);
    assert.equal(p.swarm, 'inactive');
    assert.equal(await client.apiVersion(), '1.44');
  });

  it('reads version and info', async () => {
    assert.equal((await client.version()).ApiVersion, '1.44');
    assert.equal((await client.info()).NCPU, 4);
  });

  it('lists, inspects, tags, removes images', async () => {
    const img = api.images.add({ tags: ['cl/one:1'] });
    const list = await client.listImages({ all: true, filters: { reference: ['cl/*'] } });
    assert.ok(list.some((i) => i.Id === img.id));
    const listCall = api.images.calls.filter((c) => c[0] === 'list').at(-1);
    assert.deepEqual((listCall?.[1] as { filters: unknown }).filters, { reference: ['cl/*'] });
    assert.equal((await client.inspectImage('cl/one:1')).Id, img.id);
    assert.equal((await client.imageHistory('cl/one:1'))[0]?.Id, img.id);
    await client.tagImage('cl/one:1', 'docker.io/cl/two', 'x');
    assert.ok(img.repoTags.includes('docker.io/cl/two:x'));
    const removed = await client.removeImage('cl/two:x');
    assert.deepEqual(removed, [{ Untagged: 'cl/two:x' }]);
    const report = await client.pruneImages();
    assert.deepEqual(report, { ImagesDeleted: [], SpaceReclaimed: 0 });
  });

  it('raises ClientError with the status and daemon message', async () => {
    await assert.rejects(client.inspectImage('nope'), (err: unknown) => {
      assert.ok(err instanceof ClientError);
      assert.equal(err.status, 404);
      assert.equal(err.message, 'No such image: nope:latest');
      assert.ok(err.isNotFound);
      return true;
    });
  });

  it('streams an import and yields progress', async () => {
    const msgs = await collect(client.importImage(Readable.from([Buffer.from('tar-bytes')]), { repo: 'imp', tag: '1' }));
    assert.match(msgs.at(-1)?.status ?? '', /^sha256:/);
  });

  it('loads and saves', async () => {
    const msgs = await collect(client.loadImage(Readable.from([Buffer.from('ld:1')]), { quiet: true }));
    assert.deepEqual(msgs, [{ stream: 'Loaded image: ld:1\n' }]);
    const tar = await client.saveImages(['ld:1']);
    const chunks: Buffer[] = [];
    for await (const c of tar) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'TAR:ld:1');
    await assert.rejects(client.saveImages(['none:1']), (err: unknown) => err instanceof ClientError && err.status === 404);
  });

  it('turns an in-stream error into a ClientError', async () => {
    await assert.rejects(collect(client.loadImage(Readable.from([Buffer.from('bad')]))), (err: unknown) => {
      // 'bad' fails before any output, so it is a plain 400.
      return err instanceof ClientError && err.status === 400 && /no manifest/.test(err.message);
    });
  });
});

describe('EngineClient negotiation', () => {
  const dir = testDir('client');
  const socket = path.join(dir, 'old.sock');
  const seen: string[] = [];
  let server: Server;
  before(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/_ping') {
        res.writeHead(200, { 'Api-Version': '1.40', Ostype: 'linux' });
        res.end(req.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      if (req.url === '/v1.40/fail-text') {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('plain failure\n');
        return;
      }
      if (req.url === '/v1.40/fail-json-charset') {
        res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('{"message":"x"}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ApiVersion":"1.40"}');
    });
    await new Promise<void>((r) => server.listen(socket, r));
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('downgrades to an older server and pings once', async () => {
    const c = new EngineClient({ host: `unix://${socket}` });
    await c.version();
    await c.info();
    c.close();
    assert.deepEqual(seen, ['HEAD /_ping', 'GET /v1.40/version', 'GET /v1.40/info']);
  });

  it('uses a fixed version without pinging', async () => {
    seen.length = 0;
    const c = new EngineClient({ host: `unix://${socket}`, apiVersion: '1.41' });
    await c.version();
    c.close();
    assert.deepEqual(seen, ['GET /v1.41/version']);
  });

  it('shows non-JSON error bodies as text', async () => {
    const c = new EngineClient({ host: `unix://${socket}` });
    await assert.rejects(c.json('GET', '/fail-text'), { message: 'plain failure' });
    await assert.rejects(c.json('GET', '/fail-json-charset'), { message: '{"message":"x"}' });
    c.close();
  });
});

describe('EngineClient connection errors', () => {
  it('says the berth daemon is not running', async () => {
    const c = new EngineClient({ host: 'unix:///tmp/berth-test-no-such.sock' });
    await assert.rejects(c.version(), (err: unknown) => {
      assert.ok(err instanceof ClientError);
      assert.equal(err.status, 0);
      assert.equal(
        err.message,
        'Cannot connect to the berth daemon at unix:///tmp/berth-test-no-such.sock. Is berthd running?',
      );
      return true;
    });
    c.close();
  });
});

describe('host resolution', () => {
  it('prefers the flag, then BERTH_HOST, then DOCKER_HOST', () => {
    assert.equal(resolveHost('unix:///a', { BERTH_HOST: 'unix:///b' }), 'unix:///a');
    assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///b');
    assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c' }), 'unix:///c');
    assert.equal(resolveHost(undefined, {}), 'unix:///run/berth/berth.sock');
  });
  it('parses unix and tcp hosts', () => {
    assert.deepEqual(parseDaemonAddress('unix:///x.sock'), { kind: 'unix', socketPath: '/x.sock', display: 'unix:///x.sock' });
    assert.deepEqual(parseDaemonAddress('tcp://127.0.0.1:2375'), {
      kind: 'tcp',
      hostname: '127.0.0.1',
      port: 2375,
      display: 'tcp://127.0.0.1:2375',
    });
    assert.throws(() => parseDaemonAddress('ftp://x'));
  });
});
