import { type Digest, isDigest } from './digest';
import { invalidArgument } from './errors';

/**
 * Docker image references ("distribution/reference" grammar):
 *   [domain[:port]/]path[:tag][@digest]
 * `busybox` normalizes to `docker.io/library/busybox`, and a reference with
 * neither tag nor digest gets the tag `latest`.
 */
export interface Reference {
  /** Registry host, e.g. 'docker.io' or 'localhost:5000'. */
  domain: string;
  /** Repository path inside the registry, e.g. 'library/busybox'. */
  path: string;
  tag: string | undefined;
  digest: Digest | undefined;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const MAX_NAME = 255;

function bad(ref: string, why = 'invalid reference format'): Error {
  return invalidArgument(why === 'invalid reference format' ? why : `invalid reference format: ${why}`, {
    code: 'invalid-reference',
    hint: ref,
  });
}

function isDomain(part: string): boolean {
  if (part === 'localhost') return true;
  if (!part.includes('.') && !part.includes(':')) return false;
  const [host = '', port, ...rest] = part.split(':');
  if (rest.length > 0) return false;
  if (port !== undefined && !/^[0-9]+$/.test(port)) return false;
  // IPv6 literals in brackets are out of scope for berth.
  return host.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

/** Parses and normalizes a reference. Throws invalid-argument "invalid reference format". */
export function parseReference(input: string): Reference {
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw bad(input);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    if (!TAG.test(tag)) throw bad(input);
    rest = rest.slice(0, lastColon);
  }
  if (rest === '') throw bad(input);
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  const first = parts[0] ?? '';
  if (parts.length > 1 && isDomain(first)) {
    domain = first === LEGACY_DOMAIN ? DEFAULT_DOMAIN : first;
    parts.shift();
  }
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (!COMPONENT.test(p)) {
      if (COMPONENT.test(p.toLowerCase())) throw bad(input, `repository name (${parts.join('/')}) must be lowercase`);
      throw bad(input);
    }
  }
  const path = parts.join('/');
  if (domain.length + 1 + path.length > MAX_NAME)
    throw bad(input, 'repository name must not be more than 255 characters');
  return { domain, path, tag, digest };
}

/** Like parseReference, but adds the tag 'latest' when there is neither tag nor digest. */
export function parseNormalizedTagged(input: string): Reference {
  const ref = parseReference(input);
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}

/** 'docker.io/library/busybox' */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalized string: 'docker.io/library/busybox:latest'. */
export function formatReference(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The repository as users write it: 'busybox', 'me/app', 'localhost:5000/a/b'. */
export function familiarRepository(ref: Pick<Reference, 'domain' | 'path'>): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : ref.path;
}

/** 'busybox:latest', 'localhost:5000/a@sha256:...' */
export function familiarString(ref: Reference): string {
  let s = familiarRepository(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Familiar form of a normalized reference string, e.g. for output. */
export function familiarize(normalized: string): string {
  return familiarString(parseReference(normalized));
}
