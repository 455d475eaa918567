/**
 * The options of Docker's `local` volume driver (`docker volume create -o`):
 * `type` (filesystem type), `device` (what to mount), `o` (mount options),
 * and `size` (a quota, which berth does not support, like Docker without
 * project quotas). Validation follows moby's local driver; berth adds two
 * checks Docker only hits at first mount: `type=bind` needs `o=bind`, and a
 * bind's device directory must exist.
 */
import { statSync } from 'node:fs';
import type { Mount } from '../../host';

const VALID = new Set(['type', 'o', 'device', 'size']);
/** Option → the options it needs, checked in this order. */
const REQUIRED: Array<[string, string[]]> = [
  ['device', ['type']],
  ['type', ['device']],
  ['o', ['device', 'type']],
];

/**
 * Checks `opts` as the local driver does; returns the problem (without the
 * `create <name>: ` prefix the caller adds) or undefined.
 */
export function localOptionsProblem(opts: Readonly<Record<string, string>> | null | undefined): string | undefined {
  if (opts == null) return undefined;
  const keys = Object.keys(opts);
  if (keys.length === 0) return undefined;
  for (const key of keys) {
    if (!VALID.has(key)) return `invalid option: ${JSON.stringify(key)}`;
  }
  const type = opts.type ?? '';
  const device = opts.device ?? '';
  if (type === 'cifs' && device !== '' && /^[a-z][a-z0-9+.-]*:\/\/[^/]*:\d+/i.test(device)) {
    return "port not allowed in CIFS device URL, include 'port' in 'o='";
  }
  if (opts.size !== undefined) {
    const size = parseRamBytes(opts.size);
    if (size === undefined) return `invalid size: '${opts.size}'`;
    if (size > 0) return 'quota size requested but no quota support';
  }
  for (const [key, needs] of REQUIRED) {
    if (!(key in opts)) continue;
    for (const need of needs) {
      if (!(need in opts)) return `missing required option: ${JSON.stringify(need)}`;
    }
  }
  const o = splitOptions(opts.o ?? '');
  const binds = o.includes('bind') || o.includes('rbind');
  if (type === 'bind' && !binds) return 'mount type "bind" requires o=bind (or o=rbind)';
  if (binds) {
    let isDir = false;
    try {
      isDir = statSync(device).isDirectory();
    } catch {
      isDir = false;
    }
    if (!device.startsWith('/') || !isDir) return `bind source path does not exist: ${device}`;
  }
  return undefined;
}

/** True when the volume's `_data` is a mount (Docker: a `type` or `device` was given). */
export function needsMount(opts: Readonly<Record<string, string>> | null | undefined): boolean {
  return opts != null && ((opts.type ?? '') !== '' || (opts.device ?? '') !== '');
}

/** The mount of `_data` for a volume with options. */
export function localMount(opts: Readonly<Record<string, string>>): Mount {
  return { type: opts.type ?? '', source: opts.device ?? '', options: splitOptions(opts.o ?? '') };
}

/** Hides `password=...` of CIFS options in error messages, as Docker does. */
export function maskPassword(message: string, opts: Readonly<Record<string, string>>): string {
  const password = splitOptions(opts.o ?? '')
    .find((x) => x.startsWith('password='))
    ?.slice('password='.length);
  return password ? message.split(`password=${password}`).join('password=********') : message;
}

function splitOptions(o: string): string[] {
  return o === '' ? [] : o.split(',').filter((x) => x !== '');
}

/** go-units RAMInBytes: `64m`, `1.5g`, `512kb`, `100` (binary multiples). */
export function parseRamBytes(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp])?(?:i?b)?$/i.exec(value.trim());
  if (m === null) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const power = unit === '' ? 0 : 'kmgtp'.indexOf(unit) + 1;
  return Math.floor(Number(m[1]) * 1024 ** power);
}
