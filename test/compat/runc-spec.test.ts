/**
 * The OCI spec berth keeps in each bundle (config.json) is one runc can run:
 * runc runs the same bundle (same rootfs, namespaces, mounts, capabilities,
 * seccomp program) and the probe inside sees what it sees under berth.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { safeName, testDir } from '../helpers/names';
import { importProbeImage, PROBE, PROBE_IMAGE, type ProbeReport } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

const RUNC = '/usr/sbin/runc';

describe(
  'berth bundles run under runc',
  {
    skip: requireAll(
      requireRoot(),
      requireFile(RUNC, 'runc'),
      requireFile(PROBE, 'the probe'),
      requireCommand('busybox'),
    ),
  },
  () => {
    let d: TestDaemon;
    let work: string;
    before(async () => {
      d = await startDaemon();
      work = testDir('runc');
      await importProbeImage(d.host);
    });
    after(async () => {
      const left = await berth(d.host, ['ps', '-aq']);
      if (left.stdout.trim() !== '') await berth(d.host, ['rm', '-f', ...left.stdout.trim().split('\n')]);
      await d?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it('gives the probe the same capabilities, seccomp, user and hostname', async () => {
      const ours = await berth(d.host, ['run', '--rm', '--network', 'none', PROBE_IMAGE, '/probe', 'json']);
      assert.equal(ours.code, 0, ours.stderr);
      const mine = JSON.parse(ours.stdout) as ProbeReport;

      // A running container's bundle: its rootfs is mounted while it runs.
      const run = await berth(d.host, ['run', '-d', '--network', 'none', PROBE_IMAGE, 'sleep', '60']);
      assert.equal(run.code, 0, run.stderr);
      const id = run.stdout.trim();
      const spec = JSON.parse(readFileSync(path.join(d.execRoot, 'containers', id, 'config.json'), 'utf8'));
      spec.process.args = ['/probe', 'json'];
      spec.process.terminal = false;
      const name = safeName('runc');
      spec.linux.cgroupsPath = `/${name}`;
      const bundle = path.join(work, 'bundle');
      mkdirSync(bundle);
      writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
      const r = spawnSync(RUNC, ['--root', path.join(work, 'state'), 'run', '--bundle', bundle, name], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const theirs = JSON.parse(r.stdout) as ProbeReport;
      for (const key of [
        'pid',
        'uid',
        'gid',
        'CapEff',
        'CapBnd',
        'CapPrm',
        'CapInh',
        'NoNewPrivs',
        'Seccomp',
      ] as const) {
        assert.deepEqual(theirs[key], mine[key], key);
      }
      assert.equal(theirs.hostname, id.slice(0, 12));
      const targets = (p: ProbeReport) => new Set(p.mounts.map((m) => m.target));
      for (const t of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/proc/keys', '/etc/hostname']) {
        assert.ok(targets(theirs).has(t), `runc mounted ${t}`);
      }
      assert.ok(!existsSync(path.join('/sys/fs/cgroup/memory', name)), 'runc removed its cgroup');
    });
  },
);
