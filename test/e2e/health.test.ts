/**
 * Health checks end to end against a private berthd: `--health-*` flags
 * (berth's CLI and the docker CLI), status transitions starting → unhealthy
 * → healthy in inspect and `ps`, the last results in State.Health.Log, a
 * probe that outlives its timeout, `health_status` events, `--no-healthcheck`
 * and checks that stop with the container.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, DOCKER, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { importProbeImage, PROBE, PROBE_IMAGE } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

interface Health {
  Status: string;
  FailingStreak: number;
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

describe(
  'health checks',
  { skip: requireAll(requireRoot(), requireFile(PROBE, 'the probe (make -C native)'), requireCommand('busybox')) },
  () => {
    let d: TestDaemon;
    const b = (args: string[]) => berth(d.host, args);
    const health = async (name: string): Promise<Health | undefined> => {
      const r = await d.request('GET', `/containers/${name}/json`);
      return r.json<{ State: { Health?: Health } }>().State.Health;
    };
    const waitFor = async (name: string, status: string, timeoutMs = 10_000): Promise<Health> => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const h = await health(name);
        if (h?.Status === status) return h;
        if (Date.now() > until)
          throw new Error(`${name}: still ${JSON.stringify(h)}, wanted ${status}\n${d.logTail(20)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
    });
    after(async () => {
      const left = await b(['ps', '-aq']);
      if (left.stdout.trim() !== '') await b(['rm', '-f', ...left.stdout.trim().split('\n')]);
      await d?.stop();
    });

    it('starting → unhealthy after the retries → healthy; in inspect, in ps, and as health_status events', async () => {
      const since = Math.floor(Date.now() / 1000) - 1;
      const r = await b([
        'run',
        '-d',
        '--name',
        'hc',
        '--health-cmd',
        'echo probing; test -f /tmp/ok',
        '--health-interval',
        '200ms',
        '--health-retries',
        '2',
        PROBE_IMAGE,
        'sleep',
        '1000',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const first = await health('hc');
      assert.equal(first?.Status, 'starting');
      assert.match(
        (await b(['ps', '--format', '{{.Status}}', '-f', 'name=hc'])).stdout,
        /^Up .* \(health: starting\)\n$/,
      );
      const config = (await d.request('GET', '/containers/hc/json')).json<{
        Config: { Healthcheck: { Test: string[]; Interval: number; Retries: number } };
      }>().Config.Healthcheck;
      assert.deepEqual(config, {
        Test: ['CMD-SHELL', 'echo probing; test -f /tmp/ok'],
        Interval: 200e6,
        Timeout: 0,
        StartPeriod: 0,
        StartInterval: 0,
        Retries: 2,
      });

      const bad = await waitFor('hc', 'unhealthy');
      assert.ok(bad.FailingStreak >= 2);
      assert.equal(bad.Log.at(-1)?.ExitCode, 1);
      assert.equal(bad.Log.at(-1)?.Output, 'probing\n');
      assert.match((await b(['ps', '--format', '{{.Status}}', '-f', 'name=hc'])).stdout, /\(unhealthy\)\n$/);
      assert.equal((await b(['ps', '-q', '-f', 'health=unhealthy'])).stdout.trim().length, 12);

      assert.equal((await b(['exec', 'hc', 'touch', '/tmp/ok'])).code, 0);
      const good = await waitFor('hc', 'healthy');
      assert.equal(good.FailingStreak, 0);
      assert.ok(good.Log.length <= 5);
      assert.equal(good.Log.at(-1)?.ExitCode, 0);
      assert.ok(Date.parse(good.Log.at(-1)!.End) >= Date.parse(good.Log.at(-1)!.Start));
      assert.match((await b(['ps', '--format', '{{.Status}}', '-f', 'name=hc'])).stdout, /\(healthy\)\n$/);

      const until = Math.ceil(Date.now() / 1000) + 1;
      const ev = await d.request(
        'GET',
        `/events?since=${since}&until=${until}&filters=${encodeURIComponent('{"container":["hc"]}')}`,
      );
      const actions = ev.text
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { Action: string }).Action);
      const statuses = actions.filter((a) => a.startsWith('health_status'));
      assert.deepEqual(statuses, ['health_status: unhealthy', 'health_status: healthy'], actions.join('\n'));
      assert.ok(
        actions.some((a) => a === 'exec_start: /bin/sh -c echo probing; test -f /tmp/ok'),
        actions.join('\n'),
      );

      // Stopped: no more probes, and the status is unhealthy (as dockerd reports it).
      assert.equal((await b(['stop', '-t', '0', 'hc'])).code, 0);
      const stopped = await health('hc');
      assert.equal(stopped?.Status, 'unhealthy');
      const count = stopped?.Log.length;
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual((await health('hc'))?.Log.length, count);
      // Started again: starting again, the log kept.
      assert.equal((await b(['start', 'hc'])).code, 0);
      assert.equal((await health('hc'))?.Status, 'starting');
      assert.equal((await b(['rm', '-f', 'hc'])).code, 0);
    });

    it('a probe that outlives --health-timeout is killed and fails with exit -1', async () => {
      const r = await b([
        'run',
        '-d',
        '--name',
        'slow',
        '--health-cmd',
        'sleep 5',
        '--health-interval',
        '100ms',
        '--health-timeout',
        '300ms',
        '--health-retries',
        '1',
        PROBE_IMAGE,
        'sleep',
        '1000',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const h = await waitFor('slow', 'unhealthy');
      assert.equal(h.Log[0]?.ExitCode, -1);
      assert.equal(h.Log[0]?.Output, 'Health check exceeded timeout (300ms)');
      // Each probe is killed at its timeout: they do not pile up (one may be running now).
      const until = Date.now() + 10_000;
      while (((await health('slow'))?.Log.length ?? 0) < 3 && Date.now() < until) {
        await new Promise((res) => setTimeout(res, 100));
      }
      const ps = await b(['exec', 'slow', 'ps', '-o', 'args']);
      assert.ok(ps.stdout.split('\n').filter((l) => l.startsWith('sleep 5')).length <= 1, ps.stdout);
      assert.equal((await b(['rm', '-f', 'slow'])).code, 0);
    });

    it('--no-healthcheck and no health check: no State.Health, plain ps status; bad flags', async () => {
      assert.equal(
        (await b(['run', '-d', '--name', 'none', '--no-healthcheck', PROBE_IMAGE, 'sleep', '1000'])).code,
        0,
      );
      assert.equal(await health('none'), undefined);
      assert.match((await b(['ps', '--format', '{{.Status}}', '-f', 'name=none'])).stdout, /^Up [^(]*\n$/);
      const conflict = await b(['run', '--no-healthcheck', '--health-cmd', 'true', PROBE_IMAGE, 'true']);
      assert.equal(conflict.code, 125);
      assert.match(conflict.stderr, /--no-healthcheck conflicts with --health-\* options/);
      const badDuration = await b(['run', '--health-interval', '5x', PROBE_IMAGE, 'true']);
      assert.equal(badDuration.code, 125);
      assert.match(
        badDuration.stderr,
        /invalid argument "5x" for "--health-interval" flag: time: invalid duration "5x"/,
      );
      assert.equal((await b(['rm', '-f', 'none'])).code, 0);
    });

    it(
      'the docker CLI: docker run --health-cmd ... shows (healthy) in docker ps',
      { skip: requireFile(DOCKER, 'the docker CLI') },
      async () => {
        const r = await docker(d.host, [
          'run',
          '-d',
          '--name',
          'dk',
          '--health-cmd',
          'true',
          '--health-interval',
          '1m',
          '--health-start-period',
          '10s',
          '--health-start-interval',
          '100ms',
          PROBE_IMAGE,
          'sleep',
          '1000',
        ]);
        assert.equal(r.code, 0, r.stderr);
        await waitFor('dk', 'healthy');
        const ps = await docker(d.host, ['ps', '--filter', 'name=dk', '--format', '{{.Status}}']);
        assert.match(ps.stdout, /^Up .* \(healthy\)\n$/);
        const fmt = await docker(d.host, ['inspect', '-f', '{{.State.Health.Status}} {{len .State.Health.Log}}', 'dk']);
        assert.match(fmt.stdout, /^healthy [1-5]\n$/);
        assert.equal((await docker(d.host, ['rm', '-f', 'dk'])).code, 0);
      },
    );
  },
);
