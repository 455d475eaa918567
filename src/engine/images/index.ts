export { applyChanges, parseChanges } from './changes';
export { FakeSnapshotter } from './fake-snapshotter';
export {
  type CommitOptions,
  chainIdOf,
  chainIds,
  type ImageUsage,
  LocalImageService,
  type LocalImageServiceOptions,
  tagReference,
} from './image-service';
export type { LayerCompression, LayerRecord, StoredImage } from './image-store';
export type * from './types';
