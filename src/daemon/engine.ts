/** Builds the engine's services over the data root and recovers their state. */
import path from 'node:path';
import type { Logger } from '../common/log';
import { FileContentStore } from '../engine/content';
import { LocalImageService } from '../engine/images/image-service';
import type { Image, ImageService } from '../engine/images/types';
import { OverlaySnapshotter } from '../engine/snapshots/overlay-snapshotter';
import { LinuxHost } from '../host';

export interface Engine {
  images: ImageService;
  /** Storage driver name as Docker reports it. */
  storageDriver: string;
  /** GraphDriver.Data of an image, as far as known. */
  graphDriverData(image: Image): Promise<Record<string, string> | null>;
  close(): Promise<void>;
}

export type EngineFactory = (options: { dataRoot: string; logger: Logger }) => Promise<Engine>;

/** Directory layout under the data root. */
export function enginePaths(dataRoot: string): { content: string; snapshots: string; images: string } {
  return {
    content: path.join(dataRoot, 'content'),
    snapshots: path.join(dataRoot, 'overlay2'),
    images: path.join(dataRoot, 'image'),
  };
}

export const createLocalEngine: EngineFactory = async ({ dataRoot, logger }) => {
  const paths = enginePaths(dataRoot);
  const host = new LinuxHost();
  const content = new FileContentStore({ root: paths.content });
  const snapshotter = new OverlaySnapshotter({
    root: paths.snapshots,
    host,
    logger: logger.child({ module: 'snapshots' }),
  });
  const images = new LocalImageService({
    root: paths.images,
    content,
    snapshotter,
    logger: logger.child({ module: 'images' }),
  });

  const removed = await content.recover();
  if (removed.length > 0) logger.info('removed interrupted ingests', { count: removed.length });
  await snapshotter.recover();
  await images.recover();
  await images.garbageCollect();

  return {
    images,
    storageDriver: snapshotter.driver,
    async graphDriverData(image) {
      const top = image.chainIds[image.chainIds.length - 1];
      if (top === undefined) return null;
      const upper = await snapshotter.diffDir(top);
      const lowers: string[] = [];
      for (const id of image.chainIds.slice(0, -1).reverse()) lowers.push(await snapshotter.diffDir(id));
      const base = path.dirname(upper);
      const data: Record<string, string> = {
        MergedDir: path.join(base, 'merged'),
        UpperDir: upper,
        WorkDir: path.join(base, 'work'),
      };
      if (lowers.length > 0) data.LowerDir = lowers.join(':');
      return data;
    },
    async close() {},
  };
};
