/**
 * The exec routes (engine-api.md §4.1, §5 P0.4): create, start (hijacked
 * with 101, or 200 and a raw stream without `Upgrade`, or 200 and nothing
 * when detached), inspect, resize. As moby: a missing exec is a JSON 404
 * before any hijack; a process that cannot start is reported inside the
 * stream (`<message>\r\n` on stdout) after its exit code was recorded.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { parseDetachKeys } from '../../common/detach-keys';
import { errorMessage, invalidArgument, notFound } from '../../common/errors';
import type { ExecService } from '../../engine/containers';
import { type ExecCreateResponse, versionLessThan } from '../../wire';
import { param, queryString, type RequestContext } from '../context';
import { type ExecStartBody, toExecConfig, toExecInspect, toExecStart } from '../convert/exec';
import { sendJson } from '../errors';
import type { Router } from '../router';
import { type HijackContext, readUpgradeBody } from '../streams/hijack';
import { StdWriter, streamContentType } from '../streams/stdcopy';

export interface ExecRouteDeps {
  execs: ExecService;
}

const MAX_JSON_BODY = 1 << 20;

export function registerExecRoutes(router: Router, deps: ExecRouteDeps): void {
  const { execs } = deps;

  router.post('/containers/{id}/exec', async (ctx) => {
    const config = toExecConfig(await readJson(ctx));
    if (config.detachKeys !== '') parseDetachKeys(config.detachKeys);
    const id = await execs.create(param(ctx, 'id'), config);
    const answer: ExecCreateResponse = { Id: id };
    sendJson(ctx.res, 201, answer);
  });

  router.get('/exec/{id}/json', async (ctx) => {
    sendJson(ctx.res, 200, toExecInspect(await execs.inspect(param(ctx, 'id'))));
  });

  router.post('/exec/{id}/resize', async (ctx) => {
    const h = dimension(queryString(ctx, 'h'), 'h');
    const w = dimension(queryString(ctx, 'w'), 'w');
    await execs.resize(param(ctx, 'id'), h, w);
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
  });

  // Without `Upgrade`: detached (200, empty) or a raw stream until the connection closes.
  router.post('/exec/{id}/start', async (ctx) => {
    const id = param(ctx, 'id');
    const start = toExecStart(await readJson(ctx));
    if (!execs.exists(id)) throw notFound(`No such exec instance: ${id}`);
    if (start.detach) {
      await execs.start(id, { detach: true });
      ctx.res.writeHead(200, { 'Content-Length': '0' });
      ctx.res.end();
      return;
    }
    await runExec(execs, id, start, {
      apiVersionBelow142: false,
      signal: ctx.signal,
      input: undefined,
      begin: () => {
        ctx.res.removeHeader('Transfer-Encoding');
        ctx.res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream', Connection: 'close' });
        ctx.res.flushHeaders();
        return ctx.res;
      },
    });
    ctx.res.end();
  });

  router.upgrade('POST', '/exec/{id}/start', (ctx) => hijackedStart(ctx, execs));
}

function dimension(raw: string | undefined, name: string): number {
  if (raw === undefined || !/^\d+$/.test(raw.trim())) throw invalidArgument(`invalid value for ${name}: ${raw ?? ''}`);
  return Number(raw.trim());
}

async function readJson(ctx: RequestContext): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_JSON_BODY) throw invalidArgument('request body too large');
    chunks.push(b);
  }
  return parseJson(Buffer.concat(chunks));
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid JSON body: ${errorMessage(err)}`);
  }
}

interface ExecIo {
  apiVersionBelow142: boolean;
  signal: AbortSignal;
  input: Readable | undefined;
  /** Sends the success answer and returns where the stream goes. */
  begin(contentType: string): Writable;
}

/** Starts the exec and copies its output; a start failure goes into the stream, as moby writes it. */
async function runExec(execs: ExecService, id: string, start: ExecStartBody, io: ExecIo): Promise<void> {
  const out = io.begin(streamContentType(start.tty, !io.apiVersionBelow142));
  const writer = new StdWriter(out, start.tty);
  let output: AsyncIterable<{ stream: 'stdout' | 'stderr'; data: Buffer }>;
  try {
    output = await execs.start(id, {
      detach: false,
      ...(start.consoleSize === undefined ? {} : { consoleSize: start.consoleSize }),
      ...(io.input === undefined ? {} : { input: io.input }),
      signal: io.signal,
    });
  } catch (err) {
    io.input?.resume();
    await writer.write('stdout', Buffer.from(`${errorMessage(err)}\r\n`));
    return;
  }
  try {
    for await (const chunk of output) {
      if (!writer.writable) break;
      await writer.write(chunk.stream, chunk.data);
    }
  } catch (err) {
    if (io.signal.aborted) return;
    throw err;
  }
}

/** The hijacked start: stdin from the socket (a half-close is its EOF), output framed or raw, then our side closed. */
async function hijackedStart(ctx: HijackContext, execs: ExecService): Promise<void> {
  const { socket } = ctx;
  const { body, rest } = await readUpgradeBody(ctx.req, socket, ctx.head);
  const start = toExecStart(parseJson(body));
  const id = ctx.params.id ?? '';
  if (!execs.exists(id)) throw notFound(`No such exec instance: ${id}`);
  if (start.detach) {
    await execs.start(id, { detach: true });
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  const input = new PassThrough();
  if (rest.length > 0) input.write(rest);
  socket.on('data', (chunk: Buffer) => {
    if (!input.write(chunk)) socket.pause();
  });
  input.on('drain', () => socket.resume());
  socket.once('end', () => input.end());
  socket.once('close', () => input.end());
  socket.resume();
  await runExec(execs, id, start, {
    apiVersionBelow142: versionLessThan(ctx.apiVersion, '1.42'),
    signal: ctx.signal,
    input,
    begin: (contentType) => {
      ctx.upgrade(contentType, ctx.commonHeaders);
      return socket;
    },
  });
  if (!socket.destroyed) {
    socket.end();
    setTimeout(() => socket.destroy(), 5000).unref();
  }
}
