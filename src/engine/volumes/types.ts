/**
 * Volumes as the engine sees them (camelCase; src/wire renders Docker's
 * PascalCase). Behaviour follows Docker's `local` volume driver and volume
 * service: see docs in each method for the exact errors clients rely on.
 */

/** The label Docker puts on volumes created without a name. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** The only volume driver berth has. */
export const LOCAL_DRIVER = 'local';

/** Filter maps as the API layer parses them: `{ key: [values] }`. */
export type VolumeFilters = Record<string, string[]>;

export interface Volume {
  name: string;
  driver: typeof LOCAL_DRIVER;
  /** `<root>/<name>/_data`. */
  mountpoint: string;
  /** RFC 3339, seconds precision with the local offset, as Docker prints it. */
  createdAt: string;
  labels: Record<string, string>;
  /**
   * The driver options exactly as given at creation (`{}` stays `{}`), or null
   * when none were given. compose compares them with its `driver_opts`.
   */
  options: Record<string, string> | null;
  scope: 'local';
  /** Created without a name (carries the `com.docker.volume.anonymous` label). */
  anonymous: boolean;
}

/** `UsageData` of `GET /system/df`: bytes under `_data` (-1 when unknown) and referencing containers. */
export interface VolumeUsage {
  size: number;
  refCount: number;
}

export interface CreateVolumeOptions {
  /** Omitted or '' → a random 64-hex name and the volume is anonymous. */
  name?: string;
  /** '' or omitted → 'local'. Anything else → 404 plugin not found. */
  driver?: string;
  /** Local driver options: `type`, `device`, `o` (and `size`, refused: no quota support). */
  driverOpts?: Record<string, string> | null;
  labels?: Record<string, string> | null;
  /** Mark as anonymous even with a name (e.g. a name chosen by the caller). */
  anonymous?: boolean;
}

export interface ListVolumesResult {
  volumes: Volume[];
  /** Always present; Docker returns `"Warnings": []`. */
  warnings: string[];
}

export interface RemoveVolumeOptions {
  /**
   * Docker's `force`: a missing volume is not an error, and the record is purged
   * even if removing the data fails. It does NOT remove a volume in use (409).
   */
  force?: boolean;
}

export interface PruneVolumesOptions {
  /** `label`, `label!` and `all` (Docker's prune filters). */
  filters?: VolumeFilters;
  /** Consider named volumes too (same as the filter `all=true`; API < 1.42 implies it). */
  all?: boolean;
}

export interface PruneVolumesResult {
  volumesDeleted: string[];
  spaceReclaimed: number;
}

export interface CopyUpResult {
  /** False when the volume was not empty (nothing is copied then). */
  copied: boolean;
}

export interface VolumeRecoverReport {
  volumes: number;
  /** Half-made volume directories and temp files removed. */
  removed: string[];
  /** Directories moved to `<root>/.quarantine/`. */
  quarantined: string[];
  /** Volumes whose `_data` was found still mounted (kept mounted, unused). */
  stillMounted: string[];
}

export interface VolumeService {
  /** Loads the volumes on disk, repairing what a crash can leave. Call once before anything else. */
  recover(): Promise<VolumeRecoverReport>;
  /**
   * Creates a volume. An existing name returns the existing volume unchanged (idempotent).
   * Errors: 400 `create <name>: "<name>" includes invalid characters ...`, 400 `create <name>: invalid option: "x"`,
   * 400 `create <name>: missing required option: "device"`, 404 unknown driver.
   */
  create(options?: CreateVolumeOptions): Promise<Volume>;
  /** 404 `get <name>: no such volume`. */
  get(name: string): Promise<Volume>;
  /** Filters `name` (substring/regexp), `driver`, `label` (key or key=value), `dangling` (true|false|1|0). */
  list(filters?: VolumeFilters): Promise<ListVolumesResult>;
  /** 409 `remove <name>: volume is in use - [<cid>, ...]`; 404 `get <name>: no such volume` unless force. */
  remove(name: string, options?: RemoveVolumeOptions): Promise<void>;
  /** Removes unused local volumes without driver options: anonymous ones only unless `all`. */
  prune(options?: PruneVolumesOptions): Promise<PruneVolumesResult>;
  /** Size of `_data` and the number of referencing containers. */
  usage(name: string): Promise<VolumeUsage>;
  /** What `GET /system/df` lists: local volumes without driver options, each with its usage. */
  diskUsage(): Promise<Array<{ volume: Volume; usage: VolumeUsage }>>;

  /** The containers referencing `name`, sorted. */
  users(name: string): string[];
  /** Records that `containerId` references the volume (Docker does this at container create). Persisted. */
  acquire(name: string, containerId: string): Promise<void>;
  /** Drops the reference (at container removal); also unmounts what the container still had mounted. */
  release(name: string, containerId: string): Promise<void>;
  /** Replaces every reference with `users` (volume name → container ids), e.g. re-derived at start-up. */
  setUsers(users: ReadonlyMap<string, Iterable<string>> | Record<string, readonly string[]>): Promise<void>;
  /**
   * Makes the volume's data available for `containerId` and returns the host path to bind into the
   * container. Volumes with `-o type=...` are mounted at `_data` through the Host on first use.
   */
  mount(name: string, containerId: string): Promise<string>;
  /** Undoes one `mount`; the last one unmounts `_data` for `-o type=...` volumes. */
  unmount(name: string, containerId: string): Promise<void>;
  /**
   * Docker's copy-up: fills an empty volume with `sourceDir` (the image's content at the mount
   * destination), keeping modes, owners, times, xattrs, symlinks and hardlinks. Call after `mount`.
   */
  copyUp(name: string, sourceDir: string): Promise<CopyUpResult>;
  /** Unmounts every `_data` this service mounted (daemon shutdown). */
  shutdown(): Promise<void>;
}
