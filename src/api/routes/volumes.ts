/**
 * The `/volumes/*` routes: create, list, inspect, remove, prune. Codes and
 * messages as moby's (engine-api.md §6.2, §7).
 */
import { invalidArgument } from '../../common/errors';
import type { Volume, VolumeService, VolumeUsage } from '../../engine/volumes';
import type { VolumeCreateRequest, VolumeListResponse, VolumesPruneReport, VolumeWire } from '../../wire';
import { param, parseBool, queryBool, queryFilters, versionBelow } from '../context';
import { sendJson } from '../errors';
import type { Router } from '../router';
import { answerStatus, readJsonObject, stringMapField } from './body';

export interface VolumeRouteDeps {
  volumes: VolumeService;
}

export function toVolumeWire(v: Volume, usage?: VolumeUsage): VolumeWire {
  const out: VolumeWire = {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: { ...v.labels },
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: v.options === null ? null : { ...v.options },
    Scope: v.scope,
  };
  if (usage !== undefined) out.UsageData = { Size: usage.size, RefCount: usage.refCount };
  return out;
}

export function registerVolumeRoutes(router: Router, deps: VolumeRouteDeps): void {
  const { volumes } = deps;

  router.get('/volumes', async (ctx) => {
    const result = await volumes.list(queryFilters(ctx));
    const answer: VolumeListResponse = {
      Volumes: result.volumes.map((v) => toVolumeWire(v)),
      Warnings: [...result.warnings],
    };
    sendJson(ctx.res, 200, answer);
  });

  router.post('/volumes/create', async (ctx) => {
    const body = await readJsonObject<VolumeCreateRequest>(ctx);
    if (body.Name !== undefined && typeof body.Name !== 'string') throw invalidArgument('Name must be a string');
    if (body.Driver !== undefined && typeof body.Driver !== 'string') throw invalidArgument('Driver must be a string');
    const volume = await volumes.create({
      ...(body.Name === undefined ? {} : { name: body.Name }),
      ...(body.Driver === undefined ? {} : { driver: body.Driver }),
      driverOpts:
        body.DriverOpts === undefined || body.DriverOpts === null
          ? null
          : stringMapField(body.DriverOpts, 'DriverOpts'),
      labels: stringMapField(body.Labels, 'Labels'),
    });
    sendJson(ctx.res, 201, toVolumeWire(volume));
  });

  router.post('/volumes/prune', async (ctx) => {
    const filters = queryFilters(ctx);
    const allValues = filters.all ?? [];
    // Before API 1.42 prune took named volumes too.
    const all = versionBelow(ctx, '1.42') || allValues.some((v) => parseBool(v));
    const { all: _all, ...rest } = filters;
    const result = await volumes.prune({ filters: rest, all });
    const report: VolumesPruneReport = {
      VolumesDeleted: [...result.volumesDeleted],
      SpaceReclaimed: result.spaceReclaimed,
    };
    sendJson(ctx.res, 200, report);
  });

  router.get('/volumes/{name}', async (ctx) => {
    sendJson(ctx.res, 200, toVolumeWire(await volumes.get(param(ctx, 'name'))));
  });

  router.delete('/volumes/{name}', async (ctx) => {
    await volumes.remove(param(ctx, 'name'), { force: queryBool(ctx, 'force') });
    answerStatus(ctx, 204);
  });
}
