/**
 * berthd as a process: start-up, locks, shutdown, and the real docker CLI
 * talking to it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawRequest, startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { testDir } from '../helpers/names';
import { requireAll, requireCommand, requireRoot } from '../helpers/requires';

const REPO = path.resolve(__dirname, '..', '..');

function docker(d: TestDaemon, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('docker', ['-H', d.host, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_CONFIG: path.join(d.execRoot, 'docker-config'), DOCKER_CLI_HINTS: 'false' },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('berthd', { skip: requireRoot() }, () => {
  let a: TestDaemon;
  let b: TestDaemon;
  before(async () => {
    [a, b] = await Promise.all([startDaemon(), startDaemon()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('runs two daemons side by side on their own roots and sockets', async () => {
    await withDaemonLog(a, async () => {
      const ia = (await a.request('GET', '/info')).json<{ DockerRootDir: string; ID: string }>();
      const ib = (await b.request('GET', '/v1.44/info')).json<{ DockerRootDir: string; ID: string }>();
      assert.equal(ia.DockerRootDir, a.dataRoot);
      assert.equal(ib.DockerRootDir, b.dataRoot);
      assert.notEqual(ia.ID, ib.ID);
    });
  });

  it('answers /_ping, /version and /info', async () => {
    await withDaemonLog(a, async () => {
      const ping = await a.request('GET', '/_ping');
      assert.equal(ping.status, 200);
      assert.equal(ping.text, 'OK');
      assert.equal(ping.headers['api-version'], '1.44');
      const head = await a.request('HEAD', '/_ping');
      assert.equal(head.status, 200);
      const v = (await a.request('GET', '/version')).json<{ ApiVersion: string; MinAPIVersion: string }>();
      assert.equal(v.ApiVersion, '1.44');
      assert.equal(v.MinAPIVersion, '1.24');
      const info = (await a.request('GET', '/info')).json<{ Driver: string; NCPU: number; OperatingSystem: string }>();
      assert.equal(info.Driver, 'overlay2');
      assert.ok(info.NCPU > 0);
      assert.ok(info.OperatingSystem.length > 0);
      const images = await a.request('GET', '/v1.44/images/json');
      assert.equal(images.status, 200);
      assert.deepEqual(images.json(), []);
      const missing = await a.request('GET', '/v1.44/images/nothing/json');
      assert.equal(missing.status, 404);
    });
  });

  it('leaves nothing behind when a client aborts an import mid-upload', async () => {
    await withDaemonLog(b, async () => {
      const sock = connect(b.socket);
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(
        'POST /v1.44/images/create?fromSrc=-&repo=aborted&tag=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-tar\r\n\r\n',
      );
      const chunk = Buffer.alloc(4096, 0x61);
      sock.write(`${chunk.length.toString(16)}\r\n`);
      sock.write(chunk);
      sock.write('\r\n');
      await new Promise((r) => setTimeout(r, 200));
      sock.destroy();
      await new Promise((r) => setTimeout(r, 300));
      const images = await b.request('GET', '/v1.44/images/json?all=1');
      assert.deepEqual(images.json(), []);
      assert.equal((await b.request('GET', '/_ping')).text, 'OK');
      const ingest = path.join(b.dataRoot, 'content', 'ingest');
      assert.deepEqual(existsSync(ingest) ? readdirSync(ingest) : [], [], 'no partial ingest remains');
      assert.doesNotMatch(b.logTail(200), /level=error/);
    });
  });

  it('refuses a second daemon on the same data root', async () => {
    const exec = testDir('exec');
    try {
      await assert.rejects(
        startDaemon({ dataRoot: a.dataRoot, execRoot: exec, readyTimeoutMs: 10_000 }),
        /another berthd \(pid \d+\) is using the data root/,
      );
    } finally {
      rmSync(exec, { recursive: true, force: true });
    }
  });

  it('refuses a second daemon on the same socket', async () => {
    const data = testDir('data');
    const exec = testDir('exec');
    try {
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(REPO, 'src/daemon/main.ts'),
          '--data-root',
          data,
          '--exec-root',
          exec,
          '-H',
          a.host,
        ],
        { cwd: REPO, encoding: 'utf8', timeout: 20_000 },
      );
      assert.equal(r.status, 1);
      assert.match(r.stderr, /another berthd is listening on/);
      assert.ok(existsSync(a.socket), 'the first daemon keeps its socket');
    } finally {
      rmSync(data, { recursive: true, force: true });
      rmSync(exec, { recursive: true, force: true });
    }
  });

  it('serves the real docker CLI: version and info', { skip: requireCommand('docker') }, async () => {
    await withDaemonLog(a, async () => {
      const v = docker(a, 'version');
      assert.equal(v.status, 0, v.stderr);
      assert.match(v.stdout, /API version:\s+1\.44 \(minimum version 1\.24\)/);
      const f = docker(a, 'version', '--format', '{{.Server.APIVersion}}');
      assert.equal(f.stdout.trim(), '1.44');
      const i = docker(a, 'info');
      assert.equal(i.status, 0, i.stderr);
      assert.match(i.stdout, /Storage Driver: overlay2/);
      assert.match(i.stdout, new RegExp(`Docker Root Dir: ${a.dataRoot}`));
      const images = docker(a, 'images');
      assert.equal(images.status, 0, images.stderr);
      assert.match(images.stdout, /REPOSITORY/);
      const inspect = docker(a, 'image', 'inspect', 'nothing');
      assert.equal(inspect.status, 1);
      assert.match(inspect.stderr, /No such image: nothing/);
    });
  });
});

describe('berthd shutdown', { skip: requireAll(requireRoot()) }, () => {
  it('exits 0 on SIGTERM and removes its socket and pid file', async () => {
    const exec = testDir('exec');
    const d = await startDaemon({ execRoot: exec });
    try {
      assert.ok(existsSync(d.socket));
      assert.ok(existsSync(d.pidfile));
      const code = await d.stop();
      assert.equal(code, 0, d.logTail());
      assert.equal(existsSync(d.socket), false);
      assert.equal(existsSync(d.pidfile), false);
    } finally {
      rmSync(exec, { recursive: true, force: true });
    }
  });

  it('lets a request in flight finish, then exits', async () => {
    const d = await startDaemon();
    try {
      // A slow upload: the body trickles in while the daemon is told to stop.
      const { PassThrough } = await import('node:stream');
      const body = new PassThrough();
      const pending = rawRequest(d.socket, 'POST', '/images/load?quiet=1', body);
      body.write('not a tar');
      await new Promise((r) => setTimeout(r, 100));
      process.kill(d.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      body.end();
      const res = await pending.catch((err: Error) => err);
      if (!(res instanceof Error)) assert.ok(res.status >= 200);
      const { code } = await d.exited();
      assert.equal(code, 0, d.logTail());
    } finally {
      await d.stop();
    }
  });

  it('takes over after a crash (stale pid file and socket)', async () => {
    const d = await startDaemon();
    try {
      await d.kill9();
      assert.ok(existsSync(d.socket), 'a killed daemon leaves its socket');
      await d.restart();
      assert.equal((await d.request('GET', '/_ping')).text, 'OK');
    } finally {
      await d.stop();
    }
  });

  it('prints its version and usage', () => {
    const v = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/daemon/main.ts'), '--version'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^berthd version \d+\.\d+\.\d+/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/daemon/main.ts'), '--bogus'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unknown flag: --bogus/);
  });
});
