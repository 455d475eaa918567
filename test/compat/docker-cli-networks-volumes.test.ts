/**
 * The real docker CLI (v28) with networks and volumes on berthd: network
 * create/ls/inspect/rm, volume create/ls/inspect/rm, run -p and -v. Traffic
 * only to 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtures } from '../../scripts/make-fixtures';
import { DOCKER, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { safeName, TEST_PREFIX } from '../helpers/names';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

const IMAGE = 'berth-test/busybox';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe(
  'docker CLI against berthd: networks and volumes',
  {
    skip: requireAll(
      requireRoot(),
      requireFile(DOCKER, 'the docker CLI'),
      requireCommand('busybox'),
      requireCommand('nft'),
    ),
  },
  () => {
    let d: TestDaemon;
    const dk = async (args: string[], ok = true) => {
      const r = await docker(d.host, args, { timeoutMs: 60_000 });
      if (ok) assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r;
    };

    before(async () => {
      d = await startDaemon();
      const fx = await fixtures();
      await dk(['load', '-i', fx.busybox]);
    });

    after(async () => {
      const left = await docker(d.host, ['ps', '-aq']);
      const ids = left.stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await docker(d.host, ['rm', '-f', '-v', ...ids]);
      await d?.stop();
    });

    it('network create, ls, inspect, rm', () =>
      withDaemonLog(d, async () => {
        const name = safeName('net');
        const id = (await dk(['network', 'create', '--subnet', '10.233.9.0/24', '--label', 'k=v', name])).stdout.trim();
        assert.match(id, /^[0-9a-f]{64}$/);
        const ls = await dk(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
        assert.ok(ls.stdout.includes(`${name} bridge local\n`), ls.stdout);
        for (const pre of ['bridge bridge local', 'host host local', 'none null local'])
          assert.ok(ls.stdout.includes(pre));
        const inspect = JSON.parse((await dk(['network', 'inspect', name])).stdout)[0];
        assert.equal(inspect.Id, id);
        assert.equal(inspect.Driver, 'bridge');
        assert.deepEqual(inspect.IPAM.Config, [{ Subnet: '10.233.9.0/24', Gateway: '10.233.9.1' }]);
        assert.deepEqual(inspect.Labels, { k: 'v' });
        const dup = await dk(['network', 'create', name], false);
        assert.match(dup.stderr, new RegExp(`network with name ${name} already exists`));
        const pre = await dk(['network', 'rm', 'bridge'], false);
        assert.match(pre.stderr, /bridge is a pre-defined network and cannot be removed/);
        assert.equal((await dk(['network', 'rm', name])).stdout, `${name}\n`);
        const gone = await dk(['network', 'inspect', name], false);
        assert.match(gone.stderr, /not found/);
      }));

    it('volume create, ls, inspect, rm', () =>
      withDaemonLog(d, async () => {
        const name = safeName('vol');
        assert.equal((await dk(['volume', 'create', '--label', 'a=b', name])).stdout, `${name}\n`);
        const ls = await dk(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']);
        assert.ok(ls.stdout.includes(`local ${name}\n`));
        const v = JSON.parse((await dk(['volume', 'inspect', name])).stdout)[0];
        assert.equal(v.Name, name);
        assert.equal(v.Driver, 'local');
        assert.equal(v.Scope, 'local');
        assert.deepEqual(v.Labels, { a: 'b' });
        assert.match(v.Mountpoint, /\/volumes\/.*\/_data$/);
        assert.equal((await dk(['volume', 'rm', name])).stdout, `${name}\n`);
        const gone = await dk(['volume', 'inspect', name], false);
        assert.match(gone.stderr, /no such volume/);
      }));

    it('docker run -v keeps data across containers; -p publishes on 127.0.0.1', () =>
      withDaemonLog(d, async () => {
        const vol = safeName('data');
        await dk(['run', '--rm', '-v', `${vol}:/data`, IMAGE, 'sh', '-c', 'echo persisted > /data/index.html']);
        const again = await dk(['run', '--rm', '-v', `${vol}:/data:ro`, IMAGE, 'cat', '/data/index.html']);
        assert.equal(again.stdout, 'persisted\n');
        const port = await freePort();
        const web = safeName('web');
        await dk([
          'run',
          '-d',
          '--name',
          web,
          '-p',
          `127.0.0.1:${port}:80`,
          '-v',
          `${vol}:/www:ro`,
          IMAGE,
          'httpd',
          '-f',
          '-p',
          '80',
          '-h',
          '/www',
        ]);
        let body = '';
        for (let i = 0; i < 50 && body === ''; i++) {
          body = await fetch(`http://127.0.0.1:${port}/index.html`)
            .then((r) => r.text())
            .catch(() => '');
          if (body === '') await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(body, 'persisted\n');
        assert.equal((await dk(['port', web])).stdout, `80/tcp -> 127.0.0.1:${port}\n`);
        const mounts = JSON.parse((await dk(['inspect', '-f', '{{json .Mounts}}', web])).stdout);
        assert.equal(mounts[0].Type, 'volume');
        assert.equal(mounts[0].Name, vol);
        assert.equal(mounts[0].RW, false);
        await dk(['rm', '-f', web]);
        await dk(['volume', 'rm', vol]);
      }));

    it('docker run -v /host:/path binds a host directory', () =>
      withDaemonLog(d, async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), `${TEST_PREFIX}compat-bind-`));
        try {
          writeFileSync(path.join(dir, 'f'), 'host file\n');
          const r = await dk(['run', '--rm', '-v', `${dir}:/h`, IMAGE, 'cat', '/h/f']);
          assert.equal(r.stdout, 'host file\n');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }));
  },
);
