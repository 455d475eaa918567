/**
 * Snapshots as overlayfs layers, laid out as containerd's overlayfs
 * snapshotter does (research runtime-internals §4):
 *
 *   <root>/snapshots/<n>/meta.json   {name, kind, parent, createdAt, size}
 *   <root>/snapshots/<n>/fs/         the layer's own files (upper dir when active)
 *   <root>/snapshots/<n>/work/       overlay workdir (active snapshots with a parent)
 *   <root>/tmp/<random>/             snapshots being built, and ones being removed
 *
 * `<n>` is a small decimal number so that overlay's `lowerdir=` stays short:
 * mount data must fit in one page (4095 bytes), about 90 layers with a
 * typical root; longer chains are refused with a clear error rather than
 * mounted through relative paths (see §4.2's chdir trick, not done here).
 *
 * Crash safety: a snapshot is built under tmp/, its meta.json written and
 * fsynced, then the directory is renamed into snapshots/ in one step; removal
 * renames it back into tmp/ before deleting. `recover()` deletes everything
 * in tmp/ and every snapshot directory without a valid meta.json, so a kill -9
 * at any moment leaves either no snapshot or a complete one. (File data is
 * not fsynced one file at a time: a power cut may still lose recent layers'
 * contents, as with Docker.)
 *
 * Mounts, returned as data (the caller mounts):
 *   active with parent:  overlay index=off,lowerdir=<parents, topmost first>,upperdir=fs,workdir=work
 *   active, no parent:   bind of fs (rbind,rw), as containerd does: no overlay needed
 *   committed view:      overlay lowerdir=<own fs>:<parents>, or a ro bind of fs for a single layer
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir, randomHex, writeJsonAtomic } from '../../common/atomic';
import { conflict, EngineError, errnoCode, errorMessage, invalidArgument, notFound } from '../../common/errors';
import { type Logger, silentLogger } from '../../common/log';
import type { Host, Mount } from '../../host';
import { applyLayer } from './apply-layer';
import type { ApplyResult, ChainId, SnapshotInfo, SnapshotKind, Snapshotter } from './snapshotter';

export interface OverlaySnapshotterOptions {
  /** Directory owned by the snapshotter, e.g. `<data-root>/overlay2`. Absolute, without ':' or ','. */
  root: string;
  host: Host;
  logger?: Logger;
  /** Keep owners from layer tars. Default: when running as root (see applyLayer). */
  sameOwner?: boolean;
}

/** The most data mount(2) copies: one page, NUL included. */
const MOUNT_DATA_MAX = 4095;
/** overlayfs' own stacking limit (OVL_MAX_STACK). */
const MAX_LOWERS = 500;

interface Meta {
  name: string;
  kind: SnapshotKind;
  parent: string | null;
  createdAt: string;
  /** Committed snapshots: the layer size applyLayer reported. */
  size?: number;
}

interface Entry {
  id: string;
  meta: Meta;
}

function isMeta(value: unknown): value is Meta {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.name === 'string' &&
    m.name !== '' &&
    (m.kind === 'committed' || m.kind === 'active') &&
    (m.parent === null || (typeof m.parent === 'string' && m.parent !== '')) &&
    typeof m.createdAt === 'string' &&
    (m.size === undefined || (typeof m.size === 'number' && m.size >= 0))
  );
}

/** Runs functions one at a time per key. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export class OverlaySnapshotter implements Snapshotter {
  readonly driver = 'overlay2';
  private readonly root: string;
  private readonly host: Host;
  private readonly logger: Logger;
  private readonly sameOwner: boolean | undefined;
  private readonly byName = new Map<string, Entry>();
  private readonly locks = new KeyedLock();
  /** Snapshots being built on a parent, which therefore may not be removed. */
  private readonly busyParents = new Map<string, number>();
  private nextId = 1;
  private loaded: Promise<void> | undefined;

  constructor(options: OverlaySnapshotterOptions) {
    if (!path.isAbsolute(options.root) || /[:,\s]/.test(options.root)) {
      throw invalidArgument(
        `overlay snapshotter root must be an absolute path without ':', ',' or spaces: ${JSON.stringify(options.root)}`,
      );
    }
    this.root = path.resolve(options.root);
    this.host = options.host;
    this.logger = options.logger ?? silentLogger;
    this.sameOwner = options.sameOwner;
  }

  private get snapshotsDir(): string {
    return path.join(this.root, 'snapshots');
  }

  private get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  private dirOf(entry: Entry): string {
    return path.join(this.snapshotsDir, entry.id);
  }

  async recover(): Promise<void> {
    this.loaded = this.load();
    await this.loaded;
  }

  private ready(): Promise<void> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true, mode: 0o710 });
    await fs.mkdir(this.snapshotsDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    for (const name of await fs.readdir(this.tmpDir)) {
      this.logger.info('removing interrupted snapshot work', { dir: name });
      await fs.rm(path.join(this.tmpDir, name), { recursive: true, force: true });
    }
    this.byName.clear();
    let maxId = 0;
    const ids = (await fs.readdir(this.snapshotsDir)).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    for (const id of ids) {
      const dir = path.join(this.snapshotsDir, id);
      const problem = await this.check(id, dir);
      if (typeof problem === 'string') {
        this.logger.warn('removing invalid snapshot', { dir, reason: problem });
        await fs.rm(dir, { recursive: true, force: true });
        continue;
      }
      this.byName.set(problem.name, { id, meta: problem });
      maxId = Math.max(maxId, Number(id));
    }
    this.nextId = maxId + 1;
    for (const { meta } of this.byName.values()) {
      if (meta.parent !== null && this.byName.get(meta.parent)?.meta.kind !== 'committed') {
        this.logger.warn('snapshot parent missing', { snapshot: meta.name, parent: meta.parent });
      }
    }
  }

  /** The snapshot's meta if the directory is a complete snapshot, else why not. */
  private async check(id: string, dir: string): Promise<Meta | string> {
    if (!/^[1-9][0-9]*$/.test(id)) return 'not a snapshot id';
    let meta: unknown;
    try {
      meta = JSON.parse(await fs.readFile(path.join(dir, 'meta.json'), 'utf8'));
    } catch (err) {
      return `meta.json unreadable: ${errorMessage(err)}`;
    }
    if (!isMeta(meta)) return 'meta.json invalid';
    if (this.byName.has(meta.name)) return `duplicate of snapshot ${meta.name}`;
    const st = await fs.lstat(path.join(dir, 'fs')).catch(() => undefined);
    if (!st?.isDirectory()) return 'fs directory missing';
    return meta;
  }

  async stat(name: string): Promise<SnapshotInfo | undefined> {
    await this.ready();
    const entry = this.byName.get(name);
    return entry ? info(entry.meta) : undefined;
  }

  async list(): Promise<SnapshotInfo[]> {
    await this.ready();
    return [...this.byName.values()].map((e) => info(e.meta));
  }

  async applyLayer(name: ChainId, parent: ChainId | undefined, layer: Readable): Promise<ApplyResult> {
    await this.ready();
    return this.locks.run(name, async () => {
      const existing = this.byName.get(name);
      if (existing) {
        if (existing.meta.kind !== 'committed') throw conflict(`snapshot ${name} exists and is not committed`);
        for await (const _ of layer) {
          // Drain: the caller may be hashing the stream.
        }
        return { size: existing.meta.size ?? (await this.usage(name)).size };
      }
      return this.create(name, parent, 'committed', async (dir) => {
        await fs.mkdir(path.join(dir, 'fs'), 0o755);
        const options = { logger: this.logger, ...(this.sameOwner === undefined ? {} : { sameOwner: this.sameOwner }) };
        return applyLayer(path.join(dir, 'fs'), layer, this.host, options);
      }).then((entry) => ({ size: entry.meta.size ?? 0 }));
    });
  }

  async prepare(key: string, parent: ChainId | undefined): Promise<Mount[]> {
    await this.ready();
    return this.locks.run(key, async () => {
      if (this.byName.has(key)) throw conflict(`snapshot ${key} already exists`);
      // Refuse a chain too long to mount before creating anything.
      if (parent !== undefined) this.overlayMount(this.lowerDirs(parent), 'upper', 'work');
      const entry = await this.create(key, parent, 'active', async (dir) => {
        await fs.mkdir(path.join(dir, 'fs'), 0o755);
        if (parent !== undefined) await fs.mkdir(path.join(dir, 'work'), 0o700);
        return undefined;
      });
      return this.mountsOf(entry);
    });
  }

  /**
   * Builds a snapshot under tmp/ with `fill`, writes its meta, and renames it
   * into snapshots/. `fill` returns the layer size for committed snapshots.
   */
  private async create(
    name: string,
    parent: ChainId | undefined,
    kind: SnapshotKind,
    fill: (dir: string) => Promise<number | undefined>,
  ): Promise<Entry> {
    if (parent !== undefined) this.committed(parent);
    const held = parent ?? '';
    this.busyParents.set(held, (this.busyParents.get(held) ?? 0) + 1);
    const tmp = path.join(this.tmpDir, randomHex(8));
    try {
      await fs.mkdir(tmp, 0o700);
      const size = await fill(tmp);
      const meta: Meta = {
        name,
        kind,
        parent: parent ?? null,
        createdAt: new Date().toISOString(),
        ...(size === undefined ? {} : { size }),
      };
      await writeJsonAtomic(path.join(tmp, 'meta.json'), meta);
      const id = await this.moveIntoPlace(tmp);
      const entry = { id, meta };
      this.byName.set(name, entry);
      return entry;
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
      throw err;
    } finally {
      const n = (this.busyParents.get(held) ?? 1) - 1;
      if (n === 0) this.busyParents.delete(held);
      else this.busyParents.set(held, n);
    }
  }

  private async moveIntoPlace(tmp: string): Promise<string> {
    for (;;) {
      const id = String(this.nextId++);
      try {
        await fs.rename(tmp, path.join(this.snapshotsDir, id));
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'EEXIST' || code === 'ENOTEMPTY') continue; // a stray directory: take the next number
        throw err;
      }
      await fsyncDir(this.snapshotsDir);
      return id;
    }
  }

  async mounts(key: string): Promise<Mount[]> {
    await this.ready();
    return this.mountsOf(this.get(key));
  }

  private mountsOf(entry: Entry): Mount[] {
    const dir = this.dirOf(entry);
    const own = path.join(dir, 'fs');
    const parent = entry.meta.parent;
    if (entry.meta.kind === 'active') {
      if (parent === null) return [{ type: 'bind', source: own, options: ['rbind', 'rw'] }];
      return [this.overlayMount(this.lowerDirs(parent), own, path.join(dir, 'work'))];
    }
    if (parent === null) return [{ type: 'bind', source: own, options: ['rbind', 'ro'] }];
    return [this.overlayMount([own, ...this.lowerDirs(parent)], undefined, undefined)];
  }

  /** The fs dirs of `top` and its ancestors, topmost first. */
  private lowerDirs(top: string): string[] {
    const dirs: string[] = [];
    for (let name: string | null = top; name !== null; ) {
      const entry = this.byName.get(name);
      if (!entry || entry.meta.kind !== 'committed') {
        throw new EngineError('internal', `snapshot chain broken: parent snapshot ${name} is missing`);
      }
      dirs.push(path.join(this.dirOf(entry), 'fs'));
      name = entry.meta.parent;
    }
    return dirs;
  }

  private overlayMount(lowers: string[], upper: string | undefined, work: string | undefined): Mount {
    const options = ['index=off', `lowerdir=${lowers.join(':')}`];
    if (upper !== undefined && work !== undefined) options.push(`upperdir=${upper}`, `workdir=${work}`);
    const length = options.join(',').length;
    if (lowers.length > MAX_LOWERS || length > MOUNT_DATA_MAX) {
      throw invalidArgument(
        `image has too many layers to mount: ${lowers.length} layers need ${length} bytes of overlay options, ` +
          `more than the kernel's limit of ${MOUNT_DATA_MAX} bytes (at most ${MAX_LOWERS} layers)`,
        { code: 'too-many-layers', hint: 'squash the image or use a shorter data-root path' },
      );
    }
    return { type: 'overlay', source: 'overlay', options };
  }

  async usage(name: string): Promise<{ size: number; inodes: number }> {
    await this.ready();
    const root = path.join(this.dirOf(this.get(name)), 'fs');
    const seen = new Set<number>();
    let size = 0;
    let inodes = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const d of await fs.readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, d.name);
        const st = await fs.lstat(p);
        if (seen.has(st.ino)) continue;
        seen.add(st.ino);
        inodes++;
        if (st.isFile()) size += st.size;
        else if (st.isDirectory()) await walk(p);
      }
    };
    const st = await fs.lstat(root);
    seen.add(st.ino);
    inodes++;
    await walk(root);
    return { size, inodes };
  }

  async remove(name: string): Promise<void> {
    await this.ready();
    await this.locks.run(name, async () => {
      const entry = this.get(name);
      const child = [...this.byName.values()].find((e) => e.meta.parent === name);
      if (child || this.busyParents.has(name)) {
        throw conflict(
          `snapshot ${name} is in use: ${child ? `snapshot ${child.meta.name}` : 'a layer being applied'} depends on it`,
          {
            code: 'snapshot-has-children',
          },
        );
      }
      // One rename makes it disappear; the deletion may then be interrupted safely.
      const doomed = path.join(this.tmpDir, `rm-${entry.id}-${randomHex(4)}`);
      await fs.rename(this.dirOf(entry), doomed);
      this.byName.delete(name);
      await fsyncDir(this.snapshotsDir);
      await fs.rm(doomed, { recursive: true, force: true });
    });
  }

  async diffDir(name: string): Promise<string> {
    await this.ready();
    return path.join(this.dirOf(this.get(name)), 'fs');
  }

  private get(name: string): Entry {
    const entry = this.byName.get(name);
    if (!entry) throw notFound(`snapshot ${name} not found`);
    return entry;
  }

  private committed(name: string): Entry {
    const entry = this.byName.get(name);
    if (!entry) throw notFound(`parent snapshot ${name} not found`);
    if (entry.meta.kind !== 'committed') throw invalidArgument(`parent snapshot ${name} is not committed`);
    return entry;
  }
}

function info(meta: Meta): SnapshotInfo {
  return {
    name: meta.name,
    kind: meta.kind,
    parent: (meta.parent ?? undefined) as ChainId | undefined,
    createdAt: meta.createdAt,
  };
}
