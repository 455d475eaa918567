/** `docker volume ls --filter` and `docker volume prune --filter`, with moby's semantics and errors. */
import { invalidArgument } from '../../common/errors';
import { ANONYMOUS_LABEL, type Volume, type VolumeFilters } from './types';

const LIST_FILTERS = new Set(['dangling', 'name', 'driver', 'label']);
const PRUNE_FILTERS = new Set(['label', 'label!', 'all']);

/** Go's `%s` of a []string: `[a b]`. */
function goList(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}

function validate(filters: VolumeFilters, accepted: ReadonlySet<string>): void {
  for (const key of Object.keys(filters)) {
    if (!accepted.has(key)) throw invalidArgument(`invalid filter '${key}'`);
  }
}

function uniq(values: readonly string[] | undefined): string[] {
  return [...new Set(values ?? [])];
}

/** All `key` / `key=value` entries of `wanted` hold for `labels`; an empty list always holds. */
export function matchKeyValues(wanted: readonly string[], labels: Readonly<Record<string, string>>): boolean {
  if (wanted.length === 0) return true;
  return wanted.every((entry) => {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === entry.slice(eq + 1);
  });
}

/** Go filters.Args.Match: an exact value, or an (unanchored) regular expression. */
function matchName(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => {
    if (p === name) return true;
    try {
      return new RegExp(p).test(name);
    } catch {
      return false;
    }
  });
}

/** GetBoolOrDefault: exactly one of the truthy (`1`,`true`) or falsy (`0`,`false`) spellings. */
function boolFilter(key: string, values: readonly string[]): boolean {
  const isFalse = values.includes('0') || values.includes('false');
  const isTrue = values.includes('1') || values.includes('true');
  if (isFalse === isTrue) throw invalidArgument(`invalid filter '${key}=${goList(values)}'`);
  return isTrue;
}

export type VolumePredicate = (volume: Volume, refCount: number) => boolean;

/** Compiles list filters; throws 400 for unknown keys or bad values. */
export function compileListFilters(filters: VolumeFilters = {}): VolumePredicate {
  validate(filters, LIST_FILTERS);
  const drivers = uniq(filters.driver);
  const names = uniq(filters.name);
  const labels = uniq(filters.label);
  const dangling = filters.dangling === undefined ? undefined : boolFilter('dangling', uniq(filters.dangling));
  return (v, refs) => {
    if (drivers.length > 0 && !drivers.includes(v.driver)) return false;
    if (names.length > 0 && !matchName(names, v.name)) return false;
    if (!matchKeyValues(labels, v.labels)) return false;
    if (dangling !== undefined && (refs === 0) !== dangling) return false;
    return true;
  };
}

/** Parses prune's `all` filter (moby's withPrune). */
function pruneAll(values: readonly string[] | undefined): boolean {
  const all = uniq(values);
  if (all.length > 1) throw invalidArgument(`invalid filter 'all=${goList(all)}': only one value is expected`);
  if (all.length === 0) return false;
  const v = all[0] ?? '';
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw invalidArgument(`invalid filter 'all': strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/**
 * Compiles prune filters. Without `all`, only anonymous volumes qualify
 * (API >= 1.42). The caller also requires: unused, local, no driver options.
 */
export function compilePruneFilters(filters: VolumeFilters = {}, all = false): VolumePredicate {
  const everything = pruneAll(filters.all) || all;
  validate(filters, PRUNE_FILTERS);
  const labels = uniq(filters.label);
  if (!everything) labels.push(ANONYMOUS_LABEL);
  const notLabels = uniq(filters['label!']);
  return (v) => {
    if (!matchKeyValues(labels, v.labels)) return false;
    if (notLabels.length > 0 && matchKeyValues(notLabels, v.labels)) return false;
    return true;
  };
}
