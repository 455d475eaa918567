/**
 * Engine events: what happened to which object, as `docker events` reports it.
 * camelCase here; src/api converts to Docker's JSON (with the legacy
 * `status`/`id`/`from`/`time`/`timeNano` fields).
 */

/** Docker's event types (moby api/types/events). */
export type EventType =
  | 'builder'
  | 'config'
  | 'container'
  | 'daemon'
  | 'image'
  | 'network'
  | 'node'
  | 'plugin'
  | 'secret'
  | 'service'
  | 'volume';

export interface EventActor {
  /** Container ID, image ID ('sha256:…'), network ID, volume name, daemon ID. */
  id: string;
  attributes: Record<string, string>;
}

export interface EngineEvent {
  type: EventType;
  /** 'create', 'die', 'exec_create: sh -c true', 'health_status: healthy', 'tag', ... */
  action: string;
  actor: EventActor;
  scope: 'local' | 'swarm';
  /** Nanoseconds since the epoch; strictly increasing within one bus. */
  timeNano: bigint;
}

/** What a publisher gives; the bus adds the scope (default 'local') and the time. */
export interface EventInput {
  type: EventType;
  action: string;
  actor: EventActor;
  scope?: 'local' | 'swarm';
}

/** A predicate over events (see filter.ts for Docker's filter semantics). */
export type EventPredicate = (event: EngineEvent) => boolean;

export interface SubscribeOptions {
  /** Replay buffered events at or after this time (ns). Replay happens only when since or until is set (as moby). */
  sinceNs?: bigint;
  /** Replay only events up to this time (ns); live events after it are not delivered. */
  untilNs?: bigint;
  filter?: EventPredicate;
}

/** A live subscription: `buffered` first, then `next()` / async iteration until `close()`. */
export interface EventSubscription extends AsyncIterable<EngineEvent> {
  readonly buffered: readonly EngineEvent[];
  /** Resolves with the next live event, or undefined once closed. */
  next(): Promise<EngineEvent | undefined>;
  close(): void;
}

/** Where events are published (the daemon's EventBus; tests may record). */
export interface EventSink {
  publish(input: EventInput): EngineEvent;
}
