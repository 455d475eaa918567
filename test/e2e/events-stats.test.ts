/**
 * Day-2 operations end to end, through the berth CLI and the raw API:
 * events (order, attributes, filters, since/until replay), pause/unpause
 * (the freezer really stops the container), rename, update (the real cgroup
 * file changes), top (only the container's processes), stats.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { cgroupDirOf, daemonLeaks, eventually, sleep } from '../helpers/day2';
import { safeName } from '../helpers/names';
import { importProbeImage, PROBE, PROBE_IMAGE } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

interface Event {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
}

const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done';

describe(
  'events, pause, rename, update, top, stats',
  { skip: requireAll(requireRoot(), requireFile(PROBE, 'the probe (make -C native)'), requireCommand('busybox')) },
  () => {
    let d: TestDaemon;
    const ids: string[] = [];
    const b = (args: string[]) => berth(d.host, args);
    const run = async (args: string[]) => {
      const r = await b(['run', '-d', ...args]);
      assert.equal(r.code, 0, r.stderr);
      const id = r.stdout.trim();
      ids.push(id);
      return id;
    };
    const pidOf = async (name: string) => Number((await b(['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim());
    const events = async (args: string[]): Promise<Event[]> => {
      const r = await b(['events', ...args, '--format', '{{json .}}']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Event);
    };

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

    it('reports a run as create, start, die (exitCode), destroy, with since/until replay and filters', () =>
      withDaemonLog(d, async () => {
        const since = (Date.now() / 1000).toFixed(3);
        const name = safeName('ev');
        const id = await run(['--name', name, '--label', 'berth.test=events', PROBE_IMAGE, 'sh', '-c', 'exit 3']);
        await eventually('the exit', async () =>
          (await b(['inspect', '-f', '{{.State.Status}}', name])).stdout.trim() === 'exited' ? true : undefined,
        );
        assert.equal((await b(['rm', name])).code, 0);
        const until = (Date.now() / 1000 + 0.001).toFixed(3);

        const mine = await events(['--since', since, '--until', until, '--filter', `container=${name}`]);
        assert.deepEqual(
          mine.map((e) => e.Action),
          ['create', 'start', 'die', 'destroy'],
        );
        for (const e of mine) {
          assert.equal(e.Type, 'container');
          assert.equal(e.status, e.Action);
          assert.equal(e.id, id);
          assert.equal(e.from, PROBE_IMAGE);
          assert.equal(e.Actor.ID, id);
          assert.equal(e.Actor.Attributes.name, name);
          assert.equal(e.Actor.Attributes.image, PROBE_IMAGE);
          assert.equal(e.Actor.Attributes['berth.test'], 'events');
          assert.equal(Math.floor(e.timeNano / 1e9), e.time);
        }
        assert.equal(mine[2]?.Actor.Attributes.exitCode, '3');

        const dies = await events([
          '--since',
          since,
          '--until',
          until,
          '--filter',
          'event=die',
          '--filter',
          'label=berth.test=events',
        ]);
        assert.deepEqual(
          dies.map((e) => e.Actor.ID),
          [id],
        );
        const byImage = await events([
          '--since',
          since,
          '--until',
          until,
          '--filter',
          'type=container',
          '--filter',
          `image=${PROBE_IMAGE.split(':')[0]}`,
        ]);
        assert.ok(byImage.some((e) => e.Actor.ID === id));
        const none = await events([
          '--since',
          since,
          '--until',
          until,
          '--filter',
          'type=image',
          '--filter',
          `container=${name}`,
        ]);
        assert.deepEqual(none, []);

        const bad = await d.request('GET', `/events?since=${until}&until=${since}`);
        assert.equal(bad.status, 400);
      }));

    it('streams live events as they happen, headers first', () =>
      withDaemonLog(d, async () => {
        const name = safeName('live');
        const until = (Date.now() / 1000 + 4).toFixed(3);
        const pending = events(['--until', until, '--filter', `container=${name}`, '--filter', 'event=start']);
        await sleep(500);
        await run(['--name', name, PROBE_IMAGE, 'true']);
        const got = await pending;
        assert.deepEqual(
          got.map((e) => e.Action),
          ['start'],
        );
        assert.equal((await b(['rm', '-f', name])).code, 0);
      }));

    it('pause freezes the container and unpause resumes it', () =>
      withDaemonLog(d, async () => {
        const name = safeName('pause');
        await run(['--name', name, PROBE_IMAGE, 'sh', '-c', COUNTER]);
        const pid = await pidOf(name);
        const count = () => Number(readFileSync(`/proc/${pid}/root/tmp/count`, 'utf8').trim() || '0');
        await eventually('the counter', async () =>
          existsSync(`/proc/${pid}/root/tmp/count`) && count() > 0 ? true : undefined,
        );

        assert.equal((await b(['pause', name])).stdout, `${name}\n`);
        const again = await b(['pause', name]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /Error response from daemon: Container [0-9a-f]{64} is already paused/);
        assert.equal(
          (await b(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', name])).stdout.trim(),
          'paused true',
        );
        assert.match(
          (await b(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).stdout,
          /^Up .* \(Paused\)\n$/,
        );
        const frozen = count();
        await sleep(600);
        assert.equal(count(), frozen, 'the counter stands still while paused');

        assert.equal((await b(['unpause', name])).code, 0);
        await eventually('the counter to move again', async () => (count() > frozen ? true : undefined), 5000);
        const notPaused = await b(['unpause', name]);
        assert.match(notPaused.stderr, /Container [0-9a-f]{64} is not paused/);

        // kill of a paused container thaws it first, so the kill lands
        assert.equal((await b(['pause', name])).code, 0);
        assert.equal((await b(['kill', name])).code, 0);
        assert.equal(
          (await b(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])).stdout.trim(),
          'exited 137',
        );
        const stopped = await b(['pause', name]);
        assert.match(stopped.stderr, /Container [0-9a-f]{64} is not running/);
        assert.equal((await b(['rm', name])).code, 0);
      }));

    it('stop of a paused container stops it', () =>
      withDaemonLog(d, async () => {
        const name = safeName('pstop');
        await run(['--name', name, PROBE_IMAGE, 'sleep', '300']);
        assert.equal((await b(['pause', name])).code, 0);
        assert.equal((await b(['stop', '-t', '1', name])).code, 0);
        assert.equal((await b(['inspect', '-f', '{{.State.Status}}', name])).stdout.trim(), 'exited');
        assert.equal((await b(['rm', name])).code, 0);
      }));

    it('renames, refusing taken, empty and unchanged names', () =>
      withDaemonLog(d, async () => {
        const a = safeName('rena');
        const c = safeName('renc');
        const id = await run(['--name', a, PROBE_IMAGE, 'sleep', '300']);
        await run(['--name', c, PROBE_IMAGE, 'sleep', '300']);
        const since = (Date.now() / 1000).toFixed(3);
        const taken = await b(['rename', a, c]);
        assert.equal(taken.code, 1);
        assert.match(
          taken.stderr,
          /Error when allocating new name: Conflict. The container name "\/.*" is already in use/,
        );
        assert.equal((await d.request('POST', `/containers/${a}/rename?name=${a}`)).status, 400);
        assert.equal((await d.request('POST', `/containers/${a}/rename?name=`)).status, 400);
        const b2 = safeName('renb');
        assert.equal((await b(['rename', a, b2])).code, 0);
        assert.equal((await b(['inspect', '-f', '{{.Name}} {{.Id}}', b2])).stdout.trim(), `/${b2} ${id}`);
        assert.equal((await b(['inspect', a])).code, 1);
        const ev = await events([
          '--since',
          since,
          '--until',
          (Date.now() / 1000).toFixed(3),
          '--filter',
          'event=rename',
        ]);
        assert.equal(ev.length, 1);
        assert.equal(ev[0]?.Actor.Attributes.name, b2);
        assert.equal(ev[0]?.Actor.Attributes.oldName, `/${a}`);
        // the old name is free again
        await run(['--name', a, PROBE_IMAGE, 'true']);
        assert.equal((await b(['rm', '-f', a, b2, c])).code, 0);
      }));

    it('update changes the running cgroup and the recorded HostConfig', () =>
      withDaemonLog(d, async () => {
        const name = safeName('upd');
        await run(['--name', name, PROBE_IMAGE, 'sleep', '300']);
        const pid = await pidOf(name);
        const r = await b([
          'update',
          '--memory',
          '64m',
          '--memory-swap',
          '128m',
          '--pids-limit',
          '40',
          '--restart',
          'on-failure:3',
          name,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `${name}\n`);
        const mem = cgroupDirOf(pid, 'memory');
        assert.equal(readFileSync(`${mem}/memory.limit_in_bytes`, 'utf8').trim(), String(64 << 20));
        assert.equal(readFileSync(`${cgroupDirOf(pid, 'pids')}/pids.max`, 'utf8').trim(), '40');
        const hc = await b([
          'inspect',
          '-f',
          '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}',
          name,
        ]);
        assert.equal(hc.stdout.trim(), `${64 << 20} ${128 << 20} 40 on-failure:3`);
        const res = await d.request('POST', `/containers/${name}/update`, { CpuShares: 512 });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json(), { Warnings: [] });
        assert.equal(readFileSync(`${cgroupDirOf(pid, 'cpu')}/cpu.shares`, 'utf8').trim(), '512');
        const conflictRes = await d.request('POST', `/containers/${name}/update`, { Memory: 256 << 20 });
        assert.equal(conflictRes.status, 409);
        assert.equal((await b(['rm', '-f', name])).code, 0);
      }));

    it('top lists the container’s processes only', () =>
      withDaemonLog(d, async () => {
        const name = safeName('top');
        await run(['--name', name, PROBE_IMAGE, 'sh', '-c', 'sleep 301 & sleep 302; true']);
        await sleep(300);
        const r = await b(['top', name]);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split('\n');
        assert.match(lines[0] ?? '', /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
        const cmds = lines.slice(1).map((l) => l.split(/\s{2,}/).at(-1));
        assert.deepEqual(cmds.sort(), ['sh -c sleep 301 & sleep 302; true', 'sleep 301', 'sleep 302']);
        const custom = await d.request('GET', `/containers/${name}/top?ps_args=-o%20pid,comm`);
        assert.equal(custom.status, 200);
        const body = custom.json<{ Titles: string[]; Processes: string[][] }>();
        assert.deepEqual(body.Titles, ['PID', 'COMMAND']);
        assert.equal(body.Processes.length, 3);
        assert.equal((await b(['stop', '-t', '0', name])).code, 0);
        const notRunning = await d.request('GET', `/containers/${name}/top`);
        assert.equal(notRunning.status, 409);
        assert.equal((await b(['rm', name])).code, 0);
      }));

    it('stats --no-stream shows the running containers with memory in use', () =>
      withDaemonLog(d, async () => {
        const name = safeName('stats');
        const id = await run(['--name', name, PROBE_IMAGE, 'sleep', '300']);
        const r = await b(['stats', '--no-stream']);
        assert.equal(r.code, 0, r.stderr);
        const [header, ...rows] = r.stdout.trim().split('\n');
        assert.match(
          header ?? '',
          /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/,
        );
        const row = rows.find((l) => l.startsWith(id.slice(0, 12)));
        assert.ok(row, r.stdout);
        const cols = row.split(/\s{2,}/);
        assert.equal(cols[1], name);
        assert.match(cols[2] ?? '', /^\d+\.\d\d%$/);
        assert.match(cols[3] ?? '', /^\d+(\.\d+)?[KMG]iB \/ \d+(\.\d+)?[KMGT]iB$/, 'non-zero memory');
        assert.equal(cols.at(-1), '1');

        const one = await d.request('GET', `/containers/${name}/stats?stream=0`);
        const s = one.json<{
          name: string;
          read: string;
          preread: string;
          memory_stats: { usage: number };
          cpu_stats: { system_cpu_usage: number; online_cpus: number };
          precpu_stats: { system_cpu_usage: number };
        }>();
        assert.equal(s.name, `/${name}`);
        assert.ok(s.memory_stats.usage > 0);
        assert.ok(s.cpu_stats.online_cpus > 0);
        assert.ok(s.cpu_stats.system_cpu_usage > s.precpu_stats.system_cpu_usage, 'stream=0 primes precpu_stats');
        assert.equal((await d.request('GET', `/containers/${name}/stats?stream=1&one-shot=1`)).status, 400);
        assert.equal((await b(['rm', '-f', name])).code, 0);
      }));
  },
);
