import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../../test/helpers/daemon';
import { testDir } from '../../test/helpers/names';
import { EngineError } from '../common/errors';
import { silentLogger } from '../common/log';
import { queryBool } from './context';
import { Router } from './router';
import { ApiServer } from './server';
import { JsonLinesWriter } from './streams/json-lines';
import { startTestApi, type TestApi } from './testing/test-api';

describe('ApiServer', () => {
  const dir = testDir('server');
  const socket = path.join(dir, 's.sock');
  let server: ApiServer;
  const req = (method: string, p: string, body?: string) => rawRequest(socket, method, p, body);

  before(async () => {
    const router = new Router();
    router.get('/fail/{kind}', (ctx) => {
      const kind = ctx.params.kind ?? '';
      if (kind === 'plain') throw new Error('boom');
      throw new EngineError(kind as never, `failed: ${kind}`);
    });
    router.get('/bool', (ctx) => {
      ctx.res.end(JSON.stringify({ a: queryBool(ctx, 'a'), b: queryBool(ctx, 'b', true) }));
    });
    router.get('/version-of-request', (ctx) => {
      ctx.res.end(ctx.apiVersion);
    });
    router.post('/stream/{mode}', async (ctx) => {
      const w = new JsonLinesWriter(ctx.res);
      if (ctx.params.mode === 'early') throw new EngineError('not-found', 'No such image: x');
      w.write({ status: 'one' });
      w.write({ status: 'two', id: 'abc', progressDetail: { current: 1, total: 2 } });
      if (ctx.params.mode === 'late') {
        w.writeError(new Error('it broke'));
      }
      w.end();
    });
    server = new ApiServer({ router, logger: silentLogger, serverVersion: '9.9.9', shutdownGraceMs: 200 });
    await server.listen({ kind: 'unix', path: socket });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the version headers on every response, including 404s', async () => {
    for (const p of ['/nope', '/bool', '/v1.44/bool']) {
      const r = await req('GET', p);
      assert.equal(r.headers['api-version'], '1.44');
      assert.equal(r.headers['docker-experimental'], 'false');
      assert.equal(r.headers.ostype, 'linux');
      assert.equal(r.headers.server, 'Docker/9.9.9 (linux)');
    }
  });

  it('answers unknown routes with 404 page not found in JSON', async () => {
    const r = await req('GET', '/v1.44/plugins/x/json');
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.text, '{"message":"page not found"}\n');
  });

  it('applies moby version rules', async () => {
    assert.equal((await req('GET', '/version-of-request')).text, '1.44');
    assert.equal((await req('GET', '/v1.30/version-of-request')).text, '1.30');
    const tooNew = await req('GET', '/v1.45/bool');
    assert.equal(tooNew.status, 400);
    assert.deepEqual(tooNew.json(), {
      message: 'client version 1.45 is too new. Maximum supported API version is 1.44',
    });
    const tooOld = await req('GET', '/v1.23/bool');
    assert.equal(tooOld.status, 400);
    assert.deepEqual(tooOld.json(), {
      message:
        'client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    });
  });

  it('maps error kinds to statuses with an exact JSON body', async () => {
    const cases: Array<[string, number]> = [
      ['invalid-argument', 400],
      ['unauthorized', 401],
      ['forbidden', 403],
      ['not-found', 404],
      ['conflict', 409],
      ['not-implemented', 501],
      ['unavailable', 503],
      ['internal', 500],
    ];
    for (const [kind, status] of cases) {
      const r = await req('GET', `/fail/${kind}`);
      assert.equal(r.status, status, kind);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.text, `{"message":"failed: ${kind}"}\n`);
    }
    const plain = await req('GET', '/fail/plain');
    assert.equal(plain.status, 500);
    assert.deepEqual(plain.json(), { message: 'boom' });
    const nm = await req('GET', '/fail/not-modified');
    assert.equal(nm.status, 304);
    assert.equal(nm.text, '');
  });

  it('parses query booleans like moby', async () => {
    assert.deepEqual((await req('GET', '/bool?a=True&b=0')).json(), { a: true, b: false });
    assert.deepEqual((await req('GET', '/bool?a=none')).json(), { a: false, b: true });
    assert.deepEqual((await req('GET', '/bool?a=')).json(), { a: false, b: true });
  });

  it('streams JSON lines ending in CRLF, chunked', async () => {
    const r = await req('POST', '/stream/ok');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(
      r.text,
      '{"status":"one"}\r\n{"status":"two","id":"abc","progressDetail":{"current":1,"total":2}}\r\n',
    );
  });

  it('reports a failure before the first line as an HTTP error, after it in-band', async () => {
    const early = await req('POST', '/stream/early');
    assert.equal(early.status, 404);
    assert.deepEqual(early.json(), { message: 'No such image: x' });
    const late = await req('POST', '/stream/late');
    assert.equal(late.status, 200);
    const lines = late.text.split('\r\n').filter((l) => l !== '');
    assert.deepEqual(JSON.parse(lines.at(-1) ?? ''), { errorDetail: { message: 'it broke' }, error: 'it broke' });
  });

  it('answers OPTIONS and upgrade requests without crashing', async () => {
    const r = await rawRequest(socket, 'POST', '/containers/x/attach', undefined, {
      Connection: 'Upgrade',
      Upgrade: 'tcp',
    }).catch((err: Error) => err);
    // Without a hijack handler the server answers 404 and closes.
    if (!(r instanceof Error)) assert.equal(r.status, 404);
  });

  it('refuses to start on a socket another server answers on', async () => {
    const other = new ApiServer({ router: new Router(), logger: silentLogger, serverVersion: 'x' });
    await assert.rejects(other.listen({ kind: 'unix', path: socket }), /another berthd is listening on/);
  });

  it('removes a stale socket file at start', async () => {
    const staleDir = testDir('stale');
    const stale = path.join(staleDir, 'stale.sock');
    // Leave a socket file with nobody listening behind it.
    const net = createServer();
    await new Promise<void>((r) => net.listen(stale, r));
    // Close without unlinking: simulate a crash by keeping the file.
    (net as unknown as { _handle: { close(): void } | null })._handle?.close();
    const s = new ApiServer({ router: new Router(), logger: silentLogger, serverVersion: 'x' });
    try {
      await s.listen({ kind: 'unix', path: stale });
      const r = await rawRequest(stale, 'GET', '/x');
      assert.equal(r.status, 404);
    } finally {
      await s.close();
      rmSync(staleDir, { recursive: true, force: true });
    }
  });
});

describe('system routes', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('answers HEAD and GET /_ping with the ping headers', async () => {
    for (const method of ['HEAD', 'GET']) {
      const r = await rawRequest(api.socket, method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.headers['api-version'], '1.44');
      assert.equal(r.headers['builder-version'], '1');
      assert.equal(r.headers.swarm, 'inactive');
      assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      assert.equal(r.headers.pragma, 'no-cache');
      assert.equal(r.text, method === 'GET' ? 'OK' : '');
    }
    assert.equal((await rawRequest(api.socket, 'GET', '/v1.44/_ping')).text, 'OK');
  });

  it('serves /version with the engine component', async () => {
    const v = (await rawRequest(api.socket, 'GET', '/v1.44/version')).json<Record<string, unknown>>();
    assert.equal(v.ApiVersion, '1.44');
    assert.equal(v.MinAPIVersion, '1.24');
    assert.equal(v.Version, '0.0.0-test');
    assert.equal(v.Os, 'linux');
    const engine = (v.Components as Array<{ Name: string; Details: Record<string, string> }>)[0];
    assert.equal(engine?.Name, 'Engine');
    assert.equal(engine?.Details.ApiVersion, '1.44');
    assert.equal(engine?.Details.MinAPIVersion, '1.24');
  });

  it('serves /info from the host facts', async () => {
    api.images.add({ tags: ['a:1'] });
    const info = (await rawRequest(api.socket, 'GET', '/info')).json<Record<string, unknown>>();
    assert.equal(info.NCPU, 4);
    assert.equal(info.Images, 1);
    assert.equal(info.Containers, 0);
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.CgroupVersion, '1');
    assert.equal(info.DockerRootDir, '/var/lib/berth-test');
    assert.deepEqual(info.Warnings, ['WARNING: No swap limit support']);
    assert.equal((info.Swarm as { LocalNodeState: string }).LocalNodeState, 'inactive');
    assert.equal((info.Swarm as { ControlAvailable: boolean }).ControlAvailable, false);
  });

  it('answers OPTIONS on any path', async () => {
    assert.equal((await rawRequest(api.socket, 'OPTIONS', '/anything/at/all')).status, 200);
  });
});
