import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { corePath } from '../../host/runtime';
import { buildExecPlan, type ExecPlanInputs, execFailureMessage } from './exec';

const CONTAINER_PLAN = `berth-plan 1
id ${'a'.repeat(64)}
ns pid
ns mnt
ns uts
ns ipc
join net /run/netns/x
hostname aaaaaaaaaaaa
root /b/rootfs
mount proc proc /proc nosuid,noexec,nodev -
device /dev/null c 1 3 0666 0 0
mask /proc/kcore
readonly /proc/sys
cgroup /sys/fs/cgroup/cpu/berth-x
cgroup /sys/fs/cgroup/memory/berth-x
rlimit NOFILE 1024 2048
oom-score-adj 10
user 0 0
caps bounding 0xa80425fb
caps effective 0xa80425fb
caps permitted 0xa80425fb
caps inheritable 0x0
caps ambient 0x0
no-new-privs
seccomp 1 2000000000000000
env PATH=/bin
env HOME=/root
cwd /
arg sleep
arg 1000
stdin null
log /b/log 0 1
`;

function inputs(overrides: Partial<ExecPlanInputs> = {}): ExecPlanInputs {
  return {
    execId: 'e'.repeat(64),
    initPid: 4242,
    args: ['sh', '-c', 'echo hi there'],
    env: ['PATH=/bin', 'HOSTNAME=aaaaaaaaaaaa', 'FOO=a b'],
    cwd: '',
    uid: 1000,
    gid: 1000,
    additionalGids: [2000],
    tty: false,
    openStdin: false,
    ...overrides,
  };
}

describe('exec plan', () => {
  it("joins every namespace the container has through the init's /proc entries, and mnt always", () => {
    const plan = buildExecPlan(CONTAINER_PLAN, inputs());
    const joins = plan.split('\n').filter((l) => l.startsWith('join '));
    assert.deepEqual(joins, [
      'join ipc /proc/4242/ns/ipc',
      'join uts /proc/4242/ns/uts',
      'join net /proc/4242/ns/net',
      'join pid /proc/4242/ns/pid',
      'join mnt /proc/4242/ns/mnt',
    ]);
    // A host cgroup namespace is not joined; a private one is.
    const withCgroupNs = buildExecPlan(CONTAINER_PLAN.replace('ns ipc\n', 'ns ipc\nns cgroup\n'), inputs());
    assert.match(withCgroupNs, /^join cgroup \/proc\/4242\/ns\/cgroup$/m);
  });

  it("keeps the container's cgroups, rlimits, oom score, caps, no_new_privs and seccomp; drops what only a container has", () => {
    const plan = buildExecPlan(CONTAINER_PLAN, inputs());
    for (const l of [
      'cgroup /sys/fs/cgroup/cpu/berth-x',
      'cgroup /sys/fs/cgroup/memory/berth-x',
      'rlimit NOFILE 1024 2048',
      'oom-score-adj 10',
      'caps bounding 0xa80425fb',
      'caps ambient 0x0',
      'no-new-privs',
      'seccomp 1 2000000000000000',
    ]) {
      assert.ok(plan.split('\n').includes(l), `${l} in\n${plan}`);
    }
    for (const word of ['ns', 'hostname', 'root', 'mount', 'device', 'mask', 'readonly', 'log']) {
      assert.ok(!plan.split('\n').some((l) => l.startsWith(`${word} `)), `${word} not in an exec plan`);
    }
  });

  it('writes the exec’s own process: user and groups, env, cwd (/ by default), args, stdin', () => {
    const plan = buildExecPlan(CONTAINER_PLAN, inputs());
    const lines = plan.split('\n');
    assert.equal(lines[0], 'berth-plan 1');
    assert.ok(lines.includes('user 1000 1000'));
    assert.ok(lines.includes('group 2000'));
    assert.ok(lines.includes('env FOO=a%20b'));
    assert.ok(!lines.includes('env HOME=/root'), 'the env is the one given, not the container’s');
    assert.ok(lines.includes('cwd /'));
    assert.deepEqual(
      lines.filter((l) => l.startsWith('arg ')),
      ['arg sh', 'arg -c', 'arg echo%20hi%20there'],
    );
    assert.ok(lines.includes('stdin null'));
    assert.ok(!lines.includes('terminal'));
    const open = buildExecPlan(CONTAINER_PLAN, inputs({ openStdin: true, cwd: '/tmp' }));
    assert.ok(open.split('\n').includes('stdin open'));
    assert.ok(open.split('\n').includes('cwd /tmp'));
  });

  it('a terminal with its size', () => {
    const plan = buildExecPlan(CONTAINER_PLAN, inputs({ tty: true, consoleSize: [30, 100] }));
    assert.ok(plan.split('\n').includes('terminal'));
    assert.ok(plan.split('\n').includes('console-size 30 100'));
    const noSize = buildExecPlan(CONTAINER_PLAN, inputs({ tty: true }));
    assert.ok(!noSize.includes('console-size'));
  });

  it('--privileged: every capability of the daemon in bounding/effective/permitted, seccomp and no_new_privs kept', () => {
    const plan = buildExecPlan(CONTAINER_PLAN, inputs({ privilegedCaps: 0x1ffffffffffn }));
    const caps = plan.split('\n').filter((l) => l.startsWith('caps '));
    assert.deepEqual(caps, [
      'caps bounding 0x1ffffffffff',
      'caps effective 0x1ffffffffff',
      'caps permitted 0x1ffffffffff',
      'caps inheritable 0x0',
      'caps ambient 0x0',
    ]);
    assert.match(plan, /^seccomp 1 /m);
    assert.match(plan, /^no-new-privs$/m);
  });

  it(
    'round-trips through berth-core plan-check --exec',
    { skip: !existsSync(corePath()) && 'needs native/build' },
    () => {
      const dir = testDir('exec-plan');
      try {
        for (const extra of [{}, { tty: true, consoleSize: [24, 80] as [number, number], openStdin: true }]) {
          const plan = buildExecPlan(CONTAINER_PLAN, inputs(extra));
          const file = path.join(dir, 'exec.plan');
          writeFileSync(file, plan);
          const canonical = execFileSync(corePath(), ['plan-check', '--exec', file], { encoding: 'utf8' });
          assert.equal(canonical, plan);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('exec failure messages', () => {
  it("are dockerd's (containerd + runc) with Go's lower-case errno texts", () => {
    assert.equal(
      execFailureMessage('exec', 'exec: "nosuch": executable file not found in $PATH'),
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown',
    );
    assert.equal(
      execFailureMessage('exec', 'exec: "/etc/passwd": Permission denied'),
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown',
    );
    assert.equal(
      execFailureMessage('join', 'setns mnt: Operation not permitted'),
      'OCI runtime exec failed: exec failed: unable to start container process: join: setns mnt: operation not permitted: unknown',
    );
  });
});
