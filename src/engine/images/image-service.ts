/**
 * `LocalImageService`: dockerd's classic image store semantics over a
 * content store (blobs) and a snapshotter (unpacked layers).
 *
 * - An image ID is the digest of its config blob; layers are snapshots keyed
 *   by chain ID, so a layer shared by several images is stored once.
 * - The layer blob is kept as received (plain or compressed) so that
 *   `docker save` reproduces the exact layer bytes, hence the diffIDs.
 * - Reference counting is derived: garbage collection keeps what some image
 *   record names and deletes the rest, so a crash never leaks for good.
 * See docs/design/0001-image-state.md.
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { type Digest, digestHex, hasherDigest, isDigest, isHex64, newHasher, sha256 } from '../../common/digest';
import { conflict, EngineError, errorMessage, invalidArgument, notFound } from '../../common/errors';
import type { Logger } from '../../common/log';
import {
  familiarRepository,
  familiarString,
  formatReference,
  parseNormalizedTagged,
  parseReference,
  type Reference,
  repositoryName,
} from '../../common/reference';
import type { BlobInfo, ContentStore } from '../content';
import type { ChainId, Snapshotter } from '../snapshots';
import { compressionOf, decompressedStream } from '../snapshots/compression';
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  type ArchiveImage,
  goArch,
  ingestArchive,
  MEDIA_TYPES,
  type Platform,
  readArchiveImages,
  validateConfig,
} from './archive';
import { applyChanges } from './changes';
import { globMatch, matchLabels, parseTimestamp } from './filters';
import { ImageStore, type ImageStore as ImageStoreType, type LayerRecord, type StoredImage } from './image-store';
import { RwLock } from './lock';
import type {
  ContainerConfigFields,
  HistoryItem,
  Image,
  ImageConfigFile,
  ImageId,
  ImageService,
  ImportOptions,
  ListImagesOptions,
  LoadResult,
  ProgressSink,
  RemovedImageItem,
  RemoveImageOptions,
} from './types';

/** Who uses an image: a container ID, and whether that container runs. */
export interface ImageUsage {
  containerId: string;
  running: boolean;
}

export interface LocalImageServiceOptions {
  /** Directory for image records and references (e.g. `<data-root>/image`). */
  root: string;
  content: ContentStore;
  snapshotter: Snapshotter;
  logger: Logger;
  /**
   * The container using image `id`, if any, for `docker rmi` conflicts. A bare
   * string is taken as a stopped container (a conflict `force` overrides).
   */
  isImageInUse?: (id: ImageId) => ImageUsage | string | undefined;
  /** The platform images are for; defaults to linux and the host's architecture. */
  platform?: Platform;
  /** Clock, for tests. */
  now?: () => Date;
}

/** What `commit` (container commit, build steps) needs to make an image. */
export interface CommitOptions {
  /** The image the new one is built on (its layers come first). */
  parent?: ImageId;
  /** A new top layer, as an uncompressed tar; none for config-only steps. */
  layer?: Readable;
  /**
   * The new image's config without `rootfs`, which is computed (the parent's
   * diffIDs plus the new layer's). `history` is the caller's.
   */
  config: Omit<ImageConfigFile, 'rootfs'>;
  /** Tag the result, e.g. 'app:1'. */
  reference?: string;
}

const ACCEPTED_FILTERS = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);

export class LocalImageService implements ImageService {
  private readonly content: ContentStore;
  private readonly snapshotter: Snapshotter;
  private readonly logger: Logger;
  private readonly store: ImageStoreType;
  private readonly configs = new Map<ImageId, ImageConfigFile>();
  private readonly isImageInUse: LocalImageServiceOptions['isImageInUse'];
  private readonly platform: Platform;
  private readonly now: () => Date;
  /** Shared by operations that create unreferenced objects; exclusive for GC. */
  private readonly gcLock = new RwLock();
  /** Serializes changes to records and references. */
  private readonly metaLock = new RwLock();
  private ready: Promise<void> | undefined;
  private gcPending = false;

  constructor(options: LocalImageServiceOptions) {
    this.content = options.content;
    this.snapshotter = options.snapshotter;
    this.logger = options.logger;
    this.store = new ImageStore(options.root, options.logger);
    this.isImageInUse = options.isImageInUse;
    this.platform = options.platform ?? { os: 'linux', architecture: goArch() };
    this.now = options.now ?? (() => new Date());
  }

  // ---------------------------------------------------------------- start-up

  /**
   * Loads and repairs the persisted state (see ImageStore.recover). Run it at
   * start-up after the content store's and the snapshotter's recovery, then
   * `garbageCollect()`. Other methods run it on first use if needed.
   */
  recover(): Promise<void> {
    this.ready ??= this.doRecover();
    return this.ready;
  }

  private async doRecover(): Promise<void> {
    const report = await this.store.recover({
      hasBlob: (d) => this.content.has(d),
      hasSnapshot: async (c) => (await this.snapshotter.stat(c))?.kind === 'committed',
    });
    for (const record of this.store.all()) {
      try {
        this.configs.set(record.id, await this.content.readJson<ImageConfigFile>(record.id));
      } catch (err) {
        this.logger.warn('dropping image with unreadable config', { image: record.id, error: errorMessage(err) });
        await this.store.updateRefs(this.store.refsOf(record.id).map((r) => [r, undefined]));
        await this.store.delete(record.id);
      }
    }
    if (report.dropped.length + report.quarantined.length + report.droppedReferences.length > 0) {
      this.logger.warn('image store repaired', {
        dropped: report.dropped.length,
        quarantined: report.quarantined.length,
        droppedReferences: report.droppedReferences.length,
      });
    }
  }

  // ----------------------------------------------------------------- queries

  async get(reference: string): Promise<Image> {
    await this.recover();
    return this.toImage(this.resolve(reference));
  }

  async list(options: ListImagesOptions): Promise<Image[]> {
    await this.recover();
    const filters = options.filters;
    for (const key of Object.keys(filters)) {
      if (!ACCEPTED_FILTERS.has(key)) throw invalidArgument(`invalid filter '${key}'`);
    }
    let danglingOnly = false;
    const dangling = filters.dangling ?? [];
    if (dangling.length > 0) {
      for (const v of dangling) {
        if (v !== 'true' && v !== 'false') throw invalidArgument(`Invalid filter 'dangling=${v}'`);
      }
      danglingOnly = dangling.includes('true');
    }
    const createdOf = (id: ImageId) => Date.parse(this.configs.get(id)?.created ?? '') || 0;
    let before = Number.POSITIVE_INFINITY;
    for (const v of filters.before ?? []) before = Math.min(before, createdOf(this.resolve(v).id));
    let since = Number.NEGATIVE_INFINITY;
    for (const v of filters.since ?? []) since = Math.max(since, createdOf(this.resolve(v).id));
    let until = Number.POSITIVE_INFINITY;
    for (const v of filters.until ?? []) until = Math.min(until, parseTimestamp(v, this.now()));
    const patterns = filters.reference ?? [];
    const labels = filters.label ?? [];

    const out: Image[] = [];
    for (const record of this.store.all()) {
      if (danglingOnly && this.children(record.id).length > 0) continue;
      const config = this.configs.get(record.id);
      const created = createdOf(record.id);
      if (before !== Number.POSITIVE_INFINITY && !(created < before)) continue;
      if (since !== Number.NEGATIVE_INFINITY && !(created > since)) continue;
      if (until !== Number.POSITIVE_INFINITY && !(created < until)) continue;
      if (labels.length > 0 && !matchLabels(labels, config?.config?.Labels)) continue;
      const image = this.toImage(record);
      if (patterns.length > 0) {
        const matches = (ref: string) => {
          const parsed = parseReference(ref);
          return patterns.some((p) => globMatch(p, familiarString(parsed)) || globMatch(p, familiarRepository(parsed)));
        };
        image.repoTags = image.repoTags.filter(matches);
        image.repoDigests = image.repoDigests.filter(matches);
      }
      if (image.repoTags.length === 0 && image.repoDigests.length === 0) {
        if (!(options.all || this.children(record.id).length === 0)) continue;
        if (dangling.length > 0 && !danglingOnly) continue;
        if (patterns.length > 0) continue;
      } else if (danglingOnly && image.repoTags.length > 0) {
        continue;
      }
      out.push(image);
    }
    return out.sort((a, b) => createdOf(b.id) - createdOf(a.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async history(reference: string): Promise<HistoryItem[]> {
    await this.recover();
    const record = this.resolve(reference);
    const config = this.configOf(record.id);
    const items: HistoryItem[] = [];
    let layer = 0;
    for (const h of config.history ?? []) {
      let size = 0;
      if (h.empty_layer !== true) {
        const l = record.layers[layer];
        if (l === undefined) throw new EngineError('internal', 'too many non-empty layers in History section');
        size = l.size;
        layer++;
      }
      items.unshift({
        id: '<missing>',
        created: Math.floor((Date.parse(h.created ?? '') || 0) / 1000),
        createdBy: h.created_by ?? '',
        tags: [],
        size,
        comment: h.comment ?? '',
      });
    }
    let id: ImageId | undefined = record.id;
    for (const item of items) {
      if (id === undefined) break;
      item.id = id;
      item.tags = this.store
        .refsOf(id)
        .map((r) => parseReference(r))
        .filter((r) => r.tag !== undefined && r.digest === undefined)
        .map(familiarString);
      const parent: ImageId | undefined = this.store.get(id)?.parent;
      id = parent !== undefined && this.store.get(parent) !== undefined ? parent : undefined;
    }
    return items;
  }

  // ---------------------------------------------------------- tag and remove

  async tag(source: string, repository: string, tag: string | undefined): Promise<void> {
    await this.recover();
    const ref = tagReference(repository, tag);
    await this.metaLock.exclusive(async () => {
      const record = this.resolve(source);
      await this.setTags(record.id, [formatReference(ref)], true);
    });
  }

  /** Points `refs` at `id` (moving them from other images) and records the tag time. */
  private async setTags(id: ImageId, refs: string[], touch: boolean): Promise<void> {
    await this.store.updateRefs(refs.map((r) => [r, id]));
    const record = this.store.get(id);
    if (touch && record !== undefined) {
      await this.store.put({ ...record, lastTagTime: this.now().toISOString() });
    }
  }

  async remove(reference: string, options: RemoveImageOptions): Promise<RemovedImageItem[]> {
    await this.recover();
    const records: RemovedImageItem[] = [];
    await this.metaLock.exclusive(async () => {
      const record = this.resolve(reference);
      const id = record.id;
      let repoRefs = this.store.refsOf(id);
      let removedRepositoryRef = false;
      if (!isImageIdPrefix(id, reference)) {
        if (!options.force && isSingleReference(repoRefs)) {
          const user = this.usage(id);
          if (user !== undefined) {
            throw conflict(
              `conflict: unable to remove repository reference "${reference}" (must force) - container ${short(user.containerId)} is using its referenced image ${short(id)}`,
            );
          }
        }
        const parsed = parseNormalizedTagged(reference);
        const removed = formatReference(parsed.digest !== undefined ? { ...parsed, tag: undefined } : parsed);
        await this.store.updateRefs([[removed, undefined]]);
        records.push({ untagged: familiarString(parseReference(removed)) });
        repoRefs = this.store.refsOf(id);
        if (parsed.digest === undefined) {
          const name = repositoryName(parsed);
          const sameRepoTag = repoRefs.some((r) => {
            const p = parseReference(r);
            return p.digest === undefined && repositoryName(p) === name;
          });
          if (!sameRepoTag) {
            const digestRefs = repoRefs.filter((r) => {
              const p = parseReference(r);
              return p.digest !== undefined && repositoryName(p) === name;
            });
            await this.store.updateRefs(digestRefs.map((r) => [r, undefined]));
            for (const r of digestRefs) records.push({ untagged: familiarString(parseReference(r)) });
            repoRefs = this.store.refsOf(id);
          }
        }
        if (repoRefs.length > 0) return;
        removedRepositoryRef = true;
      } else if (isSingleReference(repoRefs)) {
        const c = this.deleteConflict(id, { hard: true, soft: !options.force, activeReference: false });
        if (c !== undefined) throw conflict(c.message);
        await this.store.updateRefs(repoRefs.map((r) => [r, undefined]));
        for (const r of repoRefs) records.push({ untagged: familiarString(parseReference(r)) });
      }
      await this.deleteHelper(id, records, options.force, !options.noPrune, removedRepositoryRef);
    });
    await this.collectSoon();
    return records;
  }

  private usage(id: ImageId): ImageUsage | undefined {
    const u = this.isImageInUse?.(id);
    if (u === undefined) return undefined;
    return typeof u === 'string' ? { containerId: u, running: false } : u;
  }

  private deleteConflict(
    id: ImageId,
    mask: { hard: boolean; soft: boolean; activeReference: boolean },
  ): { message: string; used: boolean } | undefined {
    const make = (hard: boolean, message: string, used = false) => ({
      message: `conflict: unable to delete ${short(id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${message}`,
      used,
    });
    if (mask.hard && this.children(id).length > 0) return make(true, 'image has dependent child images');
    const user = this.usage(id);
    if (mask.hard && user?.running) {
      return make(true, `image is being used by running container ${short(user.containerId)}`, true);
    }
    if (mask.soft && mask.activeReference && this.store.refsOf(id).length > 0) {
      return make(false, 'image is referenced in multiple repositories');
    }
    if (mask.soft && user !== undefined && !user.running) {
      return make(false, `image is being used by stopped container ${short(user.containerId)}`, true);
    }
    return undefined;
  }

  private async deleteHelper(
    id: ImageId,
    records: RemovedImageItem[],
    force: boolean,
    prune: boolean,
    quiet: boolean,
  ): Promise<void> {
    const c = this.deleteConflict(id, { hard: true, soft: !force, activeReference: true });
    if (c !== undefined) {
      const dangling = this.store.refsOf(id).length === 0 && this.children(id).length === 0;
      if (quiet && (!dangling || c.used)) return;
      throw conflict(c.message);
    }
    const record = this.store.get(id);
    if (record === undefined) return;
    const parent = record.parent;
    const refs = this.store.refsOf(id);
    await this.store.updateRefs(refs.map((r) => [r, undefined]));
    for (const r of refs) records.push({ untagged: familiarString(parseReference(r)) });
    await this.store.delete(id);
    this.configs.delete(id);
    records.push({ deleted: id });
    const stillUsed = new Set(this.store.all().flatMap((r) => r.layers.map((l) => l.chainId)));
    for (const layer of [...record.layers].reverse()) {
      if (!stillUsed.has(layer.chainId)) {
        records.push({ deleted: layer.chainId });
        stillUsed.add(layer.chainId);
      }
    }
    if (!prune || parent === undefined || this.store.get(parent) === undefined) return;
    await this.deleteHelper(parent, records, false, true, true);
  }

  // ------------------------------------------------------------------ import

  async importTar(input: Readable, options: ImportOptions, progress: ProgressSink): Promise<ImageId> {
    void progress;
    const ref = options.reference === undefined ? undefined : parseTag(options.reference);
    const platform = options.platform ? parsePlatform(options.platform) : this.platform;
    const runConfig = applyChanges(emptyRunConfig(), options.changes);
    const created = this.now().toISOString();
    const comment = options.message ? options.message : 'Imported from -';
    const config: Omit<ImageConfigFile, 'rootfs'> = {
      architecture: platform.architecture,
      ...(platform.variant === undefined ? {} : { variant: platform.variant }),
      os: platform.os,
      created,
      comment,
      config: runConfig,
      history: [{ created, comment }],
    };
    const commitOptions: CommitOptions = { layer: input, config };
    if (ref !== undefined) commitOptions.reference = formatReference(ref);
    return this.commit(commitOptions);
  }

  /**
   * Makes an image from a parent image, an optional new layer (uncompressed
   * or compressed tar) and a config; for `docker import`, `docker commit` and
   * build steps. Tags it when `reference` is given. Returns the image ID.
   */
  async commit(options: CommitOptions): Promise<ImageId> {
    await this.recover();
    const ref = options.reference === undefined ? undefined : parseTag(options.reference);
    const parent = options.parent === undefined ? undefined : this.store.get(options.parent);
    if (options.parent !== undefined && parent === undefined) throw notFound(`No such image: ${options.parent}`);
    try {
      return await this.gcLock.shared(async () => {
        const layers: LayerRecord[] = [...(parent?.layers ?? [])];
        if (options.layer !== undefined) {
          const blob = await this.content.ingest(await decompressedStream(options.layer));
          const parentChain = layers[layers.length - 1]?.chainId;
          const chainId = chainIdOf(parentChain, blob.digest);
          const size = await this.applyOnce(chainId, parentChain, blob, 'none', new Map());
          layers.push({
            diffId: blob.digest,
            chainId,
            blob: blob.digest,
            blobSize: blob.size,
            compression: 'none',
            tarSize: blob.size,
            size,
          });
        }
        const full = { ...options.config, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } };
        const bytes = Buffer.from(JSON.stringify(full));
        const configBlob = await this.content.ingest(bufferSource(bytes));
        const id = configBlob.digest;
        await this.metaLock.exclusive(async () => {
          const existing = this.store.get(id);
          const record: StoredImage = existing ?? { id, loadedAt: this.now().toISOString(), layers };
          if (parent !== undefined) record.parent = parent.id;
          await this.store.put(record);
          this.configs.set(id, JSON.parse(bytes.toString('utf8')) as ImageConfigFile);
          if (ref !== undefined) await this.setTags(id, [formatReference(ref)], true);
        });
        return id;
      });
    } finally {
      await this.collectSoon();
    }
  }

  // -------------------------------------------------------------------- load

  async load(input: Readable, progress: ProgressSink): Promise<LoadResult> {
    await this.recover();
    const result: LoadResult = { loaded: [] };
    try {
      await this.gcLock.shared(async () => {
        const archive = await ingestArchive(await decompressedStream(input), this.content);
        const found = await readArchiveImages(archive, this.content, this.platform);
        // Verify everything before anything becomes visible.
        const verified = new Map<
          Digest,
          { diffId: Digest; tarSize: number; compression: LayerRecord['compression'] }
        >();
        const prepared: Array<{ image: ArchiveImage; config: ImageConfigFile; layers: LayerRecord[] }> = [];
        for (const image of found) {
          const config = validateConfig(
            await this.readArchiveJson(image.config, image.configPath),
            image.layers.length,
            image.configPath,
          );
          const layers: LayerRecord[] = [];
          let parentChain: ChainId | undefined;
          for (const [i, layer] of image.layers.entries()) {
            const expected = config.rootfs.diff_ids[i] as Digest;
            let v = verified.get(layer.blob.digest) ?? this.knownLayer(layer.blob.digest);
            if (v === undefined) {
              v = await this.measureLayer(layer.blob, layer.path);
              verified.set(layer.blob.digest, v);
            }
            if (v.diffId !== expected) {
              throw invalidArgument(
                `invalid archive: layer "${layer.path}": digest mismatch: the config's rootfs.diff_ids[${i}] is ${expected}, the uncompressed layer is ${v.diffId}`,
                { code: 'digest-mismatch' },
              );
            }
            const chainId = chainIdOf(parentChain, v.diffId);
            layers.push({
              diffId: v.diffId,
              chainId,
              blob: layer.blob.digest,
              blobSize: layer.blob.size,
              compression: v.compression,
              tarSize: v.tarSize,
              size: 0,
            });
            parentChain = chainId;
          }
          prepared.push({ image, config, layers });
        }
        // Unpack layers (each chain once), then make records and tags visible.
        const applied = new Map<ChainId, number>();
        for (const p of prepared) {
          let parentChain: ChainId | undefined;
          for (const layer of p.layers) {
            layer.size = await this.applyOnce(layer.chainId, parentChain, layer, layer.compression, applied);
            parentChain = layer.chainId;
          }
        }
        await this.metaLock.exclusive(async () => {
          for (const { image, config, layers } of prepared) {
            const id = image.config.digest;
            const record: StoredImage = this.store.get(id) ?? { id, loadedAt: this.now().toISOString(), layers };
            await this.store.put(record);
            this.configs.set(id, config);
            for (const ref of image.repoTags) {
              const prev = this.store.resolveRef(ref);
              if (prev !== undefined && prev !== id) {
                progress({
                  stream: `The image ${familiarize(ref)} already exists, renaming the old one with ID ${prev} to empty string\n`,
                });
              }
              await this.store.updateRefs([[ref, id]]);
              progress({ stream: `Loaded image: ${familiarize(ref)}\n` });
              result.loaded.push({ reference: ref, id });
            }
            if (image.repoTags.length === 0) {
              progress({ stream: `Loaded image ID: ${id}\n` });
              result.loaded.push({ id });
            }
          }
          // docker-archive Parent links, when the parent is here and really is a prefix.
          for (const { image, layers } of prepared) {
            const parent = image.parent === undefined ? undefined : this.store.get(image.parent);
            const record = this.store.get(image.config.digest);
            if (parent === undefined || record === undefined || record.parent !== undefined) continue;
            const prefix =
              parent.layers.length <= layers.length && parent.layers.every((l, i) => l.chainId === layers[i]?.chainId);
            if (prefix) await this.store.put({ ...record, parent: parent.id });
          }
        });
      });
    } finally {
      // Removes the archive's other files and, after a failure, what only the partial load stored.
      await this.collectSoon();
    }
    return result;
  }

  private async readArchiveJson(blob: BlobInfo, where: string): Promise<unknown> {
    try {
      return JSON.parse((await this.content.readBytes(blob.digest)).toString('utf8'));
    } catch (err) {
      throw invalidArgument(`invalid archive: "${where}" is not valid JSON: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** A layer blob some stored image already has, with its verified diffID. */
  private knownLayer(
    blob: Digest,
  ): { diffId: Digest; tarSize: number; compression: LayerRecord['compression'] } | undefined {
    for (const r of this.store.all()) {
      const l = r.layers.find((x) => x.blob === blob);
      if (l !== undefined) return { diffId: l.diffId, tarSize: l.tarSize, compression: l.compression };
    }
    return undefined;
  }

  /** The diffID and uncompressed size of a layer blob: the blob itself when plain, else one decompressing pass. */
  private async measureLayer(
    blob: BlobInfo,
    where: string,
  ): Promise<{ diffId: Digest; tarSize: number; compression: LayerRecord['compression'] }> {
    const head = await this.readHead(blob.digest);
    const compression = compressionOf(head);
    if (compression === 'none') return { diffId: blob.digest, tarSize: blob.size, compression };
    const hash = newHasher();
    let size = 0;
    const raw = await this.content.readStream(blob.digest);
    try {
      for await (const chunk of await decompressedStream(raw)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (err) {
      throw invalidArgument(`invalid archive: layer "${where}": ${errorMessage(err)}`, { cause: err });
    } finally {
      raw.destroy();
    }
    return { diffId: hasherDigest(hash), tarSize: size, compression };
  }

  private async readHead(digest: Digest): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let have = 0;
    const stream = await this.content.readStream(digest);
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      have += (chunk as Buffer).length;
      if (have >= 6) break;
    }
    stream.destroy();
    return Buffer.concat(chunks).subarray(0, 6);
  }

  /** Unpacks a layer into snapshot `chainId` unless it exists; returns the layer's size. */
  private async applyOnce(
    chainId: ChainId,
    parent: ChainId | undefined,
    blob: { blob: Digest } | BlobInfo,
    compression: LayerRecord['compression'],
    applied: Map<ChainId, number>,
  ): Promise<number> {
    const done = applied.get(chainId);
    if (done !== undefined) return done;
    let size: number | undefined;
    const known = this.store
      .all()
      .flatMap((r) => r.layers)
      .find((l) => l.chainId === chainId);
    if ((await this.snapshotter.stat(chainId))?.kind === 'committed') {
      size = known?.size ?? (await this.snapshotter.usage(chainId)).size;
    } else {
      const digest = 'blob' in blob ? blob.blob : blob.digest;
      const raw = await this.content.readStream(digest);
      try {
        const stream = compression === 'none' ? raw : await decompressedStream(raw);
        size = (await this.snapshotter.applyLayer(chainId, parent, stream)).size;
      } finally {
        raw.destroy();
      }
    }
    applied.set(chainId, size);
    return size;
  }

  // -------------------------------------------------------------------- save

  async save(references: string[], output: NodeJS.WritableStream): Promise<void> {
    await this.recover();
    const selected = this.selectForSave(references);
    const pack = tar.pack();
    const piped = pipeline(pack as unknown as Readable, output as Writable).then(
      () => undefined,
      (err: unknown) => err,
    );
    try {
      await this.gcLock.shared(async () => {
        const epoch = new Date(0);
        await addEntry(pack, { name: 'blobs/', type: 'directory', mode: 0o755, mtime: epoch });
        await addEntry(pack, { name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime: epoch });
        const written = new Set<Digest>();
        const manifestJson: Array<Record<string, unknown>> = [];
        const indexEntries: Array<Record<string, unknown>> = [];
        const repositories: Record<string, Record<string, string>> = {};
        for (const [id, refs] of selected) {
          const record = this.store.get(id);
          if (record === undefined) throw notFound(`No such image: ${id}`);
          const config = this.configOf(id);
          const mtime = new Date(Date.parse(config.created ?? '') || 0);
          for (const layer of record.layers) {
            if (written.has(layer.diffId)) continue;
            written.add(layer.diffId);
            const raw = await this.content.readStream(layer.blob);
            try {
              const body = layer.compression === 'none' ? raw : await decompressedStream(raw);
              await addEntry(pack, { name: blobName(layer.diffId), size: layer.tarSize, mode: 0o644, mtime }, body);
            } finally {
              raw.destroy();
            }
          }
          const configBytes = await this.content.readBytes(id);
          if (!written.has(id)) {
            written.add(id);
            await addEntry(pack, { name: blobName(id), mode: 0o644, mtime }, configBytes);
          }
          const manifest = Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: MEDIA_TYPES.ociManifest,
              config: { mediaType: MEDIA_TYPES.ociConfig, digest: id, size: configBytes.length },
              layers: record.layers.map((l) => ({
                mediaType: MEDIA_TYPES.ociLayer,
                digest: l.diffId,
                size: l.tarSize,
              })),
            }),
          );
          const manifestDigest = sha256(manifest);
          if (!written.has(manifestDigest)) {
            written.add(manifestDigest);
            await addEntry(pack, { name: blobName(manifestDigest), mode: 0o644, mtime: epoch }, manifest);
          }
          const descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: manifestDigest, size: manifest.length };
          const platform = { architecture: config.architecture ?? '', os: config.os ?? '' };
          if (refs.length === 0) indexEntries.push({ ...descriptor, platform });
          for (const r of refs) {
            const parsed = parseReference(r);
            indexEntries.push({
              ...descriptor,
              platform,
              annotations: { [ANNOTATION_IMAGE_NAME]: r, [ANNOTATION_REF_NAME]: parsed.tag ?? '' },
            });
            const name = familiarRepository(parsed);
            repositories[name] ??= {};
            const top = record.layers[record.layers.length - 1];
            if (top !== undefined && parsed.tag !== undefined) repositories[name][parsed.tag] = digestHex(top.diffId);
          }
          const item: Record<string, unknown> = {
            Config: blobName(id),
            RepoTags: refs.map((r) => familiarize(r)),
            Layers: record.layers.map((l) => blobName(l.diffId)),
          };
          if (record.parent !== undefined && selected.has(record.parent)) item.Parent = record.parent;
          manifestJson.push(item);
        }
        const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: indexEntries };
        await addEntry(pack, { name: 'index.json', mode: 0o644, mtime: epoch }, Buffer.from(JSON.stringify(index)));
        await addEntry(
          pack,
          { name: 'manifest.json', mode: 0o644, mtime: epoch },
          Buffer.from(`${JSON.stringify(manifestJson)}\n`),
        );
        await addEntry(
          pack,
          { name: 'oci-layout', mode: 0o644, mtime: epoch },
          Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
        );
        if (Object.keys(repositories).length > 0) {
          await addEntry(
            pack,
            { name: 'repositories', mode: 0o644, mtime: epoch },
            Buffer.from(`${JSON.stringify(repositories)}\n`),
          );
        }
        pack.finalize();
      });
    } catch (err) {
      pack.destroy(err as Error);
      await piped;
      throw err;
    } finally {
      await this.runPendingGc();
    }
    const err = await piped;
    if (err !== undefined) throw err;
  }

  /** moby's `docker save` name rules: image → its references to write as tags. */
  private selectForSave(references: string[]): Map<ImageId, string[]> {
    const selected = new Map<ImageId, string[]>();
    const add = (id: ImageId, ref?: string) => {
      const refs = selected.get(id) ?? [];
      if (ref !== undefined && !refs.includes(ref)) refs.push(ref);
      selected.set(id, refs);
    };
    for (const name of references) {
      const direct = directId(name);
      if (direct !== undefined) {
        add(this.resolve(direct).id);
        continue;
      }
      let parsed: Reference;
      try {
        parsed = parseReference(name);
      } catch {
        add(this.resolve(name).id);
        continue;
      }
      if (parsed.tag === undefined && parsed.digest === undefined) {
        const repo = repositoryName(parsed);
        const tagged = this.store.allRefs().filter(([r]) => {
          const p = parseReference(r);
          return p.tag !== undefined && p.digest === undefined && repositoryName(p) === repo;
        });
        for (const [r, id] of tagged) add(id, r);
        if (tagged.length === 0) add(this.resolve(name).id);
        continue;
      }
      const record = this.resolve(name);
      if (parsed.digest !== undefined) add(record.id);
      else add(record.id, formatReference(parsed));
    }
    return selected;
  }

  // ---------------------------------------------------------------------- GC

  /**
   * Deletes snapshots whose chain IDs no image uses (children first) and
   * blobs no image references. Waits for loads and imports in progress.
   */
  async garbageCollect(): Promise<void> {
    await this.recover();
    await this.gcLock.exclusive(() => this.collect());
  }

  /**
   * Holds off garbage collection while `fn` runs: for other components
   * (pull) that store blobs or snapshots before an image record names them.
   */
  async withLease<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.gcLock.shared(fn);
    } finally {
      await this.runPendingGc();
    }
  }

  /** Runs GC now if nothing holds it off, or else when the last operation holding it off ends. */
  private async collectSoon(): Promise<void> {
    this.gcPending = true;
    await this.runPendingGc();
  }

  private async runPendingGc(): Promise<void> {
    if (!this.gcPending || !this.gcLock.idle) return;
    this.gcPending = false;
    try {
      await this.garbageCollect();
    } catch (err) {
      this.logger.warn('garbage collection failed', { error: errorMessage(err) });
    }
  }

  private async collect(): Promise<void> {
    this.gcPending = false;
    const usedChains = new Set<string>();
    const usedBlobs = new Set<string>();
    for (const r of this.store.all()) {
      usedBlobs.add(r.id);
      for (const b of r.extraBlobs ?? []) usedBlobs.add(b);
      for (const l of r.layers) {
        usedChains.add(l.chainId);
        usedBlobs.add(l.blob);
      }
    }
    const snapshots = await this.snapshotter.list();
    const byName = new Map(snapshots.map((s) => [s.name, s]));
    const keep = new Set<string>(usedChains);
    for (const s of snapshots) {
      if (s.kind !== 'active' && !usedChains.has(s.name)) continue;
      for (let p = s.parent; p !== undefined && !keep.has(p); p = byName.get(p)?.parent) keep.add(p);
    }
    const depth = (name: string): number => {
      let d = 0;
      for (let p = byName.get(name)?.parent; p !== undefined; p = byName.get(p)?.parent) d++;
      return d;
    };
    const doomed = snapshots
      .filter((s) => s.kind === 'committed' && !keep.has(s.name))
      .sort((a, b) => depth(b.name) - depth(a.name));
    for (const s of doomed) {
      try {
        await this.snapshotter.remove(s.name);
        this.logger.debug('removed unused snapshot', { snapshot: s.name });
      } catch (err) {
        this.logger.warn('cannot remove unused snapshot', { snapshot: s.name, error: errorMessage(err) });
      }
    }
    for (const blob of await this.content.list()) {
      if (!usedBlobs.has(blob.digest)) await this.content.delete(blob.digest);
    }
  }

  // ----------------------------------------------------------------- helpers

  /** moby's GetImage: ID forms, then references, then a unique ID prefix. */
  private resolve(reference: string): StoredImage {
    const direct = directId(reference);
    if (direct !== undefined) {
      const record = this.store.get(direct);
      if (record === undefined) throw notFound(`No such image: ${direct}`);
      return record;
    }
    const parsed = parseReference(reference);
    const key = formatReference(
      parsed.digest !== undefined
        ? { ...parsed, tag: undefined }
        : parsed.tag === undefined
          ? { ...parsed, tag: 'latest' }
          : parsed,
    );
    const id = this.store.resolveRef(key);
    if (id !== undefined) {
      const record = this.store.get(id);
      if (record !== undefined) return record;
    }
    const prefix = reference.startsWith('sha256:') ? reference.slice(7) : reference;
    if (/^[a-f0-9]+$/.test(prefix)) {
      const matches = this.store.all().filter((r) => digestHex(r.id).startsWith(prefix));
      if (matches.length === 1 && matches[0] !== undefined) return matches[0];
    }
    throw notFound(
      `No such image: ${familiarString(parsed.digest === undefined && parsed.tag === undefined ? { ...parsed, tag: 'latest' } : parsed)}`,
    );
  }

  private configOf(id: ImageId): ImageConfigFile {
    const c = this.configs.get(id);
    if (c === undefined) throw new EngineError('internal', `image ${id}: config not loaded`);
    return c;
  }

  private children(id: ImageId): ImageId[] {
    return this.store
      .all()
      .filter((r) => r.parent === id)
      .map((r) => r.id);
  }

  private toImage(record: StoredImage): Image {
    const refs = this.store.refsOf(record.id);
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const r of refs) {
      if (parseReference(r).digest !== undefined) repoDigests.push(r);
      else repoTags.push(r);
    }
    return {
      id: record.id,
      repoTags,
      repoDigests,
      parent: record.parent,
      lastTagTime: record.lastTagTime,
      size: record.layers.reduce((n, l) => n + l.size, 0),
      config: this.configOf(record.id),
      chainIds: record.layers.map((l) => l.chainId),
    };
  }
}

// ------------------------------------------------------------------- helpers

/** `sha256:<hex>` or bare 64-hex: the ID itself. */
function directId(ref: string): ImageId | undefined {
  if (isHex64(ref)) return `sha256:${ref}` as ImageId;
  if (isDigest(ref)) return ref;
  return undefined;
}

/** ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainIdOf(parent: ChainId | undefined, diffId: Digest): ChainId {
  return parent === undefined ? diffId : sha256(`${parent} ${diffId}`);
}

/** The chain IDs of a list of diffIDs, bottom first. */
export function chainIds(diffIds: readonly Digest[]): ChainId[] {
  const out: ChainId[] = [];
  for (const d of diffIds) out.push(chainIdOf(out[out.length - 1], d));
  return out;
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function familiarize(normalized: string): string {
  return familiarString(parseReference(normalized));
}

function isImageIdPrefix(id: ImageId, ref: string): boolean {
  return id.startsWith(ref) || digestHex(id).startsWith(ref);
}

/** At most one tag and every reference in one repository. */
function isSingleReference(refs: string[]): boolean {
  let tags = 0;
  const repos = new Set<string>();
  for (const r of refs) {
    const p = parseReference(r);
    if (p.digest === undefined) tags++;
    repos.add(repositoryName(p));
  }
  return tags <= 1 && repos.size <= 1;
}

/** A reference to tag with: `name[:tag]`, never a digest. */
function parseTag(text: string): Reference {
  const ref = parseNormalizedTagged(text);
  if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
  return ref;
}

/** moby's RepoTagReference: repository plus optional tag; 'latest' by default. */
export function tagReference(repository: string, tag: string | undefined): Reference {
  const ref = parseReference(repository);
  if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
  if (tag === undefined || tag === '') return ref.tag === undefined ? { ...ref, tag: 'latest' } : ref;
  return parseReference(`${repositoryName(ref)}:${tag}`);
}

function parsePlatform(text: string): Platform {
  const [os = '', architecture = '', variant] = text.toLowerCase().split('/');
  if (os !== 'linux') throw invalidArgument(`unsupported os ${os}`);
  const arch = architecture || goArch();
  return variant === undefined ? { os, architecture: arch } : { os, architecture: arch, variant };
}

function emptyRunConfig(): ContainerConfigFields {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: null,
    Cmd: null,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
  };
}

function blobName(digest: Digest): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

async function* bufferSource(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

type PackHeader = Parameters<tar.Pack['entry']>[0];

/** Adds one entry to a tar-stream pack, respecting backpressure. */
async function addEntry(pack: tar.Pack, header: PackHeader, body?: Buffer | Readable): Promise<void> {
  if (body === undefined || Buffer.isBuffer(body)) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    (async () => {
      for await (const chunk of body) {
        if (!sink.write(chunk as Buffer)) {
          await new Promise<void>((r) => sink.once('drain', () => r()));
        }
      }
      sink.end(undefined);
    })().catch((err: unknown) => {
      sink.destroy(err as Error);
      reject(err);
    });
  });
}
