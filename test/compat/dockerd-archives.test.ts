/**
 * Archives cross between berth and a real dockerd both ways: what berth
 * saves, dockerd loads with the same IDs; what dockerd saves, berth loads
 * with the same IDs and config.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { type ReferenceDockerd, requireDockerd, startDockerd } from '../helpers/dockerd';
import { testDir } from '../helpers/names';
import { requireAll, requireRoot } from '../helpers/requires';
import { makeTar } from '../helpers/tarball';

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'docker', 'tiny-two-docker20.tar');

describe('archives between berth and dockerd', { skip: requireAll(requireRoot(), requireDockerd()) }, () => {
  let d: TestDaemon;
  let ref: ReferenceDockerd;
  let work: string;

  before(async () => {
    work = testDir('xarchive');
    [d, ref] = await Promise.all([startDaemon(), startDockerd()]);
  });
  after(async () => {
    await Promise.all([d?.stop(), ref?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('dockerd loads what berth saves, with the same IDs', async () => {
    assert.equal((await berth(d.host, ['load', '-i', FIXTURE])).code, 0);
    const out = path.join(work, 'from-berth.tar');
    const s = await berth(d.host, ['save', '-o', out, 'ref/tiny:two', 'ref/tiny:base']);
    assert.equal(s.code, 0, s.stderr);
    const l = await docker(ref.host, ['load', '-i', out]);
    assert.equal(l.code, 0, l.stderr);
    const theirs = await docker(ref.host, ['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    const ours = await berth(d.host, ['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    assert.deepEqual(theirs.stdout.trim().split('\n').sort(), ours.stdout.trim().split('\n').sort());
  });

  it('berth loads what dockerd saves, with the same IDs and config', async () => {
    const tar = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/motd', content: 'from dockerd\n' },
      { name: 'etc/link', type: 'symlink', linkname: 'motd' },
    ]);
    const rootfs = path.join(work, 'rootfs.tar');
    writeFileSync(rootfs, tar);
    const imp = await docker(ref.host, [
      'import',
      '-c',
      'ENTRYPOINT ["/bin/true"]',
      '-c',
      'USER 1000:1000',
      rootfs,
      'from/dockerd:1',
    ]);
    assert.equal(imp.code, 0, imp.stderr);
    const out = path.join(work, 'from-dockerd.tar');
    assert.equal((await docker(ref.host, ['save', '-o', out, 'from/dockerd:1'])).code, 0);
    const l = await berth(d.host, ['load', '-i', out]);
    assert.equal(l.code, 0, l.stderr);
    const fmt = '{{.Id}} {{json .Config.Entrypoint}} {{.Config.User}} {{.Size}}';
    const theirs = await docker(ref.host, ['image', 'inspect', '-f', fmt, 'from/dockerd:1']);
    const ours = await berth(d.host, ['image', 'inspect', '-f', fmt, 'from/dockerd:1']);
    assert.equal(ours.stdout, theirs.stdout);
  });
});
