/** Builds the engine's services over the data root and recovers their state. */
import path from 'node:path';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/log';
import {
  type ContainerEvent,
  type ContainerService,
  createContainerService,
  ExecService,
  followLifecycle,
  HealthMonitor,
} from '../engine/containers';
import { ContainerFiles } from '../engine/containers/container-files';
import { FileContentStore } from '../engine/content';
import { EventBus, withImageEvents } from '../engine/events';
import { LocalImageService } from '../engine/images/image-service';
import type { Image, ImageId, ImageService } from '../engine/images/types';
import { CoreExecRuntime, CoreRuntime } from '../engine/runtime';
import { OverlaySnapshotter } from '../engine/snapshots/overlay-snapshotter';
import { LinuxHost } from '../host';
import { createCgroupManager } from '../host/cgroups';
import { type NetworkVolumeConfig, type NetworkVolumeParts, openNetworkAndVolumes } from './network-volumes';

export interface Engine {
  images: ImageService;
  /** Absent in engines built without containers (some tests). */
  containers?: ContainerService;
  /** Exec instances (with the container service). */
  execs?: ExecService;
  /** Networks, volumes and `network connect` (with the container service). */
  networking?: Pick<NetworkVolumeParts, 'networks' | 'volumes'> & {
    endpoints: ReturnType<NetworkVolumeParts['endpoints']>;
  };
  /** The event bus `GET /events` reads (publish to it: see src/engine/events/index.ts). */
  events?: EventBus;
  /** cp, diff, export, commit (with the container service). */
  files?: ContainerFiles;
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
  /** --bip, --default-address-pool. */
  network?: NetworkVolumeConfig;
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

export const createLocalEngine: EngineFactory = async ({ dataRoot, execRoot, logger, network }) => {
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
  // Whoever needs the containers' lifecycle (execs now; events, health) listens here.
  const lifecycle: Array<(event: ContainerEvent) => void> = [];
  // `docker events`: container events from the lifecycle, image events from the wrapped image service.
  const events = new EventBus();
  lifecycle.push((e) =>
    events.publish({ type: 'container', action: e.action, actor: { id: e.id, attributes: e.attributes } }),
  );
  const netvol = await openNetworkAndVolumes({
    dataRoot,
    execRoot: execRoot ?? path.join(dataRoot, 'run'),
    logger,
    host,
    ...(network === undefined ? {} : { config: network }),
  });
  // Re-finds every container: running ones are re-attached to their shims, which kept them alive.
  const localContainers = await createContainerService({
    attachments: netvol.attachments,
    root: paths.containers,
    execRoot: paths.containersExec,
    images,
    snapshotter,
    host,
    runtime,
    cgroups,
    logger: logger.child({ module: 'containers' }),
    onEvent: (event) => {
      for (const listener of lifecycle) listener(event);
    },
  });
  containers = localContainers;
  await netvol.afterContainers(localContainers);
  // Exec instances and health checks (run as execs); their events go where the containers' go.
  const publishContainerEvent = (event: ContainerEvent) => {
    for (const listener of lifecycle) listener(event);
  };
  const execs = new ExecService({
    containers,
    runtime: new CoreExecRuntime(),
    logger: logger.child({ module: 'exec' }),
    onEvent: publishContainerEvent,
  });
  const health = new HealthMonitor({
    containers: localContainers,
    execs,
    logger: logger.child({ module: 'health' }),
    onEvent: publishContainerEvent,
  });
  lifecycle.push((event) => followLifecycle(event, localContainers, execs, health));
  for (const { container } of await localContainers.list({ all: false, limit: 0, size: false, filters: {} })) {
    if (container.state.status === 'running') await health.containerStarted(container);
  }
  const files = new ContainerFiles({
    containers: localContainers,
    images,
    snapshotter,
    host,
    scratchDir: path.join(path.dirname(paths.containersExec), 'mnt'),
    logger: logger.child({ module: 'container-files' }),
    onEvent: publishContainerEvent,
  });
  await files.recover();
  // After the containers are known, so no image a container uses is collected.
  await images.garbageCollect();
  const service = containers;

  return {
    images: withImageEvents(images, events),
    events,
    containers: service,
    networking: { networks: netvol.networks, volumes: netvol.volumes, endpoints: netvol.endpoints(localContainers) },
    execs,
    files,
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
      events.close(); // ends the `GET /events` streams
      health.close();
      // Detaches from the shims only: containers keep running across a daemon restart.
      await service
        .close()
        .catch((err) => logger.error('closing the container service failed', { err: errorMessage(err) }));
      await netvol.close();
    },
  };
};
