/**
 * Routes registered once and matched with and without a `/vX.Y` prefix, as
 * moby's mux does. Patterns use `{name}` for one path segment and `{name:.*}`
 * for a greedy match (image names contain slashes).
 */
import type { RequestContext } from './context';
import type { HijackHandler } from './streams/hijack';

export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route<H> {
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: H;
}

export interface RouteMatch<H = Handler> {
  handler: H;
  params: Record<string, string>;
  /** The `X.Y` of a `/vX.Y` prefix, if the path had one. */
  version: string | undefined;
  pattern: string;
}

const VERSION_PREFIX = /^\/v([0-9.]+)(\/.*)$/;

function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let source = '';
  let i = 0;
  while (i < pattern.length) {
    const open = pattern.indexOf('{', i);
    if (open < 0) {
      source += escapeRegExp(pattern.slice(i));
      break;
    }
    source += escapeRegExp(pattern.slice(i, open));
    const close = pattern.indexOf('}', open);
    if (close < 0) throw new Error(`bad route pattern ${pattern}`);
    const spec = pattern.slice(open + 1, close);
    const colon = spec.indexOf(':');
    const name = colon < 0 ? spec : spec.slice(0, colon);
    const re = colon < 0 ? '[^/]+' : spec.slice(colon + 1);
    names.push(name);
    source += `(${re})`;
    i = close + 1;
  }
  return { regex: new RegExp(`^${source}$`), names };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Router {
  private readonly routes: Array<Route<Handler>> = [];
  private readonly upgradeRoutes: Array<Route<HijackHandler>> = [];

  add(method: string, pattern: string, handler: Handler): this {
    const { regex, names } = compile(pattern);
    this.routes.push({ method: method.toUpperCase(), pattern, regex, names, handler });
    return this;
  }

  /**
   * A route for requests that carry an `Upgrade` header (attach, exec start):
   * served on the raw connection. The same path usually also has an ordinary
   * route for clients that do not ask to upgrade.
   */
  upgrade(method: string, pattern: string, handler: HijackHandler): this {
    const { regex, names } = compile(pattern);
    this.upgradeRoutes.push({ method: method.toUpperCase(), pattern, regex, names, handler });
    return this;
  }

  get(pattern: string, handler: Handler): this {
    return this.add('GET', pattern, handler);
  }
  post(pattern: string, handler: Handler): this {
    return this.add('POST', pattern, handler);
  }
  delete(pattern: string, handler: Handler): this {
    return this.add('DELETE', pattern, handler);
  }
  head(pattern: string, handler: Handler): this {
    return this.add('HEAD', pattern, handler);
  }

  /** Finds the route for `method` and the (already URL-decoded) `path`; first registered wins. */
  match(method: string, path: string): RouteMatch | undefined {
    return matchIn(this.routes, method, path);
  }

  /** Finds the upgrade route for `method` and `path`. */
  matchUpgrade(method: string, path: string): RouteMatch<HijackHandler> | undefined {
    return matchIn(this.upgradeRoutes, method, path);
  }
}

function matchIn<H>(routes: Array<Route<H>>, method: string, path: string): RouteMatch<H> | undefined {
  const m = method.toUpperCase();
  const direct = find(routes, m, path);
  if (direct) return { ...direct, version: undefined };
  const v = VERSION_PREFIX.exec(path);
  if (v) {
    const inner = find(routes, m, v[2] ?? '/');
    if (inner) return { ...inner, version: v[1] };
  }
  return undefined;
}

function find<H>(routes: Array<Route<H>>, method: string, path: string): Omit<RouteMatch<H>, 'version'> | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const found = route.regex.exec(path);
    if (!found) continue;
    const params: Record<string, string> = {};
    route.names.forEach((n, idx) => {
      params[n] = found[idx + 1] ?? '';
    });
    return { handler: route.handler, params, pattern: route.pattern };
  }
  return undefined;
}
