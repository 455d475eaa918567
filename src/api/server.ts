/**
 * The Engine API server: Node's http module on one or more unix sockets (or
 * TCP addresses), the version middleware, routing and error mapping.
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { errnoCode, errorMessage, invalidArgument } from '../common/errors';
import type { Logger } from '../common/log';
import { API_VERSION, compareApiVersions, MIN_API_VERSION } from '../wire';
import type { RequestContext } from './context';
import { sendJson, statusForError, writeError } from './errors';
import type { Router } from './router';
import { HijackContext, rawErrorResponse } from './streams/hijack';

export interface ApiServerOptions {
  router: Router;
  logger: Logger;
  /** berth's version, sent as `Server: Docker/<version> (linux)`. */
  serverVersion: string;
  /** How long close() waits for requests in flight before cutting them (ms). Default 5000. */
  shutdownGraceMs?: number;
}

/** Handles `Upgrade:` requests (attach, exec start); the default answers 404. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The request's API version (the server's when unversioned), or moby's refusal for one out of range. */
function checkApiVersion(version: string | undefined): string | { error: string } {
  if (version === undefined) return API_VERSION;
  if (compareApiVersions(version, API_VERSION) > 0) {
    return { error: `client version ${version} is too new. Maximum supported API version is ${API_VERSION}` };
  }
  if (compareApiVersions(version, MIN_API_VERSION) < 0) {
    return {
      error: `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    };
  }
  return version;
}

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Parses `unix:///path`, `tcp://host:port` (as `-H` takes them). */
export function parseListenAddress(spec: string): ListenAddress {
  if (spec.startsWith('unix://')) {
    const p = spec.slice('unix://'.length);
    if (!p.startsWith('/')) throw invalidArgument(`invalid unix socket address ${spec}: the path must be absolute`);
    return { kind: 'unix', path: p };
  }
  if (spec.startsWith('/')) return { kind: 'unix', path: spec };
  if (spec.startsWith('tcp://')) {
    const u = new URL(spec.replace(/^tcp:/, 'http:'));
    return { kind: 'tcp', host: u.hostname || '127.0.0.1', port: Number(u.port || '2375') };
  }
  throw invalidArgument(`invalid listen address ${spec}: use unix:///path or tcp://host:port`);
}

export function formatListenAddress(addr: ListenAddress): string {
  return addr.kind === 'unix' ? `unix://${addr.path}` : `tcp://${addr.host}:${addr.port}`;
}

/** True when something accepts connections on the unix socket `socketPath`. */
export function socketAnswers(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socketPath);
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // a hung listener is still a listener
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export class ApiServer {
  private readonly servers: Array<{ server: Server; address: ListenAddress }> = [];
  private readonly inFlight = new Set<ServerResponse>();
  /** Upgraded connections (attach, exec): cut at close(), they are not HTTP connections any more. */
  private readonly hijacked = new Set<Duplex>();
  private upgradeHandler: UpgradeHandler | undefined;
  private closing = false;

  constructor(private readonly options: ApiServerOptions) {}

  /** Installs the handler for hijacked connections (attach, exec). */
  setUpgradeHandler(handler: UpgradeHandler): void {
    this.upgradeHandler = handler;
  }

  /** The headers every response carries (moby's version and experimental middlewares). */
  commonHeaders(): Record<string, string> {
    return {
      'Api-Version': API_VERSION,
      'Docker-Experimental': 'false',
      Ostype: 'linux',
      Server: `Docker/${this.options.serverVersion} (linux)`,
    };
  }

  /** Serves one request; public so tests can drive it without a socket. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { logger, router } = this.options;
    for (const [k, v] of Object.entries(this.commonHeaders())) res.setHeader(k, v);
    const method = req.method ?? 'GET';
    let url: URL;
    let pathname: string;
    try {
      url = new URL(req.url ?? '/', 'http://berth.local');
      pathname = decodeURIComponent(url.pathname);
    } catch {
      sendJson(res, 400, { message: `invalid request URL: ${req.url ?? ''}` });
      return;
    }
    logger.debug('request', { method, path: url.pathname });
    const match = router.match(method, pathname);
    if (!match) {
      sendJson(res, 404, { message: 'page not found' });
      return;
    }
    const version = checkApiVersion(match.version);
    if (typeof version !== 'string') {
      sendJson(res, 400, { message: version.error });
      return;
    }
    const apiVersion = version;
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error('client disconnected'));
    };
    res.once('close', onClose);
    req.once('error', () => abort.abort(new Error('request stream failed')));
    const ctx: RequestContext = {
      req,
      res,
      params: match.params,
      query: url.searchParams,
      apiVersion,
      logger,
      signal: abort.signal,
    };
    this.inFlight.add(res);
    try {
      await match.handler(ctx);
      if (!res.headersSent) {
        res.writeHead(200);
        res.end();
      } else if (!res.writableEnded) {
        res.end();
      }
    } catch (err) {
      if (abort.signal.aborted) {
        // The client went away; nobody is left to read an error.
        logger.debug('request aborted by the client', { method, path: url.pathname, err: String(err) });
        res.destroy();
      } else {
        writeError(res, err, logger, { method, path: url.pathname });
      }
    } finally {
      this.inFlight.delete(res);
      // A handler that did not read the request body leaves it unconsumed; drain it so keep-alive works.
      if (!req.complete && !req.destroyed) req.resume();
    }
  }

  /** Starts listening on `address`. For unix sockets: removes a stale socket file, refuses a live one, mode 0660. */
  async listen(address: ListenAddress): Promise<void> {
    const server = createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 }, (req, res) => {
      void this.handle(req, res);
    });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 60_000;
    server.requestTimeout = 0;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    server.on('clientError', (err, socket) => {
      this.options.logger.debug('client error', { err: err.message });
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    if (address.kind === 'unix') {
      await mkdir(path.dirname(address.path), { recursive: true, mode: 0o711 });
      await this.clearStaleSocket(address.path);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address.path, () => {
          server.off('error', reject);
          resolve();
        });
      });
      await chmod(address.path, 0o660);
    } else {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address.port, address.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
    this.servers.push({ server, address });
    this.options.logger.info(`API listen on ${address.kind === 'unix' ? address.path : formatListenAddress(address)}`);
  }

  private async clearStaleSocket(socketPath: string): Promise<void> {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(socketPath);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    if (!st.isSocket()) throw invalidArgument(`cannot listen on ${socketPath}: the path exists and is not a socket`);
    if (await socketAnswers(socketPath)) {
      throw invalidArgument(`another berthd is listening on ${socketPath}`, { code: 'address-in-use' });
    }
    this.options.logger.info('removing stale socket', { path: socketPath });
    await unlink(socketPath).catch(() => {});
  }

  /** Upgrade requests: the installed handler, else the router's upgrade routes; 404 otherwise. */
  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.upgradeHandler) {
      this.upgradeHandler(req, socket, head);
      return;
    }
    void this.handleUpgrade(req, socket, head);
  }

  /** Serves one upgrade request; public so tests can drive it with a socket pair. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { logger, router } = this.options;
    const common = this.commonHeaders();
    const method = req.method ?? 'GET';
    socket.on('error', (err) => logger.debug('hijacked connection error', { err: err.message }));
    let url: URL;
    let pathname: string;
    try {
      url = new URL(req.url ?? '/', 'http://berth.local');
      pathname = decodeURIComponent(url.pathname);
    } catch {
      socket.end(rawErrorResponse(400, `invalid request URL: ${req.url ?? ''}`, common));
      return;
    }
    logger.debug('upgrade request', { method, path: url.pathname });
    const match = router.matchUpgrade(method, pathname);
    if (!match) {
      socket.end(rawErrorResponse(404, 'page not found', common));
      return;
    }
    const version = checkApiVersion(match.version);
    if (typeof version !== 'string') {
      socket.end(rawErrorResponse(400, version.error, common));
      return;
    }
    const ctx = new HijackContext({
      req,
      socket,
      head,
      params: match.params,
      query: url.searchParams,
      apiVersion: version,
      logger,
      commonHeaders: common,
    });
    this.hijacked.add(socket);
    socket.once('close', () => this.hijacked.delete(socket));
    try {
      await match.handler(ctx);
    } catch (err) {
      const status = statusForError(err);
      if (status >= 500) logger.error('handler failed', { method, path: url.pathname, status, err: errorMessage(err) });
      else logger.debug('request failed', { method, path: url.pathname, status, err: errorMessage(err) });
      if (ctx.upgraded || ctx.signal.aborted) socket.destroy();
      else ctx.fail(status, errorMessage(err));
    }
  }

  /** The addresses being served. */
  addresses(): ListenAddress[] {
    return this.servers.map((s) => s.address);
  }

  /**
   * Stops accepting, lets requests in flight finish for the grace period,
   * then cuts what is left, and removes the socket files.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const grace = this.options.shutdownGraceMs ?? 5000;
    const closed = this.servers.map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    );
    const deadline = Date.now() + grace;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      for (const { server } of this.servers) server.closeIdleConnections();
    }
    for (const { server } of this.servers) server.closeAllConnections();
    for (const socket of this.hijacked) socket.destroy();
    await Promise.all(closed);
    for (const { address } of this.servers) {
      if (address.kind === 'unix') await unlink(address.path).catch(() => {});
    }
  }
}
