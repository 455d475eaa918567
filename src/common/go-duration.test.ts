import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatGoDuration, parseGoDuration } from './go-duration';

describe('Go durations', () => {
  it('parse as time.ParseDuration', () => {
    assert.equal(parseGoDuration('30s'), 30e9);
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('500ms'), 500e6);
    assert.equal(parseGoDuration('2h45m0.5s'), 9900.5e9);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('10us'), 10e3);
    assert.equal(parseGoDuration('-1s'), -1e9);
    for (const bad of ['', '1', 'abc', '1x', 's', '.s', '1m 2s']) assert.equal(parseGoDuration(bad), undefined, bad);
  });

  it('format as Duration.String()', () => {
    assert.equal(formatGoDuration(0), '0s');
    assert.equal(formatGoDuration(30e9), '30s');
    assert.equal(formatGoDuration(1.5e9), '1.5s');
    assert.equal(formatGoDuration(500e6), '500ms');
    assert.equal(formatGoDuration(90e9), '1m30s');
    assert.equal(formatGoDuration(7200e9), '2h0m0s');
    assert.equal(formatGoDuration(1500), '1.5µs');
    assert.equal(formatGoDuration(12), '12ns');
  });
});
