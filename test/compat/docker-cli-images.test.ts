/**
 * The real docker CLI (v28) against berthd: version negotiation, info,
 * load/images/inspect/tag/rmi/history/import/save, and its error texts.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOCKER, docker } from '../helpers/cli';
import { startDaemon, type TestDaemon, withDaemonLog } from '../helpers/daemon';
import { testDir } from '../helpers/names';
import { requireAll, requireFile, requireRoot } from '../helpers/requires';
import { makeTar } from '../helpers/tarball';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'docker');
const ARCHIVE = path.join(FIXTURES, 'tiny-two-docker20.tar');
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'))['tiny-two-docker20.tar'] as {
  images: Record<string, string>;
};
const TWO_ID = expected.images['ref/tiny:two']!;

describe(
  'docker CLI against berthd: images',
  { skip: requireAll(requireRoot(), requireFile(DOCKER, 'the docker CLI')) },
  () => {
    let d: TestDaemon;
    let work: string;
    const dk = (args: string[], input?: Buffer) => docker(d.host, args, input === undefined ? {} : { input });

    before(async () => {
      d = await startDaemon();
      work = testDir('compat');
    });
    after(async () => {
      await d?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it('negotiates API 1.44 (docker version, docker info)', () =>
      withDaemonLog(d, async () => {
        const v = await dk(['version']);
        assert.equal(v.code, 0, v.stderr);
        assert.match(v.stdout, /API version:\s+1\.44 \(downgraded from 1\.\d+\)/);
        assert.match(v.stdout, /API version:\s+1\.44 \(minimum version 1\.24\)/);
        const f = await dk(['version', '--format', '{{.Server.APIVersion}}']);
        assert.equal(f.stdout.trim(), '1.44');
        const i = await dk(['info', '--format', '{{.Driver}} {{.OSType}} {{.Swarm.LocalNodeState}}']);
        assert.equal(i.code, 0, i.stderr);
        assert.equal(i.stdout.trim(), 'overlay2 linux inactive');
      }));

    it('loads, lists and inspects', async () => {
      const l = await dk(['load', '-i', ARCHIVE]);
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, /Loaded image: ref\/tiny:two/);
      const ls = await dk(['images']);
      assert.equal(ls.code, 0, ls.stderr);
      assert.match(ls.stdout, /^ref\/tiny\s+two\s+28dddafc064b\s+/m);
      const ins = await dk(['image', 'inspect', '-f', '{{.Id}} {{.Os}} {{len .RootFS.Layers}}', 'ref/tiny:two']);
      assert.equal(ins.stdout, `${TWO_ID} linux 2\n`);
      const any = await dk(['inspect', '-f', '{{.Id}}', 'ref/tiny:two']);
      assert.equal(any.code, 0, any.stderr);
      assert.equal(any.stdout, `${TWO_ID}\n`);
    });

    it('tags, removes and shows history', async () => {
      assert.equal((await dk(['tag', 'ref/tiny:two', 'localhost:5000/x/y:z'])).code, 0);
      const ls = await dk(['images', '--format', '{{.Repository}}:{{.Tag}}', 'localhost:5000/x/y']);
      assert.equal(ls.stdout, 'localhost:5000/x/y:z\n');
      const rm = await dk(['rmi', 'localhost:5000/x/y:z']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(rm.stdout, 'Untagged: localhost:5000/x/y:z\n');
      const h = await dk(['history', '--format', '{{.ID}} {{.Size}}', 'ref/tiny:two']);
      assert.equal(h.code, 0, h.stderr);
      assert.equal(h.stdout.split('\n')[0]?.split(' ')[0], TWO_ID.slice(7, 19));
    });

    it('imports from stdin with changes', async () => {
      const tar = await makeTar([{ name: 'hello.txt', content: 'hi\n' }]);
      const r = await dk(['import', '-c', 'WORKDIR /srv', '-c', 'EXPOSE 80/tcp', '-', 'me/fromdocker'], tar);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.trim(), /^sha256:[a-f0-9]{64}$/);
      const c = await dk(['inspect', '-f', '{{.Config.WorkingDir}} {{json .Config.ExposedPorts}}', 'me/fromdocker']);
      assert.equal(c.stdout, '/srv {"80/tcp":{}}\n');
    });

    it('saves to a file and loads it back after removal', async () => {
      const out = path.join(work, 'two.tar');
      const s = await dk(['save', '-o', out, 'ref/tiny:two']);
      assert.equal(s.code, 0, s.stderr);
      assert.equal((await dk(['rmi', 'ref/tiny:two'])).code, 0);
      const l = await dk(['load', '-i', out]);
      assert.equal(l.code, 0, l.stderr);
      const id = await dk(['inspect', '-f', '{{.Id}}', 'ref/tiny:two']);
      assert.equal(id.stdout, `${TWO_ID}\n`);
    });

    it('prints daemon errors as docker does', async () => {
      const r = await dk(['rmi', 'nosuch:1']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), 'Error response from daemon: No such image: nosuch:1');
      const bad = path.join(work, 'bad.tar');
      writeFileSync(bad, 'this is not a tar archive at all'.repeat(40));
      const l = await dk(['load', '-i', bad]);
      assert.notEqual(l.code, 0);
      assert.ok(l.stderr.length > 0);
      const imgs = await dk(['images', '-q', '--filter', 'dangling=true']);
      assert.equal(imgs.stdout, '', 'a failed load leaves no image');
    });
  },
);
