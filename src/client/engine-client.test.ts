import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDir } from '../../test/helpers/names';
import { EngineClient } from './engine-client';
import { ClientError } from './errors';
import { parseDaemonAddress, resolveHost } from './host';

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
    assert.deepEqual(parseDaemonAddress('unix:///x.sock'), {
      kind: 'unix',
      socketPath: '/x.sock',
      display: 'unix:///x.sock',
    });
    assert.deepEqual(parseDaemonAddress('tcp://127.0.0.1:2375'), {
      kind: 'tcp',
      hostname: '127.0.0.1',
      port: 2375,
      display: 'tcp://127.0.0.1:2375',
    });
    assert.throws(() => parseDaemonAddress('ftp://x'));
  });
});
