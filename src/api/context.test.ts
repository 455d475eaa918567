import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../common/errors';
import { parseBool } from './context';
import { statusForError, statusForKind } from './errors';

describe('query booleans (moby BoolValue)', () => {
  it('treats the false words as false, in any case', () => {
    for (const v of ['', '0', 'no', 'false', 'none', 'False', 'NO', ' none ']) assert.equal(parseBool(v), false, v);
  });
  it('treats anything else as true', () => {
    for (const v of ['1', 'true', 'True', 'yes', 'x']) assert.equal(parseBool(v), true, v);
  });
});

describe('error mapping', () => {
  it('maps each kind to its status', () => {
    assert.equal(statusForKind('invalid-argument'), 400);
    assert.equal(statusForKind('unauthorized'), 401);
    assert.equal(statusForKind('forbidden'), 403);
    assert.equal(statusForKind('not-found'), 404);
    assert.equal(statusForKind('conflict'), 409);
    assert.equal(statusForKind('not-modified'), 304);
    assert.equal(statusForKind('not-implemented'), 501);
    assert.equal(statusForKind('unavailable'), 503);
    assert.equal(statusForKind('internal'), 500);
    assert.equal(statusForError(new Error('x')), 500);
    assert.equal(statusForError(new EngineError('conflict', 'x')), 409);
  });
});
