/**
 * Restart policies as dockerd applies them: on-failure:N restarts N times
 * (with back-off) and then stays exited with RestartCount N; `always` keeps a
 * container alive across a daemon kill -9 and comes back when the daemon
 * starts; a user-stopped `unless-stopped` container stays stopped; `docker
 * kill` ends a container for good.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { daemonLeaks, eventually, sleep } from '../helpers/day2';
import { safeName } from '../helpers/names';
import { importProbeImage, PROBE, PROBE_IMAGE } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

describe(
  'restart policies',
  { skip: requireAll(requireRoot(), requireFile(PROBE, 'the probe (make -C native)'), requireCommand('busybox')) },
  () => {
    let d: TestDaemon;
    const ids: string[] = [];
    const b = (args: string[]) => berth(d.host, args);
    const run = async (args: string[]) => {
      const r = await b(['run', '-d', ...args]);
      assert.equal(r.code, 0, r.stderr);
      ids.push(r.stdout.trim());
      return r.stdout.trim();
    };
    const inspect = async (name: string, format: string) => (await b(['inspect', '-f', format, name])).stdout.trim();

    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
    });
    after(async () => {
      const left = await b(['ps', '-aq']).catch(() => undefined);
      if (left && left.stdout.trim() !== '') await b(['rm', '-f', ...left.stdout.trim().split('\n')]);
      await d?.stop();
      assert.deepEqual(daemonLeaks(d, ids), []);
    });

    it('on-failure:2 restarts twice, then stays exited with RestartCount 2', () =>
      withDaemonLog(d, async () => {
        const name = safeName('onfail');
        const since = (Date.now() / 1000).toFixed(3);
        await run(['--name', name, '--restart', 'on-failure:2', PROBE_IMAGE, 'sh', '-c', 'exit 3']);
        await eventually('two restarts', async () =>
          (await inspect(name, '{{.State.Status}} {{.RestartCount}}')) === 'exited 2' ? true : undefined,
        );
        await sleep(1500);
        assert.equal(await inspect(name, '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}'), 'exited 2 3');
        const ev = await b([
          'events',
          '--since',
          since,
          '--until',
          (Date.now() / 1000).toFixed(3),
          '--filter',
          `container=${name}`,
          '--format',
          '{{.Action}}',
        ]);
        assert.equal(ev.stdout, 'create\nstart\ndie\nstart\ndie\nstart\ndie\n');
        // A user's start begins the count again.
        const started = await b(['start', name]);
        assert.equal(started.code, 0, started.stderr);
        await eventually('two more restarts', async () =>
          (await inspect(name, '{{.State.Status}} {{.RestartCount}}')) === 'exited 2' ? true : undefined,
        );
        const removed = await b(['rm', name]);
        assert.equal(removed.code, 0, removed.stderr);
      }));

    it('on-failure leaves a clean exit alone; kill ends an `always` container for good', () =>
      withDaemonLog(d, async () => {
        const ok = safeName('ok');
        await run(['--name', ok, '--restart', 'on-failure', PROBE_IMAGE, 'true']);
        await eventually('the exit', async () =>
          (await inspect(ok, '{{.State.Status}}')) === 'exited' ? true : undefined,
        );
        await sleep(500);
        assert.equal(await inspect(ok, '{{.State.Status}} {{.RestartCount}}'), 'exited 0');

        const killed = safeName('killed');
        await run(['--name', killed, '--restart', 'always', PROBE_IMAGE, 'sleep', '300']);
        assert.equal((await b(['kill', killed])).code, 0);
        await sleep(800);
        assert.equal(await inspect(killed, '{{.State.Status}} {{.RestartCount}}'), 'exited 0');
        assert.equal((await b(['rm', ok, killed])).code, 0);
      }));

    it('always restarts a container whose process dies, with back-off', () =>
      withDaemonLog(d, async () => {
        const name = safeName('always');
        await run(['--name', name, '--restart', 'always', PROBE_IMAGE, 'sh', '-c', 'sleep 0.2; exit 1']);
        await eventually('three restarts', async () =>
          Number(await inspect(name, '{{.RestartCount}}')) >= 3 ? true : undefined,
        );
        assert.match(await inspect(name, '{{.State.Status}}'), /^(running|restarting)$/);
        assert.equal((await b(['stop', '-t', '1', name])).code, 0);
        await sleep(800);
        assert.equal(await inspect(name, '{{.State.Status}}'), 'exited', 'a stopped container stays stopped');
        assert.equal((await b(['rm', name])).code, 0);
      }));

    it('across a daemon kill -9: always keeps running, a stopped unless-stopped stays stopped, a stopped always comes back', () =>
      withDaemonLog(d, async () => {
        const always = safeName('alw');
        const stoppedAlways = safeName('salw');
        const unless = safeName('unl');
        const unlessRunning = safeName('unlr');
        await run(['--name', always, '--restart', 'always', PROBE_IMAGE, 'sleep', '300']);
        await run(['--name', stoppedAlways, '--restart', 'always', PROBE_IMAGE, 'sleep', '300']);
        await run(['--name', unless, '--restart', 'unless-stopped', PROBE_IMAGE, 'sleep', '300']);
        await run(['--name', unlessRunning, '--restart', 'unless-stopped', PROBE_IMAGE, 'sleep', '300']);
        assert.equal((await b(['stop', '-t', '1', unless, stoppedAlways])).code, 0);
        const pid = await inspect(always, '{{.State.Pid}}');

        await d.kill9();
        await d.restart();

        assert.equal(await inspect(always, '{{.State.Status}} {{.State.Pid}}'), `running ${pid}`);
        assert.equal(await inspect(unlessRunning, '{{.State.Status}}'), 'running');
        assert.equal(await inspect(unless, '{{.State.Status}}'), 'exited');
        await eventually('the stopped always container to come back', async () =>
          (await inspect(stoppedAlways, '{{.State.Status}}')) === 'running' ? true : undefined,
        );

        // And once more after a clean daemon restart with `always` stopped by the user.
        assert.equal((await b(['rm', '-f', always, stoppedAlways, unless, unlessRunning])).code, 0);
      }));
  },
);
