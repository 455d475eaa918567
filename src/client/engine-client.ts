/**
 * A typed Engine API client over a unix socket (or TCP), for the CLI. It
 * negotiates the API version like the Go client: one `HEAD /_ping`, then every
 * request goes to `/v<min(1.44, server)>/...`.
 */
import { Agent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import {
  API_VERSION,
  type ContainerCreateRequest,
  type ContainerCreateResponse,
  type ContainerInspectWire,
  type ContainerSummaryWire,
  type ContainersPruneReport,
  type ContainerTopResponse,
  type ContainerUpdateRequest,
  type ContainerUpdateResponse,
  type ContainerWaitResponse,
  compareApiVersions,
  type DeleteResponseItem,
  type EventMessage,
  type Filters,
  type HistoryResponseItem,
  type ImageInspect,
  type ImageSummary,
  type ImagesPruneReport,
  type JSONMessage,
  type StatsResponse,
  type SystemInfo,
  type SystemVersion,
  serializeFilters,
} from '../wire';
import { ClientError, connectionError } from './errors';
import { type DaemonAddress, parseDaemonAddress, resolveHost } from './host';
import { jsonLines } from './json-lines';
import { decodeOutput, type OutputChunk } from './stdcopy';

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
  /** Aborts the request (and its response). */
  signal?: AbortSignal;
}

export interface CreateContainerOptions {
  name?: string;
  /** `os/arch[/variant]`. */
  platform?: string;
}

export interface StopContainerOptions {
  /** Seconds to wait before SIGKILL. */
  t?: number;
  /** The stop signal to send instead of the container's. */
  signal?: string;
}

export interface RemoveContainerOptions {
  force?: boolean;
  /** Remove anonymous volumes. */
  v?: boolean;
}

export interface ListContainersOptions {
  all?: boolean;
  /** Only the N most recently created (<= 0: no limit). */
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** A wait in progress: `ready` once the daemon sent its headers (it is then watching), `result` at the condition. */
export interface ContainerWaiter {
  ready: Promise<void>;
  result: Promise<ContainerWaitResponse>;
  /** Gives up waiting (closes the request); `result` rejects. */
  cancel(): void;
}

export interface AttachContainerOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Replay the container's log first. */
  logs?: boolean;
  detachKeys?: string;
  /** How to decode the output; by default from the answer's Content-Type (raw = TTY). */
  tty?: boolean;
}

/** A hijacked attach connection. */
export interface AttachedContainer {
  /** The raw connection (stdin goes here). */
  socket: Duplex;
  /** True when the output is raw (TTY), false when multiplexed. */
  tty: boolean;
  /** The container's output until it ends (the daemon closes its side). */
  output: AsyncIterable<OutputChunk>;
  /** Half-closes the connection: the daemon sees stdin's EOF and keeps sending output. */
  closeWrite(): void;
  /** Copies `input` to the container's stdin and half-closes at its end; stops reading it when the output ends. */
  pipeStdin(input: Readable): void;
  /** Cuts the connection. */
  close(): void;
}

export interface ContainerLogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
  /** `<sec>.<nanosec>` or Unix seconds ('' = unset). */
  since?: string;
  until?: string;
  timestamps?: boolean;
  /** 'all' or N. */
  tail?: string;
  details?: boolean;
  /** The container's Config.Tty: raw when true, frames when false; by default from the Content-Type. */
  tty?: boolean;
  signal?: AbortSignal;
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

  // ---------------------------------------------------------------- containers

  createContainer(
    body: ContainerCreateRequest,
    options: CreateContainerOptions = {},
  ): Promise<ContainerCreateResponse> {
    return this.json('POST', '/containers/create', {
      query: { name: options.name || undefined, platform: options.platform || undefined },
      body,
    });
  }

  /** Starts a container; an already running one is not an error (304). */
  async startContainer(id: string): Promise<void> {
    await readBody(await this.call('POST', `/containers/${encodeURIComponent(id)}/start`));
  }

  async stopContainer(id: string, options: StopContainerOptions = {}): Promise<void> {
    await readBody(
      await this.call('POST', `/containers/${encodeURIComponent(id)}/stop`, { query: stopQuery(options) }),
    );
  }

  async restartContainer(id: string, options: StopContainerOptions = {}): Promise<void> {
    await readBody(
      await this.call('POST', `/containers/${encodeURIComponent(id)}/restart`, { query: stopQuery(options) }),
    );
  }

  /** Sends `signal` (a name without or with SIG, or a number; default KILL). */
  async killContainer(id: string, signal?: string): Promise<void> {
    await readBody(
      await this.call('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal: signal || undefined } }),
    );
  }

  async removeContainer(id: string, options: RemoveContainerOptions = {}): Promise<void> {
    await readBody(
      await this.call('DELETE', `/containers/${encodeURIComponent(id)}`, {
        query: { force: options.force ? '1' : undefined, v: options.v ? '1' : undefined },
      }),
    );
  }

  /** A resize of the container's TTY. */
  async resizeContainer(id: string, size: { h: number; w: number }): Promise<void> {
    await readBody(
      await this.call('POST', `/containers/${encodeURIComponent(id)}/resize`, { query: { h: size.h, w: size.w } }),
    );
  }

  listContainers(options: ListContainersOptions = {}): Promise<ContainerSummaryWire[]> {
    return this.json('GET', '/containers/json', {
      query: {
        all: options.all ? '1' : undefined,
        limit: options.limit !== undefined && options.limit > 0 ? options.limit : undefined,
        size: options.size ? '1' : undefined,
        filters: options.filters ? serializeFilters(options.filters) || undefined : undefined,
      },
    });
  }

  inspectContainer(id: string, options: { size?: boolean } = {}): Promise<ContainerInspectWire> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/json`, {
      query: { size: options.size ? '1' : undefined },
    });
  }

  pruneContainers(options: { filters?: Filters } = {}): Promise<ContainersPruneReport> {
    return this.json('POST', '/containers/prune', {
      query: { filters: options.filters ? serializeFilters(options.filters) || undefined : undefined },
    });
  }

  /**
   * `POST /containers/{id}/wait`. `ready` resolves when the daemon's headers
   * arrived (like the docker CLI, `run` waits for that before it starts the
   * container); `result` when the condition holds.
   */
  waitContainer(id: string, condition: WaitCondition = 'not-running'): ContainerWaiter {
    const abort = new AbortController();
    const response = this.call('POST', `/containers/${encodeURIComponent(id)}/wait`, {
      query: { condition },
      signal: abort.signal,
    });
    const ready = response.then(() => undefined);
    const result = response.then(async (res) => {
      const text = (await readBody(res)).toString('utf8').trim();
      if (text === '') throw new ClientError('the daemon closed the wait without a result', { status: 0 });
      return JSON.parse(text) as ContainerWaitResponse;
    });
    // Both are observed by the caller as needed; neither is an unhandled rejection on its own.
    ready.catch(() => {});
    result.catch(() => {});
    return { ready, result, cancel: () => abort.abort() };
  }

  /** `GET /containers/{id}/logs`: the decoded output chunks. */
  async *containerLogs(id: string, options: ContainerLogsOptions = {}): AsyncGenerator<OutputChunk> {
    const res = await this.call('GET', `/containers/${encodeURIComponent(id)}/logs`, {
      query: {
        stdout: options.stdout === false ? undefined : '1',
        stderr: options.stderr === false ? undefined : '1',
        follow: options.follow ? '1' : undefined,
        since: options.since || undefined,
        until: options.until || undefined,
        timestamps: options.timestamps ? '1' : undefined,
        tail: options.tail || undefined,
        details: options.details ? '1' : undefined,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const contentType = headerValue(res.headers['content-type']);
    yield* decodeOutput(res, { tty: options.tty, contentType });
  }

  /**
   * `POST /containers/{id}/attach` over a hijacked connection (`Upgrade: tcp`,
   * answered with 101). Resolves once the daemon upgraded the connection.
   */
  async attachContainer(id: string, options: AttachContainerOptions = {}): Promise<AttachedContainer> {
    const query = queryString({
      detachKeys: options.detachKeys || undefined,
      logs: options.logs ? '1' : undefined,
      stderr: options.stderr ? '1' : undefined,
      stdin: options.stdin ? '1' : undefined,
      stdout: options.stdout ? '1' : undefined,
      stream: options.stream ? '1' : undefined,
    });
    const { socket, contentType } = await this.hijack('POST', `/containers/${encodeURIComponent(id)}/attach${query}`);
    const tty = options.tty ?? contentType !== MULTIPLEXED;
    let stdin: Readable | undefined;
    const stopStdin = () => {
      if (!stdin) return;
      stdin.unpipe(socket);
      stdin.pause();
      stdin = undefined;
    };
    const decoded = decodeOutput(socket, { tty });
    const output = (async function* () {
      try {
        yield* decoded;
      } finally {
        stopStdin();
      }
    })();
    return {
      socket,
      tty,
      output,
      closeWrite: () => {
        if (!socket.destroyed && !socket.writableEnded) socket.end();
      },
      pipeStdin: (input) => {
        stdin = input;
        input.pipe(socket, { end: true });
      },
      close: () => {
        stopStdin();
        socket.destroy();
      },
    };
  }

  /** Sends a request asking to upgrade to a raw connection; resolves with the socket after the 101. */
  async hijack(
    method: string,
    path: string,
    options: { body?: unknown } = {},
  ): Promise<{ socket: Duplex; contentType: string | undefined }> {
    const url = `/v${await this.apiVersion()}${path}`;
    const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: 'tcp' };
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else {
      headers['Content-Type'] = 'text/plain';
    }
    const base: RequestOptions =
      this.address.kind === 'unix'
        ? { socketPath: this.address.socketPath, host: 'api.moby.localhost' }
        : { host: this.address.hostname, port: this.address.port };
    return new Promise((resolve, reject) => {
      const req = httpRequest({ ...base, method, path: url, headers, agent: false });
      req.on('upgrade', (res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve({ socket, contentType: headerValue(res.headers['content-type']) });
      });
      req.on('response', (res) => {
        // No upgrade: an error status (or a server that does not hijack).
        this.check(res, path).then(() => {
          res.destroy();
          reject(
            new ClientError(`unable to upgrade to tcp, received ${res.statusCode}`, { status: res.statusCode ?? 0 }),
          );
        }, reject);
      });
      req.on('error', (err) => {
        const code = (err as { code?: unknown }).code;
        if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES') {
          reject(connectionError(this.address.display, err));
        } else {
          reject(new ClientError(`error during connect: ${method} ${url}: ${err.message}`, { status: 0, cause: err }));
        }
      });
      req.end(payload);
    });
  }

  // ------------------------------------------- day-2: pause, rename, update, top, stats, events

  async pauseContainer(id: string): Promise<void> {
    await readBody(await this.call('POST', `/containers/${encodeURIComponent(id)}/pause`));
  }

  async unpauseContainer(id: string): Promise<void> {
    await readBody(await this.call('POST', `/containers/${encodeURIComponent(id)}/unpause`));
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await readBody(await this.call('POST', `/containers/${encodeURIComponent(id)}/rename`, { query: { name } }));
  }

  updateContainer(id: string, update: ContainerUpdateRequest): Promise<ContainerUpdateResponse> {
    return this.json('POST', `/containers/${encodeURIComponent(id)}/update`, { body: update });
  }

  topContainer(id: string, psArgs?: string): Promise<ContainerTopResponse> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/top`, {
      query: { ps_args: psArgs === undefined || psArgs === '' ? undefined : psArgs },
    });
  }

  /** One stats frame (`stream=0`; with `oneShot`, without the second sample). */
  containerStatsOnce(id: string, options: { oneShot?: boolean; signal?: AbortSignal } = {}): Promise<StatsResponse> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/stats`, {
      query: { stream: false, 'one-shot': options.oneShot ? true : undefined },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** Streamed stats frames until the signal aborts or the container goes. */
  async *containerStats(id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<StatsResponse> {
    const res = await this.call('GET', `/containers/${encodeURIComponent(id)}/stats`, {
      query: { stream: true },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    yield* jsonLines<StatsResponse>(res);
  }

  /** `GET /events`: `since`/`until` as the CLI sends them (Unix seconds, fractional allowed). */
  async *events(
    options: { since?: string; until?: string; filters?: Filters; signal?: AbortSignal } = {},
  ): AsyncGenerator<EventMessage> {
    const filters = options.filters === undefined ? '' : serializeFilters(options.filters);
    const res = await this.call('GET', '/events', {
      query: { since: options.since, until: options.until, filters: filters === '' ? undefined : filters },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const m of jsonLines<EventMessage>(res, (line) => /"timeNano":(\d+)/.exec(line)?.[1])) {
      yield m;
    }
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
      const req = httpRequest(
        {
          ...base,
          method,
          path: url,
          headers,
          agent: this.agent,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          settled = true;
          resolve(res);
        },
      );
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

const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function stopQuery(options: StopContainerOptions): NonNullable<RequestOptionsLite['query']> {
  return { t: options.t, signal: options.signal || undefined };
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
