import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familiarString, formatReference, parseNormalizedTagged, parseReference } from './reference';

const HEX = 'a'.repeat(64);

describe('parseReference', () => {
  it('normalizes official images to docker.io/library', () => {
    assert.equal(formatReference(parseNormalizedTagged('busybox')), 'docker.io/library/busybox:latest');
    assert.equal(formatReference(parseNormalizedTagged('library/busybox:1.36')), 'docker.io/library/busybox:1.36');
    assert.equal(
      formatReference(parseNormalizedTagged('index.docker.io/library/busybox')),
      'docker.io/library/busybox:latest',
    );
  });

  it('keeps user repositories and registries with ports', () => {
    const ref = parseReference(`localhost:5000/a/b@sha256:${HEX}`);
    assert.deepEqual(ref, { domain: 'localhost:5000', path: 'a/b', tag: undefined, digest: `sha256:${HEX}` });
    assert.equal(familiarString(ref), `localhost:5000/a/b@sha256:${HEX}`);
    assert.equal(formatReference(parseNormalizedTagged('me/app:v1')), 'docker.io/me/app:v1');
    assert.equal(familiarString(parseNormalizedTagged('me/app')), 'me/app:latest');
    assert.equal(parseReference('localhost/x').domain, 'localhost');
    assert.equal(parseReference('example.com/x:2').tag, '2');
  });

  it('does not take a port for a tag', () => {
    const ref = parseReference('registry:5000/x');
    assert.equal(ref.domain, 'registry:5000');
    assert.equal(ref.tag, undefined);
  });

  it('rejects malformed references in docker words', () => {
    for (const bad of [
      '',
      ':tag',
      'a//b',
      'UPPER',
      'a:b:c',
      `x@sha256:${'z'.repeat(64)}`,
      'a/-b',
      'x:'.padEnd(140, 'y'),
    ]) {
      assert.throws(() => parseReference(bad), /invalid reference format/, bad);
    }
    assert.throws(() => parseReference('Busybox'), /must be lowercase/);
  });
});
