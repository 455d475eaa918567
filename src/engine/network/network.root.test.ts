/**
 * The network subsystem against the real kernel: a test bridge per network,
 * named netns as "containers", veths with IPAM addresses, isolation and
 * masquerade in the test's own nft table, the userland proxy on 127.0.0.1,
 * DNAT, and the embedded DNS reached at 127.0.0.11 from inside a netns.
 * Traffic goes only to 127.0.0.0/8 and to the test's own bridge addresses.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_PREFIX, testDir } from '../../../test/helpers/names';
import { requireAll, requireCommand, requireRoot } from '../../../test/helpers/requires';
import { LinuxNetworkHost } from '../../host/network';
import { aRecord, buildResponse, decodeMessage, RCODE } from './dns-wire';
import { LocalNetworkService } from './network-service';
import { parsePortSpec } from './port-mappings';
import type { Endpoint } from './types';

const skip = requireAll(requireRoot(), requireCommand('nft'), requireCommand('ip'), requireCommand('busybox'));

const hex = randomBytes(3).toString('hex');
const TABLE = `${TEST_PREFIX}${hex}`;
const BR_A = `bt${hex}a`;
const BR_B = `bt${hex}b`;
const C1 = 'a1'.padEnd(64, '0');
const C2 = 'b2'.padEnd(64, '0');
const C3 = 'c3'.padEnd(64, '0');

/** A Node program run inside a netns; prints "ready" once listening. */
const ECHO_SERVERS = `
const net = require('node:net'), dgram = require('node:dgram');
net.createServer({ allowHalfOpen: true }, (s) => { s.write('from ' + s.localAddress + ': '); s.pipe(s); }).listen(7000, '0.0.0.0', () => {
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => u.send(Buffer.concat([Buffer.from('udp:'), m]), r.port, r.address));
  u.bind(7001, '0.0.0.0', () => console.log('ready'));
});`;

const TCP_CLIENT = `
const s = require('node:net').connect(Number(process.argv[2]), process.argv[1]);
let d = ''; s.setEncoding('utf8').on('data', (x) => { d += x; }); s.on('end', () => { console.log(d); });
s.on('error', (e) => { console.log('ERR ' + e.code); }); s.setTimeout(3000, () => { console.log('TIMEOUT'); s.destroy(); });
s.end('ping');`;

describe('network subsystem (root)', { skip }, () => {
  let root: string;
  let host: LinuxNetworkHost;
  let svc: LocalNetworkService;
  const netns: Record<string, string> = {};
  const eps: Record<string, Endpoint> = {};
  const children: ChildProcess[] = [];
  let upstream: dgram.Socket;

  before(async () => {
    root = testDir('netroot');
    host = new LinuxNetworkHost({ netnsDir: path.join(root, 'netns') });
    // A fake upstream resolver on loopback: the only place the embedded DNS may forward to.
    upstream = dgram.createSocket('udp4');
    upstream.on('message', (msg, r) => {
      const q = decodeMessage(msg);
      const name = q.questions[0]?.name ?? '';
      const reply =
        name === 'upstream.test'
          ? buildResponse(q, { rcode: RCODE.NOERROR, answers: [aRecord(name, '10.213.99.99', 5)] })
          : buildResponse(q, { rcode: RCODE.NXDOMAIN });
      upstream.send(reply, r.port, r.address);
    });
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
    svc = await LocalNetworkService.open({
      root: path.join(root, 'state'),
      host,
      table: TABLE,
      defaultBridge: `bt${hex}d`,
      addressPools: [{ base: '10.213.0.0/16', size: 24 }],
      vethPrefix: 'bt',
      forwarding: 'bridge',
      dnsUpstreams: [{ host: '127.0.0.1', port: upstream.address().port }],
    });
    await svc.createNetwork({ name: `${TABLE}-a`, options: { 'com.docker.network.bridge.name': BR_A } });
    await svc.createNetwork({ name: `${TABLE}-b`, options: { 'com.docker.network.bridge.name': BR_B } });
    for (const [id, name, network] of [
      [C1, 'alpha', 'a'],
      [C2, 'beta', 'a'],
      [C3, 'gamma', 'b'],
    ] as const) {
      netns[name] = await host.createNetns(`${TEST_PREFIX}${name}-${hex}`);
      await svc.attachSandbox(id, { netns: netns[name] as string });
      eps[name] = await svc.connect(id, `${TABLE}-${network}`, {
        containerName: `/${name}`,
        aliases: name === 'beta' ? ['db'] : [],
      });
    }
    const server = host.spawnInNetns(netns.beta as string, [process.execPath, '-e', ECHO_SERVERS]);
    children.push(server);
    await new Promise<void>((resolve, reject) => {
      server.stdout?.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
      server.on('exit', (code) => reject(new Error(`echo server exited ${code}`)));
    });
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    upstream?.close();
    if (svc !== undefined) {
      for (const id of [C1, C2, C3]) await svc.releaseContainer(id).catch(() => undefined);
      for (const n of ['a', 'b']) await svc.remove(`${TABLE}-${n}`).catch(() => undefined);
      await svc.destroyKernelState();
    }
    for (const ns of Object.values(netns)) await host.deleteNetns(ns);
    // Nothing of ours is left: links, table, netns mounts, files.
    const links = await host.listLinks();
    assert.deepEqual(
      links.filter((l) => l.name.includes(hex)).map((l) => l.name),
      [],
    );
    assert.ok(!links.some((l) => /^bt[0-9a-f]{9}$/.test(l.name) && l.kind === 'veth' && l.master?.includes(hex)));
    const tables = await host.listNftTables();
    assert.ok(!tables.some((t) => t.name === TABLE), 'nft table left behind');
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(root), 'netns mount left behind');
    assert.deepEqual(readdirSync(path.join(root, 'netns')), []);
    rmSync(root, { recursive: true, force: true });
    assert.ok(!existsSync(root));
  });

  const run = (ns: string, argv: string[]) => host.inNetns(netns[ns] as string, argv, { timeoutMs: 10_000 });
  const tcpFrom = async (ns: string, ip: string, port: number) =>
    (await run(ns, [process.execPath, '-e', TCP_CLIENT, ip, String(port)])).stdout.trim();

  it('gives the containers IPAM addresses on eth0 with derived MACs', async () => {
    assert.deepEqual(
      [eps.alpha?.ipv4Address, eps.beta?.ipv4Address, eps.gamma?.ipv4Address],
      ['10.213.1.2', '10.213.1.3', '10.213.2.2'],
    );
    const inside = await host.listLinks({ netns: netns.alpha as string });
    const eth0 = inside.find((l) => l.name === 'eth0');
    assert.ok(eth0?.up);
    assert.equal(eth0?.mac, '02:42:0a:d5:01:02');
    assert.deepEqual(eth0?.addresses, ['10.213.1.2/24']);
    const bridge = (await host.listLinks()).find((l) => l.name === BR_A);
    assert.deepEqual(bridge?.addresses, ['10.213.1.1/24']);
  });

  it('connects containers on the same bridge (ping and TCP)', async () => {
    const ping = await run('alpha', ['busybox', 'ping', '-c', '1', '-W', '2', '10.213.1.3']);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.equal(await tcpFrom('alpha', '10.213.1.3', 7000), 'from 10.213.1.3: ping');
  });

  it('isolates different bridges with the rule in the test table', async () => {
    const blocked = await run('alpha', ['busybox', 'ping', '-c', '1', '-W', '1', '10.213.2.2']);
    assert.notEqual(blocked.code, 0, 'isolation rule let traffic through');
    const text = (await host.listNftTable({ family: 'inet', name: TABLE })) ?? '';
    assert.match(text, new RegExp(`iifname "${BR_A}" oifname (\\{ )?"${BR_B}"( \\})? counter packets [1-9]`));
    // Without berth's table the same packets are routed: the drop was ours.
    await host.deleteNftTable({ family: 'inet', name: TABLE });
    try {
      const open = await run('alpha', ['busybox', 'ping', '-c', '1', '-W', '2', '10.213.2.2']);
      assert.equal(open.code, 0, open.stdout + open.stderr);
    } finally {
      await svc.reapplyFirewall();
    }
  });

  it('publishes TCP and UDP ports on 127.0.0.1 through the userland proxy', async () => {
    const published = await svc.publishPorts(C2, [
      ...parsePortSpec('127.0.0.1::7000'),
      ...parsePortSpec('127.0.0.1::7001/udp'),
    ]);
    assert.equal(published.length, 2);
    const [tcp, udp] = published;
    assert.ok(tcp && tcp.hostPort >= 49153 && udp);
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.connect(tcp.hostPort, '127.0.0.1');
      let d = '';
      c.setEncoding('utf8').on('data', (x) => {
        d += x;
      });
      c.on('end', () => resolve(d));
      c.on('error', reject);
      c.end('hello');
    });
    assert.equal(got, 'from 10.213.1.3: hello');
    const client = dgram.createSocket('udp4');
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no UDP reply')), 3000);
        client.on('message', (m) => {
          clearTimeout(t);
          resolve(m.toString());
        });
        client.send('hi', udp.hostPort, '127.0.0.1');
      });
      assert.equal(reply, 'udp:hi');
    } finally {
      client.close();
      await svc.unpublishPorts(C2);
    }
  });

  it('DNATs a port published on all addresses, and hairpins through the proxy', async () => {
    const [p] = await svc.publishPorts(C2, parsePortSpec('7000'));
    assert.ok(p);
    try {
      // From the other network, to its own gateway (a host address): the kernel DNAT rule.
      assert.equal(await tcpFrom('gamma', '10.213.2.1', p.hostPort), 'from 10.213.1.3: ping');
      const text = (await host.listNftTable({ family: 'inet', name: TABLE })) ?? '';
      assert.match(
        text,
        new RegExp(`tcp dport ${p.hostPort} counter packets [1-9]\\d* bytes \\d+ dnat ip to 10\\.213\\.1\\.3:7000`),
      );
      // The container to its own published port via its gateway: the proxy (DNAT skips its own bridge).
      assert.equal(await tcpFrom('beta', '10.213.1.1', p.hostPort), 'from 10.213.1.3: ping');
    } finally {
      await svc.unpublishPorts(C2);
    }
  });

  it('resolves names at 127.0.0.11 inside a netns, per network, and forwards the rest', async () => {
    const lookup = async (from: string, name: string) => run(from, ['busybox', 'nslookup', name, '127.0.0.11']);
    const beta = await lookup('alpha', 'beta');
    assert.equal(beta.code, 0, beta.stdout + beta.stderr);
    assert.match(beta.stdout, /Address:\s+10\.213\.1\.3/);
    assert.match((await lookup('alpha', 'db')).stdout, /Address:\s+10\.213\.1\.3/);
    assert.match((await lookup('alpha', C2.slice(0, 12))).stdout, /Address:\s+10\.213\.1\.3/);
    // gamma is on the other network: not visible, the upstream says NXDOMAIN.
    const gamma = await lookup('alpha', 'gamma');
    assert.doesNotMatch(gamma.stdout, /10\.213\.2\.2/);
    assert.match(gamma.stdout + gamma.stderr, /NXDOMAIN/);
    assert.match((await lookup('gamma', 'gamma')).stdout, /Address:\s+10\.213\.2\.2/);
    assert.match((await lookup('alpha', 'upstream.test')).stdout, /Address:\s+10\.213\.99\.99/);
  });

  it('cleans up an endpoint on disconnect', async () => {
    const before = (await host.listLinks()).filter((l) => l.master === BR_B).length;
    assert.equal(before, 1);
    await svc.releaseContainer(C3);
    assert.equal((await host.listLinks()).filter((l) => l.master === BR_B).length, 0);
    assert.equal(
      (await host.listLinks({ netns: netns.gamma as string })).some((l) => l.name === 'eth0'),
      false,
    );
  });
});
