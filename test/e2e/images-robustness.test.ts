/**
 * Bad input and crashes lose nothing and leave nothing: each malformed
 * archive gets a clear error and leaves the data root as it was; a daemon
 * killed with -9 in the middle of a load shows no half-image after restart
 * and has cleaned every leftover.
 */
import assert from 'node:assert/strict';
import { createReadStream, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { generateArchive } from '../../bench/archive';
import { fixtures } from '../../scripts/make-fixtures';
import { berth } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';
import { testDir } from '../helpers/names';
import { requireRoot } from '../helpers/requires';

/** Every file of the image store (blobs, layers, records) under the data root. */
function stateFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  // The daemon's own lock and ID, and the predefined networks' records, are not image state.
  return out.filter((f) => !['berthd.lock', 'engine-id'].includes(f) && !f.startsWith('network/')).sort();
}

describe('bad archives', { skip: requireRoot() }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(() => d?.stop());

  const cases: Array<[string, keyof Awaited<ReturnType<typeof fixtures>>, RegExp]> = [
    ['a truncated gzip layer', 'badTruncatedGzip', /unexpected end of file|truncated|gzip/i],
    ['a manifest naming a missing layer', 'badMissingLayer', /missing\/layer\.tar/],
    ['a diffID mismatch', 'badDiffId', /digest mismatch|diff.?id/i],
    ['a layer escaping its root', 'badEscape', /escape|outside|\.\./],
  ];
  for (const [what, key, message] of cases) {
    it(`refuses ${what} and leaves the data root as it was`, async () => {
      const f = await fixtures();
      const before = stateFiles(d.dataRoot);
      const r = await berth(d.host, ['load', '-i', f[key] as string]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, message);
      assert.equal((await berth(d.host, ['images', '-aq'])).stdout, '');
      assert.deepEqual(stateFiles(d.dataRoot), before);
    });
  }

  it('refuses what is not a tar at all', async () => {
    const r = await d.request('POST', '/images/load', Buffer.from('{"not":"a tar"}'.repeat(100)), {
      'Content-Type': 'application/x-tar',
    });
    // An error before anything was streamed is a plain JSON error; after, an errorDetail line.
    assert.ok(r.status === 400 || /errorDetail/.test(r.text), `${r.status} ${r.text}`);
    assert.equal((await berth(d.host, ['images', '-aq'])).stdout, '');
  });
});

describe('kill -9 in the middle of a load', { skip: requireRoot() }, () => {
  let work: string;
  let archive: string;
  before(async () => {
    work = testDir('crash');
    archive = (await generateArchive(work, 48, 4)).archive;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const fraction of [0.3, 0.85]) {
    it(`leaves no half-image and no leftovers after a crash at ${fraction * 100}%`, async () => {
      const d = await startDaemon({ logLevel: 'info' });
      try {
        const total = statSync(archive).size;
        let sent = 0;
        let killed: Promise<void> | undefined;
        // Feed the archive slowly enough that the daemon is mid-load when it dies.
        const body = Readable.from(
          (async function* () {
            for await (const chunk of createReadStream(archive, { highWaterMark: 256 * 1024 })) {
              sent += (chunk as Buffer).length;
              yield chunk as Buffer;
              if (!killed && sent >= total * fraction) {
                await new Promise((r) => setTimeout(r, 200));
                killed = d.kill9();
                return;
              }
            }
          })(),
        );
        await d.request('POST', '/images/load', body, { 'Content-Type': 'application/x-tar' }).catch(() => undefined);
        await killed;
        await d.restart();
        assert.equal((await berth(d.host, ['images', '-aq'])).stdout, '', 'no half-image is visible');
        const left = stateFiles(d.dataRoot);
        assert.deepEqual(left, [], `leftovers after restart:\n${left.join('\n')}\n${d.logTail(10)}`);
        // And the store still works.
        const ok = await berth(d.host, ['load', '-q', '-i', archive]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal((await berth(d.host, ['images', '-q'])).stdout.trim().split('\n').length, 1);
      } finally {
        await d.stop();
      }
    });
  }
});
