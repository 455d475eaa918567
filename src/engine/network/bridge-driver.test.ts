import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipBatchLine } from '../../host/network';
import {
  bridgeNameFor,
  createEndpointOps,
  deleteEndpointOps,
  ensureBridgeOps,
  macFromIPv4,
  mtuFor,
  randomLinkName,
  renderDnsRedirect,
  renderRuleset,
} from './bridge-driver';

const ID = 'abcdef0123456789'.repeat(4);

describe('bridge driver', () => {
  it('derives the MAC from the address as Docker did', () => {
    assert.equal(macFromIPv4('172.17.0.2'), '02:42:ac:11:00:02');
    assert.equal(macFromIPv4('10.255.1.254'), '02:42:0a:ff:01:fe');
  });

  it('names bridges and veths', () => {
    assert.equal(bridgeNameFor(ID, {}, false), 'br-abcdef012345');
    assert.equal(bridgeNameFor(ID, {}, true), 'berth0');
    assert.equal(bridgeNameFor(ID, { 'com.docker.network.bridge.name': 'mybr' }, false), 'mybr');
    assert.throws(
      () => bridgeNameFor(ID, { 'com.docker.network.bridge.name': 'x'.repeat(16) }, false),
      /invalid bridge/,
    );
    assert.match(randomLinkName(), /^veth[0-9a-f]{7}$/);
    assert.match(randomLinkName('bt', 9), /^bt[0-9a-f]{7}$/);
    assert.equal(mtuFor({ 'com.docker.network.driver.mtu': '1400' }), 1400);
    assert.throws(() => mtuFor({ 'com.docker.network.driver.mtu': 'x' }), /invalid MTU/);
  });

  it('makes a bridge: create, address, up (and forwarding when asked)', () => {
    const ops = ensureBridgeOps(
      { name: 'berth0', gateway: '172.17.0.1', prefixLen: 16, mtu: 1500 },
      { ipForward: true },
    );
    assert.deepEqual(ops, [
      { op: 'add-bridge', name: 'berth0', mtu: 1500 },
      { op: 'add-address', name: 'berth0', cidr: '172.17.0.1/16' },
      { op: 'set-up', name: 'berth0' },
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
    ]);
    assert.deepEqual(ops.map(ipBatchLine), [
      'link add name berth0 mtu 1500 type bridge',
      'address replace 172.17.0.1/16 dev berth0',
      'link set dev berth0 up',
      undefined,
    ]);
  });

  it('makes an endpoint: veth into the netns, eth0, MAC, address, lo, default route', () => {
    const ns = '/run/berth/netns/c1';
    const ops = createEndpointOps({
      bridge: 'berth0',
      mtu: 1500,
      hostVeth: 'veth1234567',
      tempPeer: 'veth7654321',
      netns: ns,
      ifName: 'eth0',
      address: '172.17.0.2',
      prefixLen: 16,
      mac: macFromIPv4('172.17.0.2'),
      defaultGateway: '172.17.0.1',
      embeddedDns: true,
    });
    assert.deepEqual(ops, [
      { op: 'add-veth', name: 'veth1234567', peer: 'veth7654321', peerNetns: ns, mtu: 1500 },
      { op: 'set-master', name: 'veth1234567', master: 'berth0' },
      { op: 'set-up', name: 'veth1234567' },
      { op: 'set-up', name: 'lo', netns: ns },
      { op: 'rename', name: 'veth7654321', newName: 'eth0', netns: ns },
      { op: 'set-mac', name: 'eth0', mac: '02:42:ac:11:00:02', netns: ns },
      { op: 'add-address', name: 'eth0', cidr: '172.17.0.2/16', netns: ns },
      { op: 'set-up', name: 'eth0', netns: ns },
      { op: 'sysctl', key: 'net.ipv4.conf.eth0.route_localnet', value: '1', netns: ns },
      { op: 'add-route', dst: 'default', via: '172.17.0.1', name: 'eth0', netns: ns },
    ]);
    assert.equal(
      ipBatchLine(ops[0] as (typeof ops)[0]),
      `link add name veth1234567 mtu 1500 type veth peer name veth7654321 mtu 1500 netns ${ns}`,
    );
    assert.deepEqual(deleteEndpointOps('veth1234567'), [{ op: 'delete-link', name: 'veth1234567' }]);
  });

  it('renders masquerade, isolation, internal networks, DNS guard and DNAT in one replaceable table', () => {
    const text = renderRuleset({
      table: 'berth',
      networks: [
        { bridge: 'berth0', subnet: '172.17.0.0/16', gateway: '172.17.0.1', internal: false },
        { bridge: 'br-aaaaaaaaaaaa', subnet: '172.18.0.0/16', gateway: '172.18.0.1', internal: false, dnsPort: 40000 },
        { bridge: 'br-bbbbbbbbbbbb', subnet: '172.19.0.0/16', gateway: '172.19.0.1', internal: true },
      ],
      ports: [
        {
          proto: 'tcp',
          hostIp: '',
          hostPort: 8080,
          containerIp: '172.18.0.2',
          containerPort: 80,
          bridge: 'br-aaaaaaaaaaaa',
        },
        {
          proto: 'udp',
          hostIp: '127.0.0.1',
          hostPort: 5353,
          containerIp: '172.18.0.2',
          containerPort: 53,
          bridge: 'br-aaaaaaaaaaaa',
        },
        {
          proto: 'tcp',
          hostIp: '',
          hostPort: 9000,
          containerIp: '172.19.0.2',
          containerPort: 80,
          bridge: 'br-bbbbbbbbbbbb',
        },
      ],
    });
    const lines = text.split('\n').map((l) => l.trim());
    assert.deepEqual(lines.slice(0, 3), ['table inet berth', 'delete table inet berth', 'table inet berth {']);
    for (const want of [
      'ct status dnat accept',
      'iifname "berth0" oifname { "br-aaaaaaaaaaaa", "br-bbbbbbbbbbbb" } counter drop',
      'iifname "br-bbbbbbbbbbbb" oifname != "br-bbbbbbbbbbbb" drop',
      'oifname "br-bbbbbbbbbbbb" iifname != "br-bbbbbbbbbbbb" drop',
      'iifname != "br-aaaaaaaaaaaa" ip daddr 172.18.0.1 udp dport 40000 drop',
      'iifname != "br-aaaaaaaaaaaa" tcp dport 8080 counter dnat ip to 172.18.0.2:80',
      'iifname != "br-aaaaaaaaaaaa" ip daddr 127.0.0.1 udp dport 5353 counter dnat ip to 172.18.0.2:53',
      'fib daddr type local jump published',
      'ip daddr != 127.0.0.0/8 fib daddr type local jump published',
      'ip saddr 172.17.0.0/16 oifname != "berth0" masquerade',
      'ip saddr 172.18.0.0/16 oifname != "br-aaaaaaaaaaaa" masquerade',
    ]) {
      assert.ok(lines.includes(want), `missing: ${want}\n${text}`);
    }
    // Internal networks get no masquerade and no published ports.
    assert.ok(!text.includes('172.19.0.0/16 oifname'));
    assert.ok(!text.includes('dport 9000'));
    const fwd = lines.slice(lines.indexOf('chain forward {'), lines.indexOf('chain input {'));
    assert.ok(
      fwd.indexOf('oifname "br-bbbbbbbbbbbb" iifname != "br-bbbbbbbbbbbb" drop') < fwd.indexOf('ct status dnat accept'),
    );
    // No other table is named.
    assert.deepEqual(
      [...text.matchAll(/table (\w+) ([\w-]+)/g)].map((m) => m[2]),
      ['berth', 'berth', 'berth'],
    );
    assert.throws(() => renderRuleset({ table: 'bad name', networks: [], ports: [] }), /invalid nft table/);
    assert.throws(
      () =>
        renderRuleset({
          table: 't',
          networks: [{ bridge: 'x";', subnet: '1.0.0.0/8', gateway: '1.0.0.1', internal: false }],
          ports: [],
        }),
      /invalid interface/,
    );
  });

  it('renders the 127.0.0.11 redirect for a container netns', () => {
    const text = renderDnsRedirect({ containerIp: '172.18.0.2', gateway: '172.18.0.1', port: 40000 });
    assert.match(text, /^table ip berth-dns\ndelete table ip berth-dns\n/);
    assert.match(text, /ip daddr 127\.0\.0\.11 udp dport 53 dnat to 172\.18\.0\.1:40000/);
    assert.match(text, /ip daddr 127\.0\.0\.11 tcp dport 53 dnat to 172\.18\.0\.1:40000/);
    assert.match(text, /ip saddr 127\.0\.0\.0\/8 ip daddr 172\.18\.0\.1 udp dport 40000 snat to 172\.18\.0\.2/);
  });
});
