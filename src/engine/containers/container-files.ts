/**
 * The container's files as Docker exposes them: archive (`docker cp`),
 * changes (`docker diff`), export and commit. The container engine lends the
 * container (`ContainerHold`): a running container's rootfs is its mount at
 * `<bundle>/rootfs`; a stopped one is held (it cannot start or be removed)
 * while its snapshot is mounted in a private directory under the exec root,
 * so writes always go through overlayfs to the container's upper layer.
 * See in-root.ts for how paths stay inside the container.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { randomHex } from '../../common/atomic';
import { errorMessage, invalidArgument } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { Host } from '../../host';
import type { ContainerConfigFields, Image, ImageConfigFile, ImageId } from '../images/types';
import { resolveUserFrom } from '../runtime/user';
import type { Snapshotter } from '../snapshots/snapshotter';
import { checkWritable, extractInto, fileNotFound, type ResolvedStat, statInRoot, tarTree } from './archive';
import { type Change, computeChanges, isInitLayerPath, lowerDirsOf } from './changes';
import { commitConfig } from './commit';
import type { PathStat } from './file-mode';
import { ContainerRoot, closeFd, type RootMount, splitPath } from './in-root';
import type { Container } from './types';

/** A container lent by the container engine. */
export interface ContainerHold {
  container: Container;
  /** Whether it runs (its rootfs is mounted at `<bundleDir>/rootfs` until it exits). */
  running: boolean;
  /** Ends the hold; a stopped container may then start or be removed again. */
  release(): void;
}

/** What this service needs of the container engine. */
export interface ContainerAccess {
  /** Looks the container up ("No such container: x") and holds it (see ContainerHold). */
  hold(ref: string): Promise<ContainerHold>;
  /** Freezes / thaws a running container, if the engine can. */
  pause?(ref: string): Promise<void>;
  unpause?(ref: string): Promise<void>;
}

/** What this service needs of the image engine. */
export interface ImageCommitter {
  get(reference: string): Promise<Image>;
  commit(options: {
    parent?: ImageId;
    layer?: Readable;
    config: Omit<ImageConfigFile, 'rootfs'>;
    reference?: string;
  }): Promise<ImageId>;
}

export interface CommitRequest {
  /** `repo:tag` to tag the image with, if any. */
  reference?: string;
  comment: string;
  author: string;
  /** Dockerfile instructions (CMD, ENV, ...). */
  changes: string[];
  /** Pause a running container while its layer is read (Docker's default). */
  pause: boolean;
  /** Config overrides from the request body (PascalCase, as in the image config). */
  config?: ContainerConfigFields;
}

export interface PutArchiveOptions {
  noOverwriteDirNonDir: boolean;
  /** Give the files to the container's user instead of root (`docker cp -a`). */
  copyUIDGID: boolean;
}

export interface ContainerFilesOptions {
  containers: ContainerAccess;
  images: ImageCommitter;
  snapshotter: Snapshotter;
  host: Host;
  /** Private directory for the mounts of stopped containers (e.g. `<exec-root>/mnt`). */
  scratchDir: string;
  logger: Logger;
  now?: () => Date;
  /** Told of each commit, for the `commit` container event. */
  onEvent?: (event: { action: string; id: string; attributes: Record<string, string> }) => void;
}

/** A container's root made reachable, and how to give it back. */
interface Lease {
  container: Container;
  root: ContainerRoot;
  release(): Promise<void>;
}

export class ContainerFiles {
  private readonly o: ContainerFilesOptions;
  private readonly now: () => Date;

  constructor(options: ContainerFilesOptions) {
    this.o = options;
    this.now = options.now ?? (() => new Date());
  }

  /** Unmounts and removes what a crash left in the scratch directory. */
  async recover(): Promise<void> {
    await fs.mkdir(this.o.scratchDir, { recursive: true, mode: 0o700 });
    for (const m of await this.o.host.mountsUnder(this.o.scratchDir).catch(() => [] as string[])) {
      await this.o.host.unmount(m, { detach: true }).catch(() => undefined);
    }
    for (const name of await fs.readdir(this.o.scratchDir)) {
      await fs
        .rmdir(path.join(this.o.scratchDir, name))
        .catch((err) =>
          this.o.logger.warn('cannot remove a stale mount directory', { dir: name, error: errorMessage(err) }),
        );
    }
  }

  // ----------------------------------------------------------------- leases

  private async lease(ref: string, options: { withMounts: boolean }): Promise<Lease> {
    const hold = await this.o.containers.hold(ref);
    const c = hold.container;
    let dir: string | undefined;
    try {
      let rootDir: string;
      if (hold.running) {
        rootDir = path.join(c.bundleDir, 'rootfs');
      } else {
        dir = path.join(this.o.scratchDir, `${c.id.slice(0, 12)}-${randomHex(4)}`);
        await fs.mkdir(dir, { recursive: true, mode: 0o700 });
        for (const m of await this.o.snapshotter.mounts(c.id)) await this.o.host.mount(m, dir);
        rootDir = dir;
      }
      const root = new ContainerRoot(rootDir, options.withMounts ? await containerMounts(c) : []);
      const scratch = dir;
      let released = false;
      return {
        container: c,
        root,
        release: async () => {
          if (released) return;
          released = true;
          try {
            if (scratch !== undefined) await this.unmountScratch(scratch);
          } finally {
            hold.release();
          }
        },
      };
    } catch (err) {
      if (dir !== undefined) await this.unmountScratch(dir).catch(() => undefined);
      hold.release();
      throw err;
    }
  }

  private async unmountScratch(dir: string): Promise<void> {
    for (const m of await this.o.host.mountsUnder(dir).catch(() => [dir])) {
      try {
        await this.o.host.unmount(m);
      } catch (err) {
        this.o.logger.warn('unmount failed, detaching', { target: m, error: errorMessage(err) });
        await this.o.host.unmount(m, { detach: true }).catch(() => undefined);
      }
    }
    await fs
      .rmdir(dir)
      .catch((err) => this.o.logger.warn('cannot remove mount directory', { dir, error: errorMessage(err) }));
  }

  private async withLease<T>(ref: string, withMounts: boolean, fn: (l: Lease) => Promise<T>): Promise<T> {
    const l = await this.lease(ref, { withMounts });
    try {
      return await fn(l);
    } finally {
      await l.release();
    }
  }

  // ---------------------------------------------------------------- archive

  /** HEAD /containers/{id}/archive. */
  async statPath(ref: string, p: string): Promise<PathStat> {
    return this.withLease(ref, true, async (l) => (await this.mustStat(l, ref, p)).stat);
  }

  private async mustStat(l: Lease, ref: string, p: string): Promise<ResolvedStat> {
    const found = await statInRoot(l.root, p);
    if (found === undefined) throw fileNotFound(p, ref);
    return found;
  }

  /** GET /containers/{id}/archive: the stat and a tar stream of the path (the hold ends with the stream). */
  async getArchive(ref: string, p: string): Promise<{ stat: PathStat; tar: Readable }> {
    const l = await this.lease(ref, { withMounts: true });
    try {
      const found = await this.mustStat(l, ref, p);
      const tar = tarTree({ root: l.root, parts: found.parts, name: found.stat.name, crossMounts: true });
      tar.once('close', () => void l.release());
      return { stat: found.stat, tar };
    } catch (err) {
      await l.release();
      throw err;
    }
  }

  /** PUT /containers/{id}/archive: extracts `tar` into the directory `p`. */
  async putArchive(ref: string, p: string, tar: Readable, options: PutArchiveOptions): Promise<void> {
    await this.withLease(ref, true, async (l) => {
      const c = l.container;
      let parts: string[];
      try {
        parts = await l.root.resolve(p, { followFinal: true });
      } catch {
        throw fileNotFound(p, ref);
      }
      const st = await l.root.lstat(parts);
      if (st === undefined) throw fileNotFound(p, ref);
      if (!st.isDirectory()) throw invalidArgument('extraction point is not a directory');
      checkWritable(l.root, parts, c.hostConfig.readonlyRootfs);
      const owner = options.copyUIDGID ? await this.containerUser(l) : { uid: 0, gid: 0 };
      await extractInto(l.root, parts, tar, {
        noOverwriteDirNonDir: options.noOverwriteDirNonDir,
        owner,
        readonlyRootfs: c.hostConfig.readonlyRootfs,
        host: this.o.host,
      });
    });
  }

  /** The uid/gid of the container's configured user, from its own /etc/passwd and /etc/group. */
  private async containerUser(l: Lease): Promise<{ uid: number; gid: number }> {
    const user = l.container.config.user;
    if (user === '') return { uid: 0, gid: 0 };
    const read = (file: string) => l.root.readFile(file, 1 << 20).catch(() => undefined);
    const resolved = resolveUserFrom(await read('/etc/passwd'), await read('/etc/group'), user);
    return { uid: resolved.uid, gid: resolved.gid };
  }

  // ------------------------------------------------------- export and diff

  /** GET /containers/{id}/export: the merged root without the container's mounts (as Docker). */
  async export(ref: string): Promise<Readable> {
    const l = await this.lease(ref, { withMounts: false });
    const tar = tarTree({ root: l.root, parts: [], name: '', crossMounts: false });
    tar.once('close', () => void l.release());
    return tar;
  }

  /** GET /containers/{id}/changes. */
  async changes(ref: string): Promise<Change[]> {
    const hold = await this.o.containers.hold(ref);
    try {
      const id = hold.container.id;
      const upper = await this.o.snapshotter.diffDir(id);
      const lowers = lowerDirsOf(await this.o.snapshotter.mounts(id));
      return await computeChanges(upper, lowers, this.o.host);
    } finally {
      hold.release();
    }
  }

  // ----------------------------------------------------------------- commit

  /** POST /commit: the container's upper layer becomes a new image on top of the container's image. */
  async commit(ref: string, request: CommitRequest): Promise<ImageId> {
    const hold = await this.o.containers.hold(ref);
    const c = hold.container;
    let paused = false;
    try {
      if (request.pause && hold.running && c.state.status === 'running' && this.o.containers.pause) {
        try {
          await this.o.containers.pause(c.id);
          paused = true;
        } catch (err) {
          this.o.logger.warn('cannot pause the container for commit, committing it running', {
            id: c.id,
            error: errorMessage(err),
          });
        }
      }
      const parent = await this.o.images.get(c.imageId);
      const created = this.now().toISOString();
      const config = commitConfig({ container: c, parent: parent.config, request, created });
      const upper = await this.o.snapshotter.diffDir(c.id);
      const root = new ContainerRoot(upper);
      const fd = await root.openDir([]); // fails early if the layer is gone
      await closeFd(fd);
      const layer = tarTree({
        root,
        parts: [],
        name: '',
        crossMounts: false,
        exclude: isInitLayerPath,
        overlay: this.o.host,
      });
      const options: Parameters<ImageCommitter['commit']>[0] = { parent: parent.id, layer, config };
      if (request.reference !== undefined) options.reference = request.reference;
      const id = await this.o.images.commit(options);
      this.o.onEvent?.({
        action: 'commit',
        id: c.id,
        attributes: { ...c.config.labels, comment: request.comment ?? '', image: c.config.image, name: c.name },
      });
      return id;
    } finally {
      if (paused) {
        await this.o.containers
          .unpause?.(c.id)
          .catch((err) =>
            this.o.logger.error('cannot unpause the container after commit', { id: c.id, error: errorMessage(err) }),
          );
      }
      hold.release();
    }
  }
}

/** The container's mounts as the cp view needs them: binds, volumes, /etc files. */
export async function containerMounts(c: Container): Promise<RootMount[]> {
  const out: RootMount[] = [];
  const seen = new Set<string>();
  const add = (destination: string, source: string, readonly: boolean) => {
    const dest = `/${splitPath(destination).join('/')}`;
    if (dest === '/' || seen.has(dest) || source === '') return;
    seen.add(dest);
    out.push({ destination: dest, source, readonly });
  };
  for (const m of c.mounts ?? []) {
    if (m.type === 'tmpfs') continue;
    add(m.destination, m.subpath ? path.join(m.source, m.subpath) : m.source, !m.rw);
  }
  for (const b of c.hostConfig.binds) {
    const [source, destination, mode] = b.split(':');
    if (source === undefined || destination === undefined || !source.startsWith('/')) continue;
    add(destination, source, (mode ?? '').split(',').includes('ro'));
  }
  const etc: Array<[string, string]> = [
    ['/etc/hostname', c.hostnamePath],
    ['/etc/hosts', c.hostsPath],
    ['/etc/resolv.conf', c.resolvConfPath],
  ];
  for (const [dest, source] of etc) {
    if (
      source !== '' &&
      (await fs.stat(source).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      add(dest, source, false);
  }
  return out;
}
