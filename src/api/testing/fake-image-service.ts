/**
 * FakeImageService: an in-memory ImageService for API and client tests. It is
 * a fake: no content store, no snapshots; import/load read the whole body and
 * make an image whose ID is the body's digest.
 */
import type { Readable } from 'node:stream';
import { type Digest, sha256 } from '../../common/digest';
import { conflict, invalidArgument, notFound } from '../../common/errors';
import { familiarize, formatReference, parseNormalizedTagged } from '../../common/reference';
import type {
  HistoryItem,
  Image,
  ImageId,
  ImageService,
  ImportOptions,
  ListImagesOptions,
  LoadResult,
  ProgressSink,
  RemovedImageItem,
  RemoveImageOptions,
} from '../../engine/images/types';

export class FakeImageService implements ImageService {
  readonly images = new Map<ImageId, Image>();
  /** Calls, for assertions: [method, ...args]. */
  readonly calls: Array<[string, ...unknown[]]> = [];
  /** When set, importTar/load fail with this error after reading `failAfterBytes` bytes. */
  failWith: Error | undefined;
  failAfterBytes = 0;

  add(init: {
    tags?: string[];
    created?: string;
    labels?: Record<string, string>;
    size?: number;
    seed?: string;
  }): Image {
    const id = sha256(init.seed ?? JSON.stringify(init) + this.images.size) as ImageId;
    const image: Image = {
      id,
      repoTags: (init.tags ?? []).map((t) => formatReference(parseNormalizedTagged(t))),
      repoDigests: [],
      parent: undefined,
      lastTagTime: undefined,
      size: init.size ?? 1000,
      config: {
        architecture: 'amd64',
        os: 'linux',
        created: init.created ?? '2024-01-02T03:04:05.123456789Z',
        config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: init.labels ?? null },
        rootfs: { type: 'layers', diff_ids: [sha256(`layer-${id}`)] },
        history: [{ created: init.created ?? '2024-01-02T03:04:05Z', created_by: 'fake' }],
      },
      chainIds: [sha256(`layer-${id}`)],
    };
    this.images.set(id, image);
    return image;
  }

  async list(options: ListImagesOptions): Promise<Image[]> {
    this.calls.push(['list', options]);
    let out = [...this.images.values()];
    const dangling = options.filters.dangling;
    if (dangling?.includes('true')) out = out.filter((i) => i.repoTags.length === 0);
    if (dangling?.includes('false')) out = out.filter((i) => i.repoTags.length > 0);
    return out;
  }

  async get(reference: string): Promise<Image> {
    this.calls.push(['get', reference]);
    for (const image of this.images.values()) {
      if (image.id === reference || image.id.slice(7).startsWith(reference)) return image;
    }
    let normalized: string;
    try {
      normalized = formatReference(parseNormalizedTagged(reference));
    } catch {
      throw notFound(`No such image: ${reference}`);
    }
    for (const image of this.images.values()) if (image.repoTags.includes(normalized)) return image;
    throw notFound(`No such image: ${familiarOr(reference)}`);
  }

  async history(reference: string): Promise<HistoryItem[]> {
    const image = await this.get(reference);
    return [
      { id: image.id, created: 1704164645, createdBy: 'fake', tags: image.repoTags, size: image.size, comment: '' },
    ];
  }

  async tag(source: string, repository: string, tag: string | undefined): Promise<void> {
    this.calls.push(['tag', source, repository, tag]);
    const image = await this.get(source);
    const ref = formatReference(parseNormalizedTagged(tag ? `${repository}:${tag}` : repository));
    for (const other of this.images.values()) other.repoTags = other.repoTags.filter((t) => t !== ref);
    image.repoTags.push(ref);
  }

  async remove(reference: string, options: RemoveImageOptions): Promise<RemovedImageItem[]> {
    this.calls.push(['remove', reference, options]);
    const image = await this.get(reference);
    let normalized: string | undefined;
    try {
      normalized = formatReference(parseNormalizedTagged(reference));
    } catch {
      normalized = undefined;
    }
    if (normalized !== undefined && image.repoTags.includes(normalized)) {
      image.repoTags = image.repoTags.filter((t) => t !== normalized);
      const out: RemovedImageItem[] = [{ untagged: normalized }];
      if (image.repoTags.length === 0) {
        this.images.delete(image.id);
        out.push({ deleted: image.id });
      }
      return out;
    }
    if (image.repoTags.length > 1 && !options.force) {
      throw conflict(
        `conflict: unable to delete ${image.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    this.images.delete(image.id);
    return [...image.repoTags.map((t) => ({ untagged: t })), { deleted: image.id }];
  }

  async importTar(input: Readable, options: ImportOptions, progress: ProgressSink): Promise<ImageId> {
    this.calls.push(['importTar', options]);
    const body = await this.readAll(input);
    progress({ status: 'Importing', progressDetail: { current: body.length } });
    const image = this.add({ seed: body.toString('hex') });
    if (options.reference) image.repoTags.push(options.reference);
    return image.id;
  }

  async load(input: Readable, progress: ProgressSink): Promise<LoadResult> {
    this.calls.push(['load']);
    const body = await this.readAll(input);
    const text = body.toString('utf8').trim();
    if (text === 'bad') throw invalidArgument('invalid archive: no manifest.json');
    progress({ status: 'Loading layer', id: 'abc', progressDetail: { current: 1, total: 2 } });
    const image = this.add({ seed: text, tags: text !== '' ? [text] : [] });
    return { loaded: [{ reference: image.repoTags[0] ?? 'x', id: image.id }] };
  }

  async save(references: string[], output: NodeJS.WritableStream): Promise<void> {
    this.calls.push(['save', references]);
    for (const r of references) await this.get(r);
    await new Promise<void>((resolve, reject) => {
      output.write(`TAR:${references.join(',')}`, (err) => (err ? reject(err) : resolve()));
    });
  }

  async garbageCollect(): Promise<void> {
    this.calls.push(['garbageCollect']);
  }

  private async readAll(input: Readable): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of input) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (this.failWith && size >= this.failAfterBytes) throw this.failWith;
    }
    if (this.failWith) throw this.failWith;
    return Buffer.concat(chunks);
  }
}

function familiarOr(reference: string): string {
  try {
    return familiarize(formatReference(parseNormalizedTagged(reference)));
  } catch {
    return reference;
  }
}

export type { Digest };
