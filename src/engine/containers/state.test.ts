import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../../common/errors';
import {
  canKill,
  canRemove,
  canStart,
  canStop,
  checkKill,
  checkRemove,
  checkStart,
  checkStop,
  exitedState,
  failedStartState,
  initialState,
  parseTimeNs,
  rfc3339Nano,
  runningState,
  secondsToNs,
  ZERO_TIME,
} from './state';
import type { ContainerStatus } from './types';

const ALL: ContainerStatus[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

function kindOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(isEngineError(err));
    return `${err.kind}: ${err.message}`;
  }
}

describe('status transitions', () => {
  it('start: only created and exited', () => {
    assert.deepEqual(ALL.filter(canStart), ['created', 'exited']);
    assert.equal(
      kindOf(() => checkStart('running')),
      'not-modified: container is already running',
    );
    assert.equal(
      kindOf(() => checkStart('paused')),
      'conflict: cannot start a paused container, try unpause instead',
    );
    assert.equal(
      kindOf(() => checkStart('dead')),
      'conflict: container is marked for removal and cannot be started',
    );
  });

  it('stop and kill: only with a process', () => {
    assert.deepEqual(ALL.filter(canStop), ['running', 'paused', 'restarting']);
    assert.deepEqual(ALL.filter(canKill), ['running', 'paused', 'restarting']);
    assert.equal(
      kindOf(() => checkStop('exited')),
      'not-modified: container is already stopped',
    );
    assert.equal(
      kindOf(() => checkKill('created', 'web', 'abc')),
      'conflict: cannot kill container: web: container abc is not running',
    );
  });

  it('remove: running only with force, never twice', () => {
    assert.deepEqual(
      ALL.filter((s) => canRemove(s, false)),
      ['created', 'exited', 'dead'],
    );
    assert.deepEqual(
      ALL.filter((s) => canRemove(s, true)),
      ['created', 'running', 'paused', 'restarting', 'exited', 'dead'],
    );
    assert.equal(
      kindOf(() => checkRemove('running', false, 'web')),
      'conflict: cannot remove container "/web": container is running: stop the container before removing or force remove',
    );
    assert.equal(
      kindOf(() => checkRemove('removing', true, 'web')),
      'conflict: removal of container web is already in progress',
    );
  });

  it('walks created → running → exited, and a failed start keeps created', () => {
    const s0 = initialState();
    assert.equal(s0.startedAt, ZERO_TIME);
    const failed = failedStartState(s0, 127, 'exec: "x": executable file not found in $PATH');
    assert.equal(failed.status, 'created');
    assert.equal(failed.exitCode, 127);
    const s1 = runningState(failed, 42, '2024-01-01T00:00:00Z');
    assert.deepEqual([s1.status, s1.running, s1.pid, s1.exitCode, s1.error], ['running', true, 42, 0, '']);
    const s2 = exitedState(s1, { exitCode: 137, finishedAt: '2024-01-01T00:00:01Z', oomKilled: true });
    assert.deepEqual([s2.status, s2.running, s2.pid, s2.exitCode, s2.oomKilled], ['exited', false, 0, 137, true]);
    assert.equal(failedStartState(s2, 126, 'permission denied').status, 'exited');
  });
});

describe('times', () => {
  it("formats like Go's RFC3339Nano", () => {
    assert.equal(rfc3339Nano(new Date('2024-01-02T03:04:05.120Z')), '2024-01-02T03:04:05.12Z');
    assert.equal(rfc3339Nano(new Date('2024-01-02T03:04:05.000Z')), '2024-01-02T03:04:05Z');
  });

  it('parses nanosecond times', () => {
    assert.equal(parseTimeNs('1970-01-01T00:00:01.000000002Z'), 1_000_000_002n);
    assert.equal(parseTimeNs('1970-01-01T01:00:01+01:00'), 1_000_000_000n);
    assert.equal(parseTimeNs('nope'), undefined);
    assert.equal(secondsToNs(1.5), 1_500_000_000n);
  });
});
