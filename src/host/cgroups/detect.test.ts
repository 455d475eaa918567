import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cgroupDir, cgroupPathIn, detectCgroupLayout, parseProcCgroup } from './detect';

/** This development machine: cgroup v1 in hybrid mode, cpu and cpuacct mounted apart. */
const HYBRID_MOUNTINFO = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '23 27 0:22 / /sys rw,relatime - sysfs sysfs rw',
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices',
  '37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
  '38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '',
].join('\n');

const HYBRID_SELF = [
  '9:name=systemd:/',
  '8:pids:/',
  '7:blkio:/',
  '6:freezer:/',
  '5:devices:/',
  '4:memory:/process_api/9d09589ebd6d5b71f20e13f0a671b822',
  '3:cpuset:/',
  '2:cpuacct:/',
  '1:cpu:/',
  '0::/',
  '',
].join('\n');

/** A systemd v1 host (no unified mount), cpu and cpuacct co-mounted. */
const V1_MOUNTINFO = [
  '25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd',
  '29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct',
  '30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory',
  '31 25 0:28 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids',
  '',
].join('\n');

/** A v2-only host (systemd default since 2021). */
const V2_MOUNTINFO = [
  '24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '26 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
  '',
].join('\n');

describe('detectCgroupLayout', () => {
  it('sees this machine as hybrid: v1 controllers, the unified mount only reported', () => {
    const layout = detectCgroupLayout(HYBRID_MOUNTINFO);
    assert.equal(layout.mode, 'hybrid');
    assert.equal(layout.unified?.mountPoint, '/sys/fs/cgroup/unified');
    assert.deepEqual(
      layout.v1.map((h) => h.subsystems.join(',')),
      ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'name=systemd'],
    );
    assert.equal(layout.v1.find((h) => h.subsystems.includes('memory'))?.mountPoint, '/sys/fs/cgroup/memory');
  });

  it('recognizes plain v1 with co-mounted controllers and a named hierarchy', () => {
    const layout = detectCgroupLayout(V1_MOUNTINFO);
    assert.equal(layout.mode, 'v1');
    assert.equal(layout.unified, undefined);
    assert.deepEqual(
      layout.v1.map((h) => h.subsystems),
      [['name=systemd'], ['cpu', 'cpuacct'], ['memory'], ['pids']],
    );
  });

  it('recognizes v2 at the root', () => {
    const layout = detectCgroupLayout(V2_MOUNTINFO);
    assert.equal(layout.mode, 'v2');
    assert.equal(layout.unified?.mountPoint, '/sys/fs/cgroup');
    assert.deepEqual(layout.v1, []);
  });

  it('rebases mount points onto another root and drops the rest', () => {
    const layout = detectCgroupLayout(
      `${V2_MOUNTINFO}27 26 0:40 / /elsewhere rw - cgroup2 cgroup2 rw\n`,
      '/tmp/berth-test-x/cg',
    );
    assert.equal(layout.mode, 'v2');
    assert.equal(layout.unified?.mountPoint, '/tmp/berth-test-x/cg');
    const v1 = detectCgroupLayout(HYBRID_MOUNTINFO, '/tmp/fake');
    assert.equal(v1.v1.find((h) => h.subsystems.includes('pids'))?.mountPoint, '/tmp/fake/pids');
    assert.equal(v1.unified?.mountPoint, '/tmp/fake/unified');
  });

  it('fails clearly without any cgroup mount', () => {
    assert.throws(() => detectCgroupLayout('22 27 0:21 / /proc rw - proc proc rw\n'), /no cgroup hierarchy/);
  });
});

describe('/proc/<pid>/cgroup', () => {
  it('parses v1 and v2 lines and finds paths by hierarchy', () => {
    const entries = parseProcCgroup(HYBRID_SELF);
    assert.equal(entries.length, 10);
    assert.equal(cgroupPathIn(entries, ['memory']), '/process_api/9d09589ebd6d5b71f20e13f0a671b822');
    assert.equal(cgroupPathIn(entries, ['name=systemd']), '/');
    assert.equal(cgroupPathIn(entries, []), '/');
    const coMounted = parseProcCgroup('4:cpuacct,cpu:/docker/x\n0::/a:b\n');
    assert.equal(cgroupPathIn(coMounted, ['cpu', 'cpuacct']), '/docker/x');
    assert.equal(cgroupPathIn(coMounted, []), '/a:b');
  });

  it('maps a cgroup path into a mount that shows a subtree', () => {
    const h = { mountPoint: '/sys/fs/cgroup', mountRoot: '/', subsystems: [] };
    assert.equal(cgroupDir(h, '/a/b'), '/sys/fs/cgroup/a/b');
    const sub = { mountPoint: '/sys/fs/cgroup/memory', mountRoot: '/docker/x', subsystems: ['memory'] };
    assert.equal(cgroupDir(sub, '/docker/x/y'), '/sys/fs/cgroup/memory/y');
    assert.equal(cgroupDir(sub, '/'), '/sys/fs/cgroup/memory');
  });
});
