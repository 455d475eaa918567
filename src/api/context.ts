import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument } from '../common/errors';
import type { Logger } from '../common/log';
import { FilterSyntaxError, type Filters, parseFilters, versionLessThan } from '../wire';

/** What a route handler gets: the request, its parsed parts and the response. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters, URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version of the request: from the `/vX.Y` prefix, or the server's own. */
  apiVersion: string;
  logger: Logger;
  /** Aborted when the client goes away before the response is finished. */
  signal: AbortSignal;
}

/** moby's BoolValue: '', 0, no, false, none (any case) are false; anything else is true. */
export function parseBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
}

/** A boolean query parameter; `fallback` when absent. */
export function queryBool(ctx: RequestContext, name: string, fallback = false): boolean {
  const v = ctx.query.get(name);
  return v === null ? fallback : parseBool(v);
}

export function queryString(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.query.get(name);
  return v === null ? undefined : v;
}

/** The `filters` parameter as a map; 400 on malformed JSON. */
export function queryFilters(ctx: RequestContext): Filters {
  try {
    return parseFilters(ctx.query.get('filters'));
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw invalidArgument(err.message);
    throw err;
  }
}

/** The path parameter `name` (always present for a matched route). */
export function param(ctx: RequestContext, name: string): string {
  return ctx.params[name] ?? '';
}

export function versionBelow(ctx: RequestContext, version: string): boolean {
  return versionLessThan(ctx.apiVersion, version);
}
