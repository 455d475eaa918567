import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterSyntaxError, parseFilters, serializeFilters } from './filters';

describe('filters', () => {
  it('parses the Go client shape', () => {
    assert.deepEqual(parseFilters('{"label":{"a=b":true,"c":true},"dangling":{"false":true}}'), {
      label: ['a=b', 'c'],
      dangling: ['false'],
    });
  });
  it('parses the docker-py shape', () => {
    assert.deepEqual(parseFilters('{"label":["a=b"],"reference":["alpine*"]}'), {
      label: ['a=b'],
      reference: ['alpine*'],
    });
  });
  it('treats absent, empty and null as no filters', () => {
    assert.deepEqual(parseFilters(undefined), {});
    assert.deepEqual(parseFilters(''), {});
    assert.deepEqual(parseFilters('null'), {});
  });
  it('rejects malformed filters', () => {
    assert.throws(() => parseFilters('{'), FilterSyntaxError);
    assert.throws(() => parseFilters('[1]'), FilterSyntaxError);
    assert.throws(() => parseFilters('{"a":"b"}'), FilterSyntaxError);
    assert.throws(() => parseFilters('{"a":[1]}'), FilterSyntaxError);
  });
  it('serializes in the Go shape and round-trips', () => {
    const s = serializeFilters({ label: ['a=b'], dangling: ['true'], empty: [] });
    assert.equal(s, '{"label":{"a=b":true},"dangling":{"true":true}}');
    assert.deepEqual(parseFilters(s), { label: ['a=b'], dangling: ['true'] });
    assert.equal(serializeFilters({}), '');
  });
});
