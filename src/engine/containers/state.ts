/**
 * A container status owns its legal transitions (STYLE.md §1.5): the service
 * locks the container, re-reads its state, asks these helpers, then acts.
 * Each `check*` throws the EngineError dockerd returns for that conflict.
 */
import { conflict, EngineError } from '../../common/errors';
import type { ContainerState, ContainerStatus } from './types';

/** Go's zero time as Docker prints it. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A fresh container's state: `created`, never started. */
export function initialState(): ContainerState {
  return {
    status: 'created',
    running: false,
    paused: false,
    restarting: false,
    oomKilled: false,
    dead: false,
    pid: 0,
    exitCode: 0,
    error: '',
    startedAt: ZERO_TIME,
    finishedAt: ZERO_TIME,
  };
}

/** Statuses in which a process (the container's init) exists. */
export function isActive(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'restarting';
}

export function canStart(status: ContainerStatus): boolean {
  return status === 'created' || status === 'exited';
}

export function canStop(status: ContainerStatus): boolean {
  return isActive(status);
}

export function canKill(status: ContainerStatus): boolean {
  return isActive(status);
}

export function canRemove(status: ContainerStatus, force: boolean): boolean {
  if (status === 'removing') return false;
  return force || !isActive(status);
}

/** Throws what dockerd answers to a start in `status` (304 when running). */
export function checkStart(status: ContainerStatus): void {
  if (canStart(status)) return;
  switch (status) {
    case 'running':
    case 'restarting':
      throw new EngineError('not-modified', 'container is already running');
    case 'paused':
      throw conflict('cannot start a paused container, try unpause instead');
    default:
      throw conflict('container is marked for removal and cannot be started');
  }
}

/** Throws 304 when there is nothing to stop. */
export function checkStop(status: ContainerStatus): void {
  if (!canStop(status)) throw new EngineError('not-modified', 'container is already stopped');
}

/** `ref` as the user gave it, `id` the full ID (moby: "cannot kill container: <ref>: container <id> is not running"). */
export function checkKill(status: ContainerStatus, ref: string, id: string): void {
  if (!canKill(status)) throw conflict(`cannot kill container: ${ref}: container ${id} is not running`);
}

/** `name` without the leading '/'. */
export function checkRemove(status: ContainerStatus, force: boolean, name: string): void {
  if (canRemove(status, force)) return;
  if (status === 'removing') throw conflict(`removal of container ${name} is already in progress`);
  if (status === 'paused') {
    throw conflict(
      'cannot remove a paused container: unpause and then stop the container before attempting removal or force remove',
    );
  }
  throw conflict(
    `cannot remove container "/${name}": container is running: stop the container before removing or force remove`,
  );
}

/** The state after a successful start. */
export function runningState(prev: ContainerState, pid: number, startedAt: string): ContainerState {
  return {
    ...prev,
    status: 'running',
    running: true,
    paused: false,
    restarting: false,
    oomKilled: false,
    dead: false,
    pid,
    exitCode: 0,
    error: '',
    startedAt,
  };
}

/** The state after the init exited. */
export function exitedState(
  prev: ContainerState,
  exit: { exitCode: number; finishedAt: string; oomKilled: boolean; error?: string },
): ContainerState {
  return {
    ...prev,
    status: 'exited',
    running: false,
    paused: false,
    restarting: false,
    pid: 0,
    exitCode: exit.exitCode,
    oomKilled: exit.oomKilled,
    error: exit.error ?? '',
    finishedAt: exit.finishedAt,
  };
}

/** The state after a failed start: `created` if it never ran, else `exited`, with the error recorded. */
export function failedStartState(prev: ContainerState, exitCode: number, error: string): ContainerState {
  const everStarted = prev.startedAt !== ZERO_TIME;
  return {
    ...prev,
    status: everStarted ? 'exited' : 'created',
    running: false,
    paused: false,
    restarting: false,
    pid: 0,
    exitCode,
    error,
  };
}

/**
 * Go's RFC3339Nano of a Date: trailing zeros of the fraction trimmed, no
 * fraction at all when it is zero.
 */
export function rfc3339Nano(date: Date): string {
  const iso = date.toISOString(); // 2024-01-01T00:00:00.120Z
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d+)Z$/.exec(iso);
  if (m === null) return iso;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return frac === '' ? `${m[1]}Z` : `${m[1]}.${frac}Z`;
}

/** Nanoseconds since the epoch of an RFC 3339 time (any fraction length, Z or offset); undefined if unparsable. */
export function parseTimeNs(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9})\d*)?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return BigInt(ms) * 1_000_000n + BigInt(frac === '' ? 0 : Number(frac));
}

/** Unix seconds (fractional) to nanoseconds. */
export function secondsToNs(seconds: number): bigint {
  const whole = Math.floor(seconds);
  const frac = Math.round((seconds - whole) * 1e9);
  return BigInt(whole) * 1_000_000_000n + BigInt(frac);
}
