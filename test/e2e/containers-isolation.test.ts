/**
 * What a container sees, asserted from the inside with berth's static probe,
 * through the berth CLI and a private berthd: namespaces, mounts and masks,
 * capabilities, seccomp, no_new_privs, user and groups, limits in the real
 * cgroup files, an OOM kill, a fork bomb stopped by --pids-limit, and writes
 * that stay in the container's own layer.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { importProbeImage, PROBE, PROBE_IMAGE, type ProbeReport } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

const DEFAULT_CAPS = '00000000a80425fb';

describe(
  'container isolation (probe inside)',
  {
    skip: requireAll(requireRoot(), requireFile(PROBE, 'the probe (make -C native)'), requireCommand('busybox')),
  },
  () => {
    let d: TestDaemon;
    const b = (args: string[]) => berth(d.host, args);
    const probe = async (flags: string[]): Promise<ProbeReport> => {
      const r = await b(['run', '--rm', ...flags, PROBE_IMAGE, '/probe', 'json']);
      assert.equal(r.code, 0, `${r.stderr}\n${d.logTail(20)}`);
      return JSON.parse(r.stdout) as ProbeReport;
    };
    const mount = (p: ProbeReport, target: string) => p.mounts.filter((m) => m.target === target).at(-1);

    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
    });
    after(async () => {
      const left = await b(['ps', '-aq']);
      if (left.stdout.trim() !== '') await b(['rm', '-f', ...left.stdout.trim().split('\n')]);
      await d?.stop();
    });

    it("runs as PID 1 with its own hostname, only its own processes and Docker's defaults", async () => {
      const p = await probe([]);
      assert.equal(p.pid, 1);
      assert.equal(p.ppid, 0);
      assert.match(p.hostname, /^[0-9a-f]{12}$/);
      assert.equal(p.uid, 0);
      assert.equal(p.CapEff, DEFAULT_CAPS);
      assert.equal(p.CapBnd, DEFAULT_CAPS);
      assert.equal(p.CapPrm, DEFAULT_CAPS);
      assert.equal(p.CapInh, '0000000000000000');
      assert.equal(p.Seccomp, '2');
      assert.equal(p.NoNewPrivs, '0');
      assert.ok(p.env.includes('PATH=/bin'), p.env.join(' '));
      assert.ok(
        p.env.some((e) => e.startsWith('HOSTNAME=')),
        'HOSTNAME is set as Docker does',
      );
      const ps = await b(['run', '--rm', PROBE_IMAGE, 'ps', '-o', 'pid,comm']);
      assert.deepEqual(
        ps.stdout
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.trim()),
        ['1 ps'],
      );
    });

    it("has the standard mounts, read-only /sys, and Docker's masked paths", async () => {
      const p = await probe([]);
      assert.equal(mount(p, '/proc')?.fstype, 'proc');
      assert.equal(mount(p, '/dev')?.fstype, 'tmpfs');
      assert.equal(mount(p, '/dev/pts')?.fstype, 'devpts');
      assert.equal(mount(p, '/dev/shm')?.fstype, 'tmpfs');
      assert.equal(mount(p, '/dev/mqueue')?.fstype, 'mqueue');
      assert.match(mount(p, '/sys')?.options ?? '', /^ro/);
      assert.match(mount(p, '/sys/fs/cgroup')?.options ?? '', /^ro/);
      for (const f of ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'])
        assert.ok(mount(p, f), `${f} is bind-mounted`);
      assert.ok(mount(p, '/proc/keys'), '/proc/keys is masked');
      assert.match(mount(p, '/proc/sys')?.options ?? '', /^ro/);
      assert.ok(!p.mounts.some((m) => m.target.startsWith('/tmp/') || m.target.startsWith('/work')), 'no host mounts');
    });

    it('applies -h, -u, -w, -e and --env-file-style env', async () => {
      const p = await probe(['-h', 'box', '-u', 'app', '-w', '/made/here', '-e', 'A=1']);
      assert.equal(p.hostname, 'box');
      assert.equal(p.uid, 1000);
      assert.equal(p.gid, 1000);
      assert.ok(p.groups.includes(2000), `supplementary groups ${p.groups}`);
      assert.equal(p.cwd, '/made/here');
      assert.ok(p.env.includes('A=1'));
      assert.ok(p.env.includes('HOME=/home/app'), p.env.join(' '));
      const numeric = await probe(['-u', '4242:4343']);
      assert.equal(numeric.uid, 4242);
      assert.equal(numeric.gid, 4343);
    });

    it('changes capabilities, seccomp and no_new_privs on request', async () => {
      const dropped = await probe(['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN']);
      assert.equal(dropped.CapEff, (1n << 12n).toString(16).padStart(16, '0'));
      const nnp = await probe(['--security-opt', 'no-new-privileges']);
      assert.equal(nnp.NoNewPrivs, '1');
      const unconfined = await probe(['--security-opt', 'seccomp=unconfined']);
      assert.equal(unconfined.Seccomp, '0');
      const priv = await probe(['--privileged']);
      assert.equal(priv.Seccomp, '0');
      assert.ok(BigInt(`0x${priv.CapEff}`) > BigInt(`0x${DEFAULT_CAPS}`), `privileged caps ${priv.CapEff}`);
      // The default profile denies what Docker's denies: unshare(CLONE_NEWNS|...) needs CAP_SYS_ADMIN.
      const r = await b(['run', '--rm', PROBE_IMAGE, 'sh', '-c', 'echo ok']);
      assert.equal(r.stdout, 'ok\n');
    });

    it('makes the root read-only with --read-only, and --tmpfs writable', async () => {
      const r = await b([
        'run',
        '--rm',
        '--read-only',
        '--tmpfs',
        '/run:size=1m',
        PROBE_IMAGE,
        'sh',
        '-c',
        'touch /x; touch /run/ok && echo run-ok',
      ]);
      assert.match(r.stderr, /Read-only file system/);
      assert.match(r.stdout, /run-ok/);
    });

    it("writes the limits into the container's cgroups, under the daemon's own cgroup", async () => {
      const run = await b([
        'run',
        '-d',
        '--name',
        'limits',
        '-m',
        '32m',
        '--pids-limit',
        '50',
        '--cpus',
        '0.5',
        '--cpu-shares',
        '512',
        PROBE_IMAGE,
        'sleep',
        '60',
      ]);
      assert.equal(run.code, 0, run.stderr);
      const pid = Number((await b(['inspect', '-f', '{{.State.Pid}}', 'limits'])).stdout.trim());
      assert.ok(pid > 0);
      const groups = new Map(
        readFileSync(`/proc/${pid}/cgroup`, 'utf8')
          .trim()
          .split('\n')
          .map((l) => {
            const [, ctrl = '', p = ''] = l.split(':');
            return [ctrl, p] as const;
          }),
      );
      const file = (ctrl: string, name: string) =>
        readFileSync(path.join('/sys/fs/cgroup', ctrl, groups.get(ctrl) ?? '', name), 'utf8').trim();
      assert.match(groups.get('memory') ?? '', /\/berth-[0-9a-f]{64}$/);
      const own = readFileSync('/proc/self/cgroup', 'utf8').match(/:memory:(.*)/)?.[1] ?? '/';
      assert.ok(
        (groups.get('memory') ?? '').startsWith(own === '/' ? '/' : `${own}/`),
        "nested under the daemon's cgroup",
      );
      assert.equal(file('memory', 'memory.limit_in_bytes'), String(32 * 1024 * 1024));
      assert.equal(file('pids', 'pids.max'), '50');
      assert.equal(file('cpu', 'cpu.cfs_quota_us'), '50000');
      assert.equal(file('cpu', 'cpu.shares'), '512');
      const memPath = path.join('/sys/fs/cgroup/memory', groups.get('memory') ?? '');
      assert.equal((await b(['rm', '-f', 'limits'])).code, 0);
      assert.ok(!existsSync(memPath), 'the cgroup goes with the container');
    });

    it('reports an OOM kill as OOMKilled and 137', async () => {
      const r = await b([
        'run',
        '--name',
        'oom',
        '-m',
        '8m',
        '--memory-swap',
        '8m',
        PROBE_IMAGE,
        'dd',
        'if=/dev/zero',
        'of=/dev/null',
        'bs=64M',
        'count=1',
      ]);
      assert.equal(r.code, 137, r.stderr);
      const state = await b(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'oom']);
      assert.equal(state.stdout.trim(), 'true 137');
      await b(['rm', 'oom']);
    });

    it('stops a fork bomb at --pids-limit', async () => {
      const started = Date.now();
      const r = await b([
        'run',
        '--rm',
        '--pids-limit',
        '10',
        PROBE_IMAGE,
        'sh',
        '-c',
        'for i in $(seq 1 40); do sleep 2 & done; wait; echo done',
      ]);
      assert.match(r.stderr, /can't fork: Resource temporarily unavailable/);
      assert.notEqual(r.code, 0, 'the shell gives up when it cannot fork');
      assert.doesNotMatch(r.stdout, /done/);
      assert.ok(Date.now() - started < 15_000);
    });

    it("keeps writes in the container's layer and drops them with rm", async () => {
      assert.equal((await b(['run', '--name', 'writer', PROBE_IMAGE, 'sh', '-c', 'echo data > /written.txt'])).code, 0);
      const upper = (await b(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'writer'])).stdout.trim();
      assert.equal(readFileSync(path.join(upper, 'written.txt'), 'utf8'), 'data\n');
      const fresh = await b(['run', '--rm', PROBE_IMAGE, 'cat', '/written.txt']);
      assert.notEqual(fresh.code, 0, 'another container does not see it');
      assert.equal((await b(['rm', 'writer'])).code, 0);
      assert.ok(!existsSync(upper), 'the layer goes with the container');
    });

    it('reports start failures as Docker does: 127, 126, and State.Error', async () => {
      const missing = await b(['run', '--name', 'missing', PROBE_IMAGE, 'nosuch']);
      assert.equal(missing.code, 127);
      assert.match(missing.stderr, /executable file not found in \$PATH/);
      const st = await b(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}|{{.State.Error}}', 'missing']);
      assert.match(st.stdout, /^created 127\|.*executable file not found/);
      const notExec = await b(['run', '--rm', PROBE_IMAGE, '/etc/passwd']);
      assert.equal(notExec.code, 126);
      assert.match(notExec.stderr, /permission denied/);
      await b(['rm', 'missing']);
    });
  },
);
