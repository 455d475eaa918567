/**
 * Volumes against the real kernel: `-o type=tmpfs` and `-o type=none,o=bind`
 * volumes mounted at `_data` through LinuxHost, copy-up keeping owners and
 * device nodes. Nothing may stay mounted or on disk afterwards.
 */
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { requireRoot } from '../../../test/helpers/requires';
import { silentLogger } from '../../common/log';
import { LinuxHost, parseMountInfo } from '../../host';
import { LocalVolumeService } from './index';

const skip = requireRoot();

function mountAt(target: string): { fsType: string; source: string } | undefined {
  const entry = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).find((m) => m.mountPoint === target);
  return entry === undefined ? undefined : { fsType: entry.fsType, source: entry.source };
}

function mountsBelow(dir: string): string[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

describe('LocalVolumeService on the kernel', { skip }, () => {
  let base: string;
  let svc: LocalVolumeService;

  before(async () => {
    base = testDir('volroot');
    svc = new LocalVolumeService({ root: path.join(base, 'volumes'), host: new LinuxHost(), logger: silentLogger });
    await svc.recover();
  });

  after(async () => {
    await svc.shutdown();
    const left = mountsBelow(base);
    for (const target of left.reverse()) await new LinuxHost().unmount(target, { detach: true });
    await fs.rm(base, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no mount may be left behind');
  });

  it('mounts a tmpfs volume on first use and unmounts it on last release', async () => {
    const v = await svc.create({ name: 'tmp', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    assert.equal(mountAt(v.mountpoint), undefined);
    assert.equal(await svc.mount('tmp', 'c1'), v.mountpoint);
    await svc.mount('tmp', 'c2');
    const m = mountAt(v.mountpoint);
    assert.equal(m?.fsType, 'tmpfs');
    assert.equal(mountsBelow(v.mountpoint).length, 1, 'mounted once');
    // The size limit holds: 2 MiB do not fit.
    await assert.rejects(fs.writeFile(path.join(v.mountpoint, 'big'), Buffer.alloc(2 * 2 ** 20)), /ENOSPC/);
    await svc.unmount('tmp', 'c1');
    assert.ok(mountAt(v.mountpoint), 'still mounted for c2');
    await svc.release('tmp', 'c2');
    assert.equal(mountAt(v.mountpoint), undefined);
    await svc.release('tmp', 'c1');
    await svc.remove('tmp');
    assert.deepEqual(mountsBelow(base), []);
  });

  it('binds a bind volume to its device directory and keeps the device on remove', async () => {
    const device = path.join(base, 'device');
    await fs.mkdir(device);
    await fs.writeFile(path.join(device, 'precious'), 'keep me');
    const v = await svc.create({ name: 'bound', driverOpts: { type: 'none', device, o: 'bind' } });
    await svc.mount('bound', 'c1');
    assert.ok(mountAt(v.mountpoint));
    assert.equal(await fs.readFile(path.join(v.mountpoint, 'precious'), 'utf8'), 'keep me');
    await fs.writeFile(path.join(v.mountpoint, 'written'), 'through');
    assert.equal(await fs.readFile(path.join(device, 'written'), 'utf8'), 'through');
    await svc.release('bound', 'c1');
    assert.equal(mountAt(v.mountpoint), undefined);
    await svc.remove('bound');
    assert.deepEqual((await fs.readdir(device)).sort(), ['precious', 'written']);
  });

  it('removing a volume whose _data is still mounted unmounts first (after a restart)', async () => {
    const device = path.join(base, 'device2');
    await fs.mkdir(device);
    await fs.writeFile(path.join(device, 'precious'), 'x');
    await svc.create({ name: 'stale', driverOpts: { type: 'none', device, o: 'bind' } });
    await svc.mount('stale', 'c1');
    // A new daemon finds the mount, with no container using it any more.
    const again = new LocalVolumeService({
      root: path.join(base, 'volumes'),
      host: new LinuxHost(),
      logger: silentLogger,
    });
    const report = await again.recover();
    assert.ok(report.stillMounted.includes('stale'));
    await again.setUsers({});
    await again.remove('stale');
    assert.equal(await fs.readFile(path.join(device, 'precious'), 'utf8'), 'x');
    assert.deepEqual(mountsBelow(base), []);
    await svc.recover(); // forget the old view
  });

  it('copy-up keeps owners, setuid bits and device nodes', async () => {
    const src = path.join(base, 'image-dir');
    await fs.mkdir(path.join(src, 'home'), { recursive: true });
    await fs.writeFile(path.join(src, 'home', 'f'), 'data');
    await fs.chown(path.join(src, 'home', 'f'), 1000, 1000);
    await fs.chown(path.join(src, 'home'), 1000, 1000);
    await fs.writeFile(path.join(src, 'suid'), '');
    await fs.chown(path.join(src, 'suid'), 1000, 1000);
    await fs.chmod(path.join(src, 'suid'), 0o4755);
    await fs.symlink('home/f', path.join(src, 'link'));
    await fs.lchown(path.join(src, 'link'), 1000, 1000);
    new LinuxHost().mknod(path.join(src, 'null'), 0o020666, 1, 3);
    await fs.chown(src, 1000, 1000);

    const v = await svc.create({ name: 'owned' });
    assert.deepEqual(await svc.copyUp('owned', src), { copied: true });
    const st = async (p: string) => fs.lstat(path.join(v.mountpoint, p));
    assert.deepEqual([(await st('home/f')).uid, (await st('home/f')).gid], [1000, 1000]);
    assert.equal((await st('home')).uid, 1000);
    assert.equal((await st('suid')).mode & 0o7777, 0o4755);
    assert.equal((await st('suid')).uid, 1000);
    assert.equal((await st('link')).uid, 1000);
    assert.ok((await st('null')).isCharacterDevice());
    assert.equal((await st('null')).rdev, (await fs.stat('/dev/null')).rdev);
    assert.equal((await fs.stat(v.mountpoint)).uid, 1000, 'the volume root takes the source owner');

    // Also into a mounted tmpfs volume.
    await svc.create({ name: 'tmp-up', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    const data = await svc.mount('tmp-up', 'c9');
    assert.deepEqual(await svc.copyUp('tmp-up', src), { copied: true });
    assert.equal((await fs.lstat(path.join(data, 'home', 'f'))).uid, 1000);
    await svc.release('tmp-up', 'c9');
    assert.deepEqual(await fs.readdir(data), [], 'the tmpfs content went away with the unmount');
    await svc.remove('tmp-up');
    await svc.remove('owned');
  });
});
