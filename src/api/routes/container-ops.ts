/**
 * Day-2 container endpoints: pause, unpause, rename, update, top, stats
 * (engine-api.md §4.8, §8). Status codes as moby: 204 for pause/unpause/rename,
 * 200 for update/top/stats.
 */
import { errorMessage, invalidArgument, isEngineError } from '../../common/errors';
import type { ContainerService, ContainerStatsSample, ContainerUpdate, RestartPolicy } from '../../engine/containers';
import type { ContainerTopResponse, ContainerUpdateRequest, ContainerUpdateResponse } from '../../wire';
import { param, queryBool, queryString, type RequestContext } from '../context';
import { toStatsResponse } from '../convert/stats';
import { sendJson } from '../errors';
import type { Router } from '../router';

export interface ContainerOpsRouteDeps {
  containers: ContainerService;
  /** Time between streamed stats frames and before the second sample of `stream=0` (ms, default 1000). */
  statsIntervalMs?: number;
}

const MAX_BODY = 1 << 20;
const RESTART_NAMES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

export function registerContainerOpsRoutes(router: Router, deps: ContainerOpsRouteDeps): void {
  const { containers } = deps;
  const interval = deps.statsIntervalMs ?? 1000;

  router.post('/containers/{id}/pause', async (ctx) => {
    await containers.pause(param(ctx, 'id'));
    noContent(ctx);
  });

  router.post('/containers/{id}/unpause', async (ctx) => {
    await containers.unpause(param(ctx, 'id'));
    noContent(ctx);
  });

  router.post('/containers/{id}/rename', async (ctx) => {
    await containers.rename(param(ctx, 'id'), queryString(ctx, 'name') ?? '');
    noContent(ctx);
  });

  router.post('/containers/{id}/update', async (ctx) => {
    const update = toContainerUpdate(await readJsonBody(ctx));
    const warnings = await containers.updateResources(param(ctx, 'id'), update);
    const body: ContainerUpdateResponse = { Warnings: warnings };
    sendJson(ctx.res, 200, body);
  });

  router.get('/containers/{id}/top', async (ctx) => {
    const top = await containers.top(param(ctx, 'id'), queryString(ctx, 'ps_args') ?? '');
    const body: ContainerTopResponse = { Titles: top.titles, Processes: top.processes };
    sendJson(ctx.res, 200, body);
  });

  router.get('/containers/{id}/stats', (ctx) => containerStats(ctx, containers, interval));
}

function noContent(ctx: RequestContext): void {
  ctx.res.writeHead(204);
  ctx.res.end();
}

async function readJsonBody(ctx: RequestContext): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw invalidArgument('request body too large');
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid JSON body: ${errorMessage(err)}`);
  }
}

/** The update body (Resources fields at top level, plus RestartPolicy) in the engine's terms. */
export function toContainerUpdate(raw: unknown): ContainerUpdate {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidArgument('invalid update body');
  const b = raw as ContainerUpdateRequest & Record<string, unknown>;
  const num = (key: keyof ContainerUpdateRequest): number | undefined => {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`invalid value for ${key}: ${String(v)}`);
    return v;
  };
  const str = (key: keyof ContainerUpdateRequest): string | undefined => {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw invalidArgument(`invalid value for ${key}: ${String(v)}`);
    return v;
  };
  if (num('KernelMemory')) throw invalidArgument('Kernel memory limits are not supported');
  const u: ContainerUpdate = {};
  const set = <K extends keyof ContainerUpdate>(k: K, v: ContainerUpdate[K] | undefined) => {
    if (v !== undefined) u[k] = v;
  };
  set('memory', num('Memory'));
  set('memorySwap', num('MemorySwap'));
  set('memoryReservation', num('MemoryReservation'));
  set('nanoCpus', num('NanoCpus'));
  set('cpuShares', num('CpuShares'));
  set('cpuPeriod', num('CpuPeriod'));
  set('cpuQuota', num('CpuQuota'));
  set('cpusetCpus', str('CpusetCpus'));
  set('cpusetMems', str('CpusetMems'));
  set('blkioWeight', num('BlkioWeight'));
  set('pidsLimit', num('PidsLimit'));
  const rp = b.RestartPolicy;
  if (rp !== undefined && rp !== null && typeof rp === 'object' && (rp.Name ?? '') !== '') {
    const name = rp.Name ?? '';
    if (!RESTART_NAMES.has(name)) {
      throw invalidArgument(
        `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
      );
    }
    u.restartPolicy = { name: name as RestartPolicy['name'], maximumRetryCount: rp.MaximumRetryCount ?? 0 };
  }
  return u;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * `stream=1` (default): a frame about every interval, precpu from the frame before.
 * `stream=0`: two samples an interval apart, the second sent (so CPU % is meaningful);
 * `one-shot=1`: one sample at once. A stopped container gets the zero response.
 */
async function containerStats(ctx: RequestContext, containers: ContainerService, interval: number): Promise<void> {
  const stream = queryBool(ctx, 'stream', true);
  const oneShot = queryBool(ctx, 'one-shot', false);
  if (stream && oneShot) throw invalidArgument('cannot have stream=true and one-shot=true');
  const id = param(ctx, 'id');
  const first = await containers.stats(id);
  const res = ctx.res;
  if (!stream) {
    let previous: ContainerStatsSample | undefined;
    let current = first;
    if (!oneShot && first.sample !== undefined) {
      await sleep(interval, ctx.signal);
      previous = first.sample;
      current = await containers.stats(id);
      if (current.sample === undefined) previous = undefined;
    }
    sendJson(res, 200, toStatsResponse(current, previous));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  let previous: ContainerStatsSample | undefined;
  let current = first;
  try {
    for (;;) {
      if (res.destroyed || ctx.signal.aborted) return;
      res.write(`${JSON.stringify(toStatsResponse(current, previous))}\n`);
      previous = current.sample;
      await sleep(interval, ctx.signal);
      if (ctx.signal.aborted) return;
      try {
        current = await containers.stats(id);
      } catch (err) {
        if (isEngineError(err, 'not-found')) return; // removed: the stream ends
        throw err;
      }
    }
  } finally {
    if (!res.writableEnded) res.end();
  }
}
