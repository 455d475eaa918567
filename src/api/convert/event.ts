/**
 * Engine events to Docker's `GET /events` JSON. moby fills the legacy
 * `status`/`id` (container and image events) and `from` (container events)
 * besides `Type`/`Action`/`Actor`/`scope`/`time`/`timeNano`.
 */
import { invalidArgument } from '../../common/errors';
import type { EngineEvent } from '../../engine/events';
import type { EventMessage } from '../../wire';

const NS = 1_000_000_000n;

export function toEventMessage(e: EngineEvent): EventMessage {
  const m: EventMessage = {
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.actor.id, Attributes: { ...e.actor.attributes } },
    scope: e.scope,
    time: Number(e.timeNano / NS),
    timeNano: Number(e.timeNano),
  };
  if (e.type === 'container' || e.type === 'image') {
    const legacy: Partial<EventMessage> = { status: e.action, id: e.actor.id };
    if (e.type === 'container') legacy.from = e.actor.attributes.image ?? '';
    return { ...legacy, ...m } as EventMessage;
  }
  return m;
}

/** One event as a JSON line, `timeNano` exact (it does not fit a double). */
export function encodeEvent(e: EngineEvent): string {
  const m = toEventMessage(e);
  const { timeNano: _t, ...rest } = m;
  const json = JSON.stringify(rest);
  return `${json.slice(0, -1)},"timeNano":${e.timeNano.toString()}}\n`;
}

/**
 * A `since`/`until` value as the CLI sends it (`<seconds>[.<nanoseconds>]`, or an RFC 3339
 * time from other clients) in nanoseconds; undefined when empty.
 */
export function parseEventTime(value: string | null | undefined): bigint | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9})\d*)?$/.exec(value);
  if (m !== null) {
    const sec = BigInt(m[1] ?? '0');
    const frac = BigInt((m[2] ?? '').padEnd(9, '0') || '0');
    return sec < 0n ? sec * NS - frac : sec * NS + frac;
  }
  const rfc = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (rfc !== null) {
    const ms = Date.parse(`${rfc[1]}${rfc[3]}`);
    if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n + BigInt((rfc[2] ?? '').padEnd(9, '0') || '0');
  }
  throw invalidArgument(`invalid timestamp: ${value}`);
}
