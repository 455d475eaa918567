/**
 * The client against berth's real API routes, served in process over a unix
 * socket with the FakeImageService (no root needed).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../../src/api/testing/test-api';
import { ClientError, EngineClient } from '../../src/client';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('EngineClient against berth', () => {
  let api: TestApi;
  let client: EngineClient;
  before(async () => {
    api = await startTestApi();
    client = new EngineClient({ host: `unix://${api.socket}` });
  });
  after(async () => {
    client.close();
    await api.close();
  });

  it('pings and negotiates 1.44', async () => {
    const p = await client.ping();
    assert.equal(p.apiVersion, '1.44');
    assert.equal(p.osType, 'linux');
    assert.equal(p.experimental, false);
    assert.equal(p.swarm, 'inactive');
    assert.equal(await client.apiVersion(), '1.44');
  });

  it('reads version and info', async () => {
    assert.equal((await client.version()).ApiVersion, '1.44');
    assert.equal((await client.info()).NCPU, 4);
  });

  it('lists, inspects, tags, removes images', async () => {
    const img = api.images.add({ tags: ['cl/one:1'] });
    const list = await client.listImages({ all: true, filters: { reference: ['cl/*'] } });
    assert.ok(list.some((i) => i.Id === img.id));
    const listCall = api.images.calls.filter((c) => c[0] === 'list').at(-1);
    assert.deepEqual((listCall?.[1] as { filters: unknown }).filters, { reference: ['cl/*'] });
    assert.equal((await client.inspectImage('cl/one:1')).Id, img.id);
    assert.equal((await client.imageHistory('cl/one:1'))[0]?.Id, img.id);
    await client.tagImage('cl/one:1', 'docker.io/cl/two', 'x');
    assert.ok(img.repoTags.includes('docker.io/cl/two:x'));
    const removed = await client.removeImage('cl/two:x');
    assert.deepEqual(removed, [{ Untagged: 'cl/two:x' }]);
    const report = await client.pruneImages();
    assert.deepEqual(report, { ImagesDeleted: [], SpaceReclaimed: 0 });
  });

  it('raises ClientError with the status and daemon message', async () => {
    await assert.rejects(client.inspectImage('nope'), (err: unknown) => {
      assert.ok(err instanceof ClientError);
      assert.equal(err.status, 404);
      assert.equal(err.message, 'No such image: nope:latest');
      assert.ok(err.isNotFound);
      return true;
    });
  });

  it('streams an import and yields progress', async () => {
    const msgs = await collect(
      client.importImage(Readable.from([Buffer.from('tar-bytes')]), { repo: 'imp', tag: '1' }),
    );
    assert.match(msgs.at(-1)?.status ?? '', /^sha256:/);
  });

  it('loads and saves', async () => {
    const msgs = await collect(client.loadImage(Readable.from([Buffer.from('ld:1')]), { quiet: true }));
    assert.deepEqual(msgs, [{ stream: 'Loaded image: ld:1\n' }]);
    const tar = await client.saveImages(['ld:1']);
    const chunks: Buffer[] = [];
    for await (const c of tar) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'TAR:ld:1');
    await assert.rejects(
      client.saveImages(['none:1']),
      (err: unknown) => err instanceof ClientError && err.status === 404,
    );
  });

  it('turns an in-stream error into a ClientError', async () => {
    await assert.rejects(collect(client.loadImage(Readable.from([Buffer.from('bad')]))), (err: unknown) => {
      // 'bad' fails before any output, so it is a plain 400.
      return err instanceof ClientError && err.status === 400 && /no manifest/.test(err.message);
    });
  });
});
