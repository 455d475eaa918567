import assert from 'node:assert/strict';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import {
  buildTar,
  busyboxLayer,
  busyboxSpec,
  chainIdsOf,
  configBytes,
  digestOf,
  dockerArchive,
  fixtures,
  ociArchive,
} from '../../../scripts/make-fixtures';
import { testDir } from '../../../test/helpers/names';
import type { Digest } from '../../common/digest';
import { isEngineError } from '../../common/errors';
import { silentLogger } from '../../common/log';
import { FileContentStore } from '../content';
import { FakeSnapshotter } from './fake-snapshotter';
import { LocalImageService, type LocalImageServiceOptions } from './image-service';
import type { ProgressMessage } from './types';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

function setup(extra: Partial<LocalImageServiceOptions> = {}) {
  const root = testDir('images');
  dirs.push(root);
  const content = new FileContentStore({ root: path.join(root, 'content') });
  const snapshotter = new FakeSnapshotter();
  const service = new LocalImageService({
    root: path.join(root, 'image'),
    content,
    snapshotter,
    logger: silentLogger,
    platform: { os: 'linux', architecture: 'amd64' },
    ...extra,
  });
  return { root, content, snapshotter, service };
}

async function load(service: LocalImageService, data: Buffer | string) {
  const messages: ProgressMessage[] = [];
  const input = typeof data === 'string' ? createReadStream(data) : Readable.from([data]);
  const result = await service.load(input, (m) => messages.push(m));
  return { result, messages };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function untar(data: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const e of extract) out.set(e.header.name, await collect(e as unknown as Readable));
  })();
  Readable.from([data]).pipe(extract as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

async function tiny(name: string, files: Record<string, string>, extraConfig: Record<string, unknown> = {}) {
  const layer = await buildTar(Object.entries(files).map(([n, c]) => ({ name: n, content: c })));
  return {
    layers: [layer],
    config: { architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', ...extraConfig },
    repoTags: name === '' ? [] : [name],
  };
}

describe('LocalImageService load', () => {
  it('loads a docker-archive: ID is the sha256 of the config bytes, tags, chain IDs', async () => {
    const fx = await fixtures();
    const { service, snapshotter } = setup();
    const { result, messages } = await load(service, fx.busybox);
    assert.deepEqual(messages, [{ stream: 'Loaded image: berth-test/busybox:latest\n' }]);
    assert.equal(result.loaded[0]?.id, fx.ids.busybox);
    const image = await service.get('berth-test/busybox');
    assert.equal(image.id, fx.ids.busybox);
    assert.deepEqual(image.repoTags, ['docker.io/berth-test/busybox:latest']);
    assert.equal(image.chainIds.length, 1);
    assert.deepEqual(image.config.config?.Cmd, ['sh']);
    assert.ok(image.size > 0);
    assert.equal(snapshotter.snapshots.size, 1);
  });

  it('loads an OCI layout with gzip layers into the same image as the docker-archive', async () => {
    const fx = await fixtures();
    const { service, snapshotter, content } = setup();
    const { messages } = await load(service, fx.layeredOci);
    assert.deepEqual(messages, [{ stream: 'Loaded image: berth-test/layered:v1\n' }]);
    const image = await service.get('berth-test/layered:v1');
    assert.equal(image.id, fx.ids.layered);
    assert.deepEqual(image.chainIds, chainIdsOf(fx.layeredDiffIds));
    assert.equal(snapshotter.applied, 4);
    // Loading the docker-archive of the same image unpacks nothing again.
    await load(service, fx.layered);
    assert.equal(snapshotter.applied, 4);
    assert.deepEqual(await service.list({ all: false, filters: {} }).then((l) => l.map((i) => i.id)), [fx.ids.layered]);
    // Only config and layer blobs remain (archive metadata files were collected).
    const blobs = (await content.list()).map((b) => b.digest);
    assert.ok(blobs.includes(fx.ids.layered as Digest));
    assert.ok(!blobs.some((b) => b === digestOf('{"imageLayoutVersion":"1.0.0"}')));
  });

  it('shares the base layer between images and reports renamed tags', async () => {
    const fx = await fixtures();
    const { service, snapshotter } = setup();
    await load(service, fx.busybox);
    await load(service, fx.layered);
    assert.equal(snapshotter.snapshots.size, 4);
    const other = await tiny('berth-test/busybox:latest', { a: 'x' });
    const archive = await dockerArchive([other]);
    const { messages } = await load(service, archive);
    assert.deepEqual(messages, [
      {
        stream: `The image berth-test/busybox:latest already exists, renaming the old one with ID ${fx.ids.busybox} to empty string\n`,
      },
      { stream: 'Loaded image: berth-test/busybox:latest\n' },
    ]);
    const old = await service.get(fx.ids.busybox);
    assert.deepEqual(old.repoTags, []);
  });

  it('loads untagged images and gzip-compressed archives', async () => {
    const { service } = setup();
    const spec = await tiny('', { f: '1' });
    const { messages } = await load(service, gzipSync(await dockerArchive([spec])));
    const id = digestOf(configBytes(spec));
    assert.deepEqual(messages, [{ stream: `Loaded image ID: ${id}\n` }]);
  });

  it('rejects bad archives and leaves nothing behind', async () => {
    const fx = await fixtures();
    const { service, content, snapshotter, root } = setup();
    await load(service, fx.busybox);
    const listing = async () => ({
      blobs: (await content.list()).map((b) => b.digest).sort(),
      snaps: [...snapshotter.snapshots.keys()].sort(),
      images: (await fs.readdir(path.join(root, 'image', 'images'))).sort(),
      repos: await fs.readFile(path.join(root, 'image', 'repositories.json'), 'utf8'),
      ingest: await fs.readdir(path.join(root, 'content', 'ingest')),
    });
    const before = await listing();
    const cases: Array<[string, RegExp]> = [
      [fx.badMissingLayer, /missing\/layer\.tar/],
      [fx.badDiffId, /digest mismatch/],
      [fx.badTruncatedGzip, /invalid archive: layer "blobs\/sha256\/[a-f0-9]+"/],
      [fx.badEscape, /escape/],
    ];
    for (const [file, re] of cases) {
      await assert.rejects(
        load(service, file),
        (err) => isEngineError(err, 'invalid-argument') && re.test(err.message),
      );
      assert.deepEqual(await listing(), before, file);
    }
    await assert.rejects(load(service, Buffer.from('not a tar at all')), (err) =>
      isEngineError(err, 'invalid-argument'),
    );
    await assert.rejects(
      load(service, await buildTar([{ name: 'manifest.json', content: '[{"Config": ' }])),
      /not valid JSON/,
    );
    assert.deepEqual(await listing(), before);
  });
});

describe('LocalImageService get/list/tag/remove', () => {
  async function twoImages() {
    const env = setup();
    const a = await tiny(
      'berth-test/a:1',
      { a: '1' },
      { created: '2024-01-01T00:00:00Z', config: { Labels: { x: 'y' } } },
    );
    const b = await tiny('berth-test/b:1', { b: '1' }, { created: '2024-02-01T00:00:00Z' });
    await load(env.service, await dockerArchive([a, b]));
    return { ...env, idA: digestOf(configBytes(a)), idB: digestOf(configBytes(b)) };
  }

  it('resolves IDs, prefixes and names; not found in dockerd words', async () => {
    const { service, idA } = await twoImages();
    assert.equal((await service.get(idA)).id, idA);
    assert.equal((await service.get(idA.slice(7))).id, idA);
    assert.equal((await service.get(idA.slice(7, 19))).id, idA);
    assert.equal((await service.get(`sha256:${idA.slice(7, 15)}`)).id, idA);
    assert.equal((await service.get('docker.io/berth-test/a:1')).id, idA);
    await assert.rejects(
      service.get('busybox'),
      (err) => isEngineError(err, 'not-found') && err.message === 'No such image: busybox:latest',
    );
    await assert.rejects(service.get('berth-test/a'), /No such image: berth-test\/a:latest/);
    await assert.rejects(service.get(`sha256:${'0'.repeat(64)}`), /No such image: sha256:0{64}/);
    await assert.rejects(service.get('UPPER'), (err) => isEngineError(err, 'invalid-argument'));
  });

  it('filters like docker images', async () => {
    const { service, idA, idB } = await twoImages();
    const ids = async (filters: Record<string, string[]>, all = false) =>
      (await service.list({ all, filters })).map((i) => i.id);
    assert.deepEqual(await ids({}), [idB, idA]);
    assert.deepEqual(await ids({ reference: ['berth-test/a'] }), [idA]);
    assert.deepEqual(await ids({ reference: ['berth-test/*:1'] }), [idB, idA]);
    assert.deepEqual(await ids({ reference: ['*'] }), []);
    assert.deepEqual(await ids({ label: ['x'] }), [idA]);
    assert.deepEqual(await ids({ label: ['x=z'] }), []);
    assert.deepEqual(await ids({ before: ['berth-test/b:1'] }), [idA]);
    assert.deepEqual(await ids({ since: ['berth-test/a:1'] }), [idB]);
    assert.deepEqual(await ids({ until: ['2024-01-15'] }), [idA]);
    assert.deepEqual(await ids({ dangling: ['true'] }), []);
    await service.tag('berth-test/a:1', 'berth-test/b', '1');
    assert.deepEqual(await ids({ dangling: ['true'] }), [idB]);
    assert.deepEqual(await ids({ dangling: ['false'] }), [idA]);
    await assert.rejects(ids({ bogus: ['1'] }), /invalid filter 'bogus'/);
    await assert.rejects(ids({ dangling: ['maybe'] }), /Invalid filter 'dangling=maybe'/);
  });

  it('tags, sets lastTagTime and untags by name', async () => {
    const { service, idA } = await twoImages();
    await service.tag(idA, 'localhost:5000/x', undefined);
    await service.tag('berth-test/a:1', 'berth-test/a', 'two');
    const image = await service.get(idA);
    assert.deepEqual(image.repoTags, [
      'docker.io/berth-test/a:1',
      'localhost:5000/x:latest',
      'docker.io/berth-test/a:two',
    ]);
    assert.ok(image.lastTagTime !== undefined);
    assert.deepEqual(await service.remove('localhost:5000/x', { force: false, noPrune: false }), [
      { untagged: 'localhost:5000/x:latest' },
    ]);
    await assert.rejects(
      service.remove(idA, { force: false, noPrune: false }),
      (err) =>
        isEngineError(err, 'conflict') &&
        err.message ===
          `conflict: unable to delete ${idA.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
    );
    const removed = await service.remove(idA, { force: true, noPrune: false });
    assert.deepEqual(removed.slice(0, 3), [
      { untagged: 'berth-test/a:1' },
      { untagged: 'berth-test/a:two' },
      { deleted: idA },
    ]);
    await assert.rejects(service.get(idA), (err) => isEngineError(err, 'not-found'));
  });

  it('deletes the image with its last tag, and unused layers and blobs', async () => {
    const { service, idA, content, snapshotter } = await twoImages();
    const removed = await service.remove('berth-test/a:1', { force: false, noPrune: false });
    assert.equal(removed[0]?.untagged, 'berth-test/a:1');
    assert.equal(removed[1]?.deleted, idA);
    assert.equal(removed.length, 3);
    assert.equal(snapshotter.snapshots.size, 1);
    assert.equal(await content.has(idA as Digest), false);
    assert.equal((await content.list()).length, 2);
  });

  it('refuses to delete an image with children and reports containers using it', async () => {
    const fx = await fixtures();
    let user: string | undefined;
    const { service } = setup({ isImageInUse: () => user });
    await load(service, fx.busybox);
    const child = await service.commit({
      parent: fx.ids.busybox as Digest,
      config: { architecture: 'amd64', os: 'linux', created: '2024-03-01T00:00:00Z' },
    });
    await assert.rejects(
      service.remove(fx.ids.busybox, { force: true, noPrune: false }),
      (err) =>
        isEngineError(err, 'conflict') &&
        err.message ===
          `conflict: unable to delete ${fx.ids.busybox.slice(7, 19)} (cannot be forced) - image has dependent child images`,
    );
    // The intermediate (untagged parent) is hidden without -a once untagged.
    await service.tag(child, 'berth-test/child', 'latest');
    await service.remove('berth-test/busybox', { force: false, noPrune: false }).catch(() => {});
    const visible = (await service.list({ all: false, filters: {} })).map((i) => i.id);
    assert.deepEqual(visible, [child]);
    assert.equal((await service.list({ all: true, filters: {} })).length, 2);
    // Removing the child prunes the untagged parent.
    user = 'c0ffee0000000000000000000000000000000000000000000000000000000000';
    await assert.rejects(
      service.remove('berth-test/child', { force: false, noPrune: false }),
      (err) =>
        isEngineError(err, 'conflict') &&
        err.message ===
          `conflict: unable to remove repository reference "berth-test/child" (must force) - container c0ffee000000 is using its referenced image ${child.slice(7, 19)}`,
    );
    user = undefined;
    const removed = await service.remove('berth-test/child', { force: false, noPrune: false });
    assert.deepEqual(
      removed.filter((r) => r.deleted === child || r.deleted === fx.ids.busybox).map((r) => r.deleted),
      [child, fx.ids.busybox],
    );
    assert.deepEqual(await service.list({ all: true, filters: {} }), []);
  });

  it('gives history newest first with sizes, IDs and tags', async () => {
    const fx = await fixtures();
    const { service } = setup();
    await load(service, fx.layered);
    const h = await service.history('berth-test/layered:v1');
    assert.equal(h.length, 6);
    assert.equal(h[0]?.id, fx.ids.layered);
    assert.deepEqual(h[0]?.tags, ['berth-test/layered:v1']);
    assert.equal(h[1]?.id, '<missing>');
    assert.equal(h[1]?.size, 0);
    assert.equal(h[1]?.createdBy, 'LABEL org.berth.test=layered');
    assert.ok((h[5]?.size ?? 0) > 0);
    assert.equal(h[0]?.created, Date.parse('2024-01-02T00:00:00Z') / 1000);
  });
});

describe('LocalImageService import and save', () => {
  it('imports a tar with changes and a tag', async () => {
    const { service } = setup({ now: () => new Date('2024-05-05T00:00:00Z') });
    const rootfs = await buildTar([{ name: 'hello', content: 'world' }]);
    const id = await service.importTar(
      Readable.from([gzipSync(rootfs)]),
      { reference: 'imported:1', changes: ['CMD ["/hello"]', 'ENV A=b'], message: 'from test' },
      () => {},
    );
    const image = await service.get('imported:1');
    assert.equal(image.id, id);
    assert.deepEqual(image.config.rootfs.diff_ids, [digestOf(rootfs)]);
    assert.deepEqual(image.config.config?.Cmd, ['/hello']);
    assert.deepEqual(image.config.config?.Env, ['A=b']);
    assert.equal(image.config.comment, 'from test');
    assert.equal(image.config.architecture, 'amd64');
    assert.deepEqual(image.config.history, [{ created: '2024-05-05T00:00:00.000Z', comment: 'from test' }]);
    assert.equal(image.lastTagTime, '2024-05-05T00:00:00.000Z');
    await assert.rejects(
      service.importTar(Readable.from([rootfs]), { changes: ['RUN x'] }, () => {}),
      /RUN is not a valid change command/,
    );
    const plain = await service.importTar(Readable.from([rootfs]), { changes: [] }, () => {});
    assert.equal((await service.get(plain)).config.comment, 'Imported from -');
  });

  it('saves a docker-archive with OCI layout that loads back to the same images', async () => {
    const fx = await fixtures();
    const { service } = setup();
    await load(service, fx.busybox);
    await load(service, fx.layeredOci);
    const out = new PassThrough();
    const bytes = collect(out);
    await service.save(['berth-test/busybox', 'berth-test/layered:v1'], out);
    const files = await untar(await bytes);
    const manifest = JSON.parse(files.get('manifest.json')!.toString());
    assert.equal(manifest.length, 2);
    assert.deepEqual(manifest[1].RepoTags, ['berth-test/layered:v1']);
    assert.equal(manifest[1].Config, `blobs/sha256/${fx.ids.layered.slice(7)}`);
    assert.deepEqual(
      manifest[1].Layers,
      fx.layeredDiffIds.map((d) => `blobs/sha256/${d.slice(7)}`),
    );
    const index = JSON.parse(files.get('index.json')!.toString());
    assert.deepEqual(index.manifests[1].annotations, {
      'io.containerd.image.name': 'docker.io/berth-test/layered:v1',
      'org.opencontainers.image.ref.name': 'v1',
    });
    assert.deepEqual(JSON.parse(files.get('repositories')!.toString()), {
      'berth-test/busybox': { latest: fx.layeredDiffIds[0]!.slice(7) },
      'berth-test/layered': { v1: fx.layeredDiffIds[3]!.slice(7) },
    });
    // Each layer blob is written once, uncompressed, with digest = diffID.
    for (const d of fx.layeredDiffIds) assert.equal(digestOf(files.get(`blobs/sha256/${d.slice(7)}`)!), d);
    assert.equal(JSON.parse(files.get('oci-layout')!.toString()).imageLayoutVersion, '1.0.0');
    // And it loads again, into a fresh store, with the same IDs.
    const again = setup();
    const { messages } = await load(again.service, await bytes);
    assert.deepEqual(
      messages.map((m) => m.stream),
      ['Loaded image: berth-test/busybox:latest\n', 'Loaded image: berth-test/layered:v1\n'],
    );
    assert.equal((await again.service.get('berth-test/layered:v1')).id, fx.ids.layered);
  });

  it('saves images named by ID without tags', async () => {
    const { service } = setup();
    const spec = busyboxSpec(await busyboxLayer(Buffer.from('fake')));
    await load(service, await ociArchive([spec]));
    const id = digestOf(configBytes(spec));
    const out = new PassThrough();
    const bytes = collect(out);
    await service.save([id.slice(7, 19)], out);
    const files = await untar(await bytes);
    assert.deepEqual(JSON.parse(files.get('manifest.json')!.toString())[0].RepoTags, []);
    assert.equal(files.has('repositories'), false);
    await assert.rejects(service.save(['nope'], new PassThrough()), /No such image: nope:latest/);
  });
});

describe('LocalImageService recovery', () => {
  it('drops records with missing content, quarantines corrupt files, drops dangling tags', async () => {
    const fx = await fixtures();
    const env = setup();
    await load(env.service, fx.busybox);
    await load(env.service, fx.layered);
    const imagesDir = path.join(env.root, 'image', 'images');
    await fs.writeFile(path.join(imagesDir, `${'e'.repeat(64)}.json`), '{corrupt');
    await fs.writeFile(path.join(imagesDir, '.tmp-x.json-abc'), 'partial');
    // The layered image loses its top snapshot.
    const layered = await env.service.get('berth-test/layered:v1');
    env.snapshotter.snapshots.delete(layered.chainIds[3]!);
    const fresh = new LocalImageService({
      root: path.join(env.root, 'image'),
      content: env.content,
      snapshotter: env.snapshotter,
      logger: silentLogger,
    });
    await fresh.recover();
    await fresh.garbageCollect();
    assert.deepEqual(
      (await fresh.list({ all: true, filters: {} })).map((i) => i.id),
      [fx.ids.busybox],
    );
    assert.deepEqual(await fs.readdir(imagesDir), [`${fx.ids.busybox.slice(7)}.json`]);
    assert.equal((await fs.readdir(path.join(env.root, 'image', 'quarantine'))).length, 1);
    const repos = JSON.parse(await fs.readFile(path.join(env.root, 'image', 'repositories.json'), 'utf8'));
    assert.deepEqual(Object.keys(repos.references), ['docker.io/berth-test/busybox:latest']);
    assert.equal(env.snapshotter.snapshots.size, 1);
  });
});
