/**
 * The real docker CLI (v28) on berthd for the day-2 commands: events with
 * --since/--until, stats --no-stream, pause/unpause, rename, update, top.
 * Expected outputs are what the same commands print against dockerd.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DOCKER, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { cgroupDirOf, daemonLeaks, sleep } from '../helpers/day2';
import { safeName } from '../helpers/names';
import { importProbeImage, PROBE, PROBE_IMAGE } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

describe(
  'docker CLI against berthd: events, stats, pause, rename, update, top',
  {
    skip: requireAll(
      requireRoot(),
      requireFile(DOCKER, 'the docker CLI'),
      requireFile(PROBE, 'the probe (make -C native)'),
      requireCommand('busybox'),
    ),
  },
  () => {
    let d: TestDaemon;
    const ids: string[] = [];
    const dk = (args: string[]) => docker(d.host, args, { timeoutMs: 60_000 });

    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
    });
    after(async () => {
      try {
        const left = (await dk(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
        if (left.length > 0) await dk(['rm', '-f', ...left]);
        assert.deepEqual(left, [], 'containers left behind');
      } finally {
        await d?.stop();
        assert.deepEqual(daemonLeaks(d, ids), []);
      }
    });

    it('pause, unpause, rename, update, top and stats --no-stream', () =>
      withDaemonLog(d, async () => {
        const name = safeName('dk');
        const since = Math.floor(Date.now() / 1000) - 1;
        const r = await dk(['run', '-d', '--name', name, PROBE_IMAGE, 'sleep', '300']);
        assert.equal(r.code, 0, r.stderr);
        const id = r.stdout.trim();
        ids.push(id);

        assert.equal((await dk(['pause', name])).stdout, `${name}\n`);
        const again = await dk(['pause', name]);
        assert.equal(again.code, 1);
        assert.equal(again.stderr, `Error response from daemon: Container ${id} is already paused\n`);
        assert.match((await dk(['ps', '--format', '{{.Status}}', '-f', `name=${name}`])).stdout, /\(Paused\)/);
        assert.equal((await dk(['unpause', name])).stdout, `${name}\n`);
        const notPaused = await dk(['unpause', name]);
        assert.equal(notPaused.stderr, `Error response from daemon: Container ${id} is not paused\n`);

        const renamed = safeName('dk2');
        assert.equal((await dk(['rename', name, renamed])).code, 0);
        const same = await dk(['rename', renamed, renamed]);
        assert.equal(same.code, 1);
        assert.match(same.stderr, /Renaming a container with the same name as its current name/);

        const up = await dk(['update', '--memory', '48m', '--memory-swap', '96m', '--cpus', '0.5', renamed]);
        assert.equal(up.code, 0, up.stderr);
        assert.equal(up.stdout, `${renamed}\n`);
        const pid = Number((await dk(['inspect', '-f', '{{.State.Pid}}', renamed])).stdout.trim());
        assert.equal(
          readFileSync(`${cgroupDirOf(pid, 'memory')}/memory.limit_in_bytes`, 'utf8').trim(),
          String(48 << 20),
        );
        assert.equal(readFileSync(`${cgroupDirOf(pid, 'cpu')}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
        const quota = await dk(['update', '--cpu-quota', '1000', renamed]);
        assert.match(quota.stderr, /Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set/);

        const top = await dk(['top', renamed]);
        assert.equal(top.code, 0, top.stderr);
        const lines = top.stdout.trim().split('\n');
        assert.match(lines[0] ?? '', /^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
        assert.equal(lines.length, 2);
        assert.match(lines[1] ?? '', new RegExp(`^root\\s+${pid}\\s+\\d+\\s+.*sleep 300$`));
        const topO = await dk(['top', renamed, '-o', 'pid,comm']);
        assert.equal(topO.stdout, `PID                 COMMAND\n${pid}${' '.repeat(20 - String(pid).length)}sleep\n`);

        const stats = await dk(['stats', '--no-stream', renamed]);
        assert.equal(stats.code, 0, stats.stderr);
        const [header, row] = stats.stdout.trim().split('\n');
        assert.match(
          header ?? '',
          /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/,
        );
        const cols = (row ?? '').split(/\s{2,}/);
        assert.equal(cols[0], id.slice(0, 12));
        assert.equal(cols[1], renamed);
        assert.match(cols[3] ?? '', /^\d+(\.\d+)?[KM]iB \/ 48MiB$/);
        assert.equal(cols.at(-1), '1');

        assert.equal((await dk(['rm', '-f', renamed])).code, 0);
        await sleep(100);
        const until = Math.ceil(Date.now() / 1000) + 1;
        await sleep(Math.max(0, until * 1000 - Date.now()) + 50);
        const ev = await dk([
          'events',
          '--since',
          String(since),
          '--until',
          String(until),
          '--filter',
          `container=${id}`,
          '--format',
          '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
        ]);
        assert.equal(ev.code, 0, ev.stderr);
        const actions = ev.stdout.trim().split('\n');
        assert.deepEqual(actions.slice(0, 4), [
          `container create ${name}`,
          `container start ${name}`,
          `container pause ${name}`,
          `container unpause ${name}`,
        ]);
        assert.ok(actions.includes(`container rename ${renamed}`));
        assert.ok(actions.includes(`container update ${renamed}`));
        assert.ok(actions.includes(`container top ${renamed}`));
        assert.deepEqual(actions.slice(-3), [
          `container kill ${renamed}`,
          `container die ${renamed}`,
          `container destroy ${renamed}`,
        ]);
        const plain = await dk([
          'events',
          '--since',
          String(since),
          '--until',
          String(until),
          '--filter',
          'event=rename',
        ]);
        assert.match(
          plain.stdout,
          new RegExp(
            `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}\\S* container rename ${id} \\(image=${PROBE_IMAGE}, name=${renamed}, oldName=/${name}\\)\\n$`,
          ),
        );
      }));
  },
);
