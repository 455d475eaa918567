import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { corePath, decodeField, planCheck } from '../../host/runtime';
import { type PlanExtras, writePlan } from './plan';
import { compileSeccomp, type SeccompProfile } from './seccomp';
import { buildSpec, DEFAULT_MASKED_PATHS, mergeTmpfsOptions } from './spec';
import type { RuntimeRequest } from './types';

function request(overrides: Partial<RuntimeRequest> = {}): RuntimeRequest {
  return {
    id: 'a'.repeat(64),
    bundleDir: '/b',
    rootfs: '/b/rootfs',
    readonlyRootfs: false,
    hostname: 'aaaaaaaaaaaa',
    domainname: '',
    args: ['sh', '-c', 'echo hi'],
    env: ['PATH=/usr/bin:/bin'],
    cwd: '',
    user: '',
    groupAdd: [],
    tty: false,
    openStdin: false,
    namespaces: {
      pid: { kind: 'private' },
      ipc: { kind: 'private' },
      uts: { kind: 'private' },
      net: { kind: 'path', path: '/run/netns/x' },
      cgroup: { kind: 'host' },
    },
    etcFiles: { hostname: '/b/hostname', hosts: '/b/hosts', resolvConf: '/b/resolv.conf' },
    tmpfs: { '/run': 'rw,exec,size=64m' },
    mounts: [{ type: 'bind', source: '/data', destination: '/srv/data', options: ['ro'] }],
    privileged: false,
    capAdd: [],
    capDrop: [],
    noNewPrivileges: false,
    seccomp: { kind: 'default' },
    devices: [],
    ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
    oomScoreAdj: 0,
    shmSize: 64 << 20,
    cgroupPaths: ['/sys/fs/cgroup/memory/berth/x', '/sys/fs/cgroup/cpu,cpuacct/berth/x'],
    log: { path: '/b/json.log', maxSize: 0, maxFile: 1 },
    ...overrides,
  };
}

const INPUTS = { uid: 0, gid: 0, additionalGids: [10], arch: 'x64', kernel: '6.1.0', cpus: 2 };
const LAYOUT: PlanExtras['cgroupLayout'] = {
  version: 1,
  hierarchies: [
    { mountPoint: '/sys/fs/cgroup/memory', fsType: 'cgroup', controllers: 'memory' },
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', fsType: 'cgroup', controllers: 'cpu,cpuacct' },
    { mountPoint: '/sys/fs/cgroup/unified', fsType: 'cgroup2', controllers: '' },
  ],
};

describe('buildSpec', () => {
  it("matches Docker's defaults", () => {
    const spec = buildSpec(request(), INPUTS);
    assert.deepEqual(
      spec.mounts.map((m) => `${m.destination} ${m.type} ${m.options.join(',')}`),
      [
        '/proc proc nosuid,noexec,nodev',
        '/dev tmpfs nosuid,strictatime,mode=755,size=65536k',
        '/dev/pts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5',
        '/sys sysfs nosuid,noexec,nodev,ro',
        '/sys/fs/cgroup cgroup nosuid,noexec,nodev,ro,relatime',
        '/dev/mqueue mqueue nosuid,noexec,nodev',
        '/dev/shm tmpfs nosuid,noexec,nodev,mode=1777,size=67108864',
        '/run tmpfs nosuid,nodev,rw,size=64m,rprivate',
        '/srv/data bind rbind,ro,rprivate',
        '/etc/resolv.conf bind rbind,rprivate',
        '/etc/hostname bind rbind,rprivate',
        '/etc/hosts bind rbind,rprivate',
      ],
    );
    assert.deepEqual(spec.linux.maskedPaths, [
      ...DEFAULT_MASKED_PATHS,
      '/sys/devices/system/cpu/cpu0/thermal_throttle',
      '/sys/devices/system/cpu/cpu1/thermal_throttle',
    ]);
    assert.deepEqual(spec.linux.readonlyPaths, [
      '/proc/bus',
      '/proc/fs',
      '/proc/irq',
      '/proc/sys',
      '/proc/sysrq-trigger',
    ]);
    assert.deepEqual(spec.linux.namespaces, [
      { type: 'mount' },
      { type: 'pid' },
      { type: 'network', path: '/run/netns/x' },
      { type: 'ipc' },
      { type: 'uts' },
    ]);
    assert.equal(spec.process.capabilities.bounding.length, 14);
    assert.deepEqual(spec.process.capabilities.effective, spec.process.capabilities.bounding);
    assert.equal(spec.process.capabilities.inheritable, undefined);
    assert.deepEqual(spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]);
    assert.deepEqual(spec.linux.seccomp?.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.ok(spec.linux.seccomp?.syscalls.every((s) => !('includes' in s)));
    assert.equal(spec.linux.devices.length, 6);
    assert.deepEqual(spec.linux.resources.devices[0], { allow: false, access: 'rwm' });
  });
  it('privileged: everything, no masks, no seccomp, rw /sys', () => {
    const spec = buildSpec(request({ privileged: true }), {
      ...INPUTS,
      hostDevices: [{ path: '/dev/loop0', type: 'b', major: 7, minor: 0, fileMode: 0o660, uid: 0, gid: 6 }],
    });
    assert.equal(spec.process.capabilities.bounding.length, 41);
    assert.deepEqual([spec.linux.maskedPaths, spec.linux.readonlyPaths, spec.linux.seccomp], [[], [], undefined]);
    assert.ok(spec.mounts.find((m) => m.destination === '/sys')?.options.includes('rw'));
    assert.ok(spec.linux.devices.some((d) => d.path === '/dev/loop0'));
    assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  });
  it('read-only rootfs makes /sys and cgroup ro, keeps /dev/shm and user mounts', () => {
    const spec = buildSpec(request({ readonlyRootfs: true, seccomp: { kind: 'unconfined' } }), INPUTS);
    assert.equal(spec.root.readonly, true);
    assert.ok(!spec.mounts.find((m) => m.destination === '/dev/shm')?.options.includes('ro'));
    assert.equal(spec.linux.seccomp, undefined);
  });
  it('user mounts replace defaults; bad ulimits are refused', () => {
    const spec = buildSpec(request({ tmpfs: { '/dev/shm': 'size=1m' } }), INPUTS);
    assert.equal(spec.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
    assert.throws(
      () => buildSpec(request({ ulimits: [{ name: 'bogus', soft: 1, hard: 1 }] }), INPUTS),
      /invalid ulimit type: bogus/,
    );
  });
  it('merges tmpfs options', () => {
    assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev'], ['exec', 'size=1m', 'size=2m']), [
      'nosuid',
      'nodev',
      'size=2m',
    ]);
  });
});

describe('writePlan', () => {
  const spec = buildSpec(
    request({
      args: ['printf', '%s-', '-', '', 'a b\tc', 'é'],
      env: ['PATH=/bin', 'X=100% sure'],
      cwd: '/work dir',
    }),
    INPUTS,
  );
  const seccomp = compileSeccomp(spec.linux.seccomp as SeccompProfile, {
    capabilities: spec.process.capabilities.bounding,
    arch: 'x64',
    kernel: '6.1.0',
  });
  const extras: PlanExtras = {
    id: 'a'.repeat(64),
    cgroupPaths: ['/sys/fs/cgroup/memory/berth/x', '/sys/fs/cgroup/cpu,cpuacct/berth/x'],
    cgroupLayout: LAYOUT,
    log: { path: '/b/json.log', maxSize: 10_000_000, maxFile: 3 },
    oomCounter: { path: '/sys/fs/cgroup/memory/berth/x/memory.oom_control', key: 'oom_kill' },
    stdin: 'null',
    seccomp: { flags: seccomp.flags, program: seccomp.program },
  };
  const plan = writePlan(spec, extras);
  const lines = plan.trimEnd().split('\n');

  it('escapes fields', () => {
    const args = lines.filter((l) => l.startsWith('arg ')).map((l) => l.slice(4));
    assert.deepEqual(args, ['printf', '%25s-', '%2D', '-', 'a%20b%09c', '%C3%A9']);
    assert.deepEqual(args.map(decodeField), ['printf', '%s-', '-', '', 'a b\tc', 'é']);
    assert.ok(lines.includes('env X=100%25%20sure'));
    assert.ok(lines.includes('cwd /work%20dir'));
  });
  it('lays out /sys/fs/cgroup as runc does on v1 with the host cgroupns', () => {
    const cg = lines.filter(
      (l) => l.includes('/sys/fs/cgroup') && !l.startsWith('cgroup ') && !l.startsWith('oom-counter'),
    );
    assert.deepEqual(cg, [
      'mount tmpfs tmpfs /sys/fs/cgroup nosuid,noexec,nodev mode=755',
      'mount bind /sys/fs/cgroup/memory/berth/x /sys/fs/cgroup/memory bind,nosuid,noexec,nodev,ro -',
      'mount bind /sys/fs/cgroup/cpu,cpuacct/berth/x /sys/fs/cgroup/cpu,cpuacct bind,nosuid,noexec,nodev,ro -',
      'symlink /sys/fs/cgroup/cpu cpu,cpuacct',
      'symlink /sys/fs/cgroup/cpuacct cpu,cpuacct',
      'readonly /sys/fs/cgroup',
    ]);
    const priv = writePlan(
      buildSpec(request({ namespaces: { ...request().namespaces, cgroup: { kind: 'private' } } }), INPUTS),
      extras,
    );
    assert.match(priv, /\nmount cgroup cgroup \/sys\/fs\/cgroup\/memory nosuid,noexec,nodev,ro memory\n/);
    assert.match(priv, /\nmount cgroup2 cgroup2 \/sys\/fs\/cgroup\/unified nosuid,noexec,nodev,ro -\n/);
    assert.match(priv, /\nns cgroup\n/);
  });
  it('carries caps, user, rlimits, log and seccomp', () => {
    for (const l of [
      'caps bounding 0xa80425fb',
      'caps inheritable 0x0',
      'user 0 0',
      'group 10',
      'rlimit NOFILE 1024 2048',
      'oom-score-adj 0',
      'stdin null',
      'log /b/json.log 10000000 3',
      'join net /run/netns/x',
    ]) {
      assert.ok(lines.includes(l), l);
    }
    assert.ok(lines.some((l) => /^seccomp 4 [0-9a-f]+$/.test(l)));
    assert.ok(lines.includes('device /dev/null c 1 3 0666 0 0'));
  });
  it(
    'round-trips through berth-core plan-check',
    { skip: existsSync(corePath()) ? false : 'needs native/build/berth-core' },
    async () => {
      const dir = testDir('plan');
      try {
        writeFileSync(path.join(dir, 'plan'), plan);
        assert.equal(await planCheck(path.join(dir, 'plan')), plan);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
  it(
    'a TTY container gets terminal and console-size (24x80 unless asked), round-tripping through plan-check',
    { skip: existsSync(corePath()) ? false : 'needs native/build/berth-core' },
    async () => {
      const ttyPlan = writePlan(buildSpec(request({ tty: true, consoleSize: { rows: 50, cols: 132 } }), INPUTS), {
        ...extras,
        stdin: 'open',
      });
      assert.match(ttyPlan, /\nstdin open\nterminal\nconsole-size 50 132\nlog /);
      assert.match(writePlan(buildSpec(request({ tty: true }), INPUTS), extras), /\nterminal\nconsole-size 24 80\n/);
      assert.doesNotMatch(plan, /\nterminal\n/);
      const dir = testDir('plan');
      try {
        writeFileSync(path.join(dir, 'plan'), ttyPlan);
        assert.equal(await planCheck(path.join(dir, 'plan')), ttyPlan);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('start failure messages', () => {
  it('write errno texts in lower case as Go does, so the docker CLI maps 126 and 127', async () => {
    const { startFailureMessage } = await import('./core-runtime');
    assert.match(
      startFailureMessage('exec', 'exec: "/etc/passwd": Permission denied'),
      /exec: "\/etc\/passwd": permission denied: unknown$/,
    );
    assert.match(
      startFailureMessage('exec', 'exec: "/x": No such file or directory'),
      /no such file or directory: unknown$/,
    );
    assert.match(
      startFailureMessage('caps', 'capset: Operation not permitted'),
      /caps: capset: operation not permitted: unknown$/,
    );
  });
});
