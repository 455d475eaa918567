import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { readFileInRoot, resolveInRoot, resolveUser, resolveUserFrom } from './user';

const PASSWD =
  'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/usr/sbin:/bin/false\napp:x:1000:1000:App:/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\nwheel:x:10:root,app\nstaff:x:50:app\napp:x:1000:\n';

describe('resolveUserFrom', () => {
  it('defaults to root with its groups', () => {
    assert.deepEqual(resolveUserFrom(PASSWD, GROUP, ''), { uid: 0, gid: 0, additionalGids: [10], home: '/root' });
  });
  it('resolves names and numbers', () => {
    assert.deepEqual(resolveUserFrom(PASSWD, GROUP, 'app'), {
      uid: 1000,
      gid: 1000,
      additionalGids: [10, 50],
      home: '/home/app',
    });
    assert.deepEqual(resolveUserFrom(PASSWD, GROUP, '1000'), {
      uid: 1000,
      gid: 1000,
      additionalGids: [10, 50],
      home: '/home/app',
    });
    assert.deepEqual(resolveUserFrom(PASSWD, GROUP, 'app:staff'), {
      uid: 1000,
      gid: 50,
      additionalGids: [],
      home: '/home/app',
    });
    assert.deepEqual(resolveUserFrom(PASSWD, GROUP, '4242'), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
    assert.deepEqual(resolveUserFrom(undefined, undefined, '4242:77'), {
      uid: 4242,
      gid: 77,
      additionalGids: [],
      home: '/',
    });
    assert.deepEqual(resolveUserFrom(PASSWD, GROUP, 'daemon', ['staff', '99', '99']).additionalGids, [50, 99]);
  });
  it("fails with Docker's wording", () => {
    assert.throws(() => resolveUserFrom(PASSWD, GROUP, 'foo'), {
      message: 'unable to find user foo: no matching entries in passwd file',
    });
    assert.throws(() => resolveUserFrom(undefined, undefined, 'foo'), {
      message: 'unable to find user foo: no matching entries in passwd file',
    });
    assert.throws(() => resolveUserFrom(PASSWD, GROUP, 'app:nogroup'), {
      message: 'unable to find group nogroup: no matching entries in group file',
    });
    assert.throws(() => resolveUserFrom(PASSWD, GROUP, '', ['nogroup']), {
      message: 'unable to find group nogroup: no matching entries in group file',
    });
  });
});

describe('reading inside the rootfs', () => {
  let root = '';
  let outside = '';
  before(() => {
    root = testDir('rootfs');
    outside = testDir('host');
    mkdirSync(path.join(root, 'etc'));
    mkdirSync(path.join(root, 'data'));
    writeFileSync(path.join(outside, 'secret'), 'evil:x:0:0::/:/bin/sh\n');
    writeFileSync(path.join(root, 'data/passwd'), PASSWD);
    // absolute links are re-rooted, ".." stops at the root
    symlinkSync(`/../../../..${outside}/secret`, path.join(root, 'etc/group'));
    symlinkSync('../data/passwd', path.join(root, 'etc/passwd'));
    symlinkSync(`${outside}/secret`, path.join(root, 'escape'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  it('follows symlinks inside the root only', async () => {
    assert.equal(await resolveInRoot(root, '/etc/passwd'), path.join(root, 'data/passwd'));
    assert.equal(await resolveInRoot(root, '/escape'), undefined);
    assert.equal(await readFileInRoot(root, '/escape'), undefined);
    assert.equal(await readFileInRoot(root, '/etc/group'), undefined);
  });
  it('resolves against the rootfs files', async () => {
    const u = await resolveUser(root, 'app');
    assert.deepEqual(u, { uid: 1000, gid: 1000, additionalGids: [], home: '/home/app' });
    await assert.rejects(resolveUser(root, 'evil'), /unable to find user evil/);
  });
});
