/**
 * The berth CLI against a private berthd: load what a real `docker save`
 * wrote (same image IDs as dockerd showed), list, inspect with templates, tag,
 * remove, import with --change, history, save and load into a second daemon.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { testDir } from '../helpers/names';
import { requireRoot } from '../helpers/requires';
import { makeTar } from '../helpers/tarball';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'docker');
const ARCHIVE = path.join(FIXTURES, 'tiny-two-docker20.tar');
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'))['tiny-two-docker20.tar'] as {
  images: Record<string, string>;
};
const BASE_ID = expected.images['ref/tiny:base']!;
const TWO_ID = expected.images['ref/tiny:two']!;

describe('berth CLI: images', { skip: requireRoot() }, () => {
  let d: TestDaemon;
  let work: string;
  const b = (args: string[], input?: Buffer | string) => berth(d.host, args, input === undefined ? {} : { input });

  before(async () => {
    d = await startDaemon();
    work = testDir('cli');
  });
  after(async () => {
    await d?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("loads a docker save archive and keeps dockerd's image IDs", () =>
    withDaemonLog(d, async () => {
      const r = await b(['load', '-i', ARCHIVE]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Loaded image: ref\/tiny:base/);
      assert.match(r.stdout, /Loaded image: ref\/tiny:two/);
      const ids = await b(['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
      assert.equal(ids.code, 0, ids.stderr);
      assert.ok(ids.stdout.includes(`ref/tiny:base ${BASE_ID}`), ids.stdout);
      assert.ok(ids.stdout.includes(`ref/tiny:two ${TWO_ID}`), ids.stdout);
    }));

  it('lists images as a docker table, quietly and filtered', async () => {
    const r = await b(['images']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assert.ok(
      lines.some((l) => /^ref\/tiny\s+two\s+28dddafc064b\s+.+ago\s+49B$/.test(l)),
      r.stdout,
    );
    const q = await b(['images', '-q', 'ref/tiny:two']);
    assert.equal(q.stdout, `${TWO_ID.slice(7, 19)}\n`);
    const f = await b(['images', '--filter', 'reference=ref/*:base', '--format', '{{.Tag}}']);
    assert.equal(f.stdout, 'base\n');
  });

  it('inspects with Go templates', async () => {
    const r = await b([
      'image',
      'inspect',
      '--format',
      '{{.Id}} {{json .Config.Cmd}} {{index .Config.Labels "layer"}}',
      'ref/tiny:two',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${TWO_ID} ["cat","/data/second.txt"] two\n`);
    const env = await b(['inspect', '-f', '{{range .Config.Env}}{{.}};{{end}}', 'ref/tiny:base']);
    assert.match(env.stdout, /A=1;/);
    const full = await b(['inspect', 'ref/tiny:base']);
    const parsed = JSON.parse(full.stdout) as Array<{ Id: string; RootFS: { Layers: string[] } }>;
    assert.equal(parsed[0]?.Id, BASE_ID);
    assert.equal(parsed[0]?.RootFS.Layers.length, 1);
    assert.ok(full.stdout.startsWith('[\n    {\n        "Id"'), 'four-space indent as docker');
  });

  it("reports missing images in docker's words and exit codes", async () => {
    const i = await b(['inspect', 'nosuch']);
    assert.equal(i.code, 1);
    assert.equal(i.stdout, '[]\n');
    assert.equal(i.stderr, 'Error: No such object: nosuch\n');
    const r = await b(['rmi', 'nosuch']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error response from daemon: No such image: nosuch:latest\n');
    const u = await b(['images', '--bogus']);
    assert.equal(u.code, 125);
    assert.match(u.stderr, /^unknown flag: --bogus/);
  });

  it('tags and removes: untag first, delete with the last tag', async () => {
    assert.equal((await b(['tag', 'ref/tiny:base', 'me/copy:1'])).code, 0);
    const l = await b(['images', '--format', '{{.Repository}}:{{.Tag}}', 'me/copy']);
    assert.equal(l.stdout, 'me/copy:1\n');
    const rm = await b(['rmi', 'me/copy:1']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'Untagged: me/copy:1\n');
    const still = await b(['inspect', '-f', '{{.Id}}', 'ref/tiny:base']);
    assert.equal(still.stdout, `${BASE_ID}\n`);
  });

  it('imports a tarball with --change and shows its history', async () => {
    const tar = await makeTar([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/hello', content: '#!/bin/sh\necho hello\n', mode: 0o755 },
    ]);
    const file = path.join(work, 'root.tar');
    writeFileSync(file, tar);
    const r = await b([
      'import',
      '-c',
      'CMD ["/bin/hello"]',
      '-c',
      'ENV X=1 Y=2',
      '-m',
      'made by a test',
      file,
      'me/imported:v1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const cfg = await b(['inspect', '-f', '{{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}}', 'me/imported:v1']);
    assert.equal(cfg.stdout, '["/bin/hello"] ["X=1","Y=2"] made by a test\n');
    const h = await b(['history', 'me/imported:v1']);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout.split('\n')[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.match(h.stdout, new RegExp(`^${id.slice(7, 19)}\\s+.*made by a test`, 'm'));
    const fromStdin = await b(['import', '-', 'me/imported:v2'], tar);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
  });

  it('saves several images in one archive that a second daemon loads with the same IDs', async () => {
    const out = path.join(work, 'saved.tar');
    const s = await b(['save', '-o', out, 'ref/tiny:two', 'ref/tiny:base']);
    assert.equal(s.code, 0, s.stderr);
    const d2 = await startDaemon();
    try {
      const l = await berth(d2.host, ['load', '-i', out]);
      assert.equal(l.code, 0, l.stderr);
      const ids = await berth(d2.host, ['images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
      assert.deepEqual(ids.stdout.trim().split('\n').sort(), [`ref/tiny:base ${BASE_ID}`, `ref/tiny:two ${TWO_ID}`]);
    } finally {
      await d2.stop();
    }
  });
});
