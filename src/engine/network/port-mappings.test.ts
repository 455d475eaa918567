import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromPortBindings, PortAllocator, parsePortRange, parsePortSpec } from './port-mappings';

describe('port specs', () => {
  it('parses docker run -p forms', () => {
    assert.deepEqual(parsePortSpec('80'), [{ proto: 'tcp', hostIp: '', hostPorts: undefined, containerPort: 80 }]);
    assert.deepEqual(parsePortSpec('8080:80'), [
      { proto: 'tcp', hostIp: '', hostPorts: { start: 8080, end: 8080 }, containerPort: 80 },
    ]);
    assert.deepEqual(parsePortSpec('127.0.0.1::53/udp'), [
      { proto: 'udp', hostIp: '127.0.0.1', hostPorts: undefined, containerPort: 53 },
    ]);
    assert.deepEqual(
      parsePortSpec('127.0.0.1:8000-8001:80-81').map((b) => [b.hostPorts?.start, b.containerPort]),
      [
        [8000, 80],
        [8001, 81],
      ],
    );
    // One container port on a host range: any free port of the range.
    assert.deepEqual(parsePortSpec('8000-8010:80')[0]?.hostPorts, { start: 8000, end: 8010 });
    for (const bad of ['0', '70000', '80/sctp', 'a:80', '1.2.3:80:80', '8000-8002:80-81', '1:2:3:4']) {
      assert.throws(() => parsePortSpec(bad), { kind: 'invalid-argument' }, bad);
    }
    assert.deepEqual(parsePortRange('5-7'), { start: 5, end: 7 });
  });

  it('converts HostConfig.PortBindings', () => {
    assert.deepEqual(
      fromPortBindings({
        '80/tcp': [
          { hostIp: '', hostPort: '' },
          { hostIp: '127.0.0.1', hostPort: '8080' },
        ],
        '53/udp': [{ hostIp: '0.0.0.0', hostPort: '5300-5310' }],
        '443/tcp': [{ hostIp: '::', hostPort: '443' }],
      }),
      [
        { proto: 'tcp', hostIp: '', hostPorts: undefined, containerPort: 80 },
        { proto: 'tcp', hostIp: '127.0.0.1', hostPorts: { start: 8080, end: 8080 }, containerPort: 80 },
        { proto: 'udp', hostIp: '', hostPorts: { start: 5300, end: 5310 }, containerPort: 53 },
      ],
    );
  });
});

describe('PortAllocator', () => {
  it('gives ephemeral ports in sequence from 49153, skipping busy ones', async () => {
    const ports = new PortAllocator();
    const busy = new Set([49154]);
    const bind = async (p: number) => !busy.has(p);
    assert.equal(await ports.allocate('tcp', '', undefined, bind), 49153);
    assert.equal(await ports.allocate('tcp', '', undefined, bind), 49155);
    assert.equal(await ports.allocate('udp', '', undefined, bind), 49156);
    ports.release('tcp', '', 49153);
    assert.equal(await ports.allocate('tcp', '', undefined, bind), 49157);
  });

  it('refuses a taken requested port in Docker words, and knows 0.0.0.0 covers every address', async () => {
    const ports = new PortAllocator({ start: 60000, end: 60001 });
    const ok = async () => true;
    assert.equal(await ports.allocate('tcp', '', { start: 8080, end: 8080 }, ok), 8080);
    await assert.rejects(ports.allocate('tcp', '127.0.0.1', { start: 8080, end: 8080 }, ok), {
      kind: 'conflict',
      message: /Bind for 127\.0\.0\.1:8080 failed: port is already allocated/,
    });
    assert.equal(await ports.allocate('tcp', '127.0.0.1', { start: 8081, end: 8081 }, ok), 8081);
    await assert.rejects(ports.allocate('tcp', '', { start: 8081, end: 8081 }, ok), { kind: 'conflict' });
    assert.equal(await ports.allocate('tcp', '', { start: 8080, end: 8082 }, ok), 8082);
    await ports.allocate('tcp', '', undefined, ok);
    await ports.allocate('tcp', '', undefined, ok);
    await assert.rejects(ports.allocate('tcp', '', undefined, ok), { kind: 'conflict' });
  });
});
