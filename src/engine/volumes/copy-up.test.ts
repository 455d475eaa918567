import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { isEngineError } from '../../common/errors';
import { silentLogger } from '../../common/log';
import { RecordingHost } from '../../host';
import { devMajor, devMinor } from './copy-tree';
import { LocalVolumeService } from './index';

let base: string;
let src: string;
let svc: LocalVolumeService;

before(async () => {
  base = testDir('copyup');
  src = path.join(base, 'image-path');
  await fs.mkdir(path.join(src, 'sub', 'deep'), { recursive: true });
  await fs.writeFile(path.join(src, 'file.txt'), 'hello');
  await fs.chmod(path.join(src, 'file.txt'), 0o640);
  await fs.writeFile(path.join(src, 'tool'), '#!/bin/sh\n');
  await fs.chmod(path.join(src, 'tool'), 0o4755);
  await fs.writeFile(path.join(src, 'sub', 'deep', 'x'), 'deep');
  await fs.link(path.join(src, 'file.txt'), path.join(src, 'sub', 'hardlink'));
  await fs.symlink('../file.txt', path.join(src, 'sub', 'rel-link'));
  await fs.symlink('/does/not/exist', path.join(src, 'dangling'));
  await fs.chmod(path.join(src, 'sub', 'deep'), 0o555); // read-only dir: its content must still be copied
  await fs.chmod(src, 0o750);
  await fs.utimes(path.join(src, 'file.txt'), 1_000_000, 1_000_000);
  svc = new LocalVolumeService({ root: path.join(base, 'volumes'), host: new RecordingHost(), logger: silentLogger });
  await svc.recover();
});
after(async () => {
  await fs.chmod(path.join(src, 'sub', 'deep'), 0o755);
  await fs.rm(base, { recursive: true, force: true });
});

describe('copyUp', () => {
  it('fills an empty volume keeping modes, times, symlinks and hardlinks', async () => {
    const v = await svc.create({ name: 'filled' });
    assert.deepEqual(await svc.copyUp('filled', src), { copied: true });
    const d = v.mountpoint;
    assert.equal(await fs.readFile(path.join(d, 'file.txt'), 'utf8'), 'hello');
    assert.equal((await fs.stat(path.join(d, 'file.txt'))).mode & 0o7777, 0o640);
    assert.equal((await fs.stat(path.join(d, 'tool'))).mode & 0o7777, 0o4755);
    assert.equal((await fs.stat(path.join(d, 'file.txt'))).mtimeMs, 1_000_000_000);
    assert.equal((await fs.stat(path.join(d, 'sub', 'deep'))).mode & 0o7777, 0o555);
    assert.equal(await fs.readFile(path.join(d, 'sub', 'deep', 'x'), 'utf8'), 'deep');
    assert.equal(await fs.readlink(path.join(d, 'sub', 'rel-link')), '../file.txt');
    assert.equal(await fs.readlink(path.join(d, 'dangling')), '/does/not/exist');
    const a = await fs.stat(path.join(d, 'file.txt'));
    const b = await fs.stat(path.join(d, 'sub', 'hardlink'));
    assert.equal(a.ino, b.ino, 'hardlinks stay hardlinks');
    // The volume root takes the source directory's mode (and owner).
    assert.equal((await fs.stat(d)).mode & 0o7777, 0o750);
    const s = await fs.stat(src);
    assert.equal((await fs.stat(d)).uid, s.uid);
    await fs.chmod(path.join(d, 'sub', 'deep'), 0o755); // let the cleanup delete it
  });

  it('copies nothing into a volume that is not empty', async () => {
    const v = await svc.create({ name: 'used' });
    await fs.writeFile(path.join(v.mountpoint, 'mine'), 'keep');
    assert.deepEqual(await svc.copyUp('used', src), { copied: false });
    assert.deepEqual(await fs.readdir(v.mountpoint), ['mine']);
  });

  it('copies nothing when the image has no such directory', async () => {
    const v = await svc.create({ name: 'nosrc' });
    assert.deepEqual(await svc.copyUp('nosrc', path.join(base, 'missing')), { copied: false });
    assert.deepEqual(await fs.readdir(v.mountpoint), []);
  });

  it('refuses a volume with mount options that is not mounted', async () => {
    await svc.create({ name: 'tmpfs-vol', driverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    await assert.rejects(svc.copyUp('tmpfs-vol', src), (err) => isEngineError(err, 'conflict'));
    await svc.mount('tmpfs-vol', 'c1');
    assert.deepEqual(await svc.copyUp('tmpfs-vol', src), { copied: true });
    await svc.release('tmpfs-vol', 'c1');
    await fs.chmod(path.join((await svc.get('tmpfs-vol')).mountpoint, 'sub', 'deep'), 0o755);
  });
});

describe('device numbers', () => {
  it('splits dev_t like glibc major()/minor()', () => {
    // /dev/null is 1:3, /dev/sda1 8:1, a large minor 259:65536.
    assert.deepEqual([devMajor(0x103n), devMinor(0x103n)], [1, 3]);
    assert.deepEqual([devMajor(0x801n), devMinor(0x801n)], [8, 1]);
    const rdev = (259n << 8n) | ((65536n & ~0xffn) << 12n);
    assert.deepEqual([devMajor(rdev), devMinor(rdev)], [259, 65536]);
  });
});
