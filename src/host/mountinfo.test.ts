import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MS, mountCall } from './linux-host';
import { mountPointsUnder, parseMountInfo, unescapeMountPath } from './mountinfo';
import { RecordingHost } from './recording-host';

const SAMPLE = [
  '22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard',
  '40 22 0:34 / /var/lib/berth/overlay2/x\\040y rw,relatime shared:2 - tmpfs tmpfs rw',
  '41 40 0:35 / /var/lib/berth/overlay2/x\\040y/merged rw - overlay overlay rw,lowerdir=/a:/b,upperdir=/u,workdir=/w',
  '42 40 0:36 / /var/lib/berth/overlay2/x\\040y rw - tmpfs tmpfs rw',
  '43 22 0:37 /sub\\011dir /var/lib/berth-other rw - tmpfs back\\134slash rw',
  '',
].join('\n');

describe('mountinfo', () => {
  it('parses fields and decodes octal escapes', () => {
    const entries = parseMountInfo(SAMPLE);
    assert.equal(entries.length, 5);
    assert.equal(entries[1]?.mountPoint, '/var/lib/berth/overlay2/x y');
    assert.equal(entries[2]?.fsType, 'overlay');
    assert.equal(entries[2]?.superOptions, 'rw,lowerdir=/a:/b,upperdir=/u,workdir=/w');
    assert.equal(entries[4]?.root, '/sub\tdir');
    assert.equal(entries[4]?.source, 'back\\slash');
    assert.equal(unescapeMountPath('a\\012b\\040c'), 'a\nb c');
  });

  it('lists mounts under a prefix, deepest first and stacked mounts topmost first', () => {
    const under = mountPointsUnder(parseMountInfo(SAMPLE), '/var/lib/berth/overlay2/x y/');
    assert.deepEqual(under, [
      '/var/lib/berth/overlay2/x y/merged',
      '/var/lib/berth/overlay2/x y',
      '/var/lib/berth/overlay2/x y',
    ]);
    // A sibling sharing the prefix as a string is not "under" it.
    assert.ok(!mountPointsUnder(parseMountInfo(SAMPLE), '/var/lib/berth').includes('/var/lib/berth-other'));
    assert.equal(mountPointsUnder(parseMountInfo(SAMPLE), '/').length, 5);
  });

  it('ignores malformed lines', () => {
    assert.deepEqual(parseMountInfo('garbage\n1 2 3\n'), []);
  });
});

describe('mountCall', () => {
  it('splits flags from filesystem data', () => {
    const c = mountCall({
      type: 'overlay',
      source: 'overlay',
      options: ['index=off', 'lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w', 'nodev', 'ro', 'rw'],
    });
    assert.equal(c.flags, MS.NODEV);
    assert.equal(c.data, 'index=off,lowerdir=/a:/b,upperdir=/u,workdir=/w');
    assert.equal(c.propagation, 0);
  });

  it('makes bind mounts binds and recognizes propagation', () => {
    const c = mountCall({ type: 'bind', source: '/x', options: ['rbind', 'ro', 'rprivate'] });
    assert.equal(c.flags, MS.BIND | MS.REC | MS.RDONLY);
    assert.equal(c.data, null);
    assert.equal(c.propagation, MS.PRIVATE | MS.REC);
    assert.equal(mountCall({ type: 'bind', source: '/x', options: [] }).flags, MS.BIND);
  });

  it('refuses data longer than a page', () => {
    assert.throws(
      () => mountCall({ type: 'overlay', source: 'overlay', options: [`lowerdir=${'/x'.repeat(2100)}`] }),
      (err: Error & { kind?: string }) => err.kind === 'invalid-argument' && /limit of 4095/.test(err.message),
    );
  });
});

describe('RecordingHost', () => {
  it('records calls and answers from what it recorded', async () => {
    const host = new RecordingHost();
    await host.mount({ type: 'tmpfs', source: 'tmpfs', options: [] }, '/m');
    await host.mount({ type: 'bind', source: '/s', options: ['rbind'] }, '/m/sub');
    assert.deepEqual(await host.mountsUnder('/m'), ['/m/sub', '/m']);
    await host.unmount('/m/sub');
    assert.deepEqual(await host.mountsUnder('/m'), ['/m']);
    host.lsetxattr('/f', 'user.a', Buffer.from('1'));
    assert.deepEqual(host.llistxattr('/f'), ['user.a']);
    assert.equal(Buffer.from(host.lgetxattr('/f', 'user.a') ?? []).toString(), '1');
    assert.equal(host.lgetxattr('/f', 'user.b'), undefined);
    host.mknod('/dev/x', 0o020666, 1, 3);
    assert.deepEqual(host.callsOf('mknod'), [{ op: 'mknod', path: '/dev/x', mode: 0o020666, major: 1, minor: 3 }]);
    assert.equal(host.calls.length, 5);
  });
});
