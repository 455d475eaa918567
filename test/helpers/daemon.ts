/**
 * A dedicated berthd for a test: private data and exec roots (named with the
 * test prefix), its own socket, the log kept for failure reports.
 *
 *   const d = await startDaemon();
 *   try { const r = await d.request('GET', '/_ping'); ... } finally { await d.stop(); }
 *
 * The daemon runs from the TypeScript sources through tsx (always current, no
 * build step); set BERTH_TEST_DAEMON=dist to run the bundle (bin/berthd).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { testDir } from './names';

const REPO = path.resolve(__dirname, '..', '..');

export interface StartDaemonOptions {
  /** Reuse these roots instead of fresh test directories (they are then not removed by stop()). */
  dataRoot?: string;
  execRoot?: string;
  /** Extra berthd flags. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long to wait for /_ping (ms, default 20000). */
  readyTimeoutMs?: number;
  /** Reuse the network names of an earlier daemon on the same roots (see `TestDaemon.networkEnv`). */
  networkEnv?: NodeJS.ProcessEnv;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = unknown>(): T;
}

export interface TestDaemon {
  socket: string;
  /** 'unix://<socket>' for -H / EngineClient. */
  host: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  /** The test-prefixed kernel names this daemon uses (bridge bt<tag>d, veths bt<tag>…, table berth-test-<tag>). */
  networkEnv: NodeJS.ProcessEnv;
  readonly pid: number;
  /** A raw HTTP request on the daemon's socket. A non-Buffer/stream object body is sent as JSON. */
  request(
    method: string,
    urlPath: string,
    body?: string | Buffer | Readable | object,
    headers?: Record<string, string>,
  ): Promise<RawResponse>;
  /** SIGTERM, wait for the exit, remove the directories the helper made. Returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait (directories stay for a restart). */
  kill9(): Promise<void>;
  /** Stops (or finds stopped) and starts again on the same roots and socket. */
  restart(): Promise<void>;
  /** The last `lines` lines of the daemon's output. */
  logTail(lines?: number): string;
  /** Resolves when the current process exits. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function command(): { file: string; args: string[] } {
  if (process.env.BERTH_TEST_DAEMON === 'dist')
    return { file: process.execPath, args: [path.join(REPO, 'bin', 'berthd')] };
  return { file: process.execPath, args: ['--import', 'tsx', path.join(REPO, 'src', 'daemon', 'main.ts')] };
}

export async function startDaemon(options: StartDaemonOptions = {}): Promise<TestDaemon> {
  const ownData = options.dataRoot === undefined;
  const ownExec = options.execRoot === undefined;
  const dataRoot = options.dataRoot ?? testDir('data');
  const execRoot = options.execRoot ?? testDir('exec');
  const socket = path.join(execRoot, 'berth.sock');
  const pidfile = path.join(execRoot, 'berthd.pid');
  const log: string[] = [];
  // Kernel objects carry the test prefix: bridges and veths bt<tag>…, the nft table berth-test-<tag>.
  const tag = randomBytes(2).toString('hex');
  const networkEnv: NodeJS.ProcessEnv = options.networkEnv ?? {
    BERTH_BRIDGE_NAME: `bt${tag}d`,
    BERTH_LINK_PREFIX: `bt${tag}`,
    BERTH_NFT_TABLE: `berth-test-${tag}`,
  };
  const poolArgs =
    options.args?.includes('--default-address-pool') || options.args?.includes('--bip')
      ? []
      : ['--default-address-pool', `base=10.${randomInt(64, 250)}.0.0/16,size=24`];
  let child: ChildProcess;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  const launch = async () => {
    const { file, args } = command();
    const argv = [
      ...args,
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '-H',
      `unix://${socket}`,
      '--pidfile',
      pidfile,
      '--log-level',
      options.logLevel ?? 'debug',
      ...poolArgs,
      ...(options.args ?? []),
    ];
    child = spawn(file, argv, {
      cwd: REPO,
      env: { ...process.env, ...networkEnv, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    const collect = (chunk: Buffer) => {
      log.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      if (log.length > 2000) log.splice(0, log.length - 2000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
    await waitReady(socket, exit, options.readyTimeoutMs ?? 20_000).catch((err: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${err.message}\n--- berthd log ---\n${log.slice(-40).join('\n')}`);
    });
  };

  const waitExit = async (timeoutMs: number) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  };

  await launch();
  const daemon: TestDaemon = {
    socket,
    host: `unix://${socket}`,
    dataRoot,
    execRoot,
    pidfile,
    networkEnv,
    get pid() {
      return child.pid ?? -1;
    },
    request: (method, urlPath, body, headers) => rawRequest(socket, method, urlPath, body, headers),
    async stop() {
      let code: number | null = null;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        code = (await waitExit(15_000)).code;
      } else {
        code = child.exitCode;
      }
      if (ownData && options.networkEnv === undefined) removeNetworkState(networkEnv);
      if (ownData) rmSync(dataRoot, { recursive: true, force: true });
      if (ownExec) rmSync(execRoot, { recursive: true, force: true });
      return code;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await waitExit(15_000);
      }
      log.push('--- restart ---');
      await launch();
    },
    logTail: (lines = 40) => log.slice(-lines).join('\n'),
    exited: () => exit,
  };
  return daemon;
}

/**
 * What a stopped berthd keeps by design (as dockerd keeps docker0): its bridges
 * and its nft table. Veths are not removed here: a left veth is a leak.
 */
export function removeNetworkState(env: NodeJS.ProcessEnv): void {
  const prefix = env.BERTH_LINK_PREFIX;
  const links = spawnSync('ip', ['-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of links.split('\n')) {
    const name = line.split(': ')[1]?.split('@')[0];
    if (name === undefined) continue;
    if (name === env.BERTH_BRIDGE_NAME || (prefix !== undefined && name.startsWith(`${prefix}x`))) {
      spawnSync('ip', ['link', 'del', name]);
    }
  }
  if (env.BERTH_NFT_TABLE) spawnSync('nft', ['delete', 'table', 'inet', env.BERTH_NFT_TABLE]);
}

/** Runs `fn`; on failure prints the daemon's log tail to stderr and rethrows. */
export async function withDaemonLog<T>(daemon: TestDaemon, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    process.stderr.write(`--- berthd log (${daemon.dataRoot}) ---\n${daemon.logTail()}\n---\n`);
    throw err;
  }
}

async function waitReady(
  socket: string,
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
): Promise<void> {
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exit.then((e) => {
    exited = e;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`berthd exited before answering (code ${exited.code}, signal ${exited.signal})`);
    try {
      const r = await rawRequest(socket, 'GET', '/_ping');
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`berthd did not answer on ${socket} within ${timeoutMs} ms`);
}

export function rawRequest(
  socket: string,
  method: string,
  urlPath: string,
  body?: string | Buffer | Readable | object,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { ...headers };
    let payload: Buffer | Readable | undefined;
    if (body === undefined) payload = undefined;
    else if (typeof body === 'string') payload = Buffer.from(body);
    else if (Buffer.isBuffer(body)) payload = body;
    else if (typeof (body as Readable).pipe === 'function') payload = body as Readable;
    else {
      payload = Buffer.from(JSON.stringify(body));
      h['Content-Type'] ??= 'application/json';
    }
    if (Buffer.isBuffer(payload)) h['Content-Length'] = String(payload.length);
    const req = httpRequest({ socketPath: socket, method, path: urlPath, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: buf,
          text,
          json: <T>() => JSON.parse(text) as T,
        });
      });
    });
    req.on('error', reject);
    if (payload === undefined) req.end();
    else if (Buffer.isBuffer(payload)) req.end(payload);
    else payload.pipe(req);
  });
}
