import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { RecordingNetworkHost } from '../../host/network';
import { LocalNetworkService, type LocalNetworkServiceOptions } from './network-service';

const C1 = '1'.repeat(64);
const C2 = '2'.repeat(64);

describe('LocalNetworkService (recording host)', () => {
  let root: string;
  let host: RecordingNetworkHost;
  const open = (extra: Partial<LocalNetworkServiceOptions> = {}) =>
    LocalNetworkService.open({ root, host, table: 'berth-test-unit', embeddedDns: false, ...extra });

  beforeEach(() => {
    root = testDir('netsvc');
    host = new RecordingNetworkHost({ routed: ['192.0.2.0/24'] });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('has bridge, host and none, which cannot be removed', async () => {
    const svc = await open();
    const names = (await svc.list()).map((v) => v.network.name).sort();
    assert.deepEqual(names, ['bridge', 'host', 'none']);
    const bridge = (await svc.get('bridge')).network;
    assert.equal(bridge.bridge, 'berth0');
    assert.deepEqual(bridge.ipam.config, [{ subnet: '172.17.0.0/16', gateway: '172.17.0.1' }]);
    assert.equal((await svc.get('none')).network.driver, 'null');
    await assert.rejects(svc.remove('bridge'), {
      kind: 'forbidden',
      message: 'bridge is a pre-defined network and cannot be removed',
    });
    await assert.rejects(svc.get('nope'), { kind: 'not-found', message: 'network nope not found' });
    // No kernel object for the default bridge until something attaches to it.
    assert.equal(host.linkOps().length, 0);
  });

  it('creates, finds, lists with filters and removes user networks', async () => {
    const svc = await open();
    const a = await svc.createNetwork({ name: 'app', labels: { 'com.docker.compose.project': 'p' }, attachable: true });
    assert.match(a.id, /^[0-9a-f]{64}$/);
    assert.deepEqual(a.options, {});
    assert.equal(a.bridge, `br-${a.id.slice(0, 12)}`);
    assert.deepEqual(a.ipam.config, [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }]);
    assert.ok(host.links.has(a.bridge as string), 'bridge created at network create');
    assert.match(host.tables.get('inet berth-test-unit') ?? '', /ip saddr 172\.18\.0\.0\/16 oifname != "br-/);
    await assert.rejects(svc.createNetwork({ name: 'app' }), {
      kind: 'conflict',
      message: 'network with name app already exists',
    });
    await assert.rejects(svc.createNetwork({ name: 'x', driver: 'overlay' }), { kind: 'not-found' });
    await assert.rejects(svc.createNetwork({ name: 'x', driver: 'host' }), { kind: 'forbidden' });
    const b = await svc.createNetwork({
      name: 'back',
      internal: true,
      options: { 'com.docker.network.bridge.name': 'btunit01' },
      ipam: { config: [{ subnet: '10.44.0.0/24', ipRange: '10.44.0.128/25' }] },
    });
    assert.equal(b.bridge, 'btunit01');
    assert.equal((await svc.get(a.id.slice(0, 6))).network.name, 'app');
    assert.equal((await svc.get(a.id)).network.name, 'app');
    const names = async (f: Record<string, string[]>) => (await svc.list(f)).map((v) => v.network.name).sort();
    assert.deepEqual(await names({ type: ['custom'] }), ['app', 'back']);
    assert.deepEqual(await names({ type: ['builtin'] }), ['bridge', 'host', 'none']);
    assert.deepEqual(await names({ label: ['com.docker.compose.project=p'] }), ['app']);
    assert.deepEqual(await names({ name: ['ap'] }), ['app']);
    assert.deepEqual(await names({ driver: ['null'] }), ['none']);
    assert.deepEqual(await names({ dangling: ['true'] }), ['app', 'back']);
    await assert.rejects(svc.list({ bogus: ['x'] }), { kind: 'invalid-argument' });
    await svc.remove('back');
    assert.ok(!host.links.has('btunit01'));
    await assert.rejects(svc.get('back'), { kind: 'not-found' });
  });

  it('connects containers: addresses, MACs, aliases, static IPs, active-endpoint 403', async () => {
    const svc = await open();
    await svc.createNetwork({ name: 'app', ipam: { config: [{ subnet: '10.50.0.0/24' }] } });
    const e1 = await svc.connect(C1, 'app', { containerName: '/web', aliases: ['frontend'] });
    assert.equal(e1.ipv4Address, '10.50.0.2');
    assert.equal(e1.prefixLen, 24);
    assert.equal(e1.gateway, '10.50.0.1');
    assert.equal(e1.macAddress, '02:42:0a:32:00:02');
    assert.equal(e1.containerName, 'web');
    const e2 = await svc.connect(C2, 'app', { containerName: 'db', ipv4Address: '10.50.0.99' });
    assert.equal(e2.ipv4Address, '10.50.0.99');
    await assert.rejects(svc.connect(C1, 'app', { containerName: 'web' }), {
      kind: 'forbidden',
      message: /already exists/,
    });
    await assert.rejects(svc.connect(C1, 'bridge', { containerName: 'web', ipv4Address: '172.17.0.9' }), {
      kind: 'invalid-argument',
      message: /user configured subnets/,
    });
    await assert.rejects(svc.connect(C1, 'bridge', { containerName: 'web', aliases: ['x'] }), {
      kind: 'invalid-argument',
    });
    await assert.rejects(svc.remove('app'), { kind: 'forbidden', message: /has active endpoints \(web, db\)/ });
    assert.equal((await svc.endpointsOf(C1)).length, 1);
    await svc.disconnect(C1, 'app');
    await svc.releaseContainer(C2);
    assert.deepEqual((await svc.prune()).networksDeleted, ['app']);
  });

  it('plumbs endpoints into a sandbox as link ops: veth, eth0/eth1, one default route', async () => {
    const svc = await open({ vethPrefix: 'bt', forwarding: 'bridge' });
    await svc.createNetwork({ name: 'a', ipam: { config: [{ subnet: '10.60.0.0/24' }] } });
    await svc.createNetwork({ name: 'b', ipam: { config: [{ subnet: '10.61.0.0/24' }] } });
    await svc.connect(C1, 'a', { containerName: 'one' });
    const before = host.linkOps().length;
    const eps = await svc.attachSandbox(C1, { netns: '/run/berth/netns/c1' });
    assert.equal(eps[0]?.ifName, 'eth0');
    const ops = host.linkOps().slice(before);
    const veth = ops.find((o) => o.op === 'add-veth');
    assert.ok(veth && veth.op === 'add-veth');
    assert.match(veth.name, /^bt[0-9a-f]{9}$/);
    assert.equal(veth.peerNetns, '/run/berth/netns/c1');
    assert.ok(ops.some((o) => o.op === 'add-route' && o.via === '10.60.0.1' && o.netns === '/run/berth/netns/c1'));
    // Connecting a running container plumbs at once, as eth1, without a second default route.
    const mark = host.linkOps().length;
    const e2 = await svc.connect(C1, 'b', { containerName: 'one' });
    assert.equal(e2.ifName, 'eth1');
    const more = host.linkOps().slice(mark);
    assert.ok(more.some((o) => o.op === 'add-address' && o.cidr === '10.61.0.2/24'));
    assert.ok(!more.some((o) => o.op === 'add-route'));
    await svc.releaseContainer(C1);
    assert.ok(![...host.links.values()].some((l) => l.kind === 'veth'));
    assert.deepEqual(await svc.endpointsOf(C1), []);
  });

  it('keeps networks across a restart and removes links berth made but no record owns', async () => {
    const svc = await open();
    const a = await svc.createNetwork({ name: 'keep' });
    const again = await open();
    assert.equal((await again.get('keep')).network.id, a.id);
    // Simulate a crash that left a ledger entry for a veth that no endpoint owns.
    const { NetworkStore } = await import('./network-store');
    const store = await NetworkStore.open(root);
    await store.addLink({ name: 'btdead01', kind: 'veth' });
    host.links.set('btdead01', {
      name: 'btdead01',
      ifindex: 9,
      kind: 'veth',
      master: undefined,
      mac: '',
      mtu: 1500,
      up: true,
      addresses: [],
    });
    await open();
    assert.ok(!host.links.has('btdead01'));
    assert.ok(host.links.has(a.bridge as string));
    await again.destroyKernelState();
    assert.ok(!host.links.has(a.bridge as string));
  });
});
