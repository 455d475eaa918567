/**
 * A typed Engine API client over a unix socket (or TCP), for the CLI. It
 * negotiates the API version like the Go client: one `HEAD /_ping`, then every
 * request goes to `/v<min(1.44, server)>/...`.
 */
import { Agent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';
import {
  API_VERSION,
  compareApiVersions,
  type DeleteResponseItem,
  type Filters,
  type HistoryResponseItem,
  type ImageInspect,
  type ImageSummary,
  type ImagesPruneReport,
  type JSONMessage,
  type SystemInfo,
  type SystemVersion,
  serializeFilters,
} from '../wire';
import { ClientError, connectionError } from './errors';
import { type DaemonAddress, parseDaemonAddress, resolveHost } from './host';

/** The version assumed when the daemon sends no Api-Version header (as the Go client). */
const FALLBACK_API_VERSION = '1.24';

export interface EngineClientOptions {
  /** `unix:///path` or `tcp://host:port`; default: BERTH_HOST, DOCKER_HOST, unix:///run/berth/berth.sock. */
  host?: string;
  /** A fixed API version: no negotiation (like DOCKER_API_VERSION). */
  apiVersion?: string;
  /** Timeout of the negotiation ping, ms (default 2000 like the CLI's init timeout). */
  pingTimeoutMs?: number;
}

export interface PingResult {
  apiVersion: string;
  osType: string;
  experimental: boolean;
  builderVersion: string | undefined;
  swarm: string | undefined;
}

export interface RequestOptionsLite {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  /** A JSON value (sent as application/json) or a stream (sent chunked). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the request without the /vX.Y prefix. */
  unversioned?: boolean;
}

export interface ListImagesOptions {
  all?: boolean;
  filters?: Filters;
  digests?: boolean;
}

export interface RemoveImageOptions {
  force?: boolean;
  noPrune?: boolean;
}

export interface ImportImageOptions {
  /** Repository (optionally with tag) of the new image. */
  repo?: string;
  tag?: string;
  message?: string;
  /** Dockerfile instructions (`CMD ["sh"]`, `ENV A=b`). */
  changes?: string[];
  platform?: string;
}

function isStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function';
}

export class EngineClient {
  /** The daemon address as given, e.g. 'unix:///run/berth/berth.sock'. */
  readonly host: string;
  private readonly address: DaemonAddress;
  private readonly agent: Agent;
  private negotiated: Promise<string> | undefined;
  private readonly fixedVersion: string | undefined;
  private readonly pingTimeoutMs: number;

  constructor(options: EngineClientOptions = {}) {
    this.host = options.host ?? resolveHost();
    this.address = parseDaemonAddress(this.host);
    this.agent = new Agent({ keepAlive: true, maxSockets: 6 });
    this.fixedVersion = options.apiVersion;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2000;
  }

  /** Releases pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  /** The API version used for requests; negotiated once. */
  apiVersion(): Promise<string> {
    if (this.fixedVersion !== undefined) return Promise.resolve(this.fixedVersion);
    if (!this.negotiated) {
      this.negotiated = this.ping().then((p) =>
        compareApiVersions(p.apiVersion, API_VERSION) < 0 ? p.apiVersion : API_VERSION,
      );
      // A failed negotiation is retried by the next call.
      this.negotiated.catch(() => {
        this.negotiated = undefined;
      });
    }
    return this.negotiated;
  }

  /** `HEAD /_ping`, falling back to `GET /_ping` as the Go client does. */
  async ping(): Promise<PingResult> {
    let res = await this.raw('HEAD', '/_ping', { unversioned: true }, this.pingTimeoutMs);
    res.resume();
    if (res.statusCode !== 200 && res.statusCode !== 500) {
      res = await this.raw('GET', '/_ping', { unversioned: true }, this.pingTimeoutMs);
      await readBody(res);
    }
    const h = (name: string) => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if ((res.statusCode ?? 0) >= 400 && h('api-version') === undefined) await this.check(res, '/_ping');
    return {
      apiVersion: h('api-version') ?? FALLBACK_API_VERSION,
      osType: h('ostype') ?? '',
      experimental: h('docker-experimental') === 'true',
      builderVersion: h('builder-version'),
      swarm: h('swarm'),
    };
  }

  version(): Promise<SystemVersion> {
    return this.json('GET', '/version');
  }

  info(): Promise<SystemInfo> {
    return this.json('GET', '/info');
  }

  listImages(options: ListImagesOptions = {}): Promise<ImageSummary[]> {
    return this.json('GET', '/images/json', {
      query: {
        all: options.all ? '1' : undefined,
        filters: options.filters ? serializeFilters(options.filters) || undefined : undefined,
        digests: options.digests ? '1' : undefined,
      },
    });
  }

  inspectImage(name: string): Promise<ImageInspect> {
    return this.json('GET', `/images/${encodeName(name)}/json`);
  }

  imageHistory(name: string): Promise<HistoryResponseItem[]> {
    return this.json('GET', `/images/${encodeName(name)}/history`);
  }

  async tagImage(source: string, repo: string, tag?: string): Promise<void> {
    const res = await this.call('POST', `/images/${encodeName(source)}/tag`, { query: { repo, tag } });
    await readBody(res);
  }

  removeImage(name: string, options: RemoveImageOptions = {}): Promise<DeleteResponseItem[]> {
    return this.json('DELETE', `/images/${encodeName(name)}`, {
      query: { force: options.force ? '1' : undefined, noprune: options.noPrune ? '1' : undefined },
    });
  }

  /**
   * `docker import`: streams `body` (a tar) and yields the progress messages.
   * An in-stream error is thrown as a ClientError with `inStream` set.
   */
  async *importImage(body: Readable, options: ImportImageOptions = {}): AsyncGenerator<JSONMessage> {
    const res = await this.call('POST', '/images/create', {
      query: {
        fromSrc: '-',
        repo: options.repo,
        tag: options.tag,
        message: options.message,
        changes: options.changes,
        platform: options.platform,
      },
      body,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    yield* progressMessages(res);
  }

  /** `docker load`: streams a docker-archive/OCI tar and yields the progress messages. */
  async *loadImage(body: Readable, options: { quiet?: boolean } = {}): AsyncGenerator<JSONMessage> {
    const res = await this.call('POST', '/images/load', {
      query: { quiet: options.quiet ? '1' : '0' },
      body,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    const type = res.headers['content-type'];
    if (type !== 'application/json') {
      // Not a JSON stream: pass the text on as one message, as the CLI copies it raw.
      const text = await readBody(res);
      if (text.length > 0) yield { stream: text.toString('utf8') };
      return;
    }
    yield* progressMessages(res);
  }

  /** `docker save`: the tar stream of the images. */
  saveImages(names: string[]): Promise<Readable> {
    return this.call('GET', '/images/get', { query: { names } });
  }

  pruneImages(options: { filters?: Filters } = {}): Promise<ImagesPruneReport> {
    return this.json('POST', '/images/prune', {
      query: { filters: options.filters ? serializeFilters(options.filters) || undefined : undefined },
    });
  }

  /** A request whose JSON answer is returned; errors become ClientError. */
  async json<T>(method: string, path: string, options: RequestOptionsLite = {}): Promise<T> {
    const res = await this.call(method, path, options);
    const text = (await readBody(res)).toString('utf8');
    if (text.trim() === '') return undefined as T;
    return JSON.parse(text) as T;
  }

  /** A request with error checking; the response body is left to the caller. */
  async call(method: string, path: string, options: RequestOptionsLite = {}): Promise<IncomingMessage> {
    const res = await this.raw(method, path, options);
    await this.check(res, path);
    return res;
  }

  /** Throws the daemon's error for a status of 400 or more (the body is consumed then). */
  private async check(res: IncomingMessage, path: string): Promise<void> {
    const status = res.statusCode ?? 0;
    if (status < 400) return;
    const body = (await readBody(res, 1 << 20)).toString('utf8');
    const statusText = res.statusMessage ?? '';
    let message: string;
    if (body.trim() === '') {
      message = `request returned ${status} ${statusText} for API route and version ${path}, check if the server supports the requested API version`;
    } else if (res.headers['content-type'] === 'application/json') {
      let parsed: { message?: unknown } = {};
      try {
        parsed = JSON.parse(body) as { message?: unknown };
      } catch {
        parsed = { message: body.trim() };
      }
      message =
        typeof parsed.message === 'string' && parsed.message !== ''
          ? parsed.message
          : `API returned a ${status} (${statusText}) but provided no error-message`;
    } else {
      message = body.trim();
    }
    throw new ClientError(message, { status });
  }

  /** The bare HTTP exchange. */
  async raw(
    method: string,
    path: string,
    options: RequestOptionsLite = {},
    timeoutMs?: number,
  ): Promise<IncomingMessage> {
    const prefix = options.unversioned ? '' : `/v${await this.apiVersion()}`;
    const url = `${prefix}${path}${queryString(options.query)}`;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let payload: Buffer | Readable | undefined;
    if (isStream(options.body)) {
      payload = options.body;
    } else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const base: RequestOptions =
      this.address.kind === 'unix'
        ? { socketPath: this.address.socketPath, host: 'api.moby.localhost' }
        : { host: this.address.hostname, port: this.address.port };
    return new Promise<IncomingMessage>((resolve, reject) => {
      let settled = false;
      const req = httpRequest({ ...base, method, path: url, headers, agent: this.agent }, (res) => {
        settled = true;
        resolve(res);
      });
      req.on('error', (err) => {
        if (settled) return;
        settled = true;
        const code = (err as { code?: unknown }).code;
        if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || (code === 'ECONNRESET' && !payload)) {
          reject(connectionError(this.address.display, err));
        } else {
          reject(new ClientError(`error during connect: ${method} ${url}: ${err.message}`, { status: 0, cause: err }));
        }
      });
      if (timeoutMs !== undefined) {
        req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      }
      if (payload === undefined) req.end();
      else if (Buffer.isBuffer(payload)) req.end(payload);
      else {
        payload.on('error', (err) => req.destroy(err));
        payload.pipe(req);
      }
    });
  }
}

/** Image names keep their slashes in paths (`/images/docker.io/library/x/json`). */
function encodeName(name: string): string {
  return name
    .split('/')
    .map((p) => encodeURIComponent(p))
    .join('/');
}

function queryString(query: RequestOptionsLite['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

async function readBody(res: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const b = chunk as Buffer;
    if (size < limit) chunks.push(b);
    size += b.length;
  }
  return Buffer.concat(chunks);
}

/** Splits a JSON-lines body into messages; an `errorDetail` ends the stream with a ClientError. */
export async function* progressMessages(res: Readable): AsyncGenerator<JSONMessage> {
  let buffered = '';
  const parse = (line: string): JSONMessage | undefined => {
    const t = line.trim();
    if (t === '') return undefined;
    const msg = JSON.parse(t) as JSONMessage;
    if (msg.errorDetail || msg.error) {
      const message = msg.errorDetail?.message ?? msg.error ?? 'unknown error';
      throw new ClientError(message, {
        status: 0,
        inStream: true,
        ...(msg.errorDetail?.code !== undefined ? { code: msg.errorDetail.code } : {}),
      });
    }
    return msg;
  };
  for await (const chunk of res) {
    buffered += (chunk as Buffer).toString('utf8');
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const msg = parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      if (msg) yield msg;
      nl = buffered.indexOf('\n');
    }
  }
  const last = parse(buffered);
  if (last) yield last;
}
