/**
 * Docker's `local` volume driver and volume service in one (STYLE.md §3:
 * `VolumeService`, implemented by its mechanism).
 *
 * On disk (`root` is `<data-root>/volumes`):
 *
 *   <root>/<name>/meta.json   VolumeMeta, written atomically
 *   <root>/<name>/refs.json   { "users": [container ids] }, absent when unused
 *   <root>/<name>/_data/      the data; the mount point of `-o type=...` volumes
 *   <root>/.tmp-*             a volume being made or removed, a temp file: removed by recover()
 *   <root>/.quarantine/       corrupt volume directories moved aside by recover()
 *
 * A volume directory is built complete under a `.tmp-` name and renamed into
 * place, and removal renames it away before deleting, so after a crash a
 * volume either exists whole or not at all. Nothing is ever deleted while
 * anything is mounted below it (a `type=bind` volume's `_data` is the user's
 * directory).
 *
 * References (which containers use a volume, Docker's "refs") are persisted;
 * active mounts are counted in memory and, for volumes with mount options,
 * decide when `_data` is mounted and unmounted.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir, randomHex, readJsonIfExists, removeTempFiles, writeJsonAtomic } from '../../common/atomic';
import {
  conflict,
  EngineError,
  errnoCode,
  errorMessage,
  internal,
  invalidArgument,
  notFound,
} from '../../common/errors';
import type { Logger } from '../../common/log';
import type { Host } from '../../host';
import { copyTree, directorySize } from './copy-tree';
import { KeyedLock } from './keyed-lock';
import { localMount, localOptionsProblem, maskPassword, needsMount } from './local-options';
import {
  ANONYMOUS_LABEL,
  type CopyUpResult,
  type CreateVolumeOptions,
  type ListVolumesResult,
  LOCAL_DRIVER,
  type PruneVolumesOptions,
  type PruneVolumesResult,
  type RemoveVolumeOptions,
  type Volume,
  type VolumeFilters,
  type VolumeRecoverReport,
  type VolumeService,
  type VolumeUsage,
} from './types';
import { compileListFilters, compilePruneFilters } from './volume-filters';

/** Docker's RestrictedNamePattern. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const DATA_DIR = '_data';
const META_FILE = 'meta.json';
const REFS_FILE = 'refs.json';
const QUARANTINE_DIR = '.quarantine';

/** The persisted record of one volume. */
export interface VolumeMeta {
  version: 1;
  name: string;
  driver: typeof LOCAL_DRIVER;
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string> | null;
}

interface RefsFile {
  users: string[];
}

interface Entry {
  meta: VolumeMeta;
  /** Containers referencing the volume (persisted). */
  users: Set<string>;
  /** Active mounts per container (memory only). */
  active: Map<string, number>;
  /** `_data` is mounted (for volumes with mount options). */
  mounted: boolean;
}

export type VolumeEvent =
  | { action: 'create' | 'destroy'; name: string; driver: string }
  | { action: 'prune'; reclaimed: number };

export interface LocalVolumeServiceOptions {
  /** `<data-root>/volumes`. */
  root: string;
  host: Host;
  logger: Logger;
  /** Called after a volume is created or destroyed and after a prune (Docker's volume events). */
  onEvent?: (event: VolumeEvent) => void;
}

/** The problem with a volume name, in Docker's words, or undefined. */
export function volumeNameProblem(name: string): string | undefined {
  if (name.length === 1) return 'volume name is too short, names should be at least two alphanumeric characters';
  if (!NAME_RE.test(name)) {
    return `${JSON.stringify(name)} includes invalid characters for a local volume name, only ${JSON.stringify(NAME_CHARS)} are allowed. If you intended to pass a host directory, use absolute path`;
  }
  return undefined;
}

/** Go's time.RFC3339 in local time: `2006-01-02T15:04:05+07:00`, `Z` for UTC. */
export function formatRfc3339(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const offset = -d.getTimezoneOffset();
  if (offset === 0) return `${base}Z`;
  const abs = Math.abs(offset);
  return `${base}${offset > 0 ? '+' : '-'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function isRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
  );
}

function parseMeta(value: unknown, dirName: string): VolumeMeta | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Partial<VolumeMeta>;
  if (m.version !== 1 || m.name !== dirName || m.driver !== LOCAL_DRIVER) return undefined;
  if (typeof m.createdAt !== 'string' || !isRecord(m.labels)) return undefined;
  if (m.options !== null && !isRecord(m.options)) return undefined;
  return {
    version: 1,
    name: m.name,
    driver: LOCAL_DRIVER,
    createdAt: m.createdAt,
    labels: m.labels,
    options: m.options,
  };
}

export class LocalVolumeService implements VolumeService {
  private readonly root: string;
  private readonly host: Host;
  private readonly logger: Logger;
  private readonly onEvent: ((event: VolumeEvent) => void) | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly locks = new KeyedLock();
  private pruning = false;

  constructor(options: LocalVolumeServiceOptions) {
    this.root = path.resolve(options.root);
    this.host = options.host;
    this.logger = options.logger;
    this.onEvent = options.onEvent;
  }

  private dir(name: string): string {
    return path.join(this.root, name);
  }

  private dataPath(name: string): string {
    return path.join(this.root, name, DATA_DIR);
  }

  private toVolume(e: Entry): Volume {
    const m = e.meta;
    return {
      name: m.name,
      driver: m.driver,
      mountpoint: this.dataPath(m.name),
      createdAt: m.createdAt,
      labels: { ...m.labels },
      options: m.options === null ? null : { ...m.options },
      scope: 'local',
      anonymous: Object.hasOwn(m.labels, ANONYMOUS_LABEL),
    };
  }

  private entry(name: string, op = 'get'): Entry {
    const e = this.entries.get(name);
    if (e === undefined) throw notFound(`${op} ${name}: no such volume`);
    return e;
  }

  // ---- start-up -------------------------------------------------------------------------------

  async recover(): Promise<VolumeRecoverReport> {
    const report: VolumeRecoverReport = { volumes: 0, removed: [], quarantined: [], stillMounted: [] };
    await fs.mkdir(this.root, { recursive: true, mode: 0o701 });
    this.entries.clear();
    const dirents = await fs.readdir(this.root, { withFileTypes: true });
    for (const d of dirents) {
      const full = path.join(this.root, d.name);
      if (d.name.startsWith('.tmp-')) {
        if (await this.removeTree(full)) report.removed.push(d.name);
        continue;
      }
      if (d.name === QUARANTINE_DIR) continue;
      if (!d.isDirectory()) {
        this.logger.warn('ignoring a file in the volumes directory', { path: full });
        continue;
      }
      const problem = await this.loadVolume(d.name);
      if (problem !== undefined) {
        this.logger.warn('quarantining a corrupt volume directory', { volume: d.name, problem });
        await this.quarantine(d.name);
        report.quarantined.push(d.name);
        continue;
      }
      report.volumes++;
      const e = this.entries.get(d.name);
      if (e?.mounted) report.stillMounted.push(d.name);
    }
    return report;
  }

  /** Loads one volume directory; returns why it is corrupt, or undefined. */
  private async loadVolume(name: string): Promise<string | undefined> {
    if (volumeNameProblem(name) !== undefined) return 'not a valid volume name';
    const dir = this.dir(name);
    let raw: unknown;
    try {
      raw = await readJsonIfExists<unknown>(path.join(dir, META_FILE));
    } catch (err) {
      return `unreadable ${META_FILE}: ${errorMessage(err)}`;
    }
    if (raw === undefined) return `no ${META_FILE}`;
    const meta = parseMeta(raw, name);
    if (meta === undefined) return `invalid ${META_FILE}`;
    for (const tmp of await removeTempFiles(dir)) this.logger.info('removed a temp file', { volume: name, file: tmp });

    const data = this.dataPath(name);
    try {
      const st = await fs.lstat(data);
      if (!st.isDirectory()) return `${DATA_DIR} is not a directory`;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      this.logger.warn('re-creating a missing data directory', { volume: name });
      await fs.mkdir(data, { mode: 0o755 });
    }

    const users = new Set<string>();
    try {
      const refs = await readJsonIfExists<RefsFile>(path.join(dir, REFS_FILE));
      if (refs !== undefined) {
        if (!Array.isArray(refs.users) || !refs.users.every((u) => typeof u === 'string')) throw new Error('bad shape');
        for (const u of refs.users) users.add(u);
      }
    } catch (err) {
      this.logger.warn('dropping unreadable volume references', { volume: name, error: errorMessage(err) });
      await fs.rm(path.join(dir, REFS_FILE), { force: true });
    }

    const mounted = (await this.host.mountsUnder(data)).includes(data);
    if (mounted && !needsMount(meta.options)) {
      this.logger.warn('volume data directory is a mount point but the volume has no mount options', { volume: name });
    }
    this.entries.set(name, { meta, users, active: new Map(), mounted: mounted && needsMount(meta.options) });
    return undefined;
  }

  private async quarantine(name: string): Promise<void> {
    const qdir = path.join(this.root, QUARANTINE_DIR);
    await fs.mkdir(qdir, { recursive: true, mode: 0o700 });
    const from = this.dir(name);
    await this.unmountUnder(from);
    await fs.rename(from, path.join(qdir, `${name}-${Date.now()}-${randomHex(3)}`));
    await fsyncDir(this.root);
  }

  /** Unmounts everything at or below `dir`, deepest first; true when nothing is left mounted. */
  private async unmountUnder(dir: string): Promise<boolean> {
    for (const target of await this.host.mountsUnder(dir)) {
      try {
        await this.host.unmount(target);
      } catch (err) {
        this.logger.warn('unmount failed, detaching', { target, error: errorMessage(err) });
        await this.host.unmount(target, { detach: true });
      }
    }
    return (await this.host.mountsUnder(dir)).length === 0;
  }

  /** Removes a directory tree, refusing when something stays mounted below it. */
  private async removeTree(dir: string): Promise<boolean> {
    if (!(await this.unmountUnder(dir))) {
      this.logger.error('not removing a directory with mounts below it', { path: dir });
      return false;
    }
    await fs.rm(dir, { recursive: true, force: true });
    return true;
  }

  // ---- the volume API -------------------------------------------------------------------------

  async create(options: CreateVolumeOptions = {}): Promise<Volume> {
    const given = options.name ?? '';
    const name = given === '' ? randomHex(32) : given;
    const anonymous = given === '' || options.anonymous === true;
    const driver = options.driver === undefined || options.driver === '' ? LOCAL_DRIVER : options.driver;
    if (driver !== LOCAL_DRIVER) {
      throw notFound(
        `create ${name}: error looking up volume plugin ${driver}: plugin ${JSON.stringify(driver)} not found`,
      );
    }
    return this.locks.run(name, async () => {
      const existing = this.entries.get(name);
      if (existing !== undefined) {
        if (existing.meta.driver !== driver) {
          throw conflict(
            `create ${name}: driver '${existing.meta.driver}' already has volume '${name}': volume name must be unique`,
          );
        }
        return this.toVolume(existing);
      }
      const problem = volumeNameProblem(name) ?? localOptionsProblem(options.driverOpts);
      if (problem !== undefined) throw invalidArgument(`create ${name}: ${problem}`);

      const labels: Record<string, string> = { ...(options.labels ?? {}) };
      if (anonymous) labels[ANONYMOUS_LABEL] = labels[ANONYMOUS_LABEL] ?? '';
      const meta: VolumeMeta = {
        version: 1,
        name,
        driver: LOCAL_DRIVER,
        createdAt: formatRfc3339(new Date()),
        labels,
        options: options.driverOpts == null ? null : { ...options.driverOpts },
      };
      const tmp = path.join(this.root, `.tmp-${name}-${randomHex(6)}`);
      try {
        await fs.mkdir(tmp, { mode: 0o701 });
        await fs.chmod(tmp, 0o701);
        await fs.mkdir(path.join(tmp, DATA_DIR), { mode: 0o755 });
        await fs.chmod(path.join(tmp, DATA_DIR), 0o755);
        await writeJsonAtomic(path.join(tmp, META_FILE), meta);
        await fs.rename(tmp, this.dir(name));
        await fsyncDir(this.root);
      } catch (err) {
        await fs.rm(tmp, { recursive: true, force: true });
        if (errnoCode(err) === 'ENOTEMPTY' || errnoCode(err) === 'EEXIST') {
          throw conflict(`create ${name}: volume already exists under ${this.dir(name)}`, { cause: err });
        }
        throw internal(`create ${name}: error while creating volume: ${errorMessage(err)}`, { cause: err });
      }
      const e: Entry = { meta, users: new Set(), active: new Map(), mounted: false };
      this.entries.set(name, e);
      this.logger.debug('created volume', { volume: name, anonymous });
      this.onEvent?.({ action: 'create', name, driver: LOCAL_DRIVER });
      return this.toVolume(e);
    });
  }

  async get(name: string): Promise<Volume> {
    return this.toVolume(this.entry(name));
  }

  async list(filters: VolumeFilters = {}): Promise<ListVolumesResult> {
    const match = compileListFilters(filters);
    const volumes = [...this.entries.values()]
      .filter((e) => match(this.toVolume(e), e.users.size))
      .map((e) => this.toVolume(e))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { volumes, warnings: [] };
  }

  async remove(name: string, options: RemoveVolumeOptions = {}): Promise<void> {
    await this.locks.run(name, async () => {
      const e = this.entries.get(name);
      if (e === undefined) {
        if (options.force === true) return;
        throw notFound(`get ${name}: no such volume`);
      }
      if (e.users.size > 0) {
        throw conflict(`remove ${name}: volume is in use - [${[...e.users].sort().join(', ')}]`, {
          code: 'volume-in-use',
        });
      }
      if (activeCount(e) > 0) throw conflict(`remove ${name}: volume has active mounts`);
      await this.destroy(name, e, options.force === true);
    });
  }

  /** Deletes an unused volume: unmount, rename away, forget, delete. Caller holds the lock. */
  private async destroy(name: string, e: Entry, purgeOnError: boolean): Promise<void> {
    const dir = this.dir(name);
    if (!(await this.unmountUnder(dir))) {
      const err = internal(`remove ${name}: unable to unmount the volume's data at ${this.dataPath(name)}`);
      if (!purgeOnError) throw err;
      this.logger.error('purging a volume record whose data is still mounted', { volume: name });
      this.entries.delete(name);
      return;
    }
    e.mounted = false;
    const gone = path.join(this.root, `.tmp-rm-${name}-${randomHex(6)}`);
    try {
      await fs.rename(dir, gone);
      await fsyncDir(this.root);
    } catch (err) {
      if (!purgeOnError && errnoCode(err) !== 'ENOENT') {
        throw internal(`remove ${name}: error removing volume path '${dir}': ${errorMessage(err)}`, { cause: err });
      }
    }
    this.entries.delete(name);
    try {
      await fs.rm(gone, { recursive: true, force: true });
    } catch (err) {
      // The volume is gone already; recover() finishes the job.
      this.logger.warn('could not delete a removed volume directory', { path: gone, error: errorMessage(err) });
    }
    this.onEvent?.({ action: 'destroy', name, driver: e.meta.driver });
  }

  async prune(options: PruneVolumesOptions = {}): Promise<PruneVolumesResult> {
    if (this.pruning) throw conflict('a prune operation is already running');
    const match = compilePruneFilters(options.filters, options.all === true);
    this.pruning = true;
    try {
      const report: PruneVolumesResult = { volumesDeleted: [], spaceReclaimed: 0 };
      const candidates = [...this.entries.values()]
        .filter((e) => e.users.size === 0 && Object.keys(e.meta.options ?? {}).length === 0)
        .filter((e) => match(this.toVolume(e), e.users.size))
        .map((e) => e.meta.name)
        .sort();
      for (const name of candidates) {
        await this.locks.run(name, async () => {
          const e = this.entries.get(name);
          if (e === undefined || e.users.size > 0 || activeCount(e) > 0) return;
          let size = 0;
          try {
            size = await directorySize(this.dataPath(name));
          } catch (err) {
            this.logger.warn('could not determine size of volume', { volume: name, error: errorMessage(err) });
          }
          try {
            await this.destroy(name, e, false);
          } catch (err) {
            this.logger.warn('could not remove volume', { volume: name, error: errorMessage(err) });
            return;
          }
          report.volumesDeleted.push(name);
          report.spaceReclaimed += size;
        });
      }
      this.onEvent?.({ action: 'prune', reclaimed: report.spaceReclaimed });
      return report;
    } finally {
      this.pruning = false;
    }
  }

  async usage(name: string): Promise<VolumeUsage> {
    const e = this.entry(name);
    let size: number;
    try {
      size = await directorySize(this.dataPath(name));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        this.logger.warn('failed to determine size of volume', { volume: name, error: errorMessage(err) });
      }
      size = -1;
    }
    return { size, refCount: e.users.size };
  }

  async diskUsage(): Promise<Array<{ volume: Volume; usage: VolumeUsage }>> {
    const out: Array<{ volume: Volume; usage: VolumeUsage }> = [];
    const names = [...this.entries.keys()].sort();
    for (const name of names) {
      const e = this.entries.get(name);
      if (e === undefined || Object.keys(e.meta.options ?? {}).length > 0) continue;
      out.push({ volume: this.toVolume(e), usage: await this.usage(name) });
    }
    return out;
  }

  // ---- references and mounts ------------------------------------------------------------------

  users(name: string): string[] {
    return [...(this.entries.get(name)?.users ?? [])].sort();
  }

  async acquire(name: string, containerId: string): Promise<void> {
    await this.locks.run(name, async () => {
      await this.addUser(name, this.entry(name), containerId);
    });
  }

  private async addUser(name: string, e: Entry, containerId: string): Promise<void> {
    if (e.users.has(containerId)) return;
    e.users.add(containerId);
    try {
      await this.saveUsers(name, e);
    } catch (err) {
      e.users.delete(containerId);
      throw err;
    }
  }

  async release(name: string, containerId: string): Promise<void> {
    await this.locks.run(name, async () => {
      const e = this.entries.get(name);
      if (e === undefined) return;
      if (e.active.has(containerId)) {
        e.active.delete(containerId);
        await this.unmountIfIdle(name, e);
      }
      if (!e.users.delete(containerId)) return;
      await this.saveUsers(name, e);
    });
  }

  async setUsers(users: ReadonlyMap<string, Iterable<string>> | Record<string, readonly string[]>): Promise<void> {
    const wanted = new Map<string, Set<string>>();
    const pairs: Iterable<[string, Iterable<string>]> = users instanceof Map ? users : Object.entries(users);
    for (const [name, ids] of pairs) {
      if (!this.entries.has(name)) {
        this.logger.warn('containers reference a missing volume', { volume: name });
        continue;
      }
      wanted.set(name, new Set(ids));
    }
    for (const name of [...this.entries.keys()]) {
      await this.locks.run(name, async () => {
        const e = this.entries.get(name);
        if (e === undefined) return;
        const next = wanted.get(name) ?? new Set<string>();
        if (sameSet(next, e.users)) return;
        e.users = next;
        await this.saveUsers(name, e);
      });
    }
  }

  private async saveUsers(name: string, e: Entry): Promise<void> {
    const file = path.join(this.dir(name), REFS_FILE);
    if (e.users.size === 0) {
      await fs.rm(file, { force: true });
      return;
    }
    const refs: RefsFile = { users: [...e.users].sort() };
    await writeJsonAtomic(file, refs);
  }

  async mount(name: string, containerId: string): Promise<string> {
    return this.locks.run(name, async () => {
      const e = this.entry(name);
      const data = this.dataPath(name);
      const opts = e.meta.options;
      if (opts !== null && needsMount(opts) && !e.mounted) {
        try {
          await this.host.mount(localMount(opts), data);
        } catch (err) {
          throw new EngineError('internal', `failed to mount local volume: ${maskPassword(errorMessage(err), opts)}`, {
            cause: err,
          });
        }
        e.mounted = true;
        this.logger.debug('mounted volume', { volume: name });
      }
      e.active.set(containerId, (e.active.get(containerId) ?? 0) + 1);
      // A container that mounts a volume references it, so that it cannot be removed meanwhile.
      await this.addUser(name, e, containerId);
      return data;
    });
  }

  async unmount(name: string, containerId: string): Promise<void> {
    await this.locks.run(name, async () => {
      const e = this.entries.get(name);
      if (e === undefined) return;
      const n = e.active.get(containerId) ?? 0;
      if (n === 0) {
        this.logger.warn('unmount of a volume the container has not mounted', { volume: name, container: containerId });
        return;
      }
      if (n === 1) e.active.delete(containerId);
      else e.active.set(containerId, n - 1);
      await this.unmountIfIdle(name, e);
    });
  }

  private async unmountIfIdle(name: string, e: Entry): Promise<void> {
    if (activeCount(e) > 0 || !e.mounted) return;
    const data = this.dataPath(name);
    try {
      await this.host.unmount(data);
    } catch (err) {
      this.logger.warn('unmount of volume failed, detaching', { volume: name, error: errorMessage(err) });
      await this.host.unmount(data, { detach: true });
    }
    e.mounted = false;
    this.logger.debug('unmounted volume', { volume: name });
  }

  async copyUp(name: string, sourceDir: string): Promise<CopyUpResult> {
    return this.locks.run(name, async () => {
      const e = this.entry(name);
      if (needsMount(e.meta.options) && !e.mounted) {
        throw conflict(`volume ${name} is not mounted: mount it before copying image content into it`);
      }
      const data = this.dataPath(name);
      if ((await fs.readdir(data)).length > 0) return { copied: false };
      try {
        if (!(await fs.lstat(sourceDir)).isDirectory()) return { copied: false };
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return { copied: false };
        throw err;
      }
      await copyTree(sourceDir, data, { host: this.host });
      return { copied: true };
    });
  }

  async shutdown(): Promise<void> {
    for (const name of [...this.entries.keys()]) {
      await this.locks.run(name, async () => {
        const e = this.entries.get(name);
        if (e === undefined) return;
        e.active.clear();
        await this.unmountIfIdle(name, e);
      });
    }
  }
}

function activeCount(e: Entry): number {
  let n = 0;
  for (const c of e.active.values()) n += c;
  return n;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
