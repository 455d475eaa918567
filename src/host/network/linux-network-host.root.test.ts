import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TEST_PREFIX, testDir } from '../../../test/helpers/names';
import { requireAll, requireCommand, requireRoot } from '../../../test/helpers/requires';
import { LinuxNetworkHost } from './linux-network-host';

const skip = requireAll(requireRoot(), requireCommand('nft'), requireCommand('ip'), requireCommand('unshare'));
const hex = randomBytes(3).toString('hex');
const BR = `bt${hex}h`;
const TABLE = `${TEST_PREFIX}h${hex}`;

describe('LinuxNetworkHost (root)', { skip }, () => {
  let dir: string;
  let host: LinuxNetworkHost;
  let ns: string;

  before(async () => {
    dir = testDir('nethost');
    host = new LinuxNetworkHost({ netnsDir: dir });
    ns = await host.createNetns(`${TEST_PREFIX}h-${hex}`);
  });

  after(async () => {
    await host.applyLinkOps([{ op: 'delete-link', name: BR }]);
    await host.deleteNftTable({ family: 'inet', name: TABLE });
    await host.deleteNetns(ns);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(dir));
    assert.deepEqual(readdirSync(dir), []);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a named netns as a bind-mounted nsfs file', async () => {
    assert.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(`${ns.replaceAll('.', '\\.')} `));
    const r = await host.inNetns(ns, ['ip', '-br', 'link']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^lo\s/m);
    assert.doesNotMatch(r.stdout, /eth0/);
  });

  it('applies link ops idempotently, in the host and inside the netns', async () => {
    const ops = [
      { op: 'add-bridge', name: BR, mtu: 1400 },
      { op: 'add-address', name: BR, cidr: '10.214.0.1/24' },
      { op: 'set-up', name: BR },
    ] as const;
    await host.applyLinkOps([...ops]);
    await host.applyLinkOps([...ops]); // a second time is fine
    const br = (await host.listLinks()).find((l) => l.name === BR);
    assert.equal(br?.kind, 'bridge');
    assert.equal(br?.mtu, 1400);
    assert.deepEqual(br?.addresses, ['10.214.0.1/24']);
    await host.applyLinkOps([
      { op: 'set-up', name: 'lo', netns: ns },
      { op: 'sysctl', key: 'net.ipv4.conf.lo.route_localnet', value: '1', netns: ns },
    ]);
    const r = await host.inNetns(ns, ['cat', '/proc/sys/net/ipv4/conf/lo/route_localnet']);
    assert.equal(r.stdout.trim(), '1');
    assert.equal(readFileSync('/proc/sys/net/ipv4/conf/lo/route_localnet', 'utf8').trim(), '0');
    await assert.rejects(host.applyLinkOps([{ op: 'set-up', name: `bt${hex}zz` }]), /failed/);
    assert.ok((await host.routedPrefixes()).includes('10.214.0.0/24'));
  });

  it('replaces its own nft table atomically and deletes it, also when missing', async () => {
    const text = (n: number) =>
      `table inet ${TABLE}\ndelete table inet ${TABLE}\ntable inet ${TABLE} {\n\tchain c${n} {\n\t}\n}\n`;
    await host.applyNftRuleset(text(1));
    await host.applyNftRuleset(text(2));
    const listed = (await host.listNftTable({ family: 'inet', name: TABLE })) ?? '';
    assert.match(listed, /chain c2/);
    assert.doesNotMatch(listed, /chain c1/);
    await host.deleteNftTable({ family: 'inet', name: TABLE });
    await host.deleteNftTable({ family: 'inet', name: TABLE });
    assert.equal(await host.listNftTable({ family: 'inet', name: TABLE }), undefined);
    // Inside the netns the table is the netns's own.
    await host.applyNftRuleset(text(3), { netns: ns });
    assert.ok(!(await host.listNftTables()).some((t) => t.name === TABLE));
    assert.ok((await host.listNftTables({ netns: ns })).some((t) => t.name === TABLE));
  });
});
