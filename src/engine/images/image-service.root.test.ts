/**
 * The image service over the real OverlaySnapshotter and LinuxHost: load,
 * list, save, load again; bad archives leave nothing behind; a shared layer
 * is stored once and removed with the last image using it.
 */
import assert from 'node:assert/strict';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fixtures } from '../../../scripts/make-fixtures';
import { testDir } from '../../../test/helpers/names';
import { requireRoot } from '../../../test/helpers/requires';
import { isEngineError } from '../../common/errors';
import { silentLogger } from '../../common/log';
import { LinuxHost } from '../../host';
import { FileContentStore } from '../content';
import { OverlaySnapshotter } from '../snapshots/overlay-snapshotter';
import { LocalImageService } from './image-service';
import type { ProgressMessage } from './types';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

function setup() {
  const root = testDir('images-root');
  dirs.push(root);
  const content = new FileContentStore({ root: path.join(root, 'content') });
  const snapshotter = new OverlaySnapshotter({ root: path.join(root, 'overlay2'), host: new LinuxHost() });
  const service = new LocalImageService({ root: path.join(root, 'image'), content, snapshotter, logger: silentLogger });
  return { root, content, snapshotter, service };
}

async function load(service: LocalImageService, input: Readable | string) {
  const messages: ProgressMessage[] = [];
  await service.load(typeof input === 'string' ? createReadStream(input) : input, (m) => messages.push(m));
  return messages.map((m) => m.stream);
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, depth: number) {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory() && depth < 3) await walk(p, depth + 1);
    }
  }
  await walk(dir, 0);
  return out.sort();
}

describe('LocalImageService on overlayfs', { skip: requireRoot() }, () => {
  it('loads, lists, saves and loads again', async () => {
    const fx = await fixtures();
    const a = setup();
    assert.deepEqual(await load(a.service, fx.busybox), ['Loaded image: berth-test/busybox:latest\n']);
    assert.deepEqual(await load(a.service, fx.layeredOci), ['Loaded image: berth-test/layered:v1\n']);
    const listed = await a.service.list({ all: false, filters: {} });
    assert.deepEqual(
      listed.map((i) => i.id),
      [fx.ids.layered, fx.ids.busybox],
    );
    const layered = await a.service.get('berth-test/layered:v1');
    // Whiteouts and opaque dirs were applied by the snapshotter.
    const top = layered.chainIds[2]!;
    const diff = await a.snapshotter.diffDir(top);
    assert.ok((await fs.readdir(path.join(diff, 'opt', 'dir'))).includes('new'));
    assert.ok((await a.service.history('berth-test/layered:v1'))[5]!.size > 0);

    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await a.service.save(['berth-test/busybox:latest', 'berth-test/layered:v1'], out);
    const b = setup();
    assert.deepEqual(await load(b.service, Readable.from([Buffer.concat(chunks)])), [
      'Loaded image: berth-test/busybox:latest\n',
      'Loaded image: berth-test/layered:v1\n',
    ]);
    assert.equal((await b.service.get('berth-test/layered:v1')).id, fx.ids.layered);
    assert.equal((await b.snapshotter.list()).length, 4);
  });

  it('leaves no image, tag, blob, snapshot or temp file after a bad archive', async () => {
    const fx = await fixtures();
    const env = setup();
    await load(env.service, fx.busybox);
    const before = await tree(env.root);
    for (const bad of [fx.badMissingLayer, fx.badDiffId, fx.badTruncatedGzip, fx.badEscape]) {
      await assert.rejects(load(env.service, bad), (err) => isEngineError(err, 'invalid-argument'), bad);
      assert.deepEqual(await tree(env.root), before, bad);
    }
    assert.deepEqual(
      (await env.service.list({ all: true, filters: {} })).map((i) => i.id),
      [fx.ids.busybox],
    );
  });

  it('stores a shared layer once and removes it with the last image', async () => {
    const fx = await fixtures();
    const env = setup();
    await load(env.service, fx.busybox);
    await load(env.service, fx.layered);
    const base = (await env.service.get('berth-test/busybox')).chainIds[0]!;
    assert.equal((await env.snapshotter.list()).length, 4);
    const removed = await env.service.remove('berth-test/busybox', { force: false, noPrune: false });
    assert.deepEqual(removed, [{ untagged: 'berth-test/busybox:latest' }, { deleted: fx.ids.busybox }]);
    assert.ok(await env.snapshotter.stat(base));
    const last = await env.service.remove('berth-test/layered:v1', { force: false, noPrune: false });
    assert.equal(last.filter((r) => r.deleted !== undefined).length, 5);
    assert.deepEqual(await env.snapshotter.list(), []);
    assert.deepEqual(await env.content.list(), []);
  });
});
