import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { testDir } from '../../../test/helpers/names';
import { sha256 } from '../../common/digest';
import { isEngineError } from '../../common/errors';
import { FileContentStore } from './content-store';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

function store(): FileContentStore {
  const root = testDir('content');
  dirs.push(root);
  return new FileContentStore({ root });
}

describe('FileContentStore', () => {
  it('ingests a stream, hashing while writing, and reads it back', async () => {
    const cs = store();
    const data = Buffer.from('hello berth\n');
    const info = await cs.ingest(Readable.from([data.subarray(0, 5), data.subarray(5)]));
    assert.deepEqual(info, { digest: sha256(data), size: data.length });
    assert.equal(await cs.has(info.digest), true);
    assert.deepEqual(await cs.readBytes(info.digest), data);
    const chunks: Buffer[] = [];
    for await (const c of await cs.readStream(info.digest)) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), data);
    assert.equal(cs.path(info.digest), path.join(cs.root, 'blobs', 'sha256', info.digest.slice(7)));
    assert.deepEqual(await cs.list(), [info]);
  });

  it('rejects a digest mismatch and leaves nothing behind', async () => {
    const cs = store();
    await assert.rejects(
      cs.ingest(Readable.from([Buffer.from('abc')]), { digest: sha256('xyz') }),
      (err) => isEngineError(err, 'invalid-argument') && /digest mismatch/.test(err.message),
    );
    assert.deepEqual(await fs.readdir(path.join(cs.root, 'ingest')), []);
    assert.deepEqual(await cs.list(), []);
    await assert.rejects(cs.ingest(Readable.from([Buffer.from('abcd')]), { size: 3 }), /size mismatch/);
    await assert.rejects(cs.ingest(Readable.from([Buffer.from('ab')]), { size: 3 }), /size mismatch/);
    assert.deepEqual(await fs.readdir(path.join(cs.root, 'ingest')), []);
  });

  it('is idempotent', async () => {
    const cs = store();
    const a = await cs.ingest(Readable.from([Buffer.from('same')]));
    const b = await cs.ingest(Readable.from([Buffer.from('same')]), { digest: a.digest, size: 4 });
    const c = await cs.ingest(Readable.from([Buffer.from('same')]));
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.equal((await cs.list()).length, 1);
  });

  it('reports missing blobs as not found and deletes', async () => {
    const cs = store();
    const d = sha256('nothing');
    assert.equal(await cs.info(d), undefined);
    await assert.rejects(cs.readStream(d), (err) => isEngineError(err, 'not-found'));
    const info = await cs.ingest(Readable.from([Buffer.from('{"a":1}')]));
    assert.deepEqual(await cs.readJson(info.digest), { a: 1 });
    assert.equal(await cs.delete(info.digest), true);
    assert.equal(await cs.delete(info.digest), false);
    const bad = await cs.ingest(Readable.from([Buffer.from('{not json')]));
    await assert.rejects(cs.readJson(bad.digest), (err) => isEngineError(err, 'invalid-argument'));
  });

  it('recovers from interrupted ingests', async () => {
    const cs = store();
    await cs.recover();
    await fs.writeFile(path.join(cs.root, 'ingest', 'deadbeef'), 'partial');
    await fs.writeFile(path.join(cs.root, 'blobs', 'sha256', '.tmp-x'), 'partial');
    const kept = await cs.ingest(Readable.from([Buffer.from('kept')]));
    assert.deepEqual((await cs.recover()).sort(), ['.tmp-x', 'deadbeef']);
    assert.deepEqual(await fs.readdir(path.join(cs.root, 'ingest')), []);
    assert.deepEqual(await cs.list(), [kept]);
  });

  it('fails the ingest when the source stream fails', async () => {
    const cs = store();
    const src = new Readable({
      read() {
        this.destroy(new Error('boom'));
      },
    });
    await assert.rejects(cs.ingest(src), /boom/);
    assert.deepEqual(await fs.readdir(path.join(cs.root, 'ingest')), []);
  });
});
