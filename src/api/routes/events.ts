/**
 * `GET /events?since=&until=&filters=` (engine-api.md §4.7): headers flushed at
 * once, then one JSON object per line — the buffered events in the window,
 * then live ones until `until` passes or the client goes away. An `until` in
 * the past sends the buffered events and ends.
 */
import { invalidArgument } from '../../common/errors';
import type { EventSubscription, SubscribeOptions } from '../../engine/events';
import { compileEventFilter, wallClockNs } from '../../engine/events';
import { queryFilters, queryString, type RequestContext } from '../context';
import { encodeEvent, parseEventTime } from '../convert/event';
import type { Router } from '../router';

export interface EventRouteDeps {
  events: { subscribe(options: SubscribeOptions): EventSubscription };
}

export function registerEventRoutes(router: Router, deps: EventRouteDeps): void {
  router.get('/events', (ctx) => streamEvents(ctx, deps));
}

async function streamEvents(ctx: RequestContext, deps: EventRouteDeps): Promise<void> {
  const sinceRaw = queryString(ctx, 'since');
  const untilRaw = queryString(ctx, 'until');
  const sinceNs = parseEventTime(sinceRaw);
  const untilNs = parseEventTime(untilRaw);
  if (untilNs !== undefined && untilNs < (sinceNs ?? 0n)) {
    throw invalidArgument(`\`since\` time (${sinceRaw ?? ''}) cannot be after \`until\` time (${untilRaw ?? ''})`);
  }
  const filter = compileEventFilter(queryFilters(ctx));
  const onlyPast = untilNs !== undefined && untilNs < wallClockNs();

  const res = ctx.res;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();

  const sub = deps.events.subscribe({
    ...(sinceNs === undefined ? {} : { sinceNs }),
    ...(untilNs === undefined ? {} : { untilNs }),
    filter,
  });
  let timer: NodeJS.Timeout | undefined;
  const stop = () => sub.close();
  ctx.signal.addEventListener('abort', stop, { once: true });
  try {
    for (const e of sub.buffered) res.write(encodeEvent(e));
    if (onlyPast) return;
    if (untilNs !== undefined) {
      const ms = Number((untilNs - wallClockNs()) / 1_000_000n);
      timer = setTimeout(stop, Math.max(0, ms) + 1);
    }
    for (;;) {
      const e = await sub.next();
      if (e === undefined || res.destroyed) return;
      res.write(encodeEvent(e));
    }
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', stop);
    sub.close();
    if (!res.writableEnded) res.end();
  }
}
