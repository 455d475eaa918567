/**
 * Loads the N-API addon `native/build/berth.node` (built by `make -C native`
 * from native/addon/*.c): the syscalls Node lacks. Only `LinuxHost` uses it.
 *
 * The addon is found relative to the package root: `BERTH_NATIVE_DIR` if set
 * (the directory holding berth.node), else the nearest ancestor of this file's
 * directory whose package.json is named "berth", plus `native/build`. That
 * works from `src/host/*.ts` under tsx and from the bundle `dist/berthd.cjs`.
 * The path is computed, so esbuild leaves the `require` alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface NativeAddon {
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Uint8Array): void;
  /** Throws an error with code ENODATA when the attribute is absent. */
  lgetxattr(path: string, name: string): Buffer;
  llistxattr(path: string): string[];
  mount(source: string, target: string, fstype: string, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  /** glibc's malloc_trim(0): gives the C heap's free pages back (a no-op without glibc). */
  mallocTrim?(): void;
}

const ADDON_FILE = 'berth.node';

/** The directory that should hold berth.node. */
export function nativeDir(fromDir: string = __dirname, env: NodeJS.ProcessEnv = process.env): string {
  const override = env.BERTH_NATIVE_DIR;
  if (override) return path.resolve(override);
  for (let dir = path.resolve(fromDir); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && packageName(pkg) === 'berth') return path.join(dir, 'native', 'build');
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`cannot locate the berth package root above ${fromDir}; set BERTH_NATIVE_DIR`);
}

function packageName(file: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

let addon: NativeAddon | undefined;

/** The loaded addon (loaded once, on first use). */
export function loadNative(): NativeAddon {
  if (addon) return addon;
  const file = path.join(nativeDir(), ADDON_FILE);
  if (!existsSync(file)) {
    throw new Error(`native addon not found at ${file}; build it with 'make -C native'`);
  }
  addon = require(file) as NativeAddon;
  return addon;
}
