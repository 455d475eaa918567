/**
 * berthd can be killed with -9 at any moment: running containers keep
 * running (their shims hold them), a restarted daemon finds every container
 * again — running ones through their shims, ones that exited meanwhile with
 * their exit code — and nothing is left behind once they are removed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { importProbeImage, PROBE, PROBE_IMAGE } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Shim processes (berth-core) whose bundle lives under `execRoot`. */
function shimsUnder(execRoot: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmdline.includes('berth-core') && cmdline.includes(execRoot);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe(
  'daemon kill -9 and restart',
  {
    skip: requireAll(requireRoot(), requireFile(PROBE, 'the probe (make -C native)'), requireCommand('busybox')),
  },
  () => {
    let d: TestDaemon;
    const b = (args: string[]) => berth(d.host, args);
    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
    });
    after(async () => {
      const left = await b(['ps', '-aq']).catch(() => undefined);
      if (left && left.stdout.trim() !== '') await b(['rm', '-f', ...left.stdout.trim().split('\n')]);
      await d?.stop();
    });

    it('keeps containers running and finds them, and those that exited meanwhile, after a restart', async () => {
      assert.equal(
        (await b(['run', '-d', '--name', 'keeps', PROBE_IMAGE, 'sh', '-c', 'echo before; sleep 300'])).code,
        0,
      );
      assert.equal(
        (await b(['run', '-d', '--name', 'exits', PROBE_IMAGE, 'sh', '-c', 'sleep 1; echo bye; exit 7'])).code,
        0,
      );
      assert.equal((await b(['create', '--name', 'idle', PROBE_IMAGE, 'true'])).code, 0);
      const pid = Number((await b(['inspect', '-f', '{{.State.Pid}}', 'keeps'])).stdout.trim());
      assert.ok(pid > 0);

      await d.kill9();
      assert.ok(alive(pid), 'the container outlives its daemon');
      await new Promise((r) => setTimeout(r, 2500)); // `exits` exits while no daemon watches
      await d.restart();

      const keeps = await b(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'keeps']);
      assert.equal(keeps.stdout.trim(), `running ${pid}`);
      const exits = await b(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'exits']);
      assert.equal(exits.stdout.trim(), 'exited 7');
      assert.equal((await b(['logs', 'exits'])).stdout, 'bye\n');
      assert.equal((await b(['inspect', '-f', '{{.State.Status}}', 'idle'])).stdout.trim(), 'created');

      // The restarted daemon still controls the running container: stop it, get its code.
      const stop = await b(['stop', '-t', '1', 'keeps']);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal((await b(['inspect', '-f', '{{.State.ExitCode}}', 'keeps'])).stdout.trim(), '137');
      assert.equal((await b(['logs', 'keeps'])).stdout, 'before\n');
      assert.ok(!alive(pid));

      assert.equal((await b(['rm', 'keeps', 'exits', 'idle'])).code, 0);
      assert.deepEqual(shimsUnder(d.execRoot), [], 'no shim is left');
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((l) => l.includes(d.execRoot));
      assert.deepEqual(mounts, [], 'no mount is left');
    });

    it('leaves nothing for a container removed while its daemon was down and back', async () => {
      assert.equal((await b(['run', '-d', '--name', 'gone', PROBE_IMAGE, 'sleep', '300'])).code, 0);
      const pid = Number((await b(['inspect', '-f', '{{.State.Pid}}', 'gone'])).stdout.trim());
      await d.kill9();
      process.kill(pid, 'SIGKILL'); // the container dies while no daemon watches
      await new Promise((r) => setTimeout(r, 500));
      await d.restart();
      assert.equal(
        (await b(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'gone'])).stdout.trim(),
        'exited 137',
      );
      assert.equal((await b(['rm', 'gone'])).code, 0);
      assert.deepEqual(shimsUnder(d.execRoot), []);
      assert.deepEqual(
        readdirSync(`${d.execRoot}/containers`).filter((n) => !n.startsWith('.')),
        [],
      );
    });
  },
);
