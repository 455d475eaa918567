import type { Readable } from 'node:stream';
import type { Digest } from '../../common/digest';

/** An image's ID: the digest of its config blob, as in Docker. */
export type ImageId = Digest;

/**
 * The image config as stored in the config blob (OCI image spec
 * "application/vnd.oci.image.config.v1+json", which Docker's format extends).
 * Field names are the file format's own; unknown fields are kept as they are.
 */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  container?: string;
  config?: ContainerConfigFields;
  container_config?: ContainerConfigFields;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntryFile[];
  [key: string]: unknown;
}

/** The runtime defaults an image carries (Docker's PascalCase, as in the file). */
export interface ContainerConfigFields {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: unknown;
  OnBuild?: string[] | null;
  ArgsEscaped?: boolean;
  Shell?: string[];
  [key: string]: unknown;
}

export interface HistoryEntryFile {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** What berth records about an image besides its config blob. */
export interface ImageRecord {
  id: ImageId;
  /** Normalized references, e.g. 'docker.io/library/busybox:latest'. */
  repoTags: string[];
  /** Normalized digested references, e.g. 'localhost:5000/a@sha256:...'. */
  repoDigests: string[];
  /** The image this one was built from locally (commit/build), if known. */
  parent: ImageId | undefined;
  /** RFC 3339 time of the last tag, or undefined. */
  lastTagTime: string | undefined;
  /** Bytes on disk of all the image's layers. */
  size: number;
}

/** An image as the engine sees it: the record plus its parsed config. */
export interface Image extends ImageRecord {
  config: ImageConfigFile;
  /** Chain IDs of the image's layers, bottom first. */
  chainIds: Digest[];
}

export interface ImageFilters {
  /** Docker's filter map: key -> accepted values (see wire/filters). */
  [key: string]: string[];
}

export interface ListImagesOptions {
  /** Show intermediate images too (`-a`). */
  all: boolean;
  filters: ImageFilters;
}

export interface RemoveImageOptions {
  force: boolean;
  /** Do not delete untagged parents. */
  noPrune: boolean;
}

export interface RemovedImageItem {
  untagged?: string;
  deleted?: string;
}

export interface HistoryItem {
  id: string; // image ID or '<missing>'
  created: number; // unix seconds
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
}

export interface ImportOptions {
  /** Reference to tag the new image with, e.g. 'myimg:1'. */
  reference?: string;
  message?: string;
  /** Dockerfile instructions applied to the config (CMD, ENTRYPOINT, ENV, ...). */
  changes: string[];
  platform?: string;
}

/** One progress message, written by the API as a JSON line. */
export interface ProgressMessage {
  status?: string;
  id?: string;
  stream?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: unknown;
}

export type ProgressSink = (message: ProgressMessage) => void;

export interface LoadResult {
  /** 'Loaded image: ref' or 'Loaded image ID: sha256:...' lines, in order. */
  loaded: Array<{ reference?: string; id: ImageId }>;
}

/** The image operations the API (and later the container engine) needs. */
export interface ImageService {
  list(options: ListImagesOptions): Promise<Image[]>;
  /** Resolves a name, `name:tag`, `name@digest`, full or short ID. Throws not-found "No such image: x". */
  get(reference: string): Promise<Image>;
  history(reference: string): Promise<HistoryItem[]>;
  tag(source: string, repository: string, tag: string | undefined): Promise<void>;
  remove(reference: string, options: RemoveImageOptions): Promise<RemovedImageItem[]>;
  /** `docker import`: a root filesystem tar (plain or compressed) becomes a one-layer image. */
  importTar(input: Readable, options: ImportOptions, progress: ProgressSink): Promise<ImageId>;
  /** `docker load`: a docker-archive or OCI layout tar (plain or compressed). */
  load(input: Readable, progress: ProgressSink): Promise<LoadResult>;
  /** `docker save`: writes a docker-archive (with OCI index) of the given references to `output`. */
  save(references: string[], output: NodeJS.WritableStream): Promise<void>;
  /** Removes unreferenced blobs and snapshots; run at start-up and after removals. */
  garbageCollect(): Promise<void>;
}
