/**
 * The real docker CLI (v28) running containers on berthd: run (attached,
 * --rm, -d, -i), exit codes, ps, logs, stop, rm, create name conflicts,
 * inspect --format.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixtures } from '../../scripts/make-fixtures';
import { DOCKER, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { safeName } from '../helpers/names';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

const IMAGE = 'berth-test/busybox';

describe(
  'docker CLI against berthd: containers',
  { skip: requireAll(requireRoot(), requireFile(DOCKER, 'the docker CLI'), requireCommand('busybox')) },
  () => {
    let d: TestDaemon;
    const dk = (args: string[], input?: string) =>
      docker(d.host, args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });

    before(async () => {
      d = await startDaemon();
      const fx = await fixtures();
      const r = await dk(['load', '-i', fx.busybox]);
      assert.equal(r.code, 0, r.stderr);
    });

    after(async () => {
      try {
        const left = await dk(['ps', '-aq']);
        const ids = left.stdout.split('\n').filter(Boolean);
        if (ids.length > 0) await dk(['rm', '-f', ...ids]);
        assert.deepEqual(ids, [], 'containers left behind');
      } finally {
        await d?.stop();
      }
    });

    it('docker run --rm prints the output and exits 0', () =>
      withDaemonLog(d, async () => {
        const r = await dk(['run', '--rm', IMAGE, 'echo', 'hi']);
        assert.equal(r.stdout, 'hi\n', r.stderr);
        assert.equal(r.code, 0);
        assert.equal((await dk(['ps', '-aq'])).stdout, '', '--rm removed it');
      }));

    it("docker run exits with the container's code", () =>
      withDaemonLog(d, async () => {
        const name = safeName('exit');
        const r = await dk(['run', '--name', name, IMAGE, 'sh', '-c', 'echo to-err >&2; exit 3']);
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.stderr, 'to-err\n');
        const st = await dk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]);
        assert.equal(st.stdout, 'exited 3\n');
        assert.equal((await dk(['rm', name])).code, 0);
      }));

    it("docker run of a missing command exits 127 with Docker's message", () =>
      withDaemonLog(d, async () => {
        const r = await dk(['run', '--rm', IMAGE, 'nosuchcommand']);
        assert.equal(r.code, 127, r.stderr);
        assert.match(r.stderr, /docker: Error response from daemon: .*executable file not found in \$PATH/);
        assert.match(r.stderr, /Run 'docker run --help' for more information/);
      }));

    it('docker run -i passes stdin', () =>
      withDaemonLog(d, async () => {
        const r = await dk(['run', '-i', '--rm', IMAGE, 'sh', '-c', 'while read l; do echo "got $l"; done'], 'a\nb\n');
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'got a\ngot b\n');
      }));

    it('docker run -d, ps, logs, stop, rm', () =>
      withDaemonLog(d, async () => {
        const name = safeName('web');
        const run = await dk(['run', '-d', '--name', name, IMAGE, 'sh', '-c', 'echo started; exec sleep 300']);
        assert.equal(run.code, 0, run.stderr);
        const id = run.stdout.trim();
        assert.match(id, /^[0-9a-f]{64}$/);
        const ps = await dk(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
        assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)} ${name} Up `, 'm'));
        let logs = await dk(['logs', name]);
        for (let i = 0; i < 50 && logs.stdout === ''; i++) {
          await new Promise((r) => setTimeout(r, 100));
          logs = await dk(['logs', name]);
        }
        assert.equal(logs.stdout, 'started\n', logs.stderr);
        const stop = await dk(['stop', '-t', '1', name]);
        assert.equal(stop.code, 0, stop.stderr);
        assert.equal(stop.stdout, `${name}\n`);
        const psa = await dk(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']);
        assert.match(psa.stdout, /^Exited \(\d+\) /);
        const rm = await dk(['rm', name]);
        assert.equal(rm.code, 0, rm.stderr);
        assert.equal(rm.stdout, `${name}\n`);
      }));

    it('docker create twice with one name is a conflict', () =>
      withDaemonLog(d, async () => {
        const name = safeName('dup');
        const first = await dk(['create', '--name', name, IMAGE]);
        assert.equal(first.code, 0, first.stderr);
        const id = first.stdout.trim();
        const second = await dk(['create', '--name', name, IMAGE]);
        assert.notEqual(second.code, 0);
        assert.match(
          second.stderr,
          new RegExp(
            `Error response from daemon: Conflict\\. The container name "/${name}" is already in use by container "${id}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`,
          ),
        );
        const st = await dk(['inspect', '-f', '{{.State.Status}}', name]);
        assert.equal(st.stdout, 'created\n');
        assert.equal((await dk(['rm', name])).code, 0);
        const gone = await dk(['inspect', name]);
        assert.equal(gone.code, 1);
        assert.match(gone.stderr, /No such object/);
      }));
  },
);
