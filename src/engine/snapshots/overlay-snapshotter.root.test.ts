/**
 * Layers applied and mounted for real: overlayfs, device nodes, owners,
 * setuid, xattrs and whiteouts as the kernel sees them.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { requireRoot } from '../../../test/helpers/requires';
import { sha256 } from '../../common/digest';
import { LinuxHost } from '../../host';
import { OverlaySnapshotter } from './overlay-snapshotter';
import { buildTar, type TarSpec } from './test-tars';

const CAP = Buffer.from([1, 0, 0, 2, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // cap_net_raw, effective
const tar = (entries: TarSpec[]) => Readable.from([buildTar(entries)]);
const major = (rdev: number) => (rdev >> 8) & 0xfff;
const minor = (rdev: number) => (rdev & 0xff) | ((rdev >> 12) & 0xfff00);

const LAYER1: TarSpec[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/passwd', content: 'root:x:0:0\n' },
  { name: 'etc/group', content: 'root:x:0:\n' },
  { name: 'bin/', type: 'directory' },
  { name: 'bin/busybox', content: 'BUSYBOX', mode: 0o755 },
  { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
  { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
  { name: 'bin/ping', content: 'PING', mode: 0o4755, xattrs: { 'security.capability': CAP } },
  { name: 'usr/bin/sudo', content: 'SUDO', mode: 0o4750, uid: 1000, gid: 1001 },
  { name: 'var/cache/a', content: 'a' },
  { name: 'var/cache/b', content: 'b' },
  { name: 'var/log/old.log', content: 'old' },
  { name: 'tmp/', type: 'directory', mode: 0o1777 },
  { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660, gid: 6 },
  { name: 'run/fifo', type: 'fifo', mode: 0o620 },
];
const LAYER2: TarSpec[] = [
  { name: 'etc/.wh.group', content: '' },
  { name: 'var/cache/.wh..wh..opq', content: '' },
  { name: 'var/cache/new', content: 'new' },
  { name: 'usr/local/share/', type: 'directory', mode: 0o2775, gid: 50 },
];
const LAYER3: TarSpec[] = [
  { name: 'etc/passwd', content: 'root:x:0:0\nuser:x:1000:1000\n' },
  { name: 'var/.wh.log', content: '' },
];

describe('OverlaySnapshotter with the kernel', { skip: requireRoot() }, () => {
  it('mounts three layers whose merged view matches the tars', async () => {
    const base = testDir('overlay');
    const host = new LinuxHost();
    const snap = new OverlaySnapshotter({ root: path.join(base, 'store'), host });
    const [c1, c2, c3] = [sha256('c1'), sha256('c2'), sha256('c3')];
    try {
      await snap.recover();
      const sizes = [
        await snap.applyLayer(c1, undefined, tar(LAYER1)),
        await snap.applyLayer(c2, c1, tar(LAYER2)),
        await snap.applyLayer(c3, c2, tar(LAYER3)),
      ];
      assert.deepEqual(
        sizes.map((s) => s.size),
        // Regular files, plus the symlink bin/sh -> busybox (7 bytes), as Docker counts.
        [11 + 10 + 7 + 4 + 4 + 1 + 1 + 3 + 'busybox'.length, 3, 28],
      );
      // The whiteout is a 0/0 char device in layer 2's own dir.
      const wh = lstatSync(path.join(await snap.diffDir(c2), 'etc/group'));
      assert.ok(wh.isCharacterDevice());
      assert.equal(wh.rdev, 0);

      const merged = path.join(base, 'merged');
      mkdirSync(merged);
      const [view] = await snap.mounts(c3);
      assert.ok(view);
      await host.mount(view, merged);
      try {
        const at = (p: string) => path.join(merged, p);
        assert.equal(readFileSync(at('etc/passwd'), 'utf8'), 'root:x:0:0\nuser:x:1000:1000\n');
        assert.equal(existsSync(at('etc/group')), false);
        assert.deepEqual(readdirSync(at('etc')), ['passwd']);
        assert.equal(readFileSync(at('bin/ls'), 'utf8'), 'BUSYBOX');
        assert.equal(statSync(at('bin/busybox')).nlink, 2);
        assert.equal(readlinkSync(at('bin/sh')), 'busybox');
        const ping = statSync(at('bin/ping'));
        assert.equal(ping.mode & 0o7777, 0o4755);
        assert.deepEqual(Buffer.from(host.lgetxattr(at('bin/ping'), 'security.capability') ?? []), CAP);
        const sudo = statSync(at('usr/bin/sudo'));
        assert.deepEqual([sudo.uid, sudo.gid, sudo.mode & 0o7777], [1000, 1001, 0o4750]);
        const share = statSync(at('usr/local/share'));
        assert.deepEqual([share.gid, share.mode & 0o7777], [50, 0o2775]);
        assert.deepEqual(readdirSync(at('var/cache')), ['new']); // opaque: a and b hidden
        assert.equal(existsSync(at('var/log')), false);
        assert.equal(statSync(at('tmp')).mode & 0o7777, 0o1777);
        const nul = statSync(at('dev/null'));
        assert.ok(nul.isCharacterDevice());
        assert.deepEqual([major(nul.rdev), minor(nul.rdev), nul.mode & 0o7777], [1, 3, 0o666]);
        const sda = statSync(at('dev/sda'));
        assert.ok(sda.isBlockDevice());
        assert.deepEqual([major(sda.rdev), minor(sda.rdev), sda.gid], [8, 0, 6]);
        assert.ok(lstatSync(at('run/fifo')).isFIFO());
        assert.equal(lstatSync(at('run/fifo')).mode & 0o7777, 0o620);
        assert.throws(() => writeFileSync(at('etc/x'), 'x'), { code: 'EROFS' });
      } finally {
        await host.unmount(merged);
      }

      // A single committed layer is a read-only bind mount.
      const [bind] = await snap.mounts(c1);
      assert.ok(bind);
      await host.mount(bind, merged);
      try {
        assert.equal(readFileSync(path.join(merged, 'etc/group'), 'utf8'), 'root:x:0:\n');
        assert.throws(() => writeFileSync(path.join(merged, 'x'), 'x'), { code: 'EROFS' });
      } finally {
        await host.unmount(merged);
      }

      // An active snapshot: writes land in its upper dir only.
      const [rw] = await snap.prepare('container-1', c3);
      assert.ok(rw);
      await host.mount(rw, merged);
      try {
        writeFileSync(path.join(merged, 'new-file'), 'hello');
        writeFileSync(path.join(merged, 'etc/passwd'), 'changed');
        unlinkSync(path.join(merged, 'bin/sh'));
        assert.deepEqual(await host.mountsUnder(merged), [merged]);
      } finally {
        await host.unmount(merged);
      }
      const upper = await snap.diffDir('container-1');
      assert.equal(readFileSync(path.join(upper, 'new-file'), 'utf8'), 'hello');
      assert.equal(readFileSync(path.join(upper, 'etc/passwd'), 'utf8'), 'changed');
      assert.ok(lstatSync(path.join(upper, 'bin/sh')).isCharacterDevice());
      assert.equal(
        readFileSync(path.join(await snap.diffDir(c3), 'etc/passwd'), 'utf8'),
        'root:x:0:0\nuser:x:1000:1000\n',
      );
      assert.equal(existsSync(path.join(await snap.diffDir(c3), 'new-file')), false);
      assert.deepEqual(await host.mountsUnder(base), []);

      await snap.remove('container-1');
      for (const c of [c3, c2, c1]) await snap.remove(c);
      assert.deepEqual(await snap.list(), []);
    } finally {
      for (const m of await host.mountsUnder(base)) await host.unmount(m, { detach: true });
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('writes nothing outside the layer dir for a hostile tarball', async () => {
    const base = testDir('hostile');
    const host = new LinuxHost();
    const snap = new OverlaySnapshotter({ root: path.join(base, 'store'), host });
    const sentinel = path.join(base, 'sentinel');
    const hostile: TarSpec[][] = [
      [{ name: '../../sentinel', content: 'x' }],
      [
        { name: 'escape', type: 'symlink', linkname: base },
        { name: 'escape/sentinel', content: 'x' },
      ],
      [
        { name: 'escape', type: 'symlink', linkname: '../../..' },
        { name: 'escape/sentinel', type: 'character-device', devmajor: 1, devminor: 3 },
      ],
      [
        { name: 'escape', type: 'symlink', linkname: base },
        { name: 'escape/sentinel/.wh..wh..opq', content: '' },
      ],
      [{ name: 'link', type: 'link', linkname: '../../../../../../etc/passwd' }],
    ];
    try {
      await snap.recover();
      for (const [i, entries] of hostile.entries()) {
        await assert.rejects(
          snap.applyLayer(sha256(`hostile${i}`), undefined, tar(entries)),
          (e: Error & { kind?: string }) => e.kind === 'invalid-argument',
        );
        assert.equal(existsSync(sentinel), false, `case ${i}`);
      }
      assert.deepEqual(readdirSync(base).sort(), ['store']);
      assert.deepEqual(readdirSync(path.join(base, 'store', 'tmp')), []);
      assert.deepEqual(await snap.list(), []);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('recovers from an apply killed half-way', async () => {
    const base = testDir('crash');
    const host = new LinuxHost();
    const root = path.join(base, 'store');
    try {
      const first = new OverlaySnapshotter({ root, host });
      await first.applyLayer(sha256('ok'), undefined, tar(LAYER1));
      // What a kill -9 can leave: a half-extracted tmp dir (with a device node
      // and an opaque dir), and a snapshot dir whose meta never got written.
      const half = path.join(root, 'tmp', 'cafe0001');
      mkdirSync(path.join(half, 'fs', 'd'), { recursive: true });
      host.mknod(path.join(half, 'fs', 'null'), 0o020666, 1, 3);
      host.lsetxattr(path.join(half, 'fs', 'd'), 'trusted.overlay.opaque', Buffer.from('y'));
      mkdirSync(path.join(root, 'snapshots', '9', 'fs'), { recursive: true });
      const again = new OverlaySnapshotter({ root, host });
      await again.recover();
      assert.deepEqual(readdirSync(path.join(root, 'tmp')), []);
      assert.deepEqual(readdirSync(path.join(root, 'snapshots')), ['1']);
      assert.deepEqual(
        (await again.list()).map((i) => i.name),
        [sha256('ok')],
      );
      assert.equal(readFileSync(path.join(await again.diffDir(sha256('ok')), 'etc/passwd'), 'utf8'), 'root:x:0:0\n');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
