/**
 * `GET /system/df`: images with their container counts, containers with
 * their sizes, volumes with their usage, and no build cache (engine-api.md §8).
 */
import { invalidArgument } from '../../common/errors';
import type { ContainerService } from '../../engine/containers/types';
import type { ImageService } from '../../engine/images/types';
import type { VolumeService } from '../../engine/volumes';
import { toContainerSummary } from '../convert/container';
import { toImageSummary } from '../convert/image';
import { sendJson } from '../errors';
import type { Router } from '../router';
import { toVolumeWire } from './volumes';

export interface SystemDfDeps {
  images: Pick<ImageService, 'list'>;
  containers?: Pick<ContainerService, 'list'>;
  volumes?: Pick<VolumeService, 'diskUsage'>;
}

const TYPES = new Set(['container', 'image', 'volume', 'build-cache']);

export function registerSystemDfRoute(router: Router, deps: SystemDfDeps): void {
  router.get('/system/df', async (ctx) => {
    const types = ctx.query.getAll('type');
    for (const t of types) if (!TYPES.has(t)) throw invalidArgument(`unknown object type: ${t}`);
    const want = (t: string) => types.length === 0 || types.includes(t);
    const containers =
      deps.containers === undefined ? [] : await deps.containers.list({ all: true, limit: 0, size: true, filters: {} });
    const body: Record<string, unknown> = {};
    if (want('image')) {
      const images = await deps.images.list({ all: false, filters: {} });
      const uses = new Map<string, number>();
      for (const { container } of containers) uses.set(container.imageId, (uses.get(container.imageId) ?? 0) + 1);
      body.LayersSize = images.reduce((n, i) => n + i.size, 0);
      body.Images = images.map((i) => ({
        ...toImageSummary(i, { virtualSize: false }),
        SharedSize: 0,
        Containers: uses.get(i.id) ?? 0,
      }));
    }
    if (want('container')) {
      const now = Date.now();
      body.Containers = containers.map((item) => toContainerSummary(item, { now }));
    }
    if (want('volume')) {
      const volumes = deps.volumes === undefined ? [] : await deps.volumes.diskUsage();
      body.Volumes = volumes.map(({ volume, usage }) => toVolumeWire(volume, usage));
    }
    if (want('build-cache')) body.BuildCache = [];
    sendJson(ctx.res, 200, body);
  });
}
