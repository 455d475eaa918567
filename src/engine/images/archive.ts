/**
 * Reading image archives for `docker load`: the archive is streamed once,
 * every regular file goes straight into the content store (hashed while it is
 * written), and the formats are then resolved from the stored files:
 *
 *  - docker-archive: `manifest.json` = [{Config, RepoTags, Layers, Parent?}],
 *    layer paths `<id>/layer.tar` (legacy, maybe symlinked or compressed) or
 *    `blobs/sha256/<hex>` (moby v25+);
 *  - OCI image layout: `oci-layout`, `index.json` → manifests or nested
 *    indexes → config + layers, names from the annotations
 *    `io.containerd.image.name` or `org.opencontainers.image.ref.name`.
 *
 * When both are present (moby v25+ `docker save`), manifest.json wins, as in dockerd.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { type Digest, isDigest } from '../../common/digest';
import { errorMessage, invalidArgument } from '../../common/errors';
import { formatReference, parseNormalizedTagged, parseReference } from '../../common/reference';
import type { BlobInfo, ContentStore } from '../content';
import type { ImageConfigFile } from './types';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

/** The files of an archive, stored in the content store, by normalized path. */
export class ArchiveIndex {
  readonly files = new Map<string, BlobInfo>();
  /** Symbolic and hard links: path → target path (normalized, relative to the archive root). */
  readonly links = new Map<string, string>();

  /** The blob at `p`, following links; undefined if absent. */
  resolve(p: string): BlobInfo | undefined {
    let cur = normalizeArchivePath(p);
    for (let hops = 0; cur !== undefined && hops < 16; hops++) {
      const file = this.files.get(cur);
      if (file !== undefined) return file;
      cur = this.links.get(cur);
    }
    return undefined;
  }

  blobs(): BlobInfo[] {
    return [...this.files.values()];
  }
}

/** `./a//b` → `a/b`; undefined when the path leaves the archive root. */
export function normalizeArchivePath(p: string): string | undefined {
  const n = path.posix.normalize(`/${p}`).slice(1).replace(/\/$/, '');
  if (n === '' || n.startsWith('..')) return undefined;
  return n;
}

/**
 * Streams an (uncompressed) tar into the content store. Throws
 * invalid-argument when the tar is malformed or truncated.
 */
export async function ingestArchive(input: Readable, content: ContentStore): Promise<ArchiveIndex> {
  const index = new ArchiveIndex();
  const extract = tar.extract();
  const fed = pipeline(input, extract).then(
    () => undefined,
    (err: unknown) => err,
  );
  try {
    for await (const entry of extract) {
      const { name, type, linkname } = entry.header;
      const p = normalizeArchivePath(name);
      if (p === undefined) {
        if (name.replace(/^\.?\/*/, '') !== '') {
          throw invalidArgument(`invalid archive: path ${JSON.stringify(name)} leaves the archive root`);
        }
      } else if (type === 'file' || type === 'contiguous-file' || type === undefined || type === null) {
        index.files.set(p, await content.ingest(entry as unknown as AsyncIterable<Uint8Array>));
        continue;
      } else if (type === 'symlink' && linkname) {
        const target = normalizeArchivePath(path.posix.join(path.posix.dirname(p), linkname));
        if (target !== undefined) index.links.set(p, target);
      } else if (type === 'link' && linkname) {
        const target = normalizeArchivePath(linkname);
        if (target !== undefined) index.links.set(p, target);
      }
      entry.resume();
    }
    const err = await fed;
    if (err !== undefined) throw err;
  } catch (err) {
    input.destroy();
    extract.destroy();
    await fed;
    if (err instanceof Error && err.name === 'EngineError') throw err;
    throw invalidArgument(`invalid tar archive: ${errorMessage(err)}`, { cause: err });
  }
  return index;
}

/** One image found in an archive, with its files resolved but not yet verified. */
export interface ArchiveImage {
  config: BlobInfo;
  /** Where the config is in the archive, for messages. */
  configPath: string;
  layers: Array<{ path: string; blob: BlobInfo; mediaType?: string }>;
  /** Normalized tagged references, e.g. 'docker.io/library/busybox:latest'. */
  repoTags: string[];
  /** docker-archive `Parent`, if any. */
  parent?: Digest;
  /** The manifest blob (OCI layouts). */
  manifest?: BlobInfo;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Node's process.arch in Go's GOARCH words. */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le' };
  return map[arch] ?? arch;
}

export async function readArchiveImages(
  index: ArchiveIndex,
  content: ContentStore,
  platform: Platform = { os: 'linux', architecture: goArch() },
): Promise<ArchiveImage[]> {
  if (index.resolve('manifest.json') !== undefined) return readDockerArchive(index, content);
  if (index.resolve('index.json') !== undefined) return readOciLayout(index, content, platform);
  throw invalidArgument(
    'invalid archive: neither manifest.json nor index.json found (not a docker-archive or OCI layout)',
  );
}

async function readJsonFile<T>(index: ArchiveIndex, content: ContentStore, p: string, what: string): Promise<T> {
  const blob = index.resolve(p);
  if (blob === undefined) throw invalidArgument(`invalid archive: ${what} "${p}" is missing`);
  try {
    return JSON.parse((await content.readBytes(blob.digest)).toString('utf8')) as T;
  } catch (err) {
    throw invalidArgument(`invalid archive: ${what} "${p}" is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
}

function requireFile(index: ArchiveIndex, p: unknown, what: string): BlobInfo & { path: string } {
  if (typeof p !== 'string' || p === '') throw invalidArgument(`invalid archive: ${what} has no path`);
  const blob = index.resolve(p);
  if (blob === undefined) throw invalidArgument(`invalid archive: ${what} "${p}" named in the manifest is missing`);
  return { ...blob, path: p };
}

interface DockerManifestItem {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
  Parent?: unknown;
}

async function readDockerArchive(index: ArchiveIndex, content: ContentStore): Promise<ArchiveImage[]> {
  const items = await readJsonFile<DockerManifestItem[]>(index, content, 'manifest.json', 'file');
  if (!Array.isArray(items)) throw invalidArgument('invalid archive: manifest.json is not a JSON array');
  return items.map((item, i) => {
    if (typeof item !== 'object' || item === null) throw invalidArgument(`invalid archive: manifest.json[${i}]`);
    const config = requireFile(index, item.Config, 'config');
    if (!Array.isArray(item.Layers)) throw invalidArgument(`invalid archive: manifest.json[${i}] has no Layers`);
    const layers = item.Layers.map((l: unknown) => {
      const blob = requireFile(index, l, 'layer');
      return { path: blob.path, blob: { digest: blob.digest, size: blob.size } };
    });
    const tags = item.RepoTags ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
      throw invalidArgument(`invalid archive: manifest.json[${i}].RepoTags is not a list of strings`);
    }
    const repoTags = tags.map((t: string) => {
      const ref = parseReference(t);
      if (ref.tag === undefined || ref.digest !== undefined) throw invalidArgument(`invalid tag ${JSON.stringify(t)}`);
      return formatReference(ref);
    });
    const image: ArchiveImage = {
      config: { digest: config.digest, size: config.size },
      configPath: config.path,
      layers,
      repoTags,
    };
    if (typeof item.Parent === 'string' && isDigest(item.Parent)) image.parent = item.Parent;
    return image;
  });
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface OciIndex {
  manifests?: Descriptor[];
  mediaType?: string;
}

interface OciManifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

function blobPath(desc: Descriptor, what: string): string {
  if (typeof desc.digest !== 'string' || !isDigest(desc.digest)) {
    throw invalidArgument(`invalid archive: ${what} has an invalid digest ${JSON.stringify(desc.digest)}`);
  }
  return `blobs/sha256/${desc.digest.slice('sha256:'.length)}`;
}

function descriptorBlob(index: ArchiveIndex, desc: Descriptor, what: string): BlobInfo & { path: string } {
  const p = blobPath(desc, what);
  const blob = index.resolve(p);
  if (blob === undefined) throw invalidArgument(`invalid archive: ${what} "${p}" named in the index is missing`);
  if (blob.digest !== desc.digest) {
    throw invalidArgument(`invalid archive: ${what} "${p}": digest mismatch (content is ${blob.digest})`);
  }
  if (typeof desc.size === 'number' && desc.size !== blob.size) {
    throw invalidArgument(`invalid archive: ${what} "${p}": size mismatch (${desc.size} != ${blob.size})`);
  }
  return { ...blob, path: p };
}

const isIndexType = (t: string | undefined) => t === MEDIA_TYPES.ociIndex || t === MEDIA_TYPES.dockerManifestList;

/** The reference named by an index.json descriptor's annotations, normalized and tagged, if any. */
export function nameFromAnnotations(annotations: Record<string, string> | undefined): string | undefined {
  const full = annotations?.[ANNOTATION_IMAGE_NAME];
  const refName = annotations?.[ANNOTATION_REF_NAME];
  for (const candidate of [full, refName]) {
    if (candidate === undefined || candidate === '') continue;
    // A bare ref.name ("latest", "v1") is only a tag: without a repository the image stays untagged.
    if (candidate === refName && full === undefined && !/[:/@]/.test(candidate)) continue;
    try {
      const ref = parseNormalizedTagged(candidate);
      if (ref.digest !== undefined && ref.tag === undefined) continue;
      return formatReference({ ...ref, digest: undefined });
    } catch {
      // not a reference: try the next annotation
    }
  }
  return undefined;
}

async function readOciLayout(index: ArchiveIndex, content: ContentStore, platform: Platform): Promise<ArchiveImage[]> {
  const layout = index.resolve('oci-layout');
  if (layout !== undefined) {
    const v = await readJsonFile<{ imageLayoutVersion?: unknown }>(index, content, 'oci-layout', 'file');
    if (typeof v?.imageLayoutVersion !== 'string' || !v.imageLayoutVersion.startsWith('1.')) {
      throw invalidArgument(`invalid archive: unsupported OCI layout version ${JSON.stringify(v?.imageLayoutVersion)}`);
    }
  }
  const top = await readJsonFile<OciIndex>(index, content, 'index.json', 'file');
  if (typeof top !== 'object' || top === null || !Array.isArray(top.manifests)) {
    throw invalidArgument('invalid archive: index.json has no manifests');
  }
  const byManifest = new Map<Digest, ArchiveImage>();
  for (const desc of top.manifests) {
    const image = await resolveManifest(index, content, desc, platform, 0);
    if (image === undefined) continue;
    const key = image.manifest?.digest ?? image.config.digest;
    const existing = byManifest.get(key);
    const target = existing ?? image;
    if (existing === undefined) byManifest.set(key, image);
    const name = nameFromAnnotations(desc.annotations);
    if (name !== undefined && !target.repoTags.includes(name)) target.repoTags.push(name);
  }
  return [...byManifest.values()];
}

async function resolveManifest(
  index: ArchiveIndex,
  content: ContentStore,
  desc: Descriptor,
  platform: Platform,
  depth: number,
): Promise<ArchiveImage | undefined> {
  if (depth > 4) throw invalidArgument('invalid archive: indexes nested too deeply');
  const blob = descriptorBlob(index, desc, 'manifest');
  const doc = await readJsonFile<OciManifest>(index, content, blob.path, 'manifest');
  if (typeof doc !== 'object' || doc === null) throw invalidArgument(`invalid archive: manifest "${blob.path}"`);
  if (isIndexType(desc.mediaType) || isIndexType(doc.mediaType) || Array.isArray(doc.manifests)) {
    const chosen = choosePlatform(doc.manifests ?? [], platform);
    if (chosen === undefined) return undefined;
    return resolveManifest(index, content, chosen, platform, depth + 1);
  }
  if (doc.config === undefined || !Array.isArray(doc.layers)) {
    throw invalidArgument(`invalid archive: manifest "${blob.path}" has no config or layers`);
  }
  const config = descriptorBlob(index, doc.config, 'config');
  const layers = doc.layers.map((l) => {
    const b = descriptorBlob(index, l, 'layer');
    const layer: ArchiveImage['layers'][number] = { path: b.path, blob: { digest: b.digest, size: b.size } };
    if (typeof l.mediaType === 'string') layer.mediaType = l.mediaType;
    return layer;
  });
  return {
    config: { digest: config.digest, size: config.size },
    configPath: config.path,
    layers,
    repoTags: [],
    manifest: { digest: blob.digest, size: blob.size },
  };
}

/** The manifest for `platform`, or the only real one; attestations (unknown/unknown) are skipped. */
function choosePlatform(manifests: Descriptor[], platform: Platform): Descriptor | undefined {
  const real = manifests.filter((m) => m.platform?.os !== 'unknown');
  const exact = real.filter(
    (m) => (m.platform?.os ?? 'linux') === platform.os && m.platform?.architecture === platform.architecture,
  );
  const match =
    exact.find((m) => platform.variant === undefined || m.platform?.variant === platform.variant) ?? exact[0];
  if (match !== undefined) return match;
  if (real.length === 1) return real[0];
  throw invalidArgument(
    `no matching manifest for ${platform.os}/${platform.architecture} in the manifest list entries`,
  );
}

/** The config checks dockerd makes before loading an image. */
export function validateConfig(config: unknown, layerCount: number, where: string): ImageConfigFile {
  const c = config as ImageConfigFile;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw invalidArgument(`invalid archive: config "${where}" is not a JSON object`);
  }
  const diffIds = c.rootfs?.diff_ids;
  if (c.rootfs?.type !== 'layers' || !Array.isArray(diffIds) || !diffIds.every((d) => isDigest(String(d)))) {
    throw invalidArgument(`invalid archive: config "${where}" has no valid rootfs.diff_ids`);
  }
  if (diffIds.length !== layerCount) {
    throw invalidArgument(`invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${layerCount}`);
  }
  if (c.os !== undefined && c.os !== '' && c.os !== 'linux') {
    throw invalidArgument(`image operating system "${c.os}" cannot be used on this platform`);
  }
  return c;
}
