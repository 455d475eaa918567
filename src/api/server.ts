/**
 * The Engine API server: Node's http module on one or more unix sockets (or
 * TCP addresses), the version middleware, routing and error mapping.
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { errnoCode, invalidArgument } from '../common/errors';
import type { Logger } from '../common/log';
import { API_VERSION, compareApiVersions, MIN_API_VERSION } from '../wire';
import type { RequestContext } from './context';
import { sendJson, writeError } from './errors';
import type { Router } from './router';

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
    let apiVersion = API_VERSION;
    if (match.version !== undefined) {
      if (compareApiVersions(match.version, API_VERSION) > 0) {
        sendJson(res, 400, {
          message: `client version ${match.version} is too new. Maximum supported API version is ${API_VERSION}`,
        });
        return;
      }
      if (compareApiVersions(match.version, MIN_API_VERSION) < 0) {
        sendJson(res, 400, {
          message: `client version ${match.version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
        });
        return;
      }
      apiVersion = match.version;
    }
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

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.upgradeHandler) {
      this.upgradeHandler(req, socket, head);
      return;
    }
    const body = '{"message":"page not found"}\n';
    const headers = Object.entries(this.commonHeaders())
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}Connection: close\r\n\r\n${body}`,
    );
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
    await Promise.all(closed);
    for (const { address } of this.servers) {
      if (address.kind === 'unix') await unlink(address.path).catch(() => {});
    }
  }
}
