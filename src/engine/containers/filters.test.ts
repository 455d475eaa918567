import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import { defaultContainerConfig, defaultHostConfig } from './defaults';
import { compileListFilters, compilePruneFilters, matchLabels, parseUntil } from './filters';
import { initialState } from './state';
import type { Container } from './types';

function container(over: Partial<Container> & { labels?: Record<string, string> } = {}): Container {
  const { labels, ...rest } = over;
  return {
    id: 'abc123'.padEnd(64, '0'),
    name: 'web',
    created: '2024-01-01T00:00:00Z',
    path: 'sh',
    args: [],
    config: defaultContainerConfig({ labels: labels ?? {} }),
    hostConfig: defaultHostConfig(),
    imageId: 'sha256:1111' as Container['imageId'],
    state: initialState(),
    restartCount: 0,
    logPath: '',
    hostnamePath: '',
    hostsPath: '',
    resolvConfPath: '',
    bundleDir: '',
    graphDriver: { name: 'overlay2', data: {} },
    warnings: [],
    ...rest,
  };
}

describe('filters', () => {
  const ctx = { seqOf: () => 5 };

  it('matches labels by key or key=value', () => {
    assert.equal(matchLabels({ a: '1' }, ['a']), true);
    assert.equal(matchLabels({ a: '1' }, ['a=1']), true);
    assert.equal(matchLabels({ a: '1' }, ['a=2']), false);
    assert.equal(matchLabels({ a: '1' }, ['a', 'b']), false);
  });

  it('name is a regex over "/name", status implies all, network normalizes default', () => {
    const { match, impliesAll } = compileListFilters({ name: ['eb$'], status: ['created'], network: ['bridge'] }, ctx);
    assert.equal(impliesAll, true);
    assert.equal(match({ container: container(), seq: 1 }), true);
    assert.equal(match({ container: container({ name: 'webby' }), seq: 1 }), false);
  });

  it('ancestor matches the image or an image built on it', () => {
    const { match } = compileListFilters(
      { ancestor: ['base'] },
      { ...ctx, ancestors: [{ id: 'sha256:base', chainIds: ['c1', 'c2'] }] },
    );
    assert.equal(match({ container: container(), seq: 1, imageChain: ['c1', 'c2', 'c3'] }), true);
    assert.equal(match({ container: container(), seq: 1, imageChain: ['c1'] }), false);
    assert.equal(match({ container: container({ imageId: 'sha256:base' as Container['imageId'] }), seq: 1 }), true);
  });

  it("refuses unknown keys and bad values with dockerd's words", () => {
    assert.throws(
      () => compileListFilters({ nope: ['1'] }, ctx),
      (e) => isEngineError(e) && e.message === "invalid filter 'nope'",
    );
    assert.throws(
      () => compileListFilters({ status: ['sleeping'] }, ctx),
      (e) => isEngineError(e) && e.message === "invalid filter 'status=sleeping'",
    );
    assert.throws(
      () => compileListFilters({ exited: ['x'] }, ctx),
      (e) => isEngineError(e) && e.message === "invalid filter 'exited=x'",
    );
  });

  it('prune: until (timestamp, duration, RFC 3339), label, label!', () => {
    const now = new Date('2024-01-02T00:00:00Z');
    assert.equal(parseUntil('1704067200', now), Date.parse('2024-01-01T00:00:00Z'));
    assert.equal(parseUntil('24h', now), Date.parse('2024-01-01T00:00:00Z'));
    assert.equal(parseUntil('1h30m', now), Date.parse('2024-01-01T22:30:00Z'));
    assert.equal(parseUntil('2024-01-01T12:00:00Z', now), Date.parse('2024-01-01T12:00:00Z'));
    const old = container({ created: '2023-12-31T00:00:00Z', labels: { keep: 'yes' } });
    assert.equal(compilePruneFilters({ until: ['24h'] }, now)(old), true);
    assert.equal(compilePruneFilters({ until: ['72h'] }, now)(old), false);
    assert.equal(compilePruneFilters({ 'label!': ['keep'] }, now)(old), false);
    assert.equal(compilePruneFilters({ label: ['keep=yes'] }, now)(old), true);
    assert.throws(
      () => compilePruneFilters({ status: ['x'] }, now),
      (e) => isEngineError(e, 'invalid-argument'),
    );
  });
});
