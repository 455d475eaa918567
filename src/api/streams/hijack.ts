/**
 * Hijacked connections (attach, exec start): after `Upgrade: tcp` the API
 * answers `HTTP/1.1 101 UPGRADED` in a write of its own (docker-py loses
 * bytes that arrive with the header block) and then owns the raw socket.
 *
 * Node details (engine-api.md §1 items 7 and 28, §4.1):
 * - the server's sockets are allowHalfOpen: 'end' is the client's half-close
 *   (`CloseWrite()` when it has no stdin), not a disconnect. Only 'close' and
 *   'error' mean the client is gone;
 * - a request body on an upgrade request (dockerode's JSON options, exec
 *   start's `{"Detach":false}`) arrives either at the front of `head` and the
 *   socket (Node 20) or parsed into `req` with `head` holding only what came
 *   after it (newer Node); `readUpgradeBody` handles both.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidArgument } from '../../common/errors';
import type { Logger } from '../../common/log';

export type HijackHandler = (ctx: HijackContext) => Promise<void> | void;

/** True when the request asks for a protocol upgrade (the Go client, docker-py and dockerode send `Upgrade: tcp`). */
export function wantsUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return typeof upgrade === 'string' && upgrade !== '';
}

/** The status line and headers of a hijack answer. */
export function upgradeResponseHead(contentType: string, extraHeaders: Record<string, string> = {}): string {
  const extra = Object.entries(extraHeaders)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${extra}\r\n`;
}

const STATUS_TEXT: Record<number, string> = {
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** A complete JSON error response for a connection that was never upgraded (then closed). */
export function rawErrorResponse(status: number, message: string, headers: Record<string, string> = {}): string {
  const body = status === 304 ? '' : `${JSON.stringify({ message })}\n`;
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const type = body === '' ? '' : 'Content-Type: application/json\r\n';
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
}

/** Largest request body accepted on an upgrade request. */
const MAX_UPGRADE_BODY = 1 << 20;

/**
 * Reads the `Content-Length` body of an upgrade request and returns it with
 * whatever bytes followed it (the start of the client's stdin).
 */
export async function readUpgradeBody(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<{ body: Buffer; rest: Buffer }> {
  const raw = req.headers['content-length'];
  const length = raw === undefined ? 0 : Number(raw);
  if (!Number.isSafeInteger(length) || length < 0) throw invalidArgument(`invalid Content-Length: ${raw}`);
  if (length > MAX_UPGRADE_BODY) throw invalidArgument('request body too large');
  // Newer Node parses the body into req; Node 20 ends req at once.
  const fromReq = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    if (req.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => resolve(Buffer.concat(chunks)));
    req.resume();
  });
  if (length === 0 || fromReq.length >= length) return { body: fromReq, rest: head };
  // Node 20: the body is at the front of head and, if longer, of the socket's data.
  let buffered = head;
  while (buffered.length < length) {
    const more = await readSome(socket);
    if (more === null) throw invalidArgument('unexpected end of request body');
    buffered = Buffer.concat([buffered, more]);
  }
  return { body: buffered.subarray(0, length), rest: buffered.subarray(length) };
}

function readSome(socket: Duplex): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
    };
    const onData = (chunk: Buffer) => {
      cleanup();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}

export interface HijackContextInit {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  params: Record<string, string>;
  query: URLSearchParams;
  apiVersion: string;
  logger: Logger;
  /** Headers every response carries (Api-Version, Server, ...). */
  commonHeaders: Record<string, string>;
}

/** What an upgrade route handler gets: the raw connection, before and after the 101. */
export class HijackContext {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  /** Bytes after the request head (see readUpgradeBody). */
  readonly head: Buffer;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly apiVersion: string;
  readonly logger: Logger;
  readonly commonHeaders: Record<string, string>;
  /** Aborted when the client is gone ('close' or 'error'; a half-close is not that). */
  readonly signal: AbortSignal;
  private sentHead = false;

  constructor(init: HijackContextInit) {
    this.req = init.req;
    this.socket = init.socket;
    this.head = init.head;
    this.params = init.params;
    this.query = init.query;
    this.apiVersion = init.apiVersion;
    this.logger = init.logger;
    this.commonHeaders = init.commonHeaders;
    const abort = new AbortController();
    this.signal = abort.signal;
    const gone = () => {
      if (!abort.signal.aborted) abort.abort(new Error('client disconnected'));
    };
    init.socket.once('close', gone);
    init.socket.once('error', gone);
  }

  /** True once the 101 went out: errors can no longer be reported as a status. */
  get upgraded(): boolean {
    return this.sentHead;
  }

  /** Sends `101 UPGRADED` with `contentType`, in its own write. */
  upgrade(contentType: string, extraHeaders: Record<string, string> = {}): void {
    if (this.sentHead) return;
    this.sentHead = true;
    this.socket.write(upgradeResponseHead(contentType, extraHeaders));
  }

  /** Answers with a JSON error status instead of upgrading, and closes. */
  fail(status: number, message: string): void {
    if (this.sentHead) {
      this.socket.destroy();
      return;
    }
    this.sentHead = true;
    this.socket.end(rawErrorResponse(status, message, this.commonHeaders));
  }
}
