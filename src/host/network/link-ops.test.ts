import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupByNetns, ipBatchLine, type LinkOp } from './link-ops';

describe('link ops', () => {
  it('renders ip batch lines', () => {
    const ns = '/run/berth/netns/x';
    const lines = (
      [
        { op: 'set-master', name: 'veth1', master: 'br0' },
        { op: 'rename', name: 'tmp1', newName: 'eth0', netns: ns },
        { op: 'set-mac', name: 'eth0', mac: '02:42:ac:11:00:02', netns: ns },
        { op: 'add-route', dst: 'default', via: '172.17.0.1', name: 'eth0', netns: ns },
        { op: 'delete-link', name: 'veth1' },
      ] satisfies LinkOp[]
    ).map(ipBatchLine);
    assert.deepEqual(lines, [
      'link set dev veth1 master br0',
      'link set dev tmp1 name eth0',
      'link set dev eth0 address 02:42:ac:11:00:02',
      'route replace default via 172.17.0.1 dev eth0',
      'link delete dev veth1',
    ]);
  });

  it('refuses anything that could smuggle a second command onto a batch line', () => {
    for (const op of [
      { op: 'set-up', name: 'eth0\nlink del lo' },
      { op: 'set-up', name: 'abcdefghijklmnop' },
      { op: 'add-address', name: 'eth0', cidr: '10.0.0.1/33' },
      { op: 'set-mac', name: 'eth0', mac: 'zz:zz' },
      { op: 'add-bridge', name: 'br0', mtu: 10 },
      { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1; rm' },
      { op: 'set-up', name: 'eth0', netns: 'relative' },
    ] as LinkOp[]) {
      assert.throws(() => ipBatchLine(op), /invalid/, JSON.stringify(op));
    }
  });

  it('groups consecutive ops by namespace', () => {
    const runs = groupByNetns([
      { op: 'set-up', name: 'a' },
      { op: 'set-up', name: 'b' },
      { op: 'set-up', name: 'lo', netns: '/n' },
      { op: 'set-up', name: 'c' },
    ]);
    assert.deepEqual(
      runs.map((r) => [r.netns, r.ops.length]),
      [
        [undefined, 2],
        ['/n', 1],
        [undefined, 1],
      ],
    );
  });
});
