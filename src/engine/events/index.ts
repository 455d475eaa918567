/**
 * Engine events (`docker events`). The daemon owns one `EventBus`; anything in
 * the engine that has news publishes to it, the API's `GET /events` subscribes.
 *
 * For other engine code (exec, health, networks, volumes, commit):
 *
 *   - Container events: call the container service's `emit(action, container, extra)`
 *     (in container-service.ts), which adds `name`, `image` and every label as
 *     attributes and reaches the bus through the `onEvent` option the daemon wires.
 *     Actions are free strings: 'exec_create: sh -c true' (command in the action, as moby),
 *     'exec_start: …', 'exec_die' with { execID, exitCode }, 'health_status: healthy', 'commit'.
 *   - Anything else: `bus.publish({ type: 'network', action: 'connect',
 *     actor: { id: networkId, attributes: { name, type: 'bridge', container: cid } } })`.
 *     With only an `EventSink` in hand, that is the whole API; `containerEventAttributes`
 *     builds the container attributes the same way `emit` does.
 *   - Image events come from `withImageEvents(imageService, bus)` (image-events.ts).
 *
 * Filters follow moby (filter.ts); the wire shape with the legacy fields is made in src/api.
 */
export { DEFAULT_HISTORY, EventBus, type EventBusOptions, wallClockNs } from './event-bus';
export { compileEventFilter, EVENT_FILTER_KEYS, stripTag } from './filter';
export { publishImageEvent, withImageEvents } from './image-events';
export type {
  EngineEvent,
  EventActor,
  EventInput,
  EventPredicate,
  EventSink,
  EventSubscription,
  EventType,
  SubscribeOptions,
} from './types';

/** A container event's attributes as moby builds them: labels, then `image`, `name` (no '/'), then extras. */
export function containerEventAttributes(
  c: { name: string; config: { image: string; labels: Record<string, string> } },
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...c.config.labels, image: c.config.image, name: c.name.replace(/^\//, ''), ...extra };
}
