import { createHash, type Hash } from 'node:crypto';
import { invalidArgument } from './errors';

/** A validated content digest, `sha256:<64 lowercase hex>`. */
export type Digest = string & { readonly __brand: 'Digest' };

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const HEX64_RE = /^[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

/** Parses `sha256:<hex>`; throws invalid-argument on anything else. */
export function parseDigest(value: string): Digest {
  if (!isDigest(value)) throw invalidArgument(`invalid digest: ${JSON.stringify(value)}`);
  return value;
}

export function isHex64(value: string): boolean {
  return HEX64_RE.test(value);
}

export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex}`);
}

/** The 64 hex characters of a digest. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}

export function newHasher(): Hash {
  return createHash('sha256');
}

export function hasherDigest(hash: Hash): Digest {
  return `sha256:${hash.digest('hex')}` as Digest;
}
