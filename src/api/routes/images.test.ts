import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../../../test/helpers/daemon';
import { startTestApi, type TestApi } from '../testing/test-api';
import { parseTagTarget } from './images';

describe('image routes', () => {
  let api: TestApi;
  const req = (method: string, p: string, body?: string | Buffer | Readable) => rawRequest(api.socket, method, p, body);
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('lists images in the summary shape', async () => {
    const img = api.images.add({ tags: ['busybox:latest', 'localhost:5000/a/b:1'], labels: { x: 'y' } });
    const r = await req('GET', '/v1.44/images/json?all=1');
    assert.equal(r.status, 200);
    const list = r.json<Array<Record<string, unknown>>>();
    const s = list.find((i) => i.Id === img.id);
    assert.deepEqual(s, {
      Id: img.id,
      ParentId: '',
      RepoTags: ['busybox:latest', 'localhost:5000/a/b:1'],
      RepoDigests: [],
      Created: 1704164645,
      Size: 1000,
      SharedSize: -1,
      Labels: { x: 'y' },
      Containers: -1,
    });
    const old = (await req('GET', '/v1.43/images/json')).json<Array<Record<string, unknown>>>();
    assert.equal(old.find((i) => i.Id === img.id)?.VirtualSize, 1000);
  });

  it('passes filters in both shapes to the service', async () => {
    await req('GET', `/images/json?filters=${encodeURIComponent('{"reference":{"busy*":true}}')}`);
    await req('GET', `/images/json?filters=${encodeURIComponent('{"label":["a=b"]}')}`);
    const lists = api.images.calls.filter((c) => c[0] === 'list').slice(-2);
    assert.deepEqual((lists[0]?.[1] as { filters: unknown }).filters, { reference: ['busy*'] });
    assert.deepEqual((lists[1]?.[1] as { filters: unknown }).filters, { label: ['a=b'] });
    const bad = await req('GET', '/images/json?filters=%7B');
    assert.equal(bad.status, 400);
  });

  it('inspects by a name with slashes, with ContainerConfig and GraphDriver', async () => {
    const img = api.images.add({ tags: ['localhost:5000/team/app:2'] });
    const r = await req('GET', '/v1.44/images/localhost:5000/team/app:2/json');
    assert.equal(r.status, 200);
    const i = r.json<Record<string, unknown>>();
    assert.equal(i.Id, img.id);
    assert.deepEqual(i.RepoTags, ['localhost:5000/team/app:2']);
    assert.equal(i.Created, '2024-01-02T03:04:05.123456789Z');
    assert.equal((i.Config as { Cmd: string[] }).Cmd[0], 'sh');
    assert.equal((i.ContainerConfig as { Tty: boolean }).Tty, false);
    assert.equal(i.Container, '');
    assert.deepEqual(i.GraphDriver, { Name: 'overlay2', Data: null });
    assert.deepEqual(i.RootFS, { Type: 'layers', Layers: img.config.rootfs.diff_ids });
    assert.deepEqual(i.Metadata, { LastTagTime: '0001-01-01T00:00:00Z' });
    const missing = await req('GET', '/images/nothere/json');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { message: 'No such image: nothere:latest' });
  });

  it('serves history', async () => {
    api.images.add({ tags: ['hist:1'] });
    const h = (await req('GET', '/images/hist:1/history')).json<Array<Record<string, unknown>>>();
    assert.deepEqual(h[0]?.Tags, ['hist:1']);
    assert.equal(h[0]?.CreatedBy, 'fake');
  });

  it('tags with 201 and rejects bad references with 400', async () => {
    api.images.add({ tags: ['src:1'] });
    const ok = await req('POST', '/v1.44/images/src:1/tag?repo=docker.io/me/dst&tag=v2');
    assert.equal(ok.status, 201);
    assert.equal(ok.text, '');
    assert.deepEqual(api.images.calls.filter((c) => c[0] === 'tag').at(-1), ['tag', 'src:1', 'docker.io/me/dst', 'v2']);
    assert.equal((await req('POST', '/images/src:1/tag?repo=Bad/Name')).status, 400);
    assert.equal((await req('POST', '/images/src:1/tag?repo=ok&tag=bad%20tag')).status, 400);
    assert.equal((await req('POST', '/images/src:1/tag')).status, 400);
    assert.equal((await req('POST', '/images/missing:1/tag?repo=x')).status, 404);
  });

  it('removes images and reports Untagged/Deleted', async () => {
    const img = api.images.add({ tags: ['gone:1'] });
    const r = await req('DELETE', '/v1.44/images/gone:1?force=0&noprune=False');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), [{ Untagged: 'gone:1' }, { Deleted: img.id }]);
    assert.deepEqual(api.images.calls.filter((c) => c[0] === 'remove').at(-1)?.[2], { force: false, noPrune: false });
    api.images.add({ tags: ['two:1', 'two:2'], seed: 'two' });
    const c = await req('DELETE', '/images/two:1?force=1');
    assert.equal(c.status, 200);
  });

  it('imports a chunked tar body and ends with the image ID', async () => {
    const body = Readable.from([Buffer.from('layer-'), Buffer.from('bytes')]);
    const r = await req(
      'POST',
      '/v1.44/images/create?fromSrc=-&repo=imported&tag=v1&message=hi&changes=CMD%20%5B%22sh%22%5D',
      body,
    );
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const lines = r.text.split('\r\n').filter((l) => l !== '');
    const last = JSON.parse(lines.at(-1) ?? '{}') as { status: string };
    assert.match(last.status, /^sha256:[0-9a-f]{64}$/);
    const opts = api.images.calls.find((c) => c[0] === 'importTar')?.[1];
    assert.deepEqual(opts, {
      changes: ['CMD ["sh"]'],
      reference: 'docker.io/library/imported:v1',
      message: 'hi',
    });
  });

  it('refuses pull and URL imports clearly', async () => {
    const pull = await req('POST', '/images/create?fromImage=docker.io/library/alpine&tag=latest');
    assert.equal(pull.status, 501);
    assert.deepEqual(pull.json(), { message: 'pull is not implemented yet' });
    const url = await req('POST', '/images/create?fromSrc=http://example.com/x.tar');
    assert.equal(url.status, 400);
  });

  it('reports an import failure before output as an HTTP error', async () => {
    const { EngineError } = await import('../../common/errors');
    api.images.failWith = new EngineError('invalid-argument', 'not a tar archive');
    try {
      const r = await req('POST', '/images/create?fromSrc=-', 'garbage');
      assert.equal(r.status, 400);
      assert.deepEqual(r.json(), { message: 'not a tar archive' });
    } finally {
      api.images.failWith = undefined;
    }
  });

  it('loads with progress, or quietly', async () => {
    const r = await req('POST', '/images/load', 'loaded:1');
    assert.equal(r.headers['content-type'], 'application/json');
    const lines = r.text
      .split('\r\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines[0]?.status, 'Loading layer');
    assert.deepEqual(lines.at(-1), { stream: 'Loaded image: loaded:1\n' });
    const q = await req('POST', '/images/load?quiet=1', 'loaded:2');
    assert.equal(q.text, '{"stream":"Loaded image: loaded:2\\n"}\r\n');
    const bad = await req('POST', '/images/load?quiet=1', 'bad');
    assert.equal(bad.status, 400);
  });

  it('saves as an application/x-tar stream, 404 before the first byte', async () => {
    api.images.add({ tags: ['s1:1'] });
    api.images.add({ tags: ['s2:1'] });
    const r = await req('GET', '/images/get?names=s1:1&names=s2:1');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/x-tar');
    assert.equal(r.text, 'TAR:s1:1,s2:1');
    const one = await req('GET', '/v1.44/images/s1:1/get');
    assert.equal(one.text, 'TAR:s1:1');
    const missing = await req('GET', '/images/get?names=nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-type'], 'application/json');
  });

  it('prunes dangling images only, or all with dangling=false', async () => {
    const dangling = api.images.add({ seed: 'dangling-one' });
    const tagged = api.images.add({ tags: ['keepme:1'], seed: 'tagged-one' });
    const r = await req('POST', '/images/prune');
    const report = r.json<{ ImagesDeleted: Array<Record<string, string>>; SpaceReclaimed: number }>();
    assert.deepEqual(report.ImagesDeleted, [{ Deleted: dangling.id }]);
    assert.equal(report.SpaceReclaimed, 1000);
    assert.ok(api.images.images.has(tagged.id));
    const all = await req('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":{"false":true}}')}`);
    const allReport = all.json<{ ImagesDeleted: Array<Record<string, string>> }>();
    assert.ok(allReport.ImagesDeleted.some((d) => d.Deleted === tagged.id));
    assert.ok(!api.images.images.has(tagged.id));
    const empty = (await req('POST', '/images/prune')).json();
    assert.deepEqual(empty, { ImagesDeleted: [], SpaceReclaimed: 0 });
  });

  it('answers build cache prune with an empty report', async () => {
    const r = await req('POST', '/v1.44/build/prune');
    assert.deepEqual(r.json(), { CachesDeleted: [], SpaceReclaimed: 0 });
  });
});

describe('parseTagTarget', () => {
  it('normalizes the repository and keeps the tag', () => {
    assert.deepEqual(parseTagTarget('busybox', ''), { repository: 'docker.io/library/busybox', tag: undefined });
    assert.deepEqual(parseTagTarget('me/app:1', ''), { repository: 'docker.io/me/app', tag: '1' });
    assert.deepEqual(parseTagTarget('localhost:5000/a', 'x'), { repository: 'localhost:5000/a', tag: 'x' });
    assert.throws(() => parseTagTarget('sha256', 'x'), /ambiguous/);
  });
});

describe('image prune filters', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });
  it('keeps images matching label! and rejects unknown keys', async () => {
    const keep = api.images.add({ seed: 'keep', labels: { keep: '1' } });
    const drop = api.images.add({ seed: 'drop' });
    const r = await rawRequest(
      api.socket,
      'POST',
      `/images/prune?filters=${encodeURIComponent('{"label!":["keep"]}')}`,
    );
    assert.deepEqual(r.json<{ ImagesDeleted: unknown }>().ImagesDeleted, [{ Deleted: drop.id }]);
    assert.ok(api.images.images.has(keep.id));
    const bad = await rawRequest(
      api.socket,
      'POST',
      `/images/prune?filters=${encodeURIComponent('{"color":["red"]}')}`,
    );
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json(), { message: "invalid filter 'color'" });
  });
});
