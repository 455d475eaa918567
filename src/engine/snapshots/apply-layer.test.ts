import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { RecordingHost } from '../../host';
import { applyLayer, normalizeEntryPath } from './apply-layer';
import { buildTar, type TarSpec } from './test-tars';

const isInvalid = (re: RegExp) => (err: Error & { kind?: string }) =>
  err.kind === 'invalid-argument' && re.test(err.message);

describe('normalizeEntryPath', () => {
  it('strips leading slashes and dots and applies ..', () => {
    assert.equal(normalizeEntryPath('./etc/passwd'), 'etc/passwd');
    assert.equal(normalizeEntryPath('/etc/passwd'), 'etc/passwd');
    assert.equal(normalizeEntryPath('//./a//b/./c/'), 'a/b/c');
    assert.equal(normalizeEntryPath('a/b/../c'), 'a/c');
    assert.equal(normalizeEntryPath('./'), '');
    assert.equal(normalizeEntryPath('a/..'), '');
  });

  it('refuses names that leave the root', () => {
    for (const name of ['../x', '..', 'a/../../x', '/../etc/passwd', './../x']) {
      assert.throws(() => normalizeEntryPath(name), isInvalid(/points outside the layer root/), name);
    }
    assert.throws(() => normalizeEntryPath('a\0b'), isInvalid(/NUL/));
  });
});

describe('applyLayer (no root)', () => {
  let base: string;
  let dir: string;
  let host: RecordingHost;
  const sentinel = () => path.join(base, 'outside');
  const apply = (entries: TarSpec[]) => applyLayer(dir, [buildTar(entries)], host, { sameOwner: false });

  beforeEach(() => {
    base = testDir('apply');
    dir = path.join(base, 'layer');
    mkdirSync(dir);
    host = new RecordingHost({ createFiles: true });
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('writes files, dirs, symlinks and hardlinks and reports the layer size as Docker does', async () => {
    const size = await apply([
      { name: 'etc/', type: 'directory', mode: 0o750 },
      { name: 'etc/hostname', content: 'box\n', mode: 0o640 },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
      { name: 'bin/busybox', content: 'x'.repeat(2_000_000), mode: 0o755 },
      { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
      { name: 'empty', content: '' },
    ]);
    // Regular files plus symlink targets (12 bytes for /bin/busybox); a hardlink counts once.
    assert.equal(size, 4 + 2_000_000 + '/bin/busybox'.length);
    assert.equal(readFileSync(path.join(dir, 'etc/hostname'), 'utf8'), 'box\n');
    assert.equal(statSync(path.join(dir, 'etc/hostname')).mode & 0o7777, 0o640);
    assert.equal(statSync(path.join(dir, 'etc')).mode & 0o7777, 0o750);
    assert.equal(readlinkSync(path.join(dir, 'bin/sh')), '/bin/busybox');
    assert.equal(statSync(path.join(dir, 'bin/ls')).ino, statSync(path.join(dir, 'bin/busybox')).ino);
    assert.equal(statSync(path.join(dir, 'bin/busybox')).size, 2_000_000);
    assert.equal(statSync(path.join(dir, 'empty')).size, 0);
    // Parents not listed in the tar are made 0755.
    assert.equal(statSync(path.join(dir, 'bin')).mode & 0o7777, 0o755);
  });

  it('sets directory mtimes after their contents and file mtimes from the header', async () => {
    const t = new Date('2020-01-02T03:04:05Z');
    await apply([
      { name: 'd/', type: 'directory', mtime: t },
      { name: 'd/f', content: 'x', mtime: t },
      { name: 'd/sub/g', content: 'y' },
    ]);
    assert.equal(statSync(path.join(dir, 'd')).mtimeMs, t.getTime());
    assert.equal(statSync(path.join(dir, 'd/f')).mtimeMs, t.getTime());
  });

  it('turns whiteouts into overlay whiteouts and does not write the .wh. entries', async () => {
    await apply([
      { name: 'var/gone', content: 'in this layer' },
      { name: 'var/.wh.gone', content: '' },
      { name: 'var/.wh.lower-only', content: '' },
      { name: 'opt/app/.wh..wh..opq', content: '' },
      { name: 'opt/.wh..wh.plnk', content: '' },
    ]);
    const nodes = host.callsOf('mknod').map((c) => [path.relative(dir, c.path), c.mode, c.major, c.minor]);
    assert.deepEqual(nodes, [
      ['var/gone', 0o020000, 0, 0],
      ['var/lower-only', 0o020000, 0, 0],
    ]);
    const attrs = host
      .callsOf('lsetxattr')
      .map((c) => [path.relative(dir, c.path), c.name, Buffer.from(c.value).toString()]);
    assert.deepEqual(attrs, [['opt/app', 'trusted.overlay.opaque', 'y']]);
    // The earlier file was removed before the whiteout was made (createFiles left an empty placeholder).
    assert.equal(readFileSync(path.join(dir, 'var/gone'), 'utf8'), '');
    assert.ok(statSync(path.join(dir, 'opt/app')).isDirectory());
    assert.deepEqual(readdirSync(path.join(dir, 'opt')), ['app']);
  });

  it('makes a directory that replaces a whiteout of the same layer opaque', async () => {
    await apply([
      { name: '.wh.data', content: '' },
      { name: 'data/', type: 'directory' },
      { name: 'data/new', content: 'n' },
    ]);
    assert.ok(statSync(path.join(dir, 'data')).isDirectory());
    assert.deepEqual(
      host.callsOf('lsetxattr').map((c) => [path.relative(dir, c.path), c.name]),
      [['data', 'trusted.overlay.opaque']],
    );
  });

  it('refuses malformed whiteouts', async () => {
    await assert.rejects(apply([{ name: 'a/.wh.', content: '' }]), isInvalid(/invalid whiteout/));
    await assert.rejects(apply([{ name: 'a/.wh..', content: '' }]), isInvalid(/invalid whiteout/));
  });

  it('records devices and fifos through the host', async () => {
    await apply([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    ]);
    assert.deepEqual(
      host.callsOf('mknod').map((c) => [path.relative(dir, c.path), c.mode, c.major, c.minor]),
      [
        ['dev/null', 0o020666, 1, 3],
        ['dev/sda', 0o060660, 8, 0],
        ['run/fifo', 0o010600, 0, 0],
      ],
    );
  });

  it('sets xattrs from pax records, but never overlay ones', async () => {
    const cap = Buffer.from([1, 0, 0, 2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    await apply([
      { name: 'ping', content: 'x', xattrs: { 'security.capability': cap, 'trusted.overlay.redirect': '/etc' } },
    ]);
    const set = host.callsOf('lsetxattr');
    assert.equal(set.length, 1);
    assert.equal(set[0]?.name, 'security.capability');
    assert.deepEqual(Buffer.from(set[0]!.value), cap);
  });

  it('replaces entries by type as Docker does, merging directories', async () => {
    await apply([
      { name: 'a/', type: 'directory' },
      { name: 'a/keep', content: 'k' },
      { name: 'a/', type: 'directory', mode: 0o700 }, // dir over dir: merge
      { name: 'b', content: 'file' },
      { name: 'b/', type: 'directory' }, // dir over file
      { name: 'b/x', content: 'x' },
      { name: 'c/', type: 'directory' },
      { name: 'c/deep', content: 'd' },
      { name: 'c', content: 'now a file' }, // file over dir
      { name: 'd', content: 'one' },
      { name: 'd', type: 'symlink', linkname: 'elsewhere' }, // symlink over file
      { name: 'e', content: 'first' },
      { name: 'e', content: 'second' }, // file over file
    ]);
    assert.equal(readFileSync(path.join(dir, 'a/keep'), 'utf8'), 'k');
    assert.equal(statSync(path.join(dir, 'a')).mode & 0o777, 0o700);
    assert.equal(readFileSync(path.join(dir, 'b/x'), 'utf8'), 'x');
    assert.equal(readFileSync(path.join(dir, 'c'), 'utf8'), 'now a file');
    assert.equal(readlinkSync(path.join(dir, 'd')), 'elsewhere');
    assert.equal(readFileSync(path.join(dir, 'e'), 'utf8'), 'second');
  });

  it('puts absolute names inside the root', async () => {
    await apply([{ name: '/etc/passwd', content: 'inside' }]);
    assert.equal(readFileSync(path.join(dir, 'etc/passwd'), 'utf8'), 'inside');
  });

  it('refuses ../ breakouts and writes nothing outside', async () => {
    await assert.rejects(apply([{ name: '../outside', content: 'x' }]), isInvalid(/outside the layer root/));
    await assert.rejects(apply([{ name: 'a/../../outside', content: 'x' }]), isInvalid(/outside the layer root/));
    assert.equal(existsSync(sentinel()), false);
  });

  it('refuses to write through a symlink an earlier entry made', async () => {
    await assert.rejects(
      apply([
        { name: 'escape', type: 'symlink', linkname: '..' },
        { name: 'escape/outside', content: 'pwned' },
      ]),
      isInvalid(/goes through the symlink "escape"/),
    );
    assert.equal(existsSync(sentinel()), false);
    // Even a symlink that stays inside the root is not followed.
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    await assert.rejects(
      apply([
        { name: 'real/', type: 'directory' },
        { name: 'alias', type: 'symlink', linkname: 'real' },
        { name: 'alias/f', content: 'x' },
      ]),
      isInvalid(/symlink "alias"/),
    );
  });

  it('refuses hardlinks that escape or go through symlinks', async () => {
    await assert.rejects(
      apply([{ name: 'passwd', type: 'link', linkname: '../outside' }]),
      isInvalid(/outside the layer root/),
    );
    await assert.rejects(
      apply([{ name: 'shadow', type: 'link', linkname: '/etc/shadow' }]),
      isInvalid(/not found in this layer/),
    );
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    await assert.rejects(
      apply([
        { name: 'up', type: 'symlink', linkname: '/' },
        { name: 'stolen', type: 'link', linkname: 'up/etc/passwd' },
      ]),
      isInvalid(/symlink "up"/),
    );
    assert.equal(existsSync(path.join(dir, 'stolen')), false);
  });

  it('refuses an entry whose parent is a file', async () => {
    await assert.rejects(
      apply([
        { name: 'f', content: 'x' },
        { name: 'f/g', content: 'y' },
      ]),
      isInvalid(/"f" is not a directory/),
    );
  });

  it('reports a truncated tar as invalid-argument', async () => {
    const tar = buildTar([{ name: 'big', content: 'x'.repeat(10_000) }]);
    await assert.rejects(
      applyLayer(dir, [tar.subarray(0, 4096)], host, { sameOwner: false }),
      isInvalid(/unexpected end of archive/),
    );
  });

  it('keeps many small files and their hardlinks consistent under background writes', async () => {
    const entries: TarSpec[] = [];
    for (let i = 0; i < 300; i++) {
      entries.push({ name: `d${i % 7}/f${i}`, content: `content ${i}` });
      if (i % 10 === 0) entries.push({ name: `links/l${i}`, type: 'link', linkname: `d${i % 7}/f${i}` });
      if (i % 25 === 0) entries.push({ name: `d${i % 7}/f${i}`, content: `replaced ${i}` });
    }
    await apply(entries);
    for (let i = 0; i < 300; i++) {
      const want = i % 25 === 0 ? `replaced ${i}` : `content ${i}`;
      assert.equal(readFileSync(path.join(dir, `d${i % 7}/f${i}`), 'utf8'), want);
    }
    // A link made before the replacement keeps the old inode, as with tar.
    assert.equal(readFileSync(path.join(dir, 'links/l10'), 'utf8'), 'content 10');
    assert.equal(readFileSync(path.join(dir, 'links/l0'), 'utf8'), 'content 0');
    assert.ok(lstatSync(path.join(dir, 'links/l0')).isFile());
  });
});
