/** Builds the engine's services over the data root and recovers their state. */
import path from 'node:path';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/log';
import { type ContainerService, createContainerService } from '../engine/containers';
import { FileContentStore } from '../engine/content';
import { LocalImageService } from '../engine/images/image-service';
import type { Image, ImageId, ImageService } from '../engine/images/types';
import { CoreRuntime } from '../engine/runtime';
import { OverlaySnapshotter } from '../engine/snapshots/overlay-snapshotter';
import { LinuxHost } from '../host';
import { createCgroupManager } from '../host/cgroups';

export interface Engine {
  images: ImageService;
  /** Absent in engines built without containers (some tests). */
  containers?: ContainerService;
  /** Storage driver name as Docker reports it. */
  storageDriver: string;
  /** GraphDriver.Data of an image, as far as known. */
  graphDriverData(image: Image): Promise<Record<string, string> | null>;
  close(): Promise<void>;
}

export interface EngineFactoryOptions {
  dataRoot: string;
  /** Runtime state (bundles, sockets); default `<dataRoot>/run` when a factory is called without it. */
  execRoot?: string;
  logger: Logger;
}

export type EngineFactory = (options: EngineFactoryOptions) => Promise<Engine>;

/** Directory layout under the data root (and the exec root, for containers' runtime state). */
export function enginePaths(
  dataRoot: string,
  execRoot: string = path.join(dataRoot, 'run'),
): { content: string; snapshots: string; images: string; containers: string; containersExec: string } {
  return {
    content: path.join(dataRoot, 'content'),
    snapshots: path.join(dataRoot, 'overlay2'),
    images: path.join(dataRoot, 'image'),
    containers: path.join(dataRoot, 'containers'),
    containersExec: path.join(execRoot, 'containers'),
  };
}

export const createLocalEngine: EngineFactory = async ({ dataRoot, execRoot, logger }) => {
  const paths = enginePaths(dataRoot, execRoot);
  const host = new LinuxHost();
  const content = new FileContentStore({ root: paths.content });
  const snapshotter = new OverlaySnapshotter({
    root: paths.snapshots,
    host,
    logger: logger.child({ module: 'snapshots' }),
  });
  // The image service asks which container uses an image (rmi's 409); the container service comes later.
  let containers: ContainerService | undefined;
  const images = new LocalImageService({
    root: paths.images,
    content,
    snapshotter,
    logger: logger.child({ module: 'images' }),
    isImageInUse: (id: ImageId) => containers?.imageInUse(id),
  });

  const removed = await content.recover();
  if (removed.length > 0) logger.info('removed interrupted ingests', { count: removed.length });
  await snapshotter.recover();
  await images.recover();

  const cgroups = await createCgroupManager();
  const runtime = new CoreRuntime();
  // Re-finds every container: running ones are re-attached to their shims, which kept them alive.
  containers = await createContainerService({
    root: paths.containers,
    execRoot: paths.containersExec,
    images,
    snapshotter,
    host,
    runtime,
    cgroups,
    logger: logger.child({ module: 'containers' }),
  });
  // After the containers are known, so no image a container uses is collected.
  await images.garbageCollect();
  const service = containers;

  return {
    images,
    containers: service,
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
    async close() {
      // Detaches from the shims only: containers keep running across a daemon restart.
      await service
        .close()
        .catch((err) => logger.error('closing the container service failed', { err: errorMessage(err) }));
    },
  };
};
