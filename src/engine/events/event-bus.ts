/**
 * An in-memory event bus: a bounded history (moby keeps the last 256 events)
 * for `since`/`until` replay, and live subscribers. Publishing never blocks:
 * each subscriber has its own queue (bounded; a subscriber that falls too far
 * behind loses its oldest queued events rather than stalling the engine).
 */
import type { EngineEvent, EventInput, EventPredicate, EventSink, EventSubscription, SubscribeOptions } from './types';

export const DEFAULT_HISTORY = 256;
const MAX_QUEUE = 10_000;

export interface EventBusOptions {
  /** History length (default 256, as moby's eventsLimit). */
  history?: number;
  /** Current time in nanoseconds (tests pin it). */
  nowNs?: () => bigint;
}

/** Wall-clock nanoseconds: ms from Date.now(), sub-ms digits from the monotonic clock. */
export function wallClockNs(): bigint {
  const ms = Date.now();
  const sub = process.hrtime.bigint() % 1_000_000n;
  return BigInt(ms) * 1_000_000n + sub;
}

class Subscriber implements EventSubscription {
  readonly buffered: readonly EngineEvent[];
  private readonly queue: EngineEvent[] = [];
  private waiter: ((e: EngineEvent | undefined) => void) | undefined;
  private closed = false;

  constructor(
    buffered: EngineEvent[],
    private readonly filter: EventPredicate | undefined,
    private readonly untilNs: bigint | undefined,
    private readonly onClose: (s: Subscriber) => void,
  ) {
    this.buffered = buffered;
  }

  offer(e: EngineEvent): void {
    if (this.closed) return;
    if (this.untilNs !== undefined && e.timeNano > this.untilNs) return;
    if (this.filter !== undefined && !this.filter(e)) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w(e);
      return;
    }
    this.queue.push(e);
    if (this.queue.length > MAX_QUEUE) this.queue.shift();
  }

  next(): Promise<EngineEvent | undefined> {
    const e = this.queue.shift();
    if (e !== undefined) return Promise.resolve(e);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
    this.onClose(this);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<EngineEvent> {
    try {
      for (;;) {
        const e = await this.next();
        if (e === undefined) return;
        yield e;
      }
    } finally {
      this.close();
    }
  }
}

export class EventBus implements EventSink {
  private readonly limit: number;
  private readonly nowNs: () => bigint;
  private readonly events: EngineEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private last = 0n;

  constructor(options: EventBusOptions = {}) {
    this.limit = options.history ?? DEFAULT_HISTORY;
    this.nowNs = options.nowNs ?? wallClockNs;
  }

  publish(input: EventInput): EngineEvent {
    let t = this.nowNs();
    if (t <= this.last) t = this.last + 1n;
    this.last = t;
    const event: EngineEvent = {
      type: input.type,
      action: input.action,
      actor: { id: input.actor.id, attributes: { ...input.actor.attributes } },
      scope: input.scope ?? 'local',
      timeNano: t,
    };
    this.events.push(event);
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
    for (const s of this.subscribers) s.offer(event);
    return event;
  }

  /**
   * Buffered events matching since/until/filter (oldest first), then live ones.
   * Nothing published between the replay and the live part is lost: both are taken in one tick.
   */
  subscribe(options: SubscribeOptions = {}): EventSubscription {
    const buffered = this.replay(options);
    const sub = new Subscriber(buffered, options.filter, options.untilNs, (s) => this.subscribers.delete(s));
    this.subscribers.add(sub);
    return sub;
  }

  /** moby's loadBufferedEvents: nothing unless since or until is given. */
  replay(options: SubscribeOptions): EngineEvent[] {
    const { sinceNs, untilNs, filter } = options;
    if (sinceNs === undefined && untilNs === undefined) return [];
    return this.events.filter(
      (e) =>
        (sinceNs === undefined || e.timeNano >= sinceNs) &&
        (untilNs === undefined || e.timeNano <= untilNs) &&
        (filter === undefined || filter(e)),
    );
  }

  /** Number of live subscribers (tests, leak checks). */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Ends every subscription (daemon shutdown). */
  close(): void {
    for (const s of [...this.subscribers]) s.close();
  }
}
