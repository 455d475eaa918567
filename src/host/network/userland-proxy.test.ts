import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, it } from 'node:test';
import { isPortFree, startProxy } from './userland-proxy';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('userland proxy (loopback only)', () => {
  it('relays TCP both ways, including half-close', async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.2', r));
    const hostPort = await freePort();
    const proxy = await startProxy({
      proto: 'tcp',
      hostIp: '127.0.0.1',
      hostPort,
      containerIp: '127.0.0.2',
      containerPort: (echo.address() as net.AddressInfo).port,
    });
    try {
      assert.equal(await isPortFree('tcp', '127.0.0.1', hostPort), false);
      const got = await new Promise<string>((resolve, reject) => {
        const c = net.connect(hostPort, '127.0.0.1');
        let data = '';
        c.setEncoding('utf8').on('data', (d) => {
          data += d;
        });
        c.on('end', () => resolve(data));
        c.on('error', reject);
        c.end('hello through the proxy');
      });
      assert.equal(got, 'hello through the proxy');
      await assert.rejects(
        startProxy({ proto: 'tcp', hostIp: '127.0.0.1', hostPort, containerIp: '127.0.0.2', containerPort: 1 }),
        /EADDRINUSE/,
      );
    } finally {
      await proxy.close();
      await new Promise<void>((r) => echo.close(() => r()));
    }
    assert.equal(await isPortFree('tcp', '127.0.0.1', hostPort), true);
  });

  it('relays UDP datagrams and their replies', async () => {
    const echo = dgram.createSocket('udp4');
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('re:'), m]), r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.2', r));
    const hostPort = await freePort();
    const proxy = await startProxy({
      proto: 'udp',
      hostIp: '127.0.0.1',
      hostPort,
      containerIp: '127.0.0.2',
      containerPort: echo.address().port,
    });
    const client = dgram.createSocket('udp4');
    try {
      const reply = await new Promise<string>((resolve) => {
        client.on('message', (m) => resolve(m.toString()));
        client.send('ping', hostPort, '127.0.0.1');
      });
      assert.equal(reply, 're:ping');
    } finally {
      client.close();
      await proxy.close();
      echo.close();
    }
  });
});
