/**
 * The `/containers/*` routes: create, start, stop, restart, kill, wait,
 * remove, list, inspect, logs, attach (hijacked), resize, prune. Status codes
 * and messages follow moby (engine-api.md §5, §6.1, §7); streams follow §4.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { parseDetachKeys } from '../../common/detach-keys';
import { EngineError, errorMessage, invalidArgument, isEngineError } from '../../common/errors';
import type {
  AttachOptions,
  Container,
  ContainerService,
  LogEntry,
  StopOptions,
  WaitCondition,
} from '../../engine/containers/types';
import { type ContainerCreateResponse, type ContainersPruneReport, versionLessThan } from '../../wire';
import { param, queryBool, queryFilters, queryString, type RequestContext, versionBelow } from '../context';
import {
  parseContainerName,
  parseLogTime,
  parseTail,
  toContainerInspect,
  toContainerSummary,
  toCreateOptions,
  toWaitResponse,
} from '../convert/container';
import { sendJson } from '../errors';
import type { Router } from '../router';
import { type HijackContext, readUpgradeBody } from '../streams/hijack';
import { BatchingStdWriter, StdWriter, streamContentType } from '../streams/stdcopy';

export interface ContainerRouteDeps {
  containers: ContainerService;
  /** Storage driver name ('overlay2'). */
  storageDriver: string;
  /** The container's unfinished execs (inspect's `ExecIDs`). */
  execIds?: (containerId: string) => string[] | null;
}

const WAIT_CONDITIONS = new Set<WaitCondition>(['not-running', 'next-exit', 'removed']);
const PRUNE_FILTERS = new Set(['until', 'label', 'label!']);
/** Largest create body accepted. */
const MAX_JSON_BODY = 4 << 20;

export function registerContainerRoutes(router: Router, deps: ContainerRouteDeps): void {
  const { containers } = deps;

  router.get('/containers/json', async (ctx) => {
    const filters = queryFilters(ctx);
    // Old clients (docker-py) send before= and since= as parameters of their own.
    for (const key of ['before', 'since'] as const) {
      const v = queryString(ctx, key);
      if (v) filters[key] = [...(filters[key] ?? []), v];
    }
    const limit = parseInteger(queryString(ctx, 'limit'), 'limit', 0);
    const list = await containers.list({
      // `docker ps -n N` / `-l` include every state.
      all: queryBool(ctx, 'all') || limit > 0,
      limit,
      size: queryBool(ctx, 'size'),
      filters,
    });
    const now = Date.now();
    sendJson(
      ctx.res,
      200,
      list.map((item) => toContainerSummary(item, { now })),
    );
  });

  router.post('/containers/create', async (ctx) => {
    const name = parseContainerName(queryString(ctx, 'name'));
    const body = await readJson(ctx);
    const options = toCreateOptions(body, { name, platform: queryString(ctx, 'platform') });
    const container = await containers.create(options);
    const answer: ContainerCreateResponse = { Id: container.id, Warnings: [...(container.warnings ?? [])] };
    sendJson(ctx.res, 201, answer);
  });

  router.post('/containers/prune', async (ctx) => {
    const filters = queryFilters(ctx);
    for (const key of Object.keys(filters)) {
      if (!PRUNE_FILTERS.has(key)) throw invalidArgument(`invalid filter '${key}'`);
    }
    const result = await containers.prune(filters);
    const report: ContainersPruneReport = {
      ContainersDeleted: [...result.containersDeleted],
      SpaceReclaimed: result.spaceReclaimed,
    };
    sendJson(ctx.res, 200, report);
  });

  router.get('/containers/{id}/json', async (ctx) => {
    const container = await containers.get(param(ctx, 'id'));
    let sizes: { sizeRw?: number; sizeRootFs?: number } = {};
    if (queryBool(ctx, 'size')) {
      const [item] = await containers.list({ all: true, limit: 0, size: true, filters: { id: [container.id] } });
      sizes = {
        ...(item?.sizeRw !== undefined ? { sizeRw: item.sizeRw } : {}),
        ...(item?.sizeRootFs !== undefined ? { sizeRootFs: item.sizeRootFs } : {}),
      };
    }
    const inspect = toContainerInspect(container, { driver: deps.storageDriver, apiVersion: ctx.apiVersion, ...sizes });
    if (deps.execIds) inspect.ExecIDs = deps.execIds(container.id);
    sendJson(ctx.res, 200, inspect);
  });

  router.post('/containers/{id}/start', async (ctx) => {
    try {
      await containers.start(param(ctx, 'id'));
    } catch (err) {
      throw startError(err);
    }
    noContent(ctx);
  });

  router.post('/containers/{id}/stop', async (ctx) => {
    await containers.stop(param(ctx, 'id'), stopOptions(ctx));
    noContent(ctx);
  });

  router.post('/containers/{id}/restart', async (ctx) => {
    try {
      await containers.restart(param(ctx, 'id'), stopOptions(ctx));
    } catch (err) {
      throw startError(err);
    }
    noContent(ctx);
  });

  router.post('/containers/{id}/kill', async (ctx) => {
    const signal = queryString(ctx, 'signal');
    if (signal !== undefined && signal !== '') validateSignal(signal);
    await containers.kill(param(ctx, 'id'), signal === '' ? undefined : signal);
    noContent(ctx);
  });

  router.post('/containers/{id}/wait', (ctx) => waitContainer(ctx, containers));

  router.delete('/containers/{id}', async (ctx) => {
    if (queryBool(ctx, 'link')) throw invalidArgument('removing links is not supported: berth has no legacy links');
    await containers.remove(param(ctx, 'id'), { force: queryBool(ctx, 'force'), volumes: queryBool(ctx, 'v') });
    noContent(ctx);
  });

  router.get('/containers/{id}/logs', (ctx) => containerLogs(ctx, containers));

  router.post('/containers/{id}/resize', async (ctx) => {
    await containers.resize(param(ctx, 'id'), ttySize(queryString(ctx, 'h'), queryString(ctx, 'w')));
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
  });

  // Attach without `Upgrade`: 200 and a raw stream until the connection closes (no chunking).
  router.post('/containers/{id}/attach', async (ctx) => {
    await attach(containers, {
      id: param(ctx, 'id'),
      query: ctx.query,
      apiVersion: ctx.apiVersion,
      signal: ctx.signal,
      input: undefined,
      begin: (contentType) => {
        ctx.res.removeHeader('Transfer-Encoding');
        ctx.res.writeHead(200, { 'Content-Type': contentType, Connection: 'close' });
        ctx.res.flushHeaders();
        return ctx.res;
      },
    });
    ctx.res.end();
  });

  // Attach with `Upgrade: tcp`: 101 UPGRADED, then frames (or raw bytes) on the socket.
  router.upgrade('POST', '/containers/{id}/attach', (ctx) => hijackedAttach(ctx, containers));
}

function noContent(ctx: RequestContext): void {
  ctx.res.writeHead(204);
  ctx.res.end();
}

/** moby answers 400 for a start that fails because the command cannot be found or run, 500 otherwise. */
function startError(err: unknown): unknown {
  if (!isEngineError(err)) return err;
  const exitCode = (err as { exitCode?: unknown }).exitCode;
  if ((exitCode === 126 || exitCode === 127) && err.kind !== 'invalid-argument') {
    return new EngineError('invalid-argument', err.message, { cause: err, ...(err.code ? { code: err.code } : {}) });
  }
  return err;
}

function stopOptions(ctx: RequestContext): StopOptions {
  const options: StopOptions = {};
  const t = queryString(ctx, 't');
  if (t !== undefined && t !== '') options.timeout = parseInteger(t, 't', 0);
  // `signal` is honoured from API 1.42 (moby).
  const signal = queryString(ctx, 'signal');
  if (signal !== undefined && signal !== '' && !versionBelow(ctx, '1.42')) {
    validateSignal(signal);
    options.signal = signal;
  }
  return options;
}

/** A signal as a name (KILL, SIGKILL, RTMIN+3) or a number; 400 otherwise. The engine maps it. */
function validateSignal(signal: string): void {
  if (/^\d+$/.test(signal)) {
    const n = Number(signal);
    if (n >= 1 && n <= 64) return;
  } else if (/^(SIG)?[A-Z][A-Z0-9]*([+-]\d+)?$/i.test(signal)) {
    return;
  }
  throw invalidArgument(`Invalid signal: ${signal}`);
}

function parseInteger(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw invalidArgument(`invalid value for ${name}: ${raw}`);
  return Number(raw.trim());
}

/** The request's JSON body; a missing body is null. */
async function readJson(ctx: RequestContext): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_JSON_BODY) throw invalidArgument('request body too large');
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid JSON body: ${errorMessage(err)}`);
  }
}

/**
 * `POST /containers/{id}/wait`: headers flushed at once (`docker run` waits
 * for them before it starts the container), the body when the condition holds.
 */
async function waitContainer(ctx: RequestContext, containers: ContainerService): Promise<void> {
  const raw = queryString(ctx, 'condition') ?? '';
  const condition = (raw === '' ? 'not-running' : raw) as WaitCondition;
  if (!WAIT_CONDITIONS.has(condition)) throw invalidArgument(`invalid condition: "${raw}"`);
  const container = await containers.get(param(ctx, 'id'));
  // Registered before the headers go out, so no exit can slip in between.
  const waiting = containers.wait(container.id, condition, ctx.signal).then(
    (result) => ({ ok: true as const, result }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res.flushHeaders();
  const outcome = await waiting;
  if (ctx.signal.aborted || ctx.res.destroyed) return;
  const body = outcome.ok
    ? toWaitResponse(outcome.result)
    : { StatusCode: -1, Error: { Message: errorMessage(outcome.err) } };
  if (!outcome.ok) ctx.logger.debug('wait failed', { id: container.id, err: errorMessage(outcome.err) });
  ctx.res.end(`${JSON.stringify(body)}\n`);
}

/** Formats an RFC 3339 time with exactly nine fractional digits, as moby's log timestamps. */
export function fixedNanoTime(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}`;
}

/** `GET /containers/{id}/logs`: headers at once, then frames (Tty=false) or raw bytes. */
async function containerLogs(ctx: RequestContext, containers: ContainerService): Promise<void> {
  const stdout = queryBool(ctx, 'stdout');
  const stderr = queryBool(ctx, 'stderr');
  if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  const since = parseLogTime(queryString(ctx, 'since'), 'since');
  const until = parseLogTime(queryString(ctx, 'until'), 'until');
  if (since > 0 && until > 0 && since > until) throw invalidArgument('since must be before until');
  const container = await containers.get(param(ctx, 'id'));
  const tty = container.config.tty;
  const timestamps = queryBool(ctx, 'timestamps');
  const entries = containers.logs(container.id, {
    stdout,
    stderr,
    follow: queryBool(ctx, 'follow'),
    since,
    until,
    timestamps,
    tail: parseTail(queryString(ctx, 'tail')),
    signal: ctx.signal,
  });
  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': streamContentType(tty, !versionBelow(ctx, '1.42')) });
  res.flushHeaders();
  const writer = new BatchingStdWriter(res, tty);
  try {
    for await (const entry of entries) {
      if (!writer.writable) break;
      await writer.write(entry.stream, timestamps ? withTimestamp(entry) : entry.data);
    }
    await writer.flush();
  } catch (err) {
    await writer.flush().catch(() => undefined);
    if (ctx.signal.aborted) return;
    ctx.logger.debug('logs failed', { id: container.id, err: errorMessage(err) });
    // In-band, as moby does; a raw (TTY) stream has no channel for it.
    if (!tty) {
      await writer.write('systemerr', Buffer.from(`Error grabbing logs: ${errorMessage(err)}\n`));
      await writer.flush();
    }
  }
  res.end();
}

function withTimestamp(entry: LogEntry): Buffer {
  return Buffer.concat([Buffer.from(`${fixedNanoTime(entry.time)} `), entry.data]);
}

interface AttachIo {
  id: string;
  query: URLSearchParams;
  apiVersion: string;
  signal: AbortSignal;
  /** The client's stdin, when the transport has one. */
  input: Readable | undefined;
  /** Sends the success answer (101 or 200) and returns where the stream goes. */
  begin(contentType: string): Writable;
}

function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  const t = v.trim().toLowerCase();
  return !(t === '' || t === '0' || t === 'no' || t === 'false' || t === 'none');
}

/** Checks `detachKeys` (moby/term's syntax, common/detach-keys.ts): 400 when malformed. */
export function validateDetachKeys(keys: string): void {
  parseDetachKeys(keys);
}

/** `h` and `w` of a resize: integers in 0..65535 (moby: 400 otherwise). */
export function ttySize(h: string | undefined, w: string | undefined): { height: number; width: number } {
  const one = (raw: string | undefined, name: string): number => {
    if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) > 65535) {
      throw invalidArgument(`invalid ${name === 'h' ? 'height' : 'width'}: ${JSON.stringify(raw ?? '')}`);
    }
    return Number(raw);
  };
  return { height: one(h, 'h'), width: one(w, 'w') };
}

/** The attach session shared by the hijacked and the plain variants. */
async function attach(containers: ContainerService, io: AttachIo): Promise<void> {
  const container: Container = await containers.get(io.id);
  if (container.state.status === 'paused') {
    throw new EngineError('conflict', `container ${container.id} is paused, unpause the container before attach`);
  }
  if (container.state.status === 'restarting') {
    throw new EngineError('conflict', `container ${container.id} is restarting, wait until the container is running`);
  }
  const detachKeys = parseDetachKeys(io.query.get('detachKeys'));
  const tty = container.config.tty;
  const wantStdin = flag(io.query, 'stdin') && container.config.openStdin && io.input !== undefined;
  const options: AttachOptions = {
    stdin: wantStdin,
    stdout: flag(io.query, 'stdout'),
    stderr: flag(io.query, 'stderr'),
    logs: flag(io.query, 'logs'),
    stream: flag(io.query, 'stream'),
    detachKeys,
    signal: io.signal,
  };
  if (wantStdin && io.input) options.input = io.input;
  // Not attached: the client's bytes are read and dropped, so its hang-up is still seen.
  else io.input?.resume();
  const entries = containers.attach(container.id, options);
  const out = io.begin(streamContentType(tty, !versionLessThan(io.apiVersion, '1.42')));
  const writer = new StdWriter(out, tty);
  try {
    for await (const entry of entries) {
      if (!writer.writable) break;
      await writer.write(entry.stream, entry.data);
    }
  } catch (err) {
    if (io.signal.aborted) return;
    throw err;
  }
}

/**
 * The hijacked attach: stdin comes from the socket (a half-close is stdin's
 * EOF, not a disconnect), output goes back framed or raw, and the write side
 * is closed when the container's output ends.
 */
async function hijackedAttach(ctx: HijackContext, containers: ContainerService): Promise<void> {
  const { socket } = ctx;
  const { rest } = await readUpgradeBody(ctx.req, socket, ctx.head);
  const input = new PassThrough();
  if (rest.length > 0) input.write(rest);
  const onData = (chunk: Buffer) => {
    if (!input.write(chunk)) socket.pause();
  };
  input.on('drain', () => socket.resume());
  socket.on('data', onData);
  socket.once('end', () => input.end());
  socket.once('close', () => input.end());
  socket.resume();
  await attach(containers, {
    id: ctx.params.id ?? '',
    query: ctx.query,
    apiVersion: ctx.apiVersion,
    signal: ctx.signal,
    input,
    begin: (contentType) => {
      ctx.upgrade(contentType);
      return socket;
    },
  });
  // The output ended: close our side (moby's CloseWrite); the client closes its own.
  if (!socket.destroyed) {
    socket.end();
    setTimeout(() => socket.destroy(), 5000).unref();
  }
}
