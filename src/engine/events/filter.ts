/**
 * Docker's event filters (moby daemon/events/filter.go): every key given must
 * match (AND across keys), any value of a key may match (OR within a key).
 *
 * - type, scope: exact.
 * - event: exact on the action; fuzzy (prefix) when a value is health_status,
 *   exec_create or exec_start, so `event=exec_start` matches `exec_start: sh`.
 * - container, network, volume, daemon, plugin, ...: prefix of the actor ID or
 *   exact/prefix of its `name` attribute.
 * - image: the actor ID or the image name (`name` for image events, `image`
 *   for container events), each also with its tag stripped.
 * - label: `key` (present) or `key=value`, every value must hold.
 * Unknown keys are ignored, as dockerd does.
 */
import type { EngineEvent, EventPredicate } from './types';

/** Filter keys dockerd's event filter reads. */
export const EVENT_FILTER_KEYS = [
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'type',
  'volume',
] as const;

const FUZZY_EVENTS = new Set(['health_status', 'exec_create', 'exec_start']);
const NAME_KEYS = ['config', 'container', 'daemon', 'network', 'node', 'plugin', 'secret', 'service', 'volume'];

type Filters = Record<string, string[]>;

function present(filters: Filters, key: string): string[] | undefined {
  const v = filters[key];
  return v === undefined || v.length === 0 ? undefined : v;
}

function exact(values: string[] | undefined, source: string): boolean {
  return values === undefined || values.includes(source);
}

function fuzzy(values: string[] | undefined, source: string): boolean {
  return values === undefined || values.some((v) => source === v || source.startsWith(v));
}

/** `busybox:1` → `busybox`, `localhost:5000/a:b` → `localhost:5000/a`, digests and `docker.io/library/` dropped. */
export function stripTag(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const name = colon > slash ? noDigest.slice(0, colon) : noDigest;
  if (name.startsWith('docker.io/library/')) return name.slice('docker.io/library/'.length);
  return name.startsWith('docker.io/') ? name.slice('docker.io/'.length) : name;
}

/** Go's filters.Args.MatchKVList over the label values. */
function matchLabels(values: string[] | undefined, attributes: Record<string, string>): boolean {
  if (values === undefined) return true;
  return values.every((v) => {
    const eq = v.indexOf('=');
    if (eq < 0) return Object.hasOwn(attributes, v);
    const k = v.slice(0, eq);
    return Object.hasOwn(attributes, k) && attributes[k] === v.slice(eq + 1);
  });
}

export function compileEventFilter(filters: Filters): EventPredicate {
  const type = present(filters, 'type');
  const scope = present(filters, 'scope');
  const events = present(filters, 'event');
  const fuzzyEvents = events?.some((e) => FUZZY_EVENTS.has(e)) ?? false;
  const image = present(filters, 'image');
  const label = present(filters, 'label');
  const named = NAME_KEYS.map((k) => present(filters, k)).filter((v): v is string[] => v !== undefined);
  return (e: EngineEvent) => {
    if (!(fuzzyEvents ? fuzzy(events, e.action) : exact(events, e.action))) return false;
    if (!exact(type, e.type)) return false;
    if (!exact(scope, e.scope)) return false;
    const name = e.actor.attributes.name ?? '';
    for (const values of named) {
      if (!(fuzzy(values, e.actor.id) || fuzzy(values, name))) return false;
    }
    if (image !== undefined) {
      const imageName = e.actor.attributes[e.type === 'image' ? 'name' : 'image'] ?? '';
      const candidates = [e.actor.id, imageName, stripTag(e.actor.id), stripTag(imageName)];
      if (!candidates.some((c) => image.includes(c))) return false;
    }
    return matchLabels(label, e.actor.attributes);
  };
}
