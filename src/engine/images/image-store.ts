/**
 * Persisted image state (docs/design/0001-image-state.md):
 *
 *   <root>/images/<hex>.json    one StoredImage per image, written atomically
 *   <root>/repositories.json    { "references": { "<normalized ref>": "sha256:<id>" } }
 *   <root>/quarantine/          corrupt files moved aside at start-up
 *
 * An image record is written only after its config blob and every layer
 * snapshot exist, and a reference only after its image record, so a crash
 * at any point leaves either the old state or the new one plus unreferenced
 * blobs/snapshots that garbage collection removes. `recover()` repairs what
 * a crash or a lost file can leave: temp files, corrupt JSON (quarantined),
 * records whose content is gone, references to missing images.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir, readJsonIfExists, removeTempFiles, writeJsonAtomic } from '../../common/atomic';
import { type Digest, digestHex, isDigest, isHex64 } from '../../common/digest';
import { errnoCode, errorMessage } from '../../common/errors';
import type { Logger } from '../../common/log';
import type { ChainId } from '../snapshots';
import type { ImageId } from './types';

/** How a layer blob is compressed. */
export type LayerCompression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** What berth keeps about one layer of an image. */
export interface LayerRecord {
  /** sha256 of the uncompressed layer tar. */
  diffId: Digest;
  chainId: ChainId;
  /** The blob in the content store holding the layer as received (maybe compressed). */
  blob: Digest;
  blobSize: number;
  compression: LayerCompression;
  /** Bytes of the uncompressed layer tar (what `docker save` writes). */
  tarSize: number;
  /** Bytes of the layer's own files once unpacked (history and image sizes). */
  size: number;
}

/** The JSON file of one image. Tags live in repositories.json, not here. */
export interface StoredImage {
  id: ImageId;
  parent?: ImageId;
  lastTagTime?: string;
  /** When berth stored the image (RFC 3339). */
  loadedAt: string;
  layers: LayerRecord[];
  /** Other content blobs the image keeps alive (e.g. manifests behind repo digests). */
  extraBlobs?: Digest[];
}

interface RepositoriesFile {
  references: Record<string, string>;
}

export interface RecoverChecks {
  hasBlob(digest: Digest): Promise<boolean>;
  hasSnapshot(chainId: ChainId): Promise<boolean>;
}

export interface RecoverReport {
  dropped: ImageId[];
  quarantined: string[];
  droppedReferences: string[];
}

export class ImageStore {
  private readonly imagesDir: string;
  private readonly quarantineDir: string;
  private readonly reposFile: string;
  private readonly images = new Map<ImageId, StoredImage>();
  private readonly refs = new Map<string, ImageId>();

  constructor(
    readonly root: string,
    private readonly logger: Logger,
  ) {
    this.imagesDir = path.join(root, 'images');
    this.quarantineDir = path.join(root, 'quarantine');
    this.reposFile = path.join(root, 'repositories.json');
  }

  /** Loads the state from disk, repairing it; run once at start-up before anything else. */
  async recover(checks: RecoverChecks): Promise<RecoverReport> {
    const report: RecoverReport = { dropped: [], quarantined: [], droppedReferences: [] };
    await fs.mkdir(this.imagesDir, { recursive: true, mode: 0o700 });
    await removeTempFiles(this.imagesDir);
    await removeTempFiles(this.root);
    this.images.clear();
    this.refs.clear();
    for (const name of (await fs.readdir(this.imagesDir)).sort()) {
      const file = path.join(this.imagesDir, name);
      let record: StoredImage | undefined;
      try {
        record = validateStoredImage(JSON.parse(await fs.readFile(file, 'utf8')), name);
      } catch (err) {
        this.logger.warn('quarantining corrupt image record', { file, error: errorMessage(err) });
        report.quarantined.push(await this.quarantine(file));
        continue;
      }
      const missing = await missingContent(record, checks);
      if (missing !== undefined) {
        this.logger.warn('dropping image with missing content', { image: record.id, missing });
        await fs.rm(file, { force: true });
        report.dropped.push(record.id);
        continue;
      }
      this.images.set(record.id, record);
    }
    let repos: RepositoriesFile | undefined;
    try {
      repos = await readJsonIfExists<RepositoriesFile>(this.reposFile);
      if (repos !== undefined && (typeof repos !== 'object' || typeof repos.references !== 'object')) {
        throw new Error('no "references" object');
      }
    } catch (err) {
      this.logger.warn('quarantining corrupt repositories file', { file: this.reposFile, error: errorMessage(err) });
      report.quarantined.push(await this.quarantine(this.reposFile));
      repos = undefined;
    }
    for (const [ref, id] of Object.entries(repos?.references ?? {})) {
      if (isDigest(id) && this.images.has(id)) this.refs.set(ref, id);
      else report.droppedReferences.push(ref);
    }
    if (report.droppedReferences.length > 0 || report.quarantined.includes('repositories.json')) {
      await this.saveRefs();
    }
    if (report.dropped.length > 0) await fsyncDir(this.imagesDir);
    return report;
  }

  private async quarantine(file: string): Promise<string> {
    await fs.mkdir(this.quarantineDir, { recursive: true, mode: 0o700 });
    const name = `${path.basename(file)}.${Date.now()}`;
    await fs.rename(file, path.join(this.quarantineDir, name));
    return path.basename(file);
  }

  get(id: ImageId): StoredImage | undefined {
    return this.images.get(id);
  }

  all(): StoredImage[] {
    return [...this.images.values()];
  }

  /** Writes (or rewrites) an image record. */
  async put(record: StoredImage): Promise<void> {
    await writeJsonAtomic(path.join(this.imagesDir, `${digestHex(record.id)}.json`), record);
    this.images.set(record.id, record);
  }

  /** Deletes an image record; its references must be gone first. */
  async delete(id: ImageId): Promise<void> {
    this.images.delete(id);
    try {
      await fs.unlink(path.join(this.imagesDir, `${digestHex(id)}.json`));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    await fsyncDir(this.imagesDir);
  }

  /** The image a normalized reference points to. */
  resolveRef(ref: string): ImageId | undefined {
    return this.refs.get(ref);
  }

  /** Normalized references of an image, in the order they were made. */
  refsOf(id: ImageId): string[] {
    const out: string[] = [];
    for (const [ref, target] of this.refs) if (target === id) out.push(ref);
    return out;
  }

  allRefs(): Array<[string, ImageId]> {
    return [...this.refs];
  }

  /** Applies reference changes (undefined deletes) in one atomic write. */
  async updateRefs(changes: Iterable<[string, ImageId | undefined]>): Promise<void> {
    let changed = false;
    for (const [ref, id] of changes) {
      if (id === undefined) changed = this.refs.delete(ref) || changed;
      else if (this.refs.get(ref) !== id) {
        this.refs.delete(ref);
        this.refs.set(ref, id);
        changed = true;
      }
    }
    if (changed) await this.saveRefs();
  }

  private async saveRefs(): Promise<void> {
    const references: Record<string, string> = {};
    for (const [ref, id] of this.refs) references[ref] = id;
    await fs.mkdir(this.root, { recursive: true });
    await writeJsonAtomic(this.reposFile, { references } satisfies RepositoriesFile);
  }
}

async function missingContent(record: StoredImage, checks: RecoverChecks): Promise<string | undefined> {
  if (!(await checks.hasBlob(record.id))) return `config ${record.id}`;
  for (const layer of record.layers) {
    if (!(await checks.hasSnapshot(layer.chainId))) return `snapshot ${layer.chainId}`;
  }
  return undefined;
}

function validateStoredImage(value: unknown, fileName: string): StoredImage {
  const v = value as Partial<StoredImage> | null;
  if (typeof v !== 'object' || v === null) throw new Error('not an object');
  if (typeof v.id !== 'string' || !isDigest(v.id)) throw new Error('bad id');
  const hex = fileName.replace(/\.json$/, '');
  if (!isHex64(hex) || digestHex(v.id) !== hex) throw new Error('file name does not match id');
  if (!Array.isArray(v.layers)) throw new Error('no layers');
  for (const l of v.layers) {
    if (
      typeof l !== 'object' ||
      l === null ||
      !isDigest(String(l.diffId)) ||
      !isDigest(String(l.chainId)) ||
      !isDigest(String(l.blob)) ||
      typeof l.tarSize !== 'number' ||
      typeof l.size !== 'number'
    ) {
      throw new Error('bad layer');
    }
  }
  if (v.parent !== undefined && !isDigest(v.parent)) throw new Error('bad parent');
  if (typeof v.loadedAt !== 'string') throw new Error('no loadedAt');
  return v as StoredImage;
}
