/**
 * `docker ps --filter` and `docker container prune --filter`, as predicates
 * over containers. Values of one key are ORed, keys are ANDed (moby's
 * filters.Args).
 */
import { invalidArgument } from '../../common/errors';
import type { Container, ContainerStatus } from './types';

export const LIST_FILTERS = new Set([
  'status',
  'name',
  'id',
  'label',
  'ancestor',
  'exited',
  'before',
  'since',
  'network',
  'volume',
  'health',
  'publish',
  'expose',
  'is-task',
  'isolation',
]);
export const PRUNE_FILTERS = new Set(['until', 'label', 'label!']);

const STATUSES: ContainerStatus[] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ListCandidate {
  container: Container;
  /** Creation order (higher = newer). */
  seq: number;
  /** Chain IDs of the container's image, bottom first (for `ancestor`); undefined if the image is gone. */
  imageChain?: string[];
}

export interface FilterContext {
  /** Creation order of a container named in before/since; throws not-found for unknown ones. */
  seqOf(ref: string): number;
  /** Images named by `ancestor`, resolved (unknown names are dropped, as dockerd does). */
  ancestors?: Array<{ id: string; chainIds: string[] }> | undefined;
}

export function checkFilterKeys(filters: Record<string, string[]>, allowed: Set<string>): void {
  for (const key of Object.keys(filters)) {
    if (!allowed.has(key)) throw invalidArgument(`invalid filter '${key}'`);
  }
}

/** `label` values: 'key' or 'key=value'. */
export function matchLabels(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const i = w.indexOf('=');
    if (i < 0) return Object.hasOwn(labels, w);
    return labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

function regexOrSubstring(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return text.includes(pattern);
  }
}

function normalizeNetwork(mode: string): string {
  return mode === '' || mode === 'default' ? 'bridge' : mode;
}

/** The predicate for `docker ps` filters; `impliesAll` when stopped containers must be considered anyway. */
export function compileListFilters(
  filters: Record<string, string[]>,
  ctx: FilterContext,
): { match: (c: ListCandidate) => boolean; impliesAll: boolean } {
  checkFilterKeys(filters, LIST_FILTERS);
  const get = (k: string): string[] => filters[k] ?? [];
  for (const s of get('status')) {
    if (!STATUSES.includes(s as ContainerStatus)) throw invalidArgument(`invalid filter 'status=${s}'`);
  }
  const exited = get('exited').map((v) => {
    if (!/^-?\d+$/.test(v)) throw invalidArgument(`invalid filter 'exited=${v}'`);
    return Number(v);
  });
  const before = get('before').map((r) => ctx.seqOf(r));
  const since = get('since').map((r) => ctx.seqOf(r));
  for (const h of get('health')) {
    if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) {
      throw invalidArgument(`Unrecognised filter value for health: ${h}`);
    }
  }
  const match = (cand: ListCandidate): boolean => {
    const c = cand.container;
    if (get('status').length > 0 && !get('status').includes(c.state.status)) return false;
    if (get('id').length > 0 && !get('id').some((p) => regexOrSubstring(p, c.id))) return false;
    if (get('name').length > 0 && !get('name').some((p) => regexOrSubstring(p, `/${c.name}`))) return false;
    if (get('label').length > 0 && !matchLabels(c.config.labels, get('label'))) return false;
    if (exited.length > 0) {
      if (c.state.status !== 'exited' || !exited.includes(c.state.exitCode)) return false;
    }
    if (before.length > 0 && !before.every((s) => cand.seq < s)) return false;
    if (since.length > 0 && !since.every((s) => cand.seq > s)) return false;
    if (filters.ancestor !== undefined) {
      const chain = cand.imageChain;
      const ok = (ctx.ancestors ?? []).some(
        (a) =>
          a.id === c.imageId ||
          (chain !== undefined && a.chainIds.length > 0 && a.chainIds.every((id, i) => chain[i] === id)),
      );
      if (!ok) return false;
    }
    if (get('network').length > 0 && !get('network').includes(normalizeNetwork(c.hostConfig.networkMode))) return false;
    if (get('volume').length > 0) {
      const binds = c.hostConfig.binds.flatMap((b) => b.split(':').slice(0, 2));
      if (!get('volume').some((v) => binds.includes(v) || c.config.volumes.includes(v))) return false;
    }
    if (get('health').length > 0 && !get('health').includes(c.state.health?.status ?? 'none')) return false;
    if (get('expose').length > 0 || get('publish').length > 0) {
      const ports = [...c.config.exposedPorts, ...Object.keys(c.hostConfig.portBindings)];
      const want = [...get('expose'), ...get('publish')].map((p) => (p.includes('/') ? p : `${p}/tcp`));
      if (!want.some((p) => ports.includes(p))) return false;
    }
    if (get('is-task').includes('true')) return false;
    return true;
  };
  return { match, impliesAll: get('status').length > 0 };
}

/**
 * `until` for prune: a Unix timestamp (fractional), an RFC 3339 time, or a
 * Go duration before `now` ('24h', '10m', '1h30m'). Returns epoch ms.
 */
export function parseUntil(value: string, now: Date): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const d = /^((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(value);
  if (d !== null) {
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
      ms += Number(m[1]) * (unit[m[2] as string] ?? 0);
    return now.getTime() - ms;
  }
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return t;
  throw invalidArgument(`failed to parse value '${value}' of filter 'until'`);
}

/** The predicate for `docker container prune` filters (stoppedness is checked by the caller). */
export function compilePruneFilters(filters: Record<string, string[]>, now: Date): (c: Container) => boolean {
  checkFilterKeys(filters, PRUNE_FILTERS);
  const until = (filters.until ?? []).map((u) => parseUntil(u, now));
  const labels = filters.label ?? [];
  const notLabels = filters['label!'] ?? [];
  return (c) => {
    if (until.length > 0 && !until.every((u) => Date.parse(c.created) < u)) return false;
    if (labels.length > 0 && !matchLabels(c.config.labels, labels)) return false;
    if (notLabels.length > 0 && notLabels.some((l) => matchLabels(c.config.labels, [l]))) return false;
    return true;
  };
}
