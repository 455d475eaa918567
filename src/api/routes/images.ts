/** The `/images/*` routes and `/build/prune`. */
import { Writable } from 'node:stream';
import { EngineError, invalidArgument, isEngineError, notImplemented } from '../../common/errors';
import { formatReference, parseNormalizedTagged, parseReference, repositoryName } from '../../common/reference';
import type { Image, ImageFilters, ImageService, ProgressMessage, RemovedImageItem } from '../../engine/images/types';
import type { BuildCachePruneReport, DeleteResponseItem, ImagesPruneReport } from '../../wire';
import { param, queryBool, queryFilters, queryString, type RequestContext, versionBelow } from '../context';
import { familiar, toDeleteItem, toHistoryItem, toImageInspect, toImageSummary, toJsonMessage } from '../convert/image';
import { sendJson, writeError } from '../errors';
import type { Router } from '../router';
import { JsonLinesWriter } from '../streams/json-lines';

export interface ImageRouteDeps {
  images: ImageService;
  /** Storage driver name ('overlay2'). */
  storageDriver: string;
  /** GraphDriver.Data for an image (LowerDir, UpperDir, ...), or null when unknown. */
  graphDriverData?(image: Image): Promise<Record<string, string> | null>;
}

export function registerImageRoutes(router: Router, deps: ImageRouteDeps): void {
  const { images } = deps;

  router.get('/images/json', async (ctx) => {
    const filters = queryFilters(ctx);
    // Old clients pass `filter=<reference>` instead of a reference filter.
    const legacy = queryString(ctx, 'filter');
    if (legacy) filters.reference = [...(filters.reference ?? []), legacy];
    const list = await images.list({ all: queryBool(ctx, 'all'), filters });
    const virtualSize = versionBelow(ctx, '1.44');
    sendJson(
      ctx.res,
      200,
      list.map((img) => toImageSummary(img, { virtualSize })),
    );
  });

  router.post('/images/create', (ctx) => createImage(ctx, deps));
  router.post('/images/load', (ctx) => loadImages(ctx, deps));
  router.get('/images/get', (ctx) => saveImages(ctx, deps, ctx.query.getAll('names')));
  router.post('/images/prune', async (ctx) =>
    sendJson(ctx.res, 200, await pruneImages(images, queryFilters(ctx), ctx)),
  );
  router.post('/build/prune', (ctx) => {
    const report: BuildCachePruneReport = { CachesDeleted: [], SpaceReclaimed: 0 };
    sendJson(ctx.res, 200, report);
  });

  router.get('/images/{name:.*}/json', async (ctx) => {
    const image = await images.get(param(ctx, 'name'));
    const graphDriverData = deps.graphDriverData ? await deps.graphDriverData(image).catch(() => null) : null;
    sendJson(
      ctx.res,
      200,
      toImageInspect(image, {
        virtualSize: versionBelow(ctx, '1.44'),
        driver: deps.storageDriver,
        graphDriverData,
      }),
    );
  });

  router.get('/images/{name:.*}/history', async (ctx) => {
    const items = await images.history(param(ctx, 'name'));
    sendJson(ctx.res, 200, items.map(toHistoryItem));
  });

  router.get('/images/{name:.*}/get', (ctx) => saveImages(ctx, deps, [param(ctx, 'name')]));

  router.post('/images/{name:.*}/tag', async (ctx) => {
    const repo = queryString(ctx, 'repo') ?? '';
    const tag = queryString(ctx, 'tag') ?? '';
    const target = parseTagTarget(repo, tag);
    await images.tag(param(ctx, 'name'), target.repository, target.tag);
    ctx.res.writeHead(201, { 'Content-Length': '0' });
    ctx.res.end();
  });

  router.delete('/images/{name:.*}', async (ctx) => {
    const removed = await images.remove(param(ctx, 'name'), {
      force: queryBool(ctx, 'force'),
      noPrune: queryBool(ctx, 'noprune'),
    });
    sendJson(ctx.res, 200, removed.map(toDeleteItem));
  });
}

/** `repo` and `tag` of a tag request → normalized repository and tag; 400 when invalid. */
export function parseTagTarget(repo: string, tag: string): { repository: string; tag: string | undefined } {
  if (repo === '') throw invalidArgument('repository name must have at least one component');
  if (tag !== '' && !/^[\w][\w.-]{0,127}$/.test(tag)) throw invalidArgument(`invalid tag format: ${tag}`);
  const ref = parseReference(repo);
  if (ref.digest !== undefined) throw invalidArgument(`refusing to tag with a digest reference: ${repo}`);
  const repository = repositoryName(ref);
  if (repository === 'docker.io/library/sha256' || ref.path === 'sha256')
    throw invalidArgument('refusing to create an ambiguous tag using digest algorithm as name');
  return { repository, tag: tag !== '' ? tag : ref.tag };
}

/** `POST /images/create`: import (fromSrc=-) now; pull (fromImage) later. */
async function createImage(ctx: RequestContext, deps: ImageRouteDeps): Promise<void> {
  const fromImage = queryString(ctx, 'fromImage') ?? '';
  if (fromImage !== '') {
    throw notImplemented('pull is not implemented yet', { code: 'pull-not-implemented' });
  }
  const fromSrc = queryString(ctx, 'fromSrc') ?? '';
  if (fromSrc === '') throw invalidArgument('either fromImage or fromSrc is required');
  if (fromSrc !== '-') {
    throw invalidArgument(
      `importing from a URL is not supported (${fromSrc}): berthd does not download files; download it and import it from stdin`,
    );
  }
  const repo = queryString(ctx, 'repo') ?? '';
  const tag = queryString(ctx, 'tag') ?? '';
  let reference: string | undefined;
  if (repo !== '') {
    if (tag !== '' && !/^[\w][\w.-]{0,127}$/.test(tag)) throw invalidArgument(`invalid tag format: ${tag}`);
    reference = formatReference(parseNormalizedTagged(tag !== '' ? `${repo}:${tag}` : repo));
  }
  const message = queryString(ctx, 'message');
  const platform = queryString(ctx, 'platform');
  const writer = new JsonLinesWriter(ctx.res);
  try {
    const id = await deps.images.importTar(
      ctx.req,
      {
        changes: ctx.query.getAll('changes'),
        ...(reference !== undefined ? { reference } : {}),
        ...(message ? { message } : {}),
        ...(platform ? { platform } : {}),
      },
      (m: ProgressMessage) => writer.write(toJsonMessage(m)),
    );
    writer.write({ status: id });
    writer.end();
  } catch (err) {
    finishStreamWithError(ctx, writer, err);
  }
}

/** `POST /images/load?quiet=`: progress and "Loaded image" lines, errors in-band once started. */
async function loadImages(ctx: RequestContext, deps: ImageRouteDeps): Promise<void> {
  const quiet = queryBool(ctx, 'quiet');
  const writer = new JsonLinesWriter(ctx.res);
  let reported = false;
  try {
    const result = await deps.images.load(ctx.req, (m: ProgressMessage) => {
      const isLoaded = m.stream?.startsWith('Loaded image') ?? false;
      if (isLoaded) reported = true;
      if (quiet && !isLoaded) return;
      writer.write(toJsonMessage(m));
    });
    if (!reported) {
      for (const item of result.loaded) {
        const stream =
          item.reference !== undefined
            ? `Loaded image: ${familiar(item.reference)}\n`
            : `Loaded image ID: ${item.id}\n`;
        writer.write({ stream });
      }
    }
    writer.end();
  } catch (err) {
    finishStreamWithError(ctx, writer, err);
  }
}

function finishStreamWithError(ctx: RequestContext, writer: JsonLinesWriter, err: unknown): void {
  if (!writer.started) throw err;
  if (!isEngineError(err) || (err as EngineError).kind === 'internal') {
    ctx.logger.error('stream failed', { path: ctx.req.url ?? '', err: String((err as Error)?.message ?? err) });
  }
  writer.writeError(err);
  writer.end();
}

/** `GET /images/get`, `GET /images/{name}/get`: a tar stream; errors before the first byte get a status. */
async function saveImages(ctx: RequestContext, deps: ImageRouteDeps, names: string[]): Promise<void> {
  if (names.length === 0) throw invalidArgument('no image names given');
  const { res } = ctx;
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      if (res.destroyed) {
        cb(new Error('client disconnected'));
        return;
      }
      if (res.write(chunk)) cb();
      else res.once('drain', () => cb());
    },
    final(cb) {
      cb();
    },
  });
  ctx.signal.addEventListener('abort', () => out.destroy(new Error('client disconnected')), { once: true });
  try {
    await deps.images.save(names, out);
    await new Promise<void>((resolve) => {
      if (out.writableFinished || out.destroyed) resolve();
      else out.end(() => resolve());
    });
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    res.end();
  } catch (err) {
    if (!res.headersSent) throw err;
    writeError(res, err, ctx.logger, { path: ctx.req.url ?? '' });
  }
}

/**
 * `POST /images/prune`: dangling images by default; every image with
 * `dangling=false` (docker image prune -a). Other filters (label, until) go to list().
 */
export async function pruneImages(
  images: ImageService,
  filters: ImageFilters,
  ctx?: Pick<RequestContext, 'logger'>,
): Promise<ImagesPruneReport> {
  for (const key of Object.keys(filters)) {
    if (!PRUNE_FILTERS.has(key)) throw invalidArgument(`invalid filter '${key}'`);
  }
  const f: ImageFilters = { ...filters };
  const notLabels = f['label!'] ?? [];
  delete f['label!'];
  const dangling = f.dangling ?? ['true'];
  const onlyDangling = !dangling.some((v) => v.toLowerCase() === 'false' || v === '0');
  if (onlyDangling) f.dangling = ['true'];
  else delete f.dangling;
  const candidates = await images.list({ all: false, filters: f });
  const deleted: DeleteResponseItem[] = [];
  let reclaimed = 0;
  for (const image of candidates) {
    if (onlyDangling && image.repoTags.length > 0) continue;
    if (notLabels.some((spec) => labelMatches(image.config.config?.Labels ?? null, spec))) continue;
    const items: RemovedImageItem[] = [];
    try {
      for (const tag of image.repoTags) items.push(...(await images.remove(tag, { force: false, noPrune: false })));
      if (!items.some((i) => i.deleted === image.id)) {
        items.push(...(await images.remove(image.id, { force: false, noPrune: false })));
      }
    } catch (err) {
      if (!(err instanceof EngineError) || (err.kind !== 'conflict' && err.kind !== 'not-found')) throw err;
      ctx?.logger.debug('prune: image kept', { id: image.id, err: err.message });
    }
    if (items.some((i) => i.deleted === image.id)) reclaimed += image.size;
    deleted.push(...items.map(toDeleteItem));
  }
  return { ImagesDeleted: deleted, SpaceReclaimed: reclaimed };
}

const PRUNE_FILTERS = new Set(['dangling', 'until', 'label', 'label!']);

/** `key` (present) or `key=value` (equal) against an image's labels. */
function labelMatches(labels: Record<string, string> | null, spec: string): boolean {
  if (!labels) return false;
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  if (!(key in labels)) return false;
  return eq < 0 || labels[key] === spec.slice(eq + 1);
}
