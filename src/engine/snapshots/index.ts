export type { ApplyResult, ChainId, SnapshotInfo, SnapshotKind, Snapshotter } from './snapshotter';
