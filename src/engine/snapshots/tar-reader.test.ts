import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { requireCommand } from '../../../test/helpers/requires';
import { parseNumber, readTar, type TarHeader } from './tar-reader';
import { buildTar, packWithTarStream, ustarHeader } from './test-tars';

async function read(tar: Buffer, chunk = 777): Promise<Array<{ header: TarHeader; data: Buffer }>> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) chunks.push(tar.subarray(i, i + chunk));
  const out: Array<{ header: TarHeader; data: Buffer }> = [];
  for await (const ev of readTar(chunks)) {
    if (ev.kind === 'entry') out.push({ header: ev.header, data: Buffer.alloc(0) });
    else {
      const last = out[out.length - 1]!;
      last.data = Buffer.concat([last.data, ev.chunk]);
    }
  }
  return out;
}

const isInvalid = (re: RegExp) => (err: Error & { kind?: string }) =>
  err.kind === 'invalid-argument' && re.test(err.message);

describe('readTar', () => {
  it('reads entries, data, long names and binary pax xattrs', async () => {
    const cap = Buffer.from([1, 0, 0, 2, 0x80, 0x20, 0, 0, 0xff, 0xfe, 0, 0]);
    const long = `${'d'.repeat(120)}/${'f'.repeat(80)}`;
    const entries = await read(
      buildTar([
        { name: 'dir/', type: 'directory', mode: 0o1777 },
        {
          name: 'dir/file',
          content: 'hello',
          mode: 0o4755,
          uid: 1000,
          gid: 1001,
          xattrs: { 'security.capability': cap },
        },
        { name: long, content: 'x'.repeat(1000) },
        { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 1 },
        { name: 'ln', type: 'symlink', linkname: '../target' },
      ]),
    );
    assert.deepEqual(
      entries.map((e) => [e.header.name, e.header.type, e.data.length]),
      [
        ['dir/', 'directory', 0],
        ['dir/file', 'file', 5],
        [long, 'file', 1000],
        ['dev/sda', 'block-device', 0],
        ['ln', 'symlink', 0],
      ],
    );
    const file = entries[1]!.header;
    assert.equal(file.mode, 0o4755);
    assert.equal(file.uid, 1000);
    assert.equal(file.gid, 1001);
    assert.deepEqual(file.xattrs.get('security.capability'), cap);
    assert.equal(entries[0]!.header.mode, 0o1777);
    assert.equal(entries[3]!.header.devmajor, 8);
    assert.equal(entries[4]!.header.linkname, '../target');
  });

  it('reads what tar-stream packs', async () => {
    const tar = await packWithTarStream([
      { name: 'a/b/c.txt', content: 'abc' },
      { name: 'a/l', type: 'link', linkname: 'a/b/c.txt' },
    ]);
    const entries = await read(tar, 100);
    assert.deepEqual(
      entries.map((e) => [e.header.name, e.header.type, e.data.toString()]),
      [
        ['a/b/c.txt', 'file', 'abc'],
        ['a/l', 'link', ''],
      ],
    );
  });

  it('reads GNU tar archives with long names', { skip: requireCommand('tar') }, async () => {
    const dir = testDir('tar');
    try {
      const long = path.join(dir, 'src', 'n'.repeat(150));
      mkdirSync(long, { recursive: true });
      writeFileSync(path.join(long, 'file'), 'gnu');
      const r = spawnSync('tar', ['--format=gnu', '-C', path.join(dir, 'src'), '-cf', '-', '.'], {
        maxBuffer: 1 << 24,
      });
      assert.equal(r.status, 0);
      const entries = await read(r.stdout);
      const f = entries.find((e) => e.header.name.endsWith('/file'));
      assert.equal(f?.header.name, `./${'n'.repeat(150)}/file`);
      assert.equal(f?.data.toString(), 'gnu');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts an archive without the end-of-archive blocks, as Go does', async () => {
    const entries = await read(buildTar([{ name: 'a', content: 'x' }], { endMarker: false }));
    assert.equal(entries.length, 1);
    assert.deepEqual(await read(Buffer.alloc(0)), []);
  });

  it('fails on truncation inside data, padding or a header', async () => {
    const tar = buildTar([{ name: 'a', content: 'x'.repeat(3000) }]);
    await assert.rejects(read(tar.subarray(0, 1024)), isInvalid(/unexpected end of archive inside "a"/));
    await assert.rejects(read(tar.subarray(0, 512 + 3000 + 10)), isInvalid(/padding/));
    await assert.rejects(read(tar.subarray(0, 100)), isInvalid(/inside a header/));
  });

  it('fails on a bad checksum or garbage', async () => {
    const tar = buildTar([{ name: 'a', content: 'x' }]);
    tar[0] = 0x62;
    await assert.rejects(read(tar), isInvalid(/checksum mismatch/));
    await assert.rejects(read(Buffer.alloc(1024, 0x41)), isInvalid(/checksum|bad/));
  });

  it('refuses unsupported entry types', async () => {
    const h = ustarHeader({ name: 'sparse', typeflag: 'S' });
    await assert.rejects(read(Buffer.concat([h, Buffer.alloc(1024)])), isInvalid(/unsupported entry type "S"/));
  });

  it('parses octal and base-256 numbers', () => {
    assert.equal(parseNumber(Buffer.from('0000644\0'), 'mode'), 0o644);
    assert.equal(parseNumber(Buffer.from('   17 \0'), 'x'), 0o17);
    const b = Buffer.alloc(12);
    b[0] = 0x80;
    b.writeUInt32BE(5_000_000_000 % 2 ** 32, 8);
    b[7] = 1;
    assert.equal(parseNumber(b, 'size'), 5_000_000_000);
    assert.throws(() => parseNumber(Buffer.from('12x'), 'size'), isInvalid(/bad size/));
  });
});
