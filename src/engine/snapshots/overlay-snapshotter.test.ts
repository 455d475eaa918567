import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { sha256 } from '../../common/digest';
import { RecordingHost } from '../../host';
import { OverlaySnapshotter } from './overlay-snapshotter';
import { buildTar } from './test-tars';

const L1 = sha256('layer1');
const L2 = sha256('layer2');
const layer = (name: string, content: string) => Readable.from([buildTar([{ name, content }])]);

describe('OverlaySnapshotter (no root)', () => {
  let root: string;
  let snap: OverlaySnapshotter;
  beforeEach(async () => {
    root = testDir('snap');
    snap = new OverlaySnapshotter({ root, host: new RecordingHost(), sameOwner: false });
    await snap.recover();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('applies layers into numbered snapshot dirs and describes their mounts', async () => {
    assert.deepEqual(await snap.applyLayer(L1, undefined, layer('a', 'one')), { size: 3 });
    assert.deepEqual(await snap.applyLayer(L2, L1, layer('b', 'twenty')), { size: 6 });
    const d1 = await snap.diffDir(L1);
    const d2 = await snap.diffDir(L2);
    assert.equal(d1, path.join(root, 'snapshots', '1', 'fs'));
    assert.equal(readFileSync(path.join(d2, 'b'), 'utf8'), 'twenty');
    assert.deepEqual(JSON.parse(readFileSync(path.join(root, 'snapshots/2/meta.json'), 'utf8')).parent, L1);

    assert.deepEqual(await snap.mounts(L1), [{ type: 'bind', source: d1, options: ['rbind', 'ro'] }]);
    assert.deepEqual(await snap.mounts(L2), [
      { type: 'overlay', source: 'overlay', options: ['index=off', `lowerdir=${d2}:${d1}`] },
    ]);
    const rw = await snap.prepare('ctr', L2);
    const ctr = path.join(root, 'snapshots', '3');
    assert.deepEqual(rw, [
      {
        type: 'overlay',
        source: 'overlay',
        options: ['index=off', `lowerdir=${d2}:${d1}`, `upperdir=${ctr}/fs`, `workdir=${ctr}/work`],
      },
    ]);
    assert.deepEqual(await snap.mounts('ctr'), rw);
    assert.deepEqual(await snap.prepare('scratch', undefined), [
      { type: 'bind', source: path.join(root, 'snapshots/4/fs'), options: ['rbind', 'rw'] },
    ]);
    assert.deepEqual(
      (await snap.list()).map((i) => [i.name, i.kind, i.parent]),
      [
        [L1, 'committed', undefined],
        [L2, 'committed', L1],
        ['ctr', 'active', L2],
        ['scratch', 'active', undefined],
      ],
    );
    assert.equal((await snap.stat('ctr'))?.kind, 'active');
    assert.equal(await snap.stat('nope'), undefined);
    assert.deepEqual(await snap.usage(L2), { size: 6, inodes: 2 });
  });

  it('drains the stream and returns the size when the snapshot exists', async () => {
    await snap.applyLayer(L1, undefined, layer('a', 'one'));
    let read = false;
    const again = Readable.from(
      (async function* () {
        read = true;
        yield buildTar([{ name: 'zzz', content: 'other' }]);
      })(),
    );
    assert.deepEqual(await snap.applyLayer(L1, undefined, again), { size: 3 });
    assert.ok(read);
    assert.equal(existsSync(path.join(await snap.diffDir(L1), 'zzz')), false);
  });

  it('serializes concurrent applies of the same name', async () => {
    const results = await Promise.all([
      snap.applyLayer(L1, undefined, layer('a', 'one')),
      snap.applyLayer(L1, undefined, layer('a', 'one')),
      snap.applyLayer(L1, undefined, layer('a', 'one')),
    ]);
    assert.deepEqual(results, [{ size: 3 }, { size: 3 }, { size: 3 }]);
    assert.deepEqual(readdirSync(path.join(root, 'snapshots')), ['1']);
    assert.deepEqual(readdirSync(path.join(root, 'tmp')), []);
  });

  it('refuses to remove a parent, then removes bottom-up', async () => {
    await snap.applyLayer(L1, undefined, layer('a', 'one'));
    await snap.applyLayer(L2, L1, layer('b', 'two'));
    await assert.rejects(snap.remove(L1), (e: Error & { kind?: string }) => e.kind === 'conflict');
    await snap.remove(L2);
    await snap.remove(L1);
    assert.deepEqual(await snap.list(), []);
    assert.deepEqual(readdirSync(path.join(root, 'snapshots')), []);
    await assert.rejects(snap.remove(L1), (e: Error & { kind?: string }) => e.kind === 'not-found');
    await assert.rejects(snap.diffDir(L1), (e: Error & { kind?: string }) => e.kind === 'not-found');
  });

  it('fails cleanly on a missing parent, a bad layer, or a duplicate key', async () => {
    await assert.rejects(
      snap.applyLayer(L2, L1, layer('b', 'two')),
      (e: Error & { kind?: string }) => e.kind === 'not-found',
    );
    const bad = Readable.from([buildTar([{ name: '../x', content: 'x' }])]);
    await assert.rejects(
      snap.applyLayer(L1, undefined, bad),
      (e: Error & { kind?: string }) => e.kind === 'invalid-argument',
    );
    assert.deepEqual(readdirSync(path.join(root, 'tmp')), []);
    assert.deepEqual(readdirSync(path.join(root, 'snapshots')), []);
    await snap.prepare('c', undefined);
    await assert.rejects(snap.prepare('c', undefined), (e: Error & { kind?: string }) => e.kind === 'conflict');
  });

  it('recover removes interrupted work and snapshots without valid meta', async () => {
    await snap.applyLayer(L1, undefined, layer('a', 'one'));
    mkdirSync(path.join(root, 'tmp', 'deadbeef', 'fs'), { recursive: true });
    mkdirSync(path.join(root, 'snapshots', '7', 'fs'), { recursive: true }); // no meta.json
    mkdirSync(path.join(root, 'snapshots', '8', 'fs'), { recursive: true });
    writeFileSync(path.join(root, 'snapshots', '8', 'meta.json'), '{"name":');
    const again = new OverlaySnapshotter({ root, host: new RecordingHost(), sameOwner: false });
    await again.recover();
    assert.deepEqual(readdirSync(path.join(root, 'tmp')), []);
    assert.deepEqual(readdirSync(path.join(root, 'snapshots')), ['1']);
    assert.deepEqual(
      (await again.list()).map((i) => i.name),
      [L1],
    );
    // New ids continue after the highest kept one.
    await again.applyLayer(L2, L1, layer('b', 'two'));
    assert.equal(await again.diffDir(L2), path.join(root, 'snapshots', '2', 'fs'));
  });

  it('refuses a chain too long for one overlay mount', async () => {
    let parent: ReturnType<typeof sha256> | undefined;
    for (let i = 0; i < 120; i++) {
      const name = sha256(`l${i}`);
      await snap.applyLayer(name, parent, Readable.from([buildTar([])]));
      parent = name;
    }
    await assert.rejects(
      snap.prepare('too-deep', parent),
      (e: Error & { kind?: string }) => e.kind === 'invalid-argument' && /too many layers/.test(e.message),
    );
    assert.equal(await snap.stat('too-deep'), undefined);
  });

  it('refuses a root that would break the overlay option syntax', () => {
    assert.throws(() => new OverlaySnapshotter({ root: '/var/lib/a:b', host: new RecordingHost() }));
    assert.throws(() => new OverlaySnapshotter({ root: 'relative', host: new RecordingHost() }));
  });
});
