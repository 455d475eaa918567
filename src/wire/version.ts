/**
 * The versions berth speaks on the wire. berth claims Engine API 1.44: the
 * newest version that still has `ContainerConfig` in image inspect (compose v1
 * needs it), see docs in /work/shared/research/engine-api.md §2.4.
 */
export const API_VERSION = '1.44';
export const MIN_API_VERSION = '1.24';
/** berth's own release, reported as the server version. */
export const BERTH_VERSION = '0.1.0';

/** Compares two dotted API versions numerically: negative when a < b, 0 when equal, positive when a > b. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionLessThan(a: string, b: string): boolean {
  return compareApiVersions(a, b) < 0;
}
