import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { CoreProtocolError, parseCoreResult } from './core';
import { parseExitFile } from './exit-file';
import { decodeField, encodeField, encodeLine } from './fields';
import { ShimClient, ShimGoneError, ShimRequestError } from './shim-client';

describe('fields', () => {
  it('escapes as the core does', () => {
    assert.equal(encodeField(''), '-');
    assert.equal(encodeField('-'), '%2D');
    assert.equal(encodeField('--'), '--');
    assert.equal(encodeField('a b%\n'), 'a%20b%25%0A');
    assert.equal(encodeField(Buffer.from([0, 0xff])), '%00%FF');
    assert.equal(encodeLine('stdin', 'x y'), 'stdin x%20y');
    for (const s of ['', '-', 'é ü', '%%', 'a\tb']) assert.equal(decodeField(encodeField(s)), s);
    assert.equal(decodeField('%c3%a9'), 'é');
    assert.throws(() => decodeField('%zz'));
    assert.throws(() => decodeField('a\u00ffb'));
  });
});

describe('parseCoreResult', () => {
  it('parses started and error results', () => {
    assert.deepEqual(parseCoreResult('berth-result 1\nwarning oom_score_adj:%20denied\nstarted 12 11\n'), {
      ok: true,
      pid: 12,
      shimPid: 11,
      warnings: ['oom_score_adj: denied'],
    });
    assert.deepEqual(
      parseCoreResult('berth-result 1\nerror 127 exec 2 exec:%20"x":%20executable%20file%20not%20found%20in%20$PATH\n'),
      {
        ok: false,
        status: 127,
        step: 'exec',
        errno: 2,
        message: 'exec: "x": executable file not found in $PATH',
        warnings: [],
      },
    );
  });
  it('refuses anything else', () => {
    for (const bad of [
      '',
      'berth-result 2\nstarted 1 2\n',
      'berth-result 1\n',
      'berth-result 1\nstarted 1\n',
      'berth-result 1\nhello\n',
      'berth-result 1\nstarted 1 2\nstarted 1 2\n',
    ]) {
      assert.throws(() => parseCoreResult(bad), CoreProtocolError, JSON.stringify(bad));
    }
  });
});

describe('parseExitFile', () => {
  it('parses the record', () => {
    assert.deepEqual(
      parseExitFile('berth-exit 1\npid 7\ncode 137\nsignal 9\ntime 2024-01-02T03:04:05.123456789Z\noom unknown\n'),
      {
        pid: 7,
        code: 137,
        signal: 9,
        time: '2024-01-02T03:04:05.123456789Z',
        oom: undefined,
      },
    );
    assert.throws(() => parseExitFile('berth-exit 1\npid 7\n'));
  });
});

/** A fake shim on a socket path longer than sun_path allows. */
async function fakeShim(dir: string, handler: (line: string, reply: (s: string) => void, sock: net.Socket) => void) {
  const long = path.join(dir, 'x'.repeat(60), 'y'.repeat(60));
  mkdirSync(long, { recursive: true });
  const server = net.createServer((sock) => {
    sock.write('berth-shim 1\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        handler(line, (s) => sock.write(`${s}\n`), sock);
        nl = buf.indexOf('\n');
      }
    });
    sock.on('error', () => undefined);
  });
  const process_cwd = process.cwd();
  // listen through a relative path: the bundle path is too long for sun_path
  process.chdir(long);
  await new Promise<void>((r) => server.listen('shim.sock', r));
  process.chdir(process_cwd);
  return { bundle: long, server };
}

describe('ShimClient', () => {
  it('speaks the protocol over a long socket path', async () => {
    const dir = testDir('shim');
    const stdin: string[] = [];
    const { bundle, server } = await fakeShim(dir, (line, reply, sock) => {
      const [word, arg] = line.split(' ');
      if (word === 'state') reply('state running 42');
      else if (word === 'kill') reply(arg === '0' ? 'error 3 No%20such%20process' : 'ok');
      else if (word === 'stdin') stdin.push(decodeField(arg as string));
      else if (word === 'close-stdin') reply('ok');
      else if (word === 'attach') {
        reply('ok');
        reply('stdout hi%0A');
        reply('stderr %2D');
        reply('exit 3 0 2024-01-01T00:00:00Z 0');
        sock.end();
      } else if (word === 'wait') setTimeout(() => reply('exit 3 0 2024-01-01T00:00:00Z 1'), 50);
      else if (word === 'delete') reply('error 16 container%20is%20running');
      else reply('error 22 unknown%20request');
    });
    const client = await ShimClient.connect(bundle);
    try {
      assert.ok(Buffer.byteLength(path.join(bundle, 'shim.sock')) > 108);
      const [s1, s2] = await Promise.all([client.state(), client.state()]);
      assert.deepEqual(s1, { status: 'running', pid: 42 });
      assert.deepEqual(s2, s1);
      await client.kill(15);
      await assert.rejects(
        client.kill(0),
        (e: unknown) => e instanceof ShimRequestError && e.errno === 3 && e.message === 'No such process',
      );
      await assert.rejects(client.delete(), /container is running/);
      const waited = client.wait();
      const chunks: string[] = [];
      const it = client.attach();
      let r = await it.next();
      while (!r.done) {
        chunks.push(`${r.value.stream}:${r.value.data.toString()}`);
        r = await it.next();
      }
      assert.deepEqual(chunks, ['stdout:hi\n', 'stderr:-']);
      assert.deepEqual(r.value, { code: 3, signal: 0, time: '2024-01-01T00:00:00Z', oom: false });
      await client.writeStdin(Buffer.from('a b'));
      await client.closeStdin();
      assert.deepEqual(stdin, ['a b']);
      assert.deepEqual(await waited, { code: 3, signal: 0, time: '2024-01-01T00:00:00Z', oom: true });
    } finally {
      client.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('says when the shim is gone', async () => {
    const dir = testDir('noshim');
    try {
      await assert.rejects(ShimClient.connect(dir), ShimGoneError);
      await assert.rejects(ShimClient.connect(path.join(dir, 'nope')), ShimGoneError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
