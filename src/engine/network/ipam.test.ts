import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { Ipam, parseBip, parseDefaultAddressPool } from './ipam';

describe('Ipam', () => {
  let root: string;
  beforeEach(() => {
    root = testDir('ipam');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('hands out Docker-like subnets in pool order, gateway .1', async () => {
    const ipam = await Ipam.open({ root });
    assert.deepEqual(await ipam.requestPool('a'), { subnet: '172.17.0.0/16', gateway: '172.17.0.1' });
    assert.deepEqual(await ipam.requestPool('b'), { subnet: '172.18.0.0/16', gateway: '172.18.0.1' });
    assert.deepEqual(await ipam.requestPool('c'), { subnet: '172.19.0.0/16', gateway: '172.19.0.1' });
    assert.deepEqual(await ipam.requestPool('d'), { subnet: '172.20.0.0/16', gateway: '172.20.0.1' });
    // The same id asks again: the same pool.
    assert.equal((await ipam.requestPool('a')).subnet, '172.17.0.0/16');
  });

  it('skips prefixes the host already routes (a dockerd next door)', async () => {
    const ipam = await Ipam.open({ root, reserved: async () => ['172.17.0.0/16', '172.18.5.0/24', '10.0.0.0/8'] });
    assert.equal((await ipam.requestPool('a')).subnet, '172.19.0.0/16');
  });

  it('falls through to 192.168.x.0/20 when the 172 pools are taken', async () => {
    const ipam = await Ipam.open({ root, reserved: async () => ['172.16.0.0/12'] });
    assert.deepEqual(await ipam.requestPool('a'), { subnet: '192.168.0.0/20', gateway: '192.168.0.1' });
    assert.equal((await ipam.requestPool('b')).subnet, '192.168.16.0/20');
  });

  it('uses --default-address-pool pools and reports exhaustion', async () => {
    const ipam = await Ipam.open({ root, pools: [parseDefaultAddressPool('base=10.10.0.0/23,size=24')] });
    assert.equal((await ipam.requestPool('a')).subnet, '10.10.0.0/24');
    assert.equal((await ipam.requestPool('b')).subnet, '10.10.1.0/24');
    await assert.rejects(ipam.requestPool('c'), { kind: 'forbidden', message: /could not find an available/ });
  });

  it('accepts explicit subnets, gateways and ip-ranges, and refuses overlaps', async () => {
    const ipam = await Ipam.open({ root });
    assert.deepEqual(
      await ipam.requestPool('a', { subnet: '10.5.0.7/16', gateway: '10.5.0.254', ipRange: '10.5.1.0/24' }),
      {
        subnet: '10.5.0.0/16',
        gateway: '10.5.0.254',
        ipRange: '10.5.1.0/24',
      },
    );
    await assert.rejects(ipam.requestPool('b', { subnet: '10.5.3.0/24' }), { kind: 'forbidden', message: /overlaps/ });
    await assert.rejects(ipam.requestPool('c', { subnet: '10.6.0.0/24', gateway: '10.7.0.1' }), {
      kind: 'invalid-argument',
    });
    await assert.rejects(ipam.requestPool('d', { subnet: '10.8.0.0/24', ipRange: '10.9.0.0/25' }), {
      kind: 'invalid-argument',
    });
    assert.equal(await ipam.requestAddress('a', { owner: 'e1' }), '10.5.1.0');
    // Automatic pools avoid explicit ones.
    await ipam.requestPool('x', { subnet: '172.17.0.0/16' });
    assert.equal((await ipam.requestPool('y')).subnet, '172.18.0.0/16');
  });

  it('allocates first free addresses, honours --ip, releases and reuses', async () => {
    const ipam = await Ipam.open({ root });
    await ipam.requestPool('n', { subnet: '10.1.0.0/29' });
    assert.equal(await ipam.requestAddress('n', { owner: 'e1' }), '10.1.0.2');
    assert.equal(await ipam.requestAddress('n', { owner: 'e2', address: '10.1.0.5' }), '10.1.0.5');
    assert.equal(await ipam.requestAddress('n', { owner: 'e3' }), '10.1.0.3');
    await assert.rejects(ipam.requestAddress('n', { owner: 'e4', address: '10.1.0.5' }), {
      kind: 'conflict',
      message: 'Address already in use: 10.1.0.5',
    });
    await assert.rejects(ipam.requestAddress('n', { owner: 'e4', address: '10.1.0.1' }), { kind: 'conflict' });
    await assert.rejects(ipam.requestAddress('n', { owner: 'e4', address: '10.2.0.1' }), { kind: 'invalid-argument' });
    assert.equal(await ipam.requestAddress('n', { owner: 'e4' }), '10.1.0.4');
    assert.equal(await ipam.requestAddress('n', { owner: 'e5' }), '10.1.0.6');
    await assert.rejects(ipam.requestAddress('n', { owner: 'e6' }), { kind: 'forbidden', message: /no available/ });
    await ipam.releaseAddress('n', '10.1.0.3');
    assert.equal(await ipam.requestAddress('n', { owner: 'e7' }), '10.1.0.3');
  });

  it('never hands out the same address twice to concurrent requests', async () => {
    const ipam = await Ipam.open({ root });
    await ipam.requestPool('n', { subnet: '10.1.0.0/24' });
    const got = await Promise.all(Array.from({ length: 60 }, (_, i) => ipam.requestAddress('n', { owner: `e${i}` })));
    assert.equal(new Set(got).size, 60);
  });

  it('survives a restart and releases pools', async () => {
    const a = await Ipam.open({ root });
    await a.requestPool('n');
    await a.requestAddress('n', { owner: 'e1' });
    const b = await Ipam.open({ root });
    assert.deepEqual(b.pool('n'), { subnet: '172.17.0.0/16', gateway: '172.17.0.1' });
    assert.deepEqual(b.addresses('n'), { '172.17.0.2': 'e1' });
    assert.equal(await b.requestAddress('n', { owner: 'e2' }), '172.17.0.3');
    await b.releasePool('n');
    const c = await Ipam.open({ root });
    assert.equal(c.pool('n'), undefined);
    assert.equal((await c.requestPool('m')).subnet, '172.17.0.0/16');
  });

  it('parses --bip and --default-address-pool', () => {
    assert.deepEqual(parseBip('172.26.0.1/16'), { subnet: '172.26.0.0/16', gateway: '172.26.0.1' });
    assert.throws(() => parseBip('172.26.0.0/16'), /host address/);
    assert.deepEqual(parseDefaultAddressPool('base=10.10.0.0/16,size=24'), { base: '10.10.0.0/16', size: 24 });
    assert.throws(() => parseDefaultAddressPool('base=10.10.0.0/16'), /invalid address pool/);
    assert.throws(() => parseDefaultAddressPool('base=10.10.0.0/16,size=8'), /size 8/);
  });
});
