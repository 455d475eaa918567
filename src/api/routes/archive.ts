/**
 * The routes over a container's files: `HEAD|GET|PUT /containers/{id}/archive`
 * (docker cp), `GET /containers/{id}/changes` (diff), `GET
 * /containers/{id}/export` and `POST /commit` (engine-api.md §4.9, §7, §8).
 */
import { pipeline } from 'node:stream/promises';
import { errorMessage, invalidArgument } from '../../common/errors';
import type { ContainerFiles } from '../../engine/containers/container-files';
import { encodePathStat } from '../../engine/containers/file-mode';
import type { ContainerConfigFields } from '../../engine/images/types';
import { param, queryBool, queryString, type RequestContext } from '../context';
import { sendJson } from '../errors';
import type { Router } from '../router';

export interface ArchiveRouteDeps {
  files: Pick<ContainerFiles, 'statPath' | 'getArchive' | 'putArchive' | 'changes' | 'export' | 'commit'>;
}

const STAT_HEADER = 'X-Docker-Container-Path-Stat';
const MAX_JSON_BODY = 4 << 20;

function archivePath(ctx: RequestContext): string {
  const p = queryString(ctx, 'path') ?? '';
  if (p === '') throw invalidArgument('Path cannot be empty');
  return p;
}

export function registerArchiveRoutes(router: Router, deps: ArchiveRouteDeps): void {
  const { files } = deps;

  router.head('/containers/{id}/archive', async (ctx) => {
    const stat = await files.statPath(param(ctx, 'id'), archivePath(ctx));
    ctx.res.writeHead(200, { [STAT_HEADER]: encodePathStat(stat), 'Content-Type': 'application/x-tar' });
    ctx.res.end();
  });

  router.get('/containers/{id}/archive', async (ctx) => {
    const { stat, tar } = await files.getArchive(param(ctx, 'id'), archivePath(ctx));
    ctx.res.writeHead(200, { [STAT_HEADER]: encodePathStat(stat), 'Content-Type': 'application/x-tar' });
    await streamOut(ctx, tar);
  });

  router.add('PUT', '/containers/{id}/archive', async (ctx) => {
    await files.putArchive(param(ctx, 'id'), archivePath(ctx), ctx.req, {
      noOverwriteDirNonDir: queryBool(ctx, 'noOverwriteDirNonDir'),
      copyUIDGID: queryBool(ctx, 'copyUIDGID'),
    });
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
  });

  router.get('/containers/{id}/changes', async (ctx) => {
    const changes = await files.changes(param(ctx, 'id'));
    sendJson(
      ctx.res,
      200,
      changes.map((c) => ({ Path: c.path, Kind: c.kind })),
    );
  });

  router.get('/containers/{id}/export', async (ctx) => {
    const tar = await files.export(param(ctx, 'id'));
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await streamOut(ctx, tar);
  });

  router.post('/commit', async (ctx) => {
    const container = queryString(ctx, 'container') ?? '';
    if (container === '') throw invalidArgument('No container name or ID supplied');
    const repo = queryString(ctx, 'repo') ?? '';
    const tag = queryString(ctx, 'tag') ?? '';
    if (repo === '' && tag !== '') throw invalidArgument('invalid reference format: a tag needs a repository');
    const config = await readConfigBody(ctx);
    const id = await files.commit(container, {
      ...(repo !== '' ? { reference: `${repo}:${tag === '' ? 'latest' : tag}` } : {}),
      comment: queryString(ctx, 'comment') ?? '',
      author: queryString(ctx, 'author') ?? '',
      changes: ctx.query.getAll('changes'),
      pause: queryBool(ctx, 'pause', true),
      ...(config !== undefined ? { config } : {}),
    });
    sendJson(ctx.res, 201, { Id: id });
  });
}

/** Streams a tar to the client; a failure after the headers cuts the connection (the client sees a short body). */
async function streamOut(
  ctx: RequestContext,
  tar: NodeJS.ReadableStream & { destroy(err?: Error): void },
): Promise<void> {
  try {
    await pipeline(tar, ctx.res);
  } catch (err) {
    tar.destroy();
    if (!ctx.signal.aborted) ctx.logger.warn('archive stream failed', { error: errorMessage(err) });
    ctx.res.destroy();
  }
}

async function readConfigBody(ctx: RequestContext): Promise<ContainerConfigFields | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw invalidArgument('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '' || text === 'null') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid JSON body: ${errorMessage(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument('invalid commit config: expected a JSON object');
  }
  return parsed as ContainerConfigFields;
}
