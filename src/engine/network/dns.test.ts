import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, it } from 'node:test';
import { DnsRecords, EmbeddedDns } from './dns-server';
import {
  aRecord,
  aRecordAddress,
  buildQuery,
  buildResponse,
  DNS_TYPE,
  decodeMessage,
  encodeMessage,
  RCODE,
  reverseNameToIPv4,
} from './dns-wire';

// `dig example.com A` as sent on the wire (id 0x1234, RD).
const QUERY = Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex');
// A response with a compressed answer name (c00c) → 93.184.216.34, TTL 300.
const ANSWER = Buffer.from(
  '123481800001000100000000076578616d706c6503636f6d0000010001c00c000100010000012c00045db8d822',
  'hex',
);

describe('DNS wire format', () => {
  it('decodes a real query and re-encodes it byte for byte', () => {
    const q = decodeMessage(QUERY);
    assert.equal(q.id, 0x1234);
    assert.equal(q.flags.rd, true);
    assert.equal(q.flags.qr, false);
    assert.deepEqual(q.questions, [{ name: 'example.com', type: 1, class: 1 }]);
    assert.deepEqual(encodeMessage(q), QUERY);
    assert.deepEqual(buildQuery(0x1234, 'example.com'), QUERY);
  });

  it('decodes compressed answers', () => {
    const r = decodeMessage(ANSWER);
    assert.equal(r.flags.qr, true);
    assert.equal(r.flags.ra, true);
    assert.equal(r.answers.length, 1);
    assert.equal(r.answers[0]?.name, 'example.com');
    assert.equal(r.answers[0]?.ttl, 300);
    assert.equal(aRecordAddress(r.answers[0] as NonNullable<(typeof r.answers)[0]>), '93.184.216.34');
  });

  it('builds answers that decode back', () => {
    const q = decodeMessage(QUERY);
    const out = decodeMessage(
      buildResponse(q, { rcode: RCODE.NOERROR, answers: [aRecord('example.com', '10.0.0.9', 600)] }),
    );
    assert.equal(out.id, 0x1234);
    assert.equal(out.flags.qr, true);
    assert.equal(out.flags.rd, true);
    assert.equal(out.answers[0] && aRecordAddress(out.answers[0]), '10.0.0.9');
  });

  it('rejects malformed packets', () => {
    assert.throws(() => decodeMessage(Buffer.alloc(5)), /header/);
    const loop = Buffer.from('000001000001000000000000c00c00010001', 'hex');
    assert.throws(() => decodeMessage(loop), /loop|past/);
    assert.throws(() => decodeMessage(QUERY.subarray(0, 20)), /past|truncated/);
    assert.equal(reverseNameToIPv4('2.0.18.172.in-addr.arpa'), '172.18.0.2');
  });
});

function records(): DnsRecords {
  const r = new DnsRecords();
  r.set('net1', 'c1', { ip: '172.18.0.2', names: ['web', 'frontend', 'c1c1c1c1c1c1'] });
  r.set('net1', 'c2', { ip: '172.18.0.3', names: ['db'] });
  r.set('net2', 'c3', { ip: '172.19.0.2', names: ['cache'] });
  r.set('net2', 'c2', { ip: '172.19.0.3', names: ['db'] });
  return r;
}

async function ask(dns: EmbeddedDns, networkId: string, remoteIp: string, name: string, type: number = DNS_TYPE.A) {
  const reply = await dns.handle(buildQuery(7, name, type), { networkId, remoteIp });
  assert.ok(reply);
  return decodeMessage(reply);
}

describe('EmbeddedDns', () => {
  it('answers names, aliases and short ids of the querier’s networks only', async () => {
    const dns = new EmbeddedDns({ records: records() });
    const a = await ask(dns, 'net1', '172.18.0.2', 'FrontEnd.');
    assert.deepEqual(a.answers.map(aRecordAddress), ['172.18.0.2']);
    assert.equal(a.answers[0]?.ttl, 600);
    assert.deepEqual((await ask(dns, 'net1', '172.18.0.3', 'c1c1c1c1c1c1')).answers.map(aRecordAddress), [
      '172.18.0.2',
    ]);
    // c1 is only on net1: it cannot see cache (net2) → forwarded → no upstream → SERVFAIL.
    assert.equal((await ask(dns, 'net1', '172.18.0.2', 'cache')).flags.rcode, RCODE.SERVFAIL);
    // c2 is on both networks: sees both, its own net first.
    assert.deepEqual((await ask(dns, 'net2', '172.19.0.3', 'cache')).answers.map(aRecordAddress), ['172.19.0.2']);
    assert.deepEqual((await ask(dns, 'net1', '172.18.0.3', 'db')).answers.map(aRecordAddress), [
      '172.18.0.3',
      '172.19.0.3',
    ]);
    // Known name, AAAA: empty NOERROR, not forwarded.
    const aaaa = await ask(dns, 'net1', '172.18.0.2', 'web', DNS_TYPE.AAAA);
    assert.equal(aaaa.flags.rcode, RCODE.NOERROR);
    assert.equal(aaaa.answers.length, 0);
    const ptr = await ask(dns, 'net1', '172.18.0.2', '3.0.18.172.in-addr.arpa', DNS_TYPE.PTR);
    assert.equal(ptr.answers[0]?.type, DNS_TYPE.PTR);
  });

  it('forwards other names to its upstream and relays the answer', async () => {
    const upstream = dgram.createSocket('udp4');
    const seen: string[] = [];
    upstream.on('message', (msg, rinfo) => {
      const q = decodeMessage(msg);
      seen.push(q.questions[0]?.name ?? '');
      upstream.send(
        buildResponse(q, { rcode: 0, answers: [aRecord(q.questions[0]?.name ?? '', '10.9.9.9', 30)] }),
        rinfo.port,
        rinfo.address,
      );
    });
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
    try {
      const dns = new EmbeddedDns({
        records: records(),
        upstreams: [{ host: '127.0.0.1', port: upstream.address().port }],
      });
      const out = await ask(dns, 'net1', '172.18.0.2', 'outside.test');
      assert.deepEqual(out.answers.map(aRecordAddress), ['10.9.9.9']);
      assert.deepEqual(seen, ['outside.test']);
    } finally {
      upstream.close();
    }
  });

  it('answers SERVFAIL when the upstream does not answer in time', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    try {
      const dns = new EmbeddedDns({
        records: records(),
        upstreams: [{ host: '127.0.0.1', port: silent.address().port }],
        forwardTimeoutMs: 100,
      });
      assert.equal((await ask(dns, 'net1', '172.18.0.2', 'slow.test')).flags.rcode, RCODE.SERVFAIL);
    } finally {
      silent.close();
    }
  });

  it('listens over UDP and TCP on a loopback address', async () => {
    const dns = new EmbeddedDns({ records: records() });
    const port = await dns.listen('net1', '127.0.0.1');
    try {
      const client = dgram.createSocket('udp4');
      const reply = await new Promise<Buffer>((resolve) => {
        client.on('message', resolve);
        client.send(buildQuery(9, 'web'), port, '127.0.0.1');
      });
      client.close();
      // From 127.0.0.1, not a container address: the listener's network answers.
      assert.deepEqual(decodeMessage(reply).answers.map(aRecordAddress), ['172.18.0.2']);
      const tcpReply = await new Promise<Buffer>((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1');
        const q = buildQuery(10, 'db');
        const head = Buffer.alloc(2);
        head.writeUInt16BE(q.length);
        sock.write(Buffer.concat([head, q]));
        let buf = Buffer.alloc(0);
        sock.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            sock.end();
            resolve(buf.subarray(2));
          }
        });
        sock.on('error', reject);
      });
      assert.deepEqual(decodeMessage(tcpReply).answers.map(aRecordAddress), ['172.18.0.3']);
    } finally {
      await dns.closeAll();
    }
  });
});
