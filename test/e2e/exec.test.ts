/**
 * `exec` end to end, with berth's CLI, the real docker CLI and the raw API
 * against a private berthd: the exec is inside the container (its PID
 * namespace, hostname, mounts, cgroups, security), `-u`/`-w`/`-e`, exit
 * codes (127 for a missing command), stdin with half-close, a TTY through a
 * real pty (`script`), Docker's errors, exec inspect and `ExecIDs`; and
 * `--init`, whose PID 1 reaps zombies.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, DOCKER, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { importProbeImage, PROBE, PROBE_IMAGE, type ProbeReport } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  ContainerID: string;
  ProcessConfig: { entrypoint: string; arguments: string[]; tty: boolean };
}

describe(
  'exec',
  {
    skip: requireAll(requireRoot(), requireFile(PROBE, 'the probe (make -C native)'), requireCommand('busybox')),
  },
  () => {
    let d: TestDaemon;
    let id = '';
    const b = (args: string[], input?: string) => berth(d.host, args, input === undefined ? {} : { input });
    const ok = async (args: string[], input?: string) => {
      const r = await b(args, input);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}\n${d.logTail(20)}`);
      return r.stdout;
    };

    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
      // The init records what it sees, so the exec can be compared with it.
      id = (
        await ok([
          'run',
          '-d',
          '--name',
          'ex',
          PROBE_IMAGE,
          'sh',
          '-c',
          '/probe json > /tmp/init.json; exec sleep 1000',
        ])
      ).trim();
      for (let i = 0; i < 100; i++) {
        if ((await b(['exec', 'ex', 'test', '-s', '/tmp/init.json'])).code === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    after(async () => {
      const left = await b(['ps', '-aq']);
      if (left.stdout.trim() !== '') await b(['rm', '-f', ...left.stdout.trim().split('\n')]);
      await d?.stop();
    });

    it('runs a command in the running container: echo hi', async () => {
      const r = await b(['exec', 'ex', 'echo', 'hi']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hi\n');
      assert.equal(r.stderr, '');
    });

    it('is inside the container: its PID namespace, hostname, mounts, cgroups and security', async () => {
      const init = JSON.parse(await ok(['exec', 'ex', 'cat', '/tmp/init.json'])) as ProbeReport;
      const p = JSON.parse(await ok(['exec', 'ex', '/probe', 'json'])) as ProbeReport & { pid1comm: string };
      assert.notEqual(p.pid, 1);
      assert.equal(p.ppid, 0, 'its parent is outside the PID namespace, as with runc exec');
      assert.equal(p.pid1comm, 'sleep');
      assert.equal(p.hostname, id.slice(0, 12));
      assert.deepEqual(
        p.mounts.map((m) => m.target),
        init.mounts.map((m) => m.target),
      );
      assert.deepEqual(p.cgroup, init.cgroup);
      assert.equal(p.CapEff, init.CapEff);
      assert.equal(p.CapBnd, init.CapBnd);
      assert.equal(p.Seccomp, init.Seccomp);
      assert.equal(p.NoNewPrivs, init.NoNewPrivs);
      assert.equal(p.uid, 0);
      assert.ok(p.env.includes(`HOSTNAME=${id.slice(0, 12)}`), p.env.join(' '));
      assert.ok(p.env.includes('HOME=/root'), p.env.join(' '));
    });

    it('-u, -w and -e (the exec’s env over the container’s, HOME from the user)', async () => {
      const out = await ok([
        'exec',
        '-u',
        'app',
        '-w',
        '/tmp',
        '-e',
        'FOO=bar',
        'ex',
        'sh',
        '-c',
        'id -u; id -G; pwd; echo $FOO $HOME',
      ]);
      assert.equal(out, '1000\n1000 2000\n/tmp\nbar /home/app\n');
      assert.equal(await ok(['exec', '-u', '1:2', 'ex', 'sh', '-c', 'echo $(id -u):$(id -g)']), '1:2\n');
      const missing = await b(['exec', '-u', 'nosuchuser', 'ex', 'true']);
      assert.equal(missing.code, 126);
      assert.match(missing.stdout, /unable to find user nosuchuser: no matching entries in passwd file/);
      const noDir = await b(['exec', '-w', '/nonexistent', 'ex', 'true']);
      assert.equal(noDir.code, 126);
      assert.match(
        noDir.stdout,
        /chdir to cwd \("\/nonexistent"\) set in config.json failed: no such file or directory/,
      );
    });

    it('--privileged gets every capability, seccomp stays', async () => {
      const p = JSON.parse(await ok(['exec', '--privileged', 'ex', '/probe', 'json'])) as ProbeReport;
      assert.notEqual(p.CapEff, '00000000a80425fb');
      assert.ok(BigInt(`0x${p.CapEff}`) > BigInt('0xa80425fb'));
      assert.equal(p.Seccomp, '2');
    });

    it('exit codes: the command’s, 127 for a missing command, 126 for one that cannot run', async () => {
      assert.equal((await b(['exec', 'ex', 'sh', '-c', 'exit 7'])).code, 7);
      const missing = await b(['exec', 'ex', 'nosuchcommand']);
      assert.equal(missing.code, 127);
      assert.match(
        missing.stdout,
        /^OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcommand": executable file not found in \$PATH: unknown\r?\n$/,
      );
      assert.equal((await b(['exec', 'ex', '/etc/passwd'])).code, 126);
      const killed = await b(['exec', 'ex', 'sh', '-c', 'kill -9 $$']);
      assert.equal(killed.code, 137);
    });

    it('stdin: echo hi | berth exec -i C cat (and stdout/stderr apart)', async () => {
      const r = await b(['exec', '-i', 'ex', 'cat'], 'hi\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hi\n');
      const both = await b(['exec', 'ex', 'sh', '-c', 'echo out; echo err >&2']);
      assert.equal(both.stdout, 'out\n');
      assert.equal(both.stderr, 'err\n');
      // Without -i the exec's stdin is /dev/null.
      assert.equal(await ok(['exec', 'ex', 'cat'], 'ignored\n'), '');
    });

    it('-d runs in the background; inspect shows it running, then its exit; ExecIDs lists it meanwhile', async () => {
      const create = await d.request('POST', '/containers/ex/exec', { Cmd: ['sleep', '0.5'], AttachStdout: true });
      assert.equal(create.status, 201, create.text);
      const execId = create.json<{ Id: string }>().Id;
      assert.match(execId, /^[0-9a-f]{64}$/);
      let info = (await d.request('GET', `/exec/${execId}/json`)).json<ExecInspect>();
      assert.equal(info.Running, false);
      assert.equal(info.ExitCode, null);
      assert.equal(info.ContainerID, id);
      const start = await d.request('POST', `/exec/${execId}/start`, { Detach: true });
      assert.equal(start.status, 200);
      assert.equal(start.text, '');
      info = (await d.request('GET', `/exec/${execId}/json`)).json<ExecInspect>();
      assert.equal(info.Running, true);
      assert.ok(info.Pid > 0);
      assert.deepEqual(info.ProcessConfig.arguments, ['0.5']);
      const ids = (await d.request('GET', '/containers/ex/json')).json<{ ExecIDs: string[] | null }>().ExecIDs;
      assert.ok(ids?.includes(execId), JSON.stringify(ids));
      for (let i = 0; i < 50 && info.Running; i++) {
        await new Promise((r) => setTimeout(r, 50));
        info = (await d.request('GET', `/exec/${execId}/json`)).json<ExecInspect>();
      }
      assert.equal(info.Running, false);
      assert.equal(info.ExitCode, 0);
      const again = await d.request('POST', `/exec/${execId}/start`, { Detach: true });
      assert.equal(again.status, 409);
    });

    it("Docker's errors: no command, no such exec, no such container, a stopped container", async () => {
      const noCmd = await d.request('POST', '/containers/ex/exec', { Cmd: [] });
      assert.equal(noCmd.status, 400);
      assert.equal(noCmd.json<{ message: string }>().message, 'No exec command specified');
      const noExec = await d.request('GET', '/exec/nope/json');
      assert.equal(noExec.status, 404);
      assert.equal(noExec.json<{ message: string }>().message, 'No such exec instance: nope');
      const noStart = await d.request('POST', '/exec/nope/start', { Detach: false });
      assert.equal(noStart.status, 404);
      const noContainer = await b(['exec', 'nosuchcontainer', 'true']);
      assert.equal(noContainer.code, 1);
      assert.equal(noContainer.stderr, 'Error response from daemon: No such container: nosuchcontainer\n');
      const stoppedId = (await ok(['run', '-d', PROBE_IMAGE, 'sleep', '1000'])).trim();
      await ok(['stop', '-t', '0', stoppedId]);
      const r = await b(['exec', stoppedId, 'true']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error response from daemon: container ${stoppedId} is not running\n`);
      await ok(['rm', stoppedId]);
    });

    it(
      'the docker CLI: docker exec, docker exec -i, exit codes',
      { skip: requireFile(DOCKER, 'the docker CLI') },
      async () => {
        const r = await docker(d.host, ['exec', 'ex', 'echo', 'hi']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'hi\n');
        const i = await docker(d.host, ['exec', '-i', 'ex', 'sh', '-c', 'cat; echo done'], { input: 'from stdin\n' });
        assert.equal(i.code, 0, i.stderr);
        assert.equal(i.stdout, 'from stdin\ndone\n');
        assert.equal((await docker(d.host, ['exec', 'ex', 'sh', '-c', 'exit 3'])).code, 3);
        const missing = await docker(d.host, ['exec', 'ex', 'nosuchcommand']);
        assert.equal(missing.code, 127);
        assert.match(missing.stdout, /executable file not found in \$PATH/);
        const env = await docker(d.host, [
          'exec',
          '-u',
          'app',
          '-w',
          '/tmp',
          '-e',
          'X=1',
          'ex',
          'sh',
          '-c',
          'echo $(id -u) $PWD $X',
        ]);
        assert.equal(env.stdout, '1000 /tmp 1\n');
        const detached = await docker(d.host, ['exec', '-d', 'ex', 'true']);
        assert.equal(detached.code, 0, detached.stderr);
      },
    );

    for (const cli of ['docker', 'berth'] as const) {
      it(
        `${cli} exec -it through a pty: typed input comes back, the size is the terminal's, the exit code is the shell's`,
        { skip: requireAll(requireCommand('script'), cli === 'docker' && requireFile(DOCKER, 'the docker CLI')) },
        async () => {
          const program =
            cli === 'docker' ? DOCKER : `${process.execPath} ${path.resolve(__dirname, '..', '..', 'bin', 'berth')}`;
          const cmd = `stty rows 30 cols 100; ${program} -H ${d.host} exec -it ex sh`;
          const typed = 'echo typed-$((40+2))\rstty size\rexit 5\r';
          const r = await ptyRun(cmd, typed);
          assert.match(r.out, /typed-42/, r.out);
          assert.match(r.out, /echo typed-\$\(\(40\+2\)\)/, `the echo of the typed line: ${r.out}`);
          assert.match(r.out, /30 100/, r.out);
          assert.equal(r.code, 5, r.out);
        },
      );
    }

    it(
      'docker exec -it: ctrl-p ctrl-q detaches, the exec goes on',
      { skip: requireAll(requireCommand('script'), requireFile(DOCKER, 'the docker CLI')) },
      async () => {
        const r = await ptyRun(`${DOCKER} -H ${d.host} exec -it ex sh`, 'sleep 77\r\x10\x11\r');
        // The docker CLI reports the detach as an error of its own.
        assert.equal(r.code, 1, r.out);
        assert.match(r.out, /read escape sequence/);
        const ps = await ok(['exec', 'ex', 'ps', '-o', 'args']);
        assert.match(ps, /sleep 77/);
        await ok([
          'exec',
          'ex',
          'sh',
          '-c',
          'ps -o pid,args | grep "[s]leep 77" | while read -r p a; do kill $p; done',
        ]);
      },
    );

    it('exec into a paused container is refused', async () => {
      const paused = await d.request('POST', '/containers/ex/pause');
      if (paused.status === 404 || paused.status === 501) return; // pause arrives with another change
      try {
        const r = await b(['exec', 'ex', 'true']);
        assert.equal(r.code, 1);
        assert.equal(
          r.stderr,
          'Error response from daemon: container ex is paused, unpause the container before exec\n',
        );
      } finally {
        await d.request('POST', '/containers/ex/unpause');
      }
    });
  },
);

describe(
  '--init',
  { skip: requireAll(requireRoot(), requireFile(PROBE, 'the probe (make -C native)'), requireCommand('busybox')) },
  () => {
    let d: TestDaemon;
    const b = (args: string[]) => berth(d.host, args);
    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
    });
    after(async () => {
      const left = await b(['ps', '-aq']);
      if (left.stdout.trim() !== '') await b(['rm', '-f', ...left.stdout.trim().split('\n')]);
      await d?.stop();
    });

    // An orphan is re-parented to PID 1; `sleep` as PID 1 never reaps it, docker-init does.
    const ZOMBIE_MAKER = '(sleep 0.1 &); exec sleep 1000';
    const states = async (name: string) => {
      const r = await b(['exec', name, 'sh', '-c', 'for s in /proc/[0-9]*/stat; do read -r l < $s && echo "$l"; done']);
      return r.stdout
        .trim()
        .split('\n')
        .map((l) => {
          const m = /^(\d+) \((.*)\) (\S)/.exec(l);
          return { pid: Number(m?.[1]), comm: m?.[2] ?? '', state: m?.[3] ?? '' };
        });
    };

    it('PID 1 is /sbin/docker-init, which reaps zombies (without it they stay)', async () => {
      assert.equal((await b(['run', '-d', '--name', 'noinit', PROBE_IMAGE, 'sh', '-c', ZOMBIE_MAKER])).code, 0);
      const r = await b(['run', '-d', '--init', '--name', 'init', PROBE_IMAGE, 'sh', '-c', ZOMBIE_MAKER]);
      assert.equal(r.code, 0, r.stderr);
      await new Promise((res) => setTimeout(res, 800));
      const without = await states('noinit');
      assert.ok(
        without.some((p) => p.state === 'Z'),
        `a zombie without --init: ${JSON.stringify(without)}`,
      );
      const withInit = await states('init');
      assert.equal(withInit.find((p) => p.pid === 1)?.comm, 'docker-init');
      assert.ok(!withInit.some((p) => p.state === 'Z'), `no zombie with --init: ${JSON.stringify(withInit)}`);
      const inspect = JSON.parse((await b(['inspect', 'init'])).stdout) as Array<{
        Path: string;
        HostConfig: { Init: boolean };
      }>;
      assert.equal(inspect[0]?.HostConfig.Init, true);
      // The init forwards `stop`'s SIGTERM to the command: it stops at once.
      const t0 = Date.now();
      assert.equal((await b(['stop', 'init'])).code, 0);
      assert.ok(Date.now() - t0 < 5000, 'SIGTERM reached the command');
    });
  },
);

/** Runs `cmd` under `script` (a real pty), typing `input` slowly; returns what the terminal showed and the exit code. */
async function ptyRun(cmd: string, input: string): Promise<{ out: string; code: number | null }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
    // Type one line at a time once the shell has had time to start.
    const lines = input.split('\r').filter((l) => l !== '');
    let i = 0;
    const typeNext = () => {
      if (i >= lines.length) return;
      child.stdin.write(`${lines[i++]}\r`);
      setTimeout(typeNext, 400);
    };
    setTimeout(typeNext, 1500);
  });
}
