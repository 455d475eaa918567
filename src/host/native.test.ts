import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { testDir } from '../../test/helpers/names';
import { LinuxHost } from './linux-host';
import { loadNative, nativeDir } from './native';

const packageRoot = path.resolve(__dirname, '..', '..');
const built = existsSync(path.join(packageRoot, 'native', 'build', 'berth.node'));
const needsAddon = built ? false : "needs native/build/berth.node ('make -C native')";

describe('native addon location', () => {
  it('walks up to the package named berth', () => {
    assert.equal(nativeDir(__dirname, {}), path.join(packageRoot, 'native', 'build'));
    // As from the bundle in dist/.
    assert.equal(nativeDir(path.join(packageRoot, 'dist'), {}), path.join(packageRoot, 'native', 'build'));
  });

  it('honours BERTH_NATIVE_DIR first', () => {
    assert.equal(nativeDir(__dirname, { BERTH_NATIVE_DIR: '/opt/berth/lib' }), '/opt/berth/lib');
  });

  it('skips package.json files of other packages', () => {
    const dir = testDir('native');
    try {
      mkdirSync(path.join(dir, 'node_modules', 'other'), { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'berth' }));
      writeFileSync(path.join(dir, 'node_modules', 'other', 'package.json'), JSON.stringify({ name: 'other' }));
      assert.equal(nativeDir(path.join(dir, 'node_modules', 'other'), {}), path.join(dir, 'native', 'build'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('native addon', { skip: needsAddon }, () => {
  it('throws errors with an errno code and a message naming the call and path', () => {
    const addon = loadNative();
    assert.throws(
      () => addon.mknod('/nonexistent-berth-dir/x', 0o010644, 0, 0),
      (err: NodeJS.ErrnoException) =>
        err.code === 'ENOENT' && err.syscall === 'mknod' && err.message.startsWith('mknod /nonexistent-berth-dir/x: '),
    );
    assert.throws(() => addon.lsetxattr('/x', 'user.a', 'str' as unknown as Uint8Array), TypeError);
    assert.throws(() => addon.umount2('/x\0y', 0), TypeError);
  });

  it('makes fifos and round-trips user xattrs without root', () => {
    const dir = testDir('native');
    const host = new LinuxHost();
    try {
      const fifo = path.join(dir, 'fifo');
      host.mknod(fifo, 0o010600, 0, 0);
      const file = path.join(dir, 'file');
      writeFileSync(file, 'x');
      assert.equal(host.lgetxattr(file, 'user.berth'), undefined);
      let supported = true;
      try {
        host.lsetxattr(file, 'user.berth', Buffer.from([0, 0xff, 0x80]));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOTSUP') throw err;
        supported = false;
      }
      if (supported) {
        assert.deepEqual(Buffer.from(host.lgetxattr(file, 'user.berth') ?? []), Buffer.from([0, 0xff, 0x80]));
        assert.ok(host.llistxattr(file).includes('user.berth'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('treats unmounting a path that is not mounted as done', async () => {
    const dir = testDir('native');
    try {
      await new LinuxHost().unmount(dir);
      await new LinuxHost().unmount(path.join(dir, 'missing'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
