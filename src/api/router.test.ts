import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from './router';

function router(): Router {
  const r = new Router();
  const h = () => {};
  r.get('/images/json', h);
  r.get('/images/{name:.*}/json', h);
  r.get('/images/{name:.*}/history', h);
  r.delete('/images/{name:.*}', h);
  r.get('/containers/{id}/json', h);
  r.get('/_ping', h);
  return r;
}

describe('Router', () => {
  it('matches with and without a version prefix', () => {
    const r = router();
    assert.equal(r.match('GET', '/_ping')?.version, undefined);
    assert.equal(r.match('GET', '/v1.44/_ping')?.version, '1.44');
    assert.equal(r.match('GET', '/v1.24/images/json')?.pattern, '/images/json');
    assert.equal(r.match('get', '/images/json')?.pattern, '/images/json');
  });
  it('captures image names with slashes greedily', () => {
    const r = router();
    assert.deepEqual(r.match('GET', '/images/docker.io/library/alpine:3/json')?.params, {
      name: 'docker.io/library/alpine:3',
    });
    assert.deepEqual(r.match('GET', '/v1.44/images/localhost:5000/a/b/history')?.params, {
      name: 'localhost:5000/a/b',
    });
    assert.deepEqual(r.match('DELETE', '/v1.41/images/a/b@sha256:abc')?.params, { name: 'a/b@sha256:abc' });
    // A name that itself ends in /json still works.
    assert.deepEqual(r.match('GET', '/images/me/json/json')?.params, { name: 'me/json' });
  });
  it('keeps single-segment parameters to one segment', () => {
    const r = router();
    assert.deepEqual(r.match('GET', '/containers/abc/json')?.params, { id: 'abc' });
    assert.equal(r.match('GET', '/containers/a/b/json'), undefined);
  });
  it('does not match other methods or unknown paths', () => {
    const r = router();
    assert.equal(r.match('POST', '/_ping'), undefined);
    assert.equal(r.match('GET', '/nope'), undefined);
    assert.equal(r.match('GET', '/vx/_ping'), undefined);
  });
});
