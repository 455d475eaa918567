/**
 * Networks and volumes end to end through the berth CLI and a private berthd
 * whose bridges, veths and nft table carry the test prefix (bt<tag>…,
 * berth-test-<tag>). Traffic goes only to 127.0.0.1 and to containers on
 * berth's own bridges.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { TEST_PREFIX } from '../helpers/names';
import { importProbeImage, PROBE, PROBE_IMAGE } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function retry<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Sends one datagram to 127.0.0.1:port and resolves with the reply (rejects after 1 s). */
function udpEcho(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('no UDP reply'));
    }, 1000);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg.toString());
    });
    sock.send(text, port, '127.0.0.1');
  });
}

/** Binds 127.0.0.1:port/udp and lets go again. */
function udpBind(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve()));
  });
}

describe(
  'networks and volumes (root)',
  {
    skip: requireAll(
      requireRoot(),
      requireFile(PROBE, 'the probe (make -C native)'),
      requireCommand('busybox'),
      requireCommand('nft'),
      requireCommand('ip'),
    ),
  },
  () => {
    let d: TestDaemon;
    const name = (label: string) => `${TEST_PREFIX}${label}`;
    const b = async (args: string[], ok = true) => {
      const r = await berth(d.host, args);
      if (ok) assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}\n${d.logTail(20)}`);
      return r;
    };

    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
    });
    after(async () => {
      const left = await berth(d.host, ['ps', '-aq']);
      if (left.stdout.trim() !== '') await berth(d.host, ['rm', '-f', '-v', ...left.stdout.trim().split('\n')]);
      await berth(d.host, ['network', 'prune', '-f']);
      await berth(d.host, ['volume', 'prune', '-a', '-f']);
      await d?.stop();
    });

    it('a container reaches another by name and alias on a user network; published TCP answers on 127.0.0.1', async () => {
      const net = name('web-net');
      const web = name('web');
      const port = await freePort();
      await b(['network', 'create', net]);
      await b([
        'run',
        '-d',
        '--name',
        web,
        '--network',
        net,
        '--network-alias',
        'www',
        '-p',
        `127.0.0.1:${port}:80`,
        PROBE_IMAGE,
        'httpd',
        '-f',
        '-p',
        '80',
        '-h',
        '/srv',
      ]);
      const r = await b([
        'run',
        '--rm',
        '--network',
        net,
        PROBE_IMAGE,
        'sh',
        '-c',
        `wget -q -O- http://${web}:80/ && wget -q -O- http://www/`,
      ]);
      assert.equal(r.stdout, 'hello from the image\nhello from the image\n');
      const body = await retry(async () => (await fetch(`http://127.0.0.1:${port}/`)).text());
      assert.equal(body, 'hello from the image\n');
      const ports = await b(['port', web]);
      assert.equal(ports.stdout, `80/tcp -> 127.0.0.1:${port}\n`);
      const inspect = JSON.parse((await b(['inspect', web])).stdout)[0];
      const ep = inspect.NetworkSettings.Networks[net];
      assert.match(ep.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(ep.Aliases.includes('www'));
      assert.ok(ep.DNSNames.includes(web));
      const ps = await b(['ps', '--filter', `name=${web}`, '--format', '{{.Ports}}']);
      assert.equal(ps.stdout, `127.0.0.1:${port}->80/tcp\n`);
      const rm = await b(['network', 'rm', net], false);
      assert.equal(rm.code, 1);
      assert.match(rm.stderr, /has active endpoints/);
      await b(['rm', '-f', web]);
      await b(['network', 'rm', net]);
    });

    it('publishes a UDP port: an echo in the container answers on the host, and the port goes with it', async () => {
      const port = await freePort();
      const c = name('udp');
      // busybox has no UDP server: the probe's udp-echo answers each datagram with its bytes.
      await b(['run', '-d', '--name', c, '-p', `127.0.0.1:${port}:7/udp`, PROBE_IMAGE, '/probe', 'udp-echo', '7']);
      assert.equal((await b(['port', c, '7/udp'])).stdout, `127.0.0.1:${port}\n`);
      const reply = await retry(() => udpEcho(port, 'ping over udp'), 5000);
      assert.equal(reply, 'ping over udp');
      await assert.rejects(udpBind(port), /EADDRINUSE/);
      await b(['rm', '-f', c]);
      await udpBind(port);
    });

    it('containers on two different networks cannot reach each other', async () => {
      const [n1, n2] = [name('iso-a'), name('iso-b')];
      await b(['network', 'create', n1]);
      await b(['network', 'create', n2]);
      const srv = name('iso-srv');
      await b(['run', '-d', '--name', srv, '--network', n1, PROBE_IMAGE, 'httpd', '-f', '-p', '80', '-h', '/srv']);
      const ip = (
        await b(['inspect', '-f', `{{(index .NetworkSettings.Networks "${n1}").IPAddress}}`, srv])
      ).stdout.trim();
      // Debian's static busybox wget crashes on numeric URLs: plain HTTP through nc instead.
      const get = `printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 80 || echo blocked`;
      const same = await b(['run', '--rm', '--network', n1, PROBE_IMAGE, 'sh', '-c', get]);
      assert.match(same.stdout, /hello from the image/);
      const other = await b(['run', '--rm', '--network', n2, PROBE_IMAGE, 'sh', '-c', get], false);
      assert.doesNotMatch(other.stdout, /hello/);
      await b(['rm', '-f', srv]);
      await b(['network', 'rm', n1, n2]);
    });

    it('parallel runs never get the same address; --ip gives the asked one', async () => {
      const net = name('par');
      await b(['network', 'create', '--subnet', '10.231.7.0/24', net]);
      // All six live at once (an address released by an exited container may be handed out again).
      const names = Array.from({ length: 6 }, (_, i) => name(`par${i}`));
      const runs = await Promise.all(
        names.map((n) => b(['run', '-d', '--name', n, '--network', net, PROBE_IMAGE, 'sleep', '60'])),
      );
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      const ips = await Promise.all(
        names.map(async (n) => (await b(['exec', n, 'ip', '-4', '-o', 'addr', 'show', 'eth0'])).stdout),
      ).then((outs) => outs.map((o) => /inet (\S+)\//.exec(o)?.[1]));
      assert.equal(new Set(ips).size, 6, ips.join(' '));
      assert.equal((await b(['rm', '-f', ...names])).code, 0);
      const fixed = await b([
        'run',
        '--rm',
        '--network',
        net,
        '--ip',
        '10.231.7.77',
        PROBE_IMAGE,
        'ip',
        '-4',
        '-o',
        'addr',
        'show',
        'eth0',
      ]);
      assert.match(fixed.stdout, /inet 10\.231\.7\.77\/24/);
      await b(['network', 'rm', net]);
    });

    it('writes /etc/hosts and resolv.conf as Docker does', async () => {
      const r = await b([
        'run',
        '--rm',
        '--hostname',
        'h1',
        '--add-host',
        'db:10.1.2.3',
        '--dns',
        '10.9.9.9',
        '--dns-search',
        'example.test',
        PROBE_IMAGE,
        'cat',
        '/etc/hosts',
        '/etc/resolv.conf',
      ]);
      assert.match(r.stdout, /10\.1\.2\.3\tdb\n/);
      assert.match(r.stdout, /\d+\.\d+\.\d+\.\d+\th1\n/);
      assert.match(r.stdout, /nameserver 10\.9\.9\.9\n/);
      assert.match(r.stdout, /search example\.test\n/);
    });

    it('a volume outlives its container; an empty named volume is filled from the image; rm -v drops anonymous ones', async () => {
      const vol = name('data');
      const w = name('writer');
      await b(['run', '--name', w, '-v', `${vol}:/data`, PROBE_IMAGE, 'sh', '-c', 'echo kept > /data/f']);
      await b(['rm', w]);
      const r = await b(['run', '--rm', '-v', `${vol}:/data:ro`, PROBE_IMAGE, 'cat', '/data/f']);
      assert.equal(r.stdout, 'kept\n');
      const filled = name('filled');
      const f = await b(['run', '--rm', '-v', `${filled}:/srv`, PROBE_IMAGE, 'sh', '-c', 'cat /srv/index.html']);
      assert.equal(f.stdout, 'hello from the image\n');
      const ls = await b(['volume', 'ls', '-q']);
      assert.ok(ls.stdout.split('\n').includes(vol));
      const inspect = JSON.parse((await b(['volume', 'inspect', vol])).stdout)[0];
      assert.equal(inspect.Driver, 'local');
      assert.equal(inspect.Name, vol);
      const anon = name('anon');
      await b(['run', '--name', anon, '-v', '/scratch', PROBE_IMAGE, 'true']);
      const mounts = JSON.parse((await b(['inspect', anon])).stdout)[0].Mounts;
      assert.equal(mounts.length, 1);
      assert.equal(mounts[0].Type, 'volume');
      const anonName = mounts[0].Name as string;
      await b(['rm', '-v', anon]);
      const gone = await b(['volume', 'inspect', anonName], false);
      assert.notEqual(gone.code, 0);
      const inUse = name('user');
      await b(['create', '--name', inUse, '-v', `${vol}:/data`, PROBE_IMAGE, 'true']);
      const busy = await b(['volume', 'rm', vol], false);
      assert.match(busy.stderr, /volume is in use/);
      await b(['rm', inUse]);
      await b(['volume', 'rm', vol, filled]);
    });

    it('-v /host:/path:ro is read-only; --mount binds and tmpfs; --volumes-from shares', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), `${TEST_PREFIX}bind-`));
      try {
        writeFileSync(path.join(dir, 'in'), 'from host\n');
        const ro = await b([
          'run',
          '--rm',
          '-v',
          `${dir}:/h:ro`,
          PROBE_IMAGE,
          'sh',
          '-c',
          'cat /h/in; touch /h/x 2>/dev/null && echo wrote || echo refused',
        ]);
        assert.equal(ro.stdout, 'from host\nrefused\n');
        await b([
          'run',
          '--rm',
          '--mount',
          `type=bind,source=${dir},target=/h`,
          PROBE_IMAGE,
          'sh',
          '-c',
          'echo out > /h/out',
        ]);
        assert.equal(readFileSync(path.join(dir, 'out'), 'utf8'), 'out\n');
        const t = await b([
          'run',
          '--rm',
          '--mount',
          'type=tmpfs,target=/t',
          PROBE_IMAGE,
          'sh',
          '-c',
          'echo x > /t/x && cat /t/x',
        ]);
        assert.equal(t.stdout, 'x\n');
        const missing = await b(
          ['run', '--rm', '--mount', `type=bind,source=${dir}/nope,target=/h`, PROBE_IMAGE, 'true'],
          false,
        );
        assert.match(missing.stderr, /bind source path does not exist/);
        const src = name('src');
        await b(['create', '--name', src, '-v', `${dir}:/shared`, PROBE_IMAGE, 'true']);
        const from = await b(['run', '--rm', '--volumes-from', `${src}:ro`, PROBE_IMAGE, 'cat', '/shared/in']);
        assert.equal(from.stdout, 'from host\n');
        await b(['rm', src]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a daemon restart keeps the address and the published port of a running container', async () => {
      const port = await freePort();
      const web = name('survivor');
      await b([
        'run',
        '-d',
        '--name',
        web,
        '-p',
        `127.0.0.1:${port}:80`,
        PROBE_IMAGE,
        'httpd',
        '-f',
        '-p',
        '80',
        '-h',
        '/srv',
      ]);
      const ipBefore = (await b(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', web])).stdout;
      assert.equal(
        await retry(async () => (await fetch(`http://127.0.0.1:${port}/`)).text()),
        'hello from the image\n',
      );
      await d.restart();
      assert.equal((await b(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', web])).stdout, ipBefore);
      assert.equal(
        await retry(async () => (await fetch(`http://127.0.0.1:${port}/`)).text()),
        'hello from the image\n',
      );
      await b(['rm', '-f', web]);
    });

    it('system df counts images, containers and volumes', async () => {
      const r = await b(['system', 'df']);
      assert.match(r.stdout, /^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\n/);
      assert.match(r.stdout, /\nImages +1 /);
      assert.match(r.stdout, /\nLocal Volumes +\d+ /);
    });
  },
);
