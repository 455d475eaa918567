import type { Readable } from 'node:stream';
import type { Digest } from '../../common/digest';
import type { Mount } from '../../host';

/**
 * A chain ID identifies a layer together with every layer below it (OCI image
 * spec: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))).
 * Committed snapshots are keyed by it, so a layer shared by several images is
 * stored once.
 */
export type ChainId = Digest;

export type SnapshotKind = 'committed' | 'active';

export interface SnapshotInfo {
  /** Chain ID for committed snapshots; the caller's key (e.g. a container ID) for active ones. */
  name: string;
  kind: SnapshotKind;
  /** The committed snapshot below this one, if any. */
  parent: ChainId | undefined;
  createdAt: string;
}

export interface ApplyResult {
  /** Bytes of the layer's own files on disk (not its parents'). */
  size: number;
}

export interface Snapshotter {
  /** Driver name as Docker reports it ('overlay2'). */
  readonly driver: string;
  /** Repairs state after a crash: removes half-written snapshots and temporary files. */
  recover(): Promise<void>;
  stat(name: string): Promise<SnapshotInfo | undefined>;
  list(): Promise<SnapshotInfo[]>;
  /**
   * Extracts `layer`, an uncompressed OCI layer tar, into a new committed
   * snapshot `name` on top of `parent`. Whiteouts become overlay whiteouts.
   * The snapshot becomes visible only once complete (crash-safe); if it
   * already exists the stream is drained and nothing changes.
   */
  applyLayer(name: ChainId, parent: ChainId | undefined, layer: Readable): Promise<ApplyResult>;
  /** Creates an active, writable snapshot `key` on top of `parent` and returns how to mount it. */
  prepare(key: string, parent: ChainId | undefined): Promise<Mount[]>;
  /** The mounts of an existing snapshot (active: read-write; committed: read-only view). */
  mounts(key: string): Promise<Mount[]>;
  /** Disk usage of the snapshot's own layer. */
  usage(name: string): Promise<{ size: number; inodes: number }>;
  /** Removes a snapshot. Fails with conflict if another snapshot has it as parent. */
  remove(name: string): Promise<void>;
  /** The directory holding the snapshot's own files (upper dir for active snapshots). */
  diffDir(name: string): Promise<string>;
}
