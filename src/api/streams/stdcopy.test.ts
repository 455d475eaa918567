import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { readUpgradeBody } from './hijack';
import { encodeFrame, StdWriter, streamContentType } from './stdcopy';

describe('stdcopy frames', () => {
  it('encodes the 8-byte header and the payload', () => {
    assert.equal(encodeFrame('stdout', Buffer.from('hi\n')).toString('hex'), '0100000000000003' + '68690a');
    assert.equal(encodeFrame('stderr', Buffer.from('oops\n')).toString('hex'), '02000000000000056f6f70730a');
    assert.equal(encodeFrame('systemerr', Buffer.alloc(0)).toString('hex'), '0300000000000000');
    const big = encodeFrame('stdout', Buffer.alloc(70000, 1));
    assert.equal(big.readUInt32BE(4), 70000);
  });

  it('writes frames, or raw bytes for a TTY, and skips empty chunks', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const framed = new StdWriter(out, false);
    await framed.write('stdout', Buffer.from('hi\n'));
    await framed.write('stdout', Buffer.alloc(0));
    const raw = new StdWriter(out, true);
    await raw.write('stderr', Buffer.from('tty'));
    assert.deepEqual(
      chunks.map((c) => c.toString('hex')),
      ['010000000000000368690a', Buffer.from('tty').toString('hex')],
    );
  });

  it('picks the content type by TTY and API version', () => {
    assert.equal(streamContentType(false, true), 'application/vnd.docker.multiplexed-stream');
    assert.equal(streamContentType(true, true), 'application/vnd.docker.raw-stream');
    assert.equal(streamContentType(false, false), 'application/vnd.docker.raw-stream');
  });
});

describe('bodies on upgrade requests', () => {
  const fakeReq = (headers: Record<string, string>, body: Buffer[]) =>
    Object.assign(Readable.from(body), { headers }) as unknown as Parameters<typeof readUpgradeBody>[0];

  it('Node 20: the body is at the front of head and the socket', async () => {
    const socket = new PassThrough();
    const p = readUpgradeBody(fakeReq({ 'content-length': '10' }, []), socket, Buffer.from('{"a":'));
    socket.write('1}  STDIN');
    const { body, rest } = await p;
    assert.equal(body.toString(), '{"a":1}  S');
    assert.equal(rest.toString(), 'TDIN');
  });

  it('newer Node: the body comes from req and head holds what followed', async () => {
    const socket = new PassThrough();
    const { body, rest } = await readUpgradeBody(
      fakeReq({ 'content-length': '7' }, [Buffer.from('{"a":1}')]),
      socket,
      Buffer.from('STDIN'),
    );
    assert.equal(body.toString(), '{"a":1}');
    assert.equal(rest.toString(), 'STDIN');
  });

  it('no body: everything in head is stdin', async () => {
    const { body, rest } = await readUpgradeBody(fakeReq({}, []), new PassThrough(), Buffer.from('x'));
    assert.equal(body.length, 0);
    assert.equal(rest.toString(), 'x');
  });
});
