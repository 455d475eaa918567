import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { safeName, testDir } from '../../../test/helpers/names';
import { requireAll, requireFile, requireRoot } from '../../../test/helpers/requires';
import { planCheck, readCgroupLayout } from '../../host/runtime';
import { CoreRuntime, isStartFailure } from './core-runtime';
import type { RuntimeRequest } from './types';

const ROOT = path.resolve(__dirname, '../../..');
const PROBE = path.join(ROOT, 'native/build/berth-probe');
const skip = requireAll(
  requireRoot(),
  requireFile(PROBE, 'the probe (make -C native)'),
  requireFile('/bin/busybox', 'busybox-static'),
);

describe('CoreRuntime (root)', { skip }, () => {
  let dir = '';
  let lower = '';
  const cgroups: string[] = [];
  const pids: number[] = [];
  const mounts: string[] = [];
  const runtime = new CoreRuntime();
  let n = 0;

  before(async () => {
    dir = testDir('rt');
    lower = path.join(dir, 'lower');
    for (const d of ['bin', 'etc', 'tmp']) mkdirSync(path.join(lower, d), { recursive: true });
    copyFileSync(PROBE, path.join(lower, 'bin/probe'));
    copyFileSync('/bin/busybox', path.join(lower, 'bin/busybox'));
    for (const a of ['sh', 'cat', 'echo', 'sleep', 'unshare', 'id', 'true'])
      symlinkSync('busybox', path.join(lower, 'bin', a));
    writeFileSync(
      path.join(lower, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n',
    );
    writeFileSync(path.join(lower, 'etc/group'), 'root:x:0:\nwheel:x:10:root\nstaff:x:50:app\napp:x:1000:\n');
    const layout = await readCgroupLayout();
    const name = safeName('cg');
    if (layout.version === 2) {
      cgroups.push(`/sys/fs/cgroup/${name}`);
    } else {
      for (const h of ['pids', 'memory'])
        if (existsSync(`/sys/fs/cgroup/${h}`)) cgroups.push(`/sys/fs/cgroup/${h}/${name}`);
    }
    for (const c of cgroups) mkdirSync(c);
  });

  after(() => {
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {}
    }
    execFileSync('sleep', ['0.2']);
    for (const c of cgroups) {
      for (const pid of readFileSync(path.join(c, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {}
      }
    }
    execFileSync('sleep', ['0.2']);
    for (const c of cgroups) rmdirSync(c);
    for (const m of mounts.reverse()) execFileSync('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A bundle with its own overlay over the shared lower dir, and a Docker-default request. */
  function request(overrides: Partial<RuntimeRequest> = {}): RuntimeRequest {
    const id = `${safeName('c')}${++n}`.padEnd(64, '0');
    const bundleDir = path.join(dir, `b${n}`);
    const rootfs = path.join(bundleDir, 'rootfs');
    for (const d of ['upper', 'work', 'rootfs']) mkdirSync(path.join(bundleDir, d), { recursive: true });
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${bundleDir}/upper,workdir=${bundleDir}/work`,
      rootfs,
    ]);
    mounts.push(rootfs);
    writeFileSync(path.join(bundleDir, 'hostname'), 'box\n');
    writeFileSync(path.join(bundleDir, 'hosts'), '127.0.0.1\tlocalhost\n');
    writeFileSync(path.join(bundleDir, 'resolv.conf'), 'nameserver 10.0.0.1\n');
    return {
      id,
      bundleDir,
      rootfs,
      readonlyRootfs: false,
      hostname: 'box',
      domainname: '',
      args: ['probe', 'json'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=box'],
      cwd: '',
      user: '',
      groupAdd: [],
      tty: false,
      openStdin: false,
      namespaces: {
        pid: { kind: 'private' },
        ipc: { kind: 'private' },
        uts: { kind: 'private' },
        net: { kind: 'private' },
        cgroup: { kind: 'private' },
      },
      etcFiles: {
        hostname: path.join(bundleDir, 'hostname'),
        hosts: path.join(bundleDir, 'hosts'),
        resolvConf: path.join(bundleDir, 'resolv.conf'),
      },
      tmpfs: {},
      mounts: [],
      privileged: false,
      capAdd: [],
      capDrop: [],
      noNewPrivileges: false,
      seccomp: { kind: 'default' },
      devices: [],
      ulimits: [],
      oomScoreAdj: 0,
      shmSize: 64 << 20,
      cgroupPaths: cgroups,
      log: { path: path.join(bundleDir, 'json.log'), maxSize: 0, maxFile: 1 },
      ...overrides,
    };
  }

  async function start(req: RuntimeRequest) {
    const t0 = performance.now();
    const res = await runtime.start(req);
    const ms = performance.now() - t0;
    pids.push(res.pid, res.shimPid);
    return { ...res, ms };
  }

  function logText(req: RuntimeRequest, stream = 'stdout'): string {
    return readFileSync(req.log.path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { log: string; stream: string })
      .filter((l) => l.stream === stream)
      .map((l) => l.log)
      .join('');
  }

  async function runToExit(req: RuntimeRequest) {
    const res = await start(req);
    const task = await runtime.connect(req.bundleDir).catch(() => undefined);
    const exit = task ? await task.wait() : await runtime.readExit(req.bundleDir);
    task?.close();
    return { res, exit };
  }

  type Probe = Record<string, unknown> & {
    mounts: Array<{ target: string; fstype: string; options: string; root: string }>;
  };

  it('runs a Docker-default container', async () => {
    const req = request();
    const { res, exit } = await runToExit(req);
    console.log(`start took ${res.ms.toFixed(1)} ms`);
    assert.equal(exit?.exitCode, 0, logText(req, 'stderr'));
    const p = JSON.parse(logText(req)) as Probe;
    assert.equal(p.pid, 1);
    assert.equal(p.hostname, 'box');
    assert.equal(p.CapEff, '00000000a80425fb');
    assert.equal(p.CapBnd, '00000000a80425fb');
    assert.equal(p.CapPrm, '00000000a80425fb');
    assert.equal(p.CapInh, '0000000000000000');
    assert.equal(p.Seccomp, '2');
    assert.equal(p.NoNewPrivs, '0');
    assert.deepEqual([p.uid, p.gid, p.groups], [0, 0, [10]]);
    const m = (t: string) => p.mounts.filter((x) => x.target === t).at(-1);
    assert.equal(m('/proc/keys')?.root, '/null');
    assert.ok(m('/sys')?.options.startsWith('ro'));
    assert.ok(m('/sys/fs/cgroup')?.options.startsWith('ro'), JSON.stringify(m('/sys/fs/cgroup')));
    for (const x of p.mounts.filter((y) => y.target.startsWith('/sys/fs/cgroup/')))
      assert.ok(x.options.startsWith('ro'), x.target);
    assert.ok(m('/proc/sys')?.options.startsWith('ro'));
    assert.ok((p.env as string[]).includes('HOME=/root'));
    assert.equal(
      await planCheck(path.join(req.bundleDir, 'plan')),
      readFileSync(path.join(req.bundleDir, 'plan'), 'utf8'),
    );
    const spec = JSON.parse(readFileSync(path.join(req.bundleDir, 'config.json'), 'utf8')) as {
      process: { capabilities: { bounding: string[] } };
    };
    assert.equal(spec.process.capabilities.bounding.length, 14);
  });

  it('switches user, groups and no_new_privs', async () => {
    const base = request();
    const req = request({
      user: 'app',
      groupAdd: ['wheel', '77'],
      noNewPrivileges: true,
      cwd: '/home/app',
      namespaces: { ...base.namespaces, cgroup: { kind: 'host' } },
    });
    const { exit } = await runToExit(req);
    assert.equal(exit?.exitCode, 0, logText(req, 'stderr'));
    const p = JSON.parse(logText(req)) as Probe;
    assert.deepEqual([p.uid, p.gid, (p.groups as number[]).sort((a, b) => a - b)], [1000, 1000, [10, 50, 77]]);
    assert.equal(p.NoNewPrivs, '1');
    assert.equal(p.CapEff, '0000000000000000');
    assert.equal(p.cwd, '/home/app');
    // host cgroupns: the container's own cgroup dirs, bound read-only
    const sys = p.mounts.filter((y) => y.target.startsWith('/sys/fs/cgroup'));
    const top = new Map(sys.map((y) => [y.target, y]));
    assert.ok(top.size >= 2, JSON.stringify(sys));
    for (const x of top.values()) assert.ok(x.options.startsWith('ro'), JSON.stringify(sys));
  });

  it('enforces the default seccomp profile, and not when unconfined', async () => {
    const script = 'unshare -U true; echo userns=$?; echo ok';
    const confined = request({ args: ['sh', '-c', script] });
    await runToExit(confined);
    assert.match(logText(confined), /userns=1\nok\n/);
    assert.match(logText(confined, 'stderr'), /Operation not permitted/);
    const free = request({ args: ['sh', '-c', script], seccomp: { kind: 'unconfined' } });
    await runToExit(free);
    assert.match(logText(free), /userns=0\nok\n/);
  });

  it('reports a missing binary as 127 and a directory as 126', async () => {
    await assert.rejects(runtime.start(request({ args: ['nosuch'] })), (e: unknown) => {
      assert.ok(isStartFailure(e));
      assert.equal(e.exitCode, 127);
      assert.equal(e.step, 'exec');
      assert.match(e.message, /exec: "nosuch": executable file not found in \$PATH: unknown$/);
      return true;
    });
    await assert.rejects(
      runtime.start(request({ args: ['/etc'] })),
      (e: unknown) => isStartFailure(e) && e.exitCode === 126,
    );
    await assert.rejects(runtime.start(request({ user: 'nobody' })), (e: unknown) => {
      assert.ok(isStartFailure(e));
      assert.equal(e.message, 'unable to find user nobody: no matching entries in passwd file');
      return true;
    });
  });

  it('kills, waits, attaches and feeds stdin', async () => {
    const req = request({ args: ['sh', '-c', 'echo ready; cat; echo done; sleep 30'], openStdin: true });
    const res = await start(req);
    const task = await runtime.connect(req.bundleDir);
    try {
      const st = await task.state();
      assert.deepEqual(st, { status: 'running', pid: res.pid });
      const out: string[] = [];
      const attached = (async () => {
        for await (const c of task.attach()) out.push(`${c.stream}:${c.data.toString()}`);
      })();
      await new Promise((r) => setTimeout(r, 100));
      await task.writeStdin(Buffer.from('hello\n'));
      await task.closeStdin();
      const until = Date.now() + 3000;
      while (!out.join('').includes('done') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await assert.rejects(task.delete(), /running/);
      await task.kill(9);
      const exit = await task.wait();
      await attached;
      assert.equal(exit.exitCode, 137);
      assert.equal(exit.signal, 9);
      assert.match(out.join(''), /stdout:hello\n/);
      assert.match(out.join(''), /done/);
      const again = await runtime.readExit(req.bundleDir);
      assert.equal(again?.exitCode, 137);
      await assert.rejects(runtime.connect(req.bundleDir), (e: Error & { kind?: string }) => e.kind === 'not-found');
    } finally {
      task.close();
    }
  });
});
