/**
 * `cp` (both ways, running and stopped, the docker cp CVE cases), `diff`,
 * `export` and `commit` through the berth CLI and the real docker CLI
 * against a private berthd.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, DOCKER, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { findLeaks } from '../helpers/leak-check';
import { safeName, testDir } from '../helpers/names';
import { importProbeImage, PROBE, PROBE_IMAGE } from '../helpers/probe-image';
import { requireAll, requireCommand, requireFile, requireRoot } from '../helpers/requires';

describe(
  'cp, diff, export, commit',
  { skip: requireAll(requireRoot(), requireFile(PROBE, 'the probe (make -C native)'), requireCommand('busybox')) },
  () => {
    let d: TestDaemon;
    let dir: string;
    const b = async (args: string[], input?: Buffer | string) => {
      const r = await berth(d.host, args, input === undefined ? {} : { input });
      return r;
    };
    const ok = async (args: string[], input?: Buffer | string) => {
      const r = await b(args, input);
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}\n${d.logTail(20)}`);
      return r;
    };
    const images: string[] = [];

    before(async () => {
      d = await startDaemon();
      await importProbeImage(d.host);
      dir = testDir('cp');
    });
    after(async () => {
      const left = await b(['ps', '-aq']);
      if (left.stdout.trim() !== '') await b(['rm', '-f', ...left.stdout.trim().split('\n')]);
      for (const image of images) await b(['rmi', '-f', image]);
      await b(['rmi', '-f', PROBE_IMAGE]);
      await d?.stop();
      rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(
        findLeaks().filter((l) => l.includes(d.dataRoot) || l.includes(d.execRoot) || l.includes(dir)),
        [],
      );
    });

    it('copies both ways on running and stopped containers', async () => {
      const name = safeName('cp');
      await ok(['run', '-d', '--name', name, PROBE_IMAGE, 'sh', '-c', 'echo inside > /tmp/in.txt; sleep 300']);
      await new Promise((r) => setTimeout(r, 300));
      await ok(['cp', `${name}:/tmp/in.txt`, path.join(dir, 'out.txt')]);
      assert.equal(readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'inside\n');
      writeFileSync(path.join(dir, 'up.txt'), 'uploaded\n');
      mkdirSync(path.join(dir, 'tree', 'sub'), { recursive: true });
      writeFileSync(path.join(dir, 'tree', 'sub', 'f'), 'f\n');
      await ok(['cp', path.join(dir, 'up.txt'), `${name}:/tmp/`]);
      await ok(['cp', path.join(dir, 'tree'), `${name}:/tree`]);
      await ok(['exec', name, 'cat', '/tmp/up.txt', '/tree/sub/f']).then((r) =>
        assert.equal(r.stdout, 'uploaded\nf\n'),
      );
      await ok(['stop', '-t', '0', name]);
      // Stopped: the snapshot is mounted for the copy and unmounted after.
      await ok(['cp', path.join(dir, 'up.txt'), `${name}:/stopped.txt`]);
      await ok(['cp', `${name}:/stopped.txt`, path.join(dir, 'back.txt')]);
      assert.equal(readFileSync(path.join(dir, 'back.txt'), 'utf8'), 'uploaded\n');
      const tar = await ok(['cp', `${name}:/tree`, '-']);
      assert.match(tar.stdout, /tree\/sub\/f/);
      const missing = await b(['cp', `${name}:/nope`, dir]);
      assert.equal(missing.code, 1);
      assert.equal(
        missing.stderr.trim(),
        `Error response from daemon: Could not find the file /nope in container ${name}`,
      );
      await ok(['rm', name]);
    });

    it('never reads or writes the host through symlinks in the container (docker cp CVEs)', async () => {
      const name = safeName('cve');
      const sentinel = path.join(dir, 'sentinel');
      writeFileSync(sentinel, 'host\n');
      const hostTarget = path.join(dir, 'written-by-cp');
      await ok([
        'run',
        '-d',
        '--name',
        name,
        PROBE_IMAGE,
        'sh',
        '-c',
        `echo container > /etc/marker; mkdir -p ${dir}; echo decoy > ${sentinel}; ln -s / /escape; ln -s ../../../../.. /dots; ln -s ${dir} /hostdir; sleep 300`,
      ]);
      await new Promise((r) => setTimeout(r, 300));
      for (const p of ['/escape/etc/marker', '/dots/etc/marker']) {
        const r = await ok(['cp', `${name}:${p}`, '-']);
        assert.match(r.stdout, /container\n/);
      }
      // /hostdir/sentinel is the container's own file, never the host's.
      const r = await ok(['cp', `${name}:/hostdir/sentinel`, '-']);
      assert.match(r.stdout, /decoy/);
      assert.doesNotMatch(r.stdout, /host\n/);
      writeFileSync(path.join(dir, 'evil'), 'evil\n');
      await ok(['cp', path.join(dir, 'evil'), `${name}:/escape/tmp/`]);
      await ok(['cp', path.join(dir, 'evil'), `${name}:/hostdir/written-by-cp`]);
      await ok(['cp', path.join(dir, 'evil'), `${name}:/dots/hostdir/`]);
      assert.equal(existsSync('/tmp/evil'), false);
      assert.equal(existsSync(hostTarget), false);
      assert.equal(readFileSync(sentinel, 'utf8'), 'host\n');
      const inside = await ok(['exec', name, 'cat', '/tmp/evil', `${dir}/written-by-cp`]);
      assert.equal(inside.stdout, 'evil\nevil\n');
      await ok(['rm', '-f', name]);
    });

    it('shows A/C/D in diff, exports the root, commits a runnable image with history', async () => {
      const name = safeName('commit');
      await ok(['run', '--name', name, PROBE_IMAGE, 'sh', '-c', 'echo new > /etc/new; rm /etc/group; mkdir /data']);
      const diff = (await ok(['diff', name])).stdout.split('\n').filter(Boolean);
      for (const line of ['C /etc', 'A /etc/new', 'D /etc/group', 'A /data'])
        assert.ok(diff.includes(line), diff.join('\n'));
      assert.ok(!diff.some((l) => /hostname|resolv|\/proc|\/sys|\/dev/.test(l)), diff.join('\n'));
      const exported = await ok(['export', name]);
      assert.match(exported.stdout, /etc\/new/);
      assert.match(exported.stdout, /probe/);
      const out = path.join(dir, 'export.tar');
      await ok(['export', '-o', out, name]);
      assert.ok(readFileSync(out).length > 1024);
      const image = `berth-test/committed:${safeName('t').slice(-8)}`;
      images.push(image);
      const id = (
        await ok(['commit', '-m', 'my message', '-a', 'me', '-c', 'CMD ["cat","/etc/new"]', name, image])
      ).stdout.trim();
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      const run = await ok(['run', '--rm', image]);
      assert.equal(run.stdout, 'new\n');
      const gone = await b(['run', '--rm', image, 'cat', '/etc/group']);
      assert.notEqual(gone.code, 0);
      const history = (await ok(['history', '--no-trunc', image])).stdout;
      assert.match(history, /my message/);
      const until = String(Math.ceil(Date.now() / 1000) + 1);
      const events = await ok([
        'events',
        '--since',
        '0',
        '--until',
        until,
        '--filter',
        'event=commit',
        '--format',
        '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.comment}}',
      ]);
      assert.equal(events.stdout, `commit ${name} my message\n`);
      await ok(['rm', name]);
    });

    it('refuses writes to a read-only rootfs with 400', async () => {
      const name = safeName('ro');
      await ok(['create', '--name', name, '--read-only', PROBE_IMAGE, 'true']);
      const tar = await ok(['cp', `${name}:/etc/passwd`, '-']);
      const res = await d.request('PUT', `/containers/${name}/archive?path=/tmp`, tar.stdoutBytes);
      assert.equal(res.status, 400);
      assert.equal(res.json<{ message: string }>().message, 'container rootfs is marked read-only');
      const head = await d.request('HEAD', `/containers/${name}/archive?path=/etc/passwd`);
      assert.equal(head.status, 200);
      const stat = JSON.parse(
        Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString(),
      ) as { name: string; mode: number };
      assert.equal(stat.name, 'passwd');
      assert.equal(stat.mode, 0o644);
      await ok(['rm', name]);
    });

    it('works with the real docker CLI', { skip: existsSync(DOCKER) ? false : 'needs the docker CLI' }, async () => {
      const name = safeName('dk');
      const dk = async (args: string[]) => {
        const r = await docker(d.host, args);
        assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
        return r;
      };
      await ok(['run', '--name', name, PROBE_IMAGE, 'sh', '-c', 'echo dk > /etc/dk']);
      await dk(['cp', `${name}:/etc/dk`, path.join(dir, 'dk.txt')]);
      assert.equal(readFileSync(path.join(dir, 'dk.txt'), 'utf8'), 'dk\n');
      mkdirSync(path.join(dir, 'tree', 'sub'), { recursive: true });
      writeFileSync(path.join(dir, 'tree', 'sub', 'f'), 'f\n');
      await dk(['cp', path.join(dir, 'tree'), `${name}:/dktree`]);
      await dk(['cp', `${name}:/dktree/.`, path.join(dir, 'dktree-back')]);
      assert.equal(readFileSync(path.join(dir, 'dktree-back', 'sub', 'f'), 'utf8'), 'f\n');
      const diff = await dk(['diff', name]);
      assert.match(diff.stdout, /^A \/etc\/dk$/m);
      assert.match(diff.stdout, /^A \/dktree\/sub\/f$/m);
      const exported = await dk(['export', name]);
      assert.match(exported.stdout, /etc\/dk/);
      const image = `berth-test/dkcommit:${safeName('t').slice(-8)}`;
      images.push(image);
      const id = await dk(['commit', '-c', 'CMD ["cat","/etc/dk"]', name, image]);
      assert.match(id.stdout.trim(), /^sha256:/);
      assert.equal((await ok(['run', '--rm', image])).stdout, 'dk\n');
      await ok(['rm', name]);
    });
  },
);
