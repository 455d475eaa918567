import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesSize, humanDuration, humanSize, InvalidSizeError, parseBytes, parseHumanSize, timeAgo } from './units';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('humanSize', () => {
  it('prints decimal units with 3 significant digits like docker images', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(999), '999B');
    assert.equal(humanSize(1000), '1kB');
    assert.equal(humanSize(124_000), '124kB');
    assert.equal(humanSize(1_234_567), '1.23MB');
    assert.equal(humanSize(4_261_000), '4.26MB');
    assert.equal(humanSize(1_500_000_000), '1.5GB');
    assert.equal(humanSize(3.2e12), '3.2TB');
  });

  it('rounds like Go (half to even on exact ties, exponent form past the precision)', () => {
    assert.equal(humanSize(1_125_000), '1.12MB');
    assert.equal(humanSize(1_135_000), '1.14MB');
    assert.equal(humanSize(999_999), '1e+03kB');
    assert.equal(humanSize(1_234_567, 4), '1.235MB');
  });
});

describe('bytesSize', () => {
  it('prints binary units with 4 significant digits', () => {
    assert.equal(bytesSize(0), '0B');
    assert.equal(bytesSize(1024), '1KiB');
    assert.equal(bytesSize(1.5 * 1024 * 1024), '1.5MiB');
    assert.equal(bytesSize(44 * 1024 + 100), '44.1KiB');
    assert.equal(bytesSize(2 * 1024 ** 3), '2GiB');
  });
});

describe('humanDuration', () => {
  it('follows go-units thresholds', () => {
    assert.equal(humanDuration(0), 'Less than a second');
    assert.equal(humanDuration(999), 'Less than a second');
    assert.equal(humanDuration(SECOND), '1 second');
    assert.equal(humanDuration(47 * SECOND), '47 seconds');
    assert.equal(humanDuration(MINUTE), 'About a minute');
    assert.equal(humanDuration(119 * SECOND), 'About a minute');
    assert.equal(humanDuration(2 * MINUTE), '2 minutes');
    assert.equal(humanDuration(59 * MINUTE), '59 minutes');
    assert.equal(humanDuration(60 * MINUTE), 'About an hour');
    assert.equal(humanDuration(89 * MINUTE), 'About an hour');
    assert.equal(humanDuration(90 * MINUTE), '2 hours');
    assert.equal(humanDuration(47 * HOUR), '47 hours');
    assert.equal(humanDuration(48 * HOUR), '2 days');
    assert.equal(humanDuration(13 * DAY), '13 days');
    assert.equal(humanDuration(14 * DAY), '2 weeks');
    assert.equal(humanDuration(59 * DAY), '8 weeks');
    assert.equal(humanDuration(60 * DAY), '2 months');
    assert.equal(humanDuration(729 * DAY), '24 months');
    assert.equal(humanDuration(730 * DAY), '2 years');
  });

  it('timeAgo appends "ago"', () => {
    const now = Date.parse('2024-01-01T12:00:00Z');
    assert.equal(timeAgo(new Date(now - 5 * MINUTE), now), '5 minutes ago');
    assert.equal(timeAgo('2024-01-01T11:00:00Z', new Date(now)), 'About an hour ago');
    assert.equal(timeAgo(now, now), 'Less than a second ago');
  });
});

describe('parseBytes', () => {
  it('parses RAMInBytes sizes with binary multiples', () => {
    assert.equal(parseBytes('512'), 512);
    assert.equal(parseBytes('512b'), 512);
    assert.equal(parseBytes('32k'), 32 * 1024);
    assert.equal(parseBytes('512m'), 512 * 1024 * 1024);
    assert.equal(parseBytes('512MB'), 512 * 1024 * 1024);
    assert.equal(parseBytes('1.5g'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('64MiB'), 64 * 1024 ** 2);
    assert.equal(parseBytes('2 t'), 2 * 1024 ** 4);
    assert.equal(parseBytes('1P'), 1024 ** 5);
  });

  it('rejects what go-units rejects, in its words', () => {
    assert.throws(() => parseBytes('abc'), { message: "invalid size: 'abc'" });
    assert.throws(() => parseBytes('-1m'), { message: "invalid size: '-1m'" });
    assert.throws(() => parseBytes('1x'), { message: "invalid suffix: 'x'" });
    assert.throws(() => parseBytes('1mx'), { message: "invalid suffix: 'mx'" });
    assert.throws(() => parseBytes('1bb'), InvalidSizeError);
    assert.throws(() => parseBytes('1kbbb'), { message: "invalid suffix: 'kbbb'" });
  });

  it('FromHumanSize uses decimal multiples', () => {
    assert.equal(parseHumanSize('1kB'), 1000);
    assert.equal(parseHumanSize('2.5MB'), 2_500_000);
  });
});
