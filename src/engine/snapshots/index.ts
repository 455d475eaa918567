export { type ApplyLayerOptions, applyLayer, normalizeEntryPath, OPAQUE_XATTR } from './apply-layer';
export { type Compression, compressionOf, decompressedStream } from './compression';
export { OverlaySnapshotter, type OverlaySnapshotterOptions } from './overlay-snapshotter';
export type { ApplyResult, ChainId, SnapshotInfo, SnapshotKind, Snapshotter } from './snapshotter';
export { readTar, type TarEntryType, type TarEvent, type TarHeader, type TarSource } from './tar-reader';
