/**
 * The `filters` query parameter. Go clients send `{"key":{"value":true}}`,
 * docker-py sends `{"key":["value"]}`; both become `{ key: ['value'] }`.
 */
export type Filters = Record<string, string[]>;

export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

/** Parses a `filters` JSON string; an absent or empty one is an empty map. Throws FilterSyntaxError. */
export function parseFilters(raw: string | null | undefined): Filters {
  if (raw === null || raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new FilterSyntaxError(`invalid filter: ${raw}`);
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new FilterSyntaxError(`invalid filter: ${raw}`);
  const out: Filters = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(v)) {
      if (!v.every((x) => typeof x === 'string')) throw new FilterSyntaxError(`invalid filter: ${raw}`);
      out[key] = [...(v as string[])];
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (!entries.every(([, b]) => typeof b === 'boolean')) throw new FilterSyntaxError(`invalid filter: ${raw}`);
      // Like Go's filters.Args.Get: every key counts, whatever its boolean.
      out[key] = entries.map(([k]) => k);
    } else if (v === null) {
      out[key] = [];
    } else {
      throw new FilterSyntaxError(`invalid filter: ${raw}`);
    }
  }
  return out;
}

/** Serializes in the Go client's shape, `{"key":{"value":true}}`; an empty map is ''. */
export function serializeFilters(filters: Filters): string {
  const keys = Object.keys(filters).filter((k) => (filters[k]?.length ?? 0) > 0);
  if (keys.length === 0) return '';
  const obj: Record<string, Record<string, true>> = {};
  for (const k of keys) {
    const set: Record<string, true> = {};
    for (const v of filters[k] ?? []) set[v] = true;
    obj[k] = set;
  }
  return JSON.stringify(obj);
}

/** Serializes in docker-py's shape, `{"key":["value"]}`. */
export function serializeFiltersAsLists(filters: Filters): string {
  return JSON.stringify(filters);
}
