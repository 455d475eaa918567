/**
 * Exec instances (Docker's `docker exec`): created against a running
 * container, started once, inspectable until their container is removed.
 * Behaviour and wording follow moby daemon/exec.go:
 * - create: 400 `No exec command specified`, 409 `container <id> is not
 *   running` / `... is paused, unpause the container before exec`;
 * - start: 404 `No such exec instance: <id>`, 409 when already started;
 *   a process that cannot be started records exit code 126 (127 when the
 *   command is not found) before the error is reported;
 * - the exit code is recorded before the output stream ends (the CLI
 *   inspects the exec right after EOF);
 * - an attached client that goes away (or types the detach keys on a TTY)
 *   ends only its session: the process goes on, its exit is recorded later;
 * - `ExecIDs` of a container lists the execs not yet finished.
 * The engine knows no transport: output is an async iterable of chunks,
 * stdin a Readable.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import { randomHex } from '../../common/atomic';
import { DetachKeyScanner, parseDetachKeys } from '../../common/detach-keys';
import { conflict, EngineError, errorMessage, invalidArgument, notFound } from '../../common/errors';
import type { Logger } from '../../common/log';
import { containerEventAttributes } from '../events';
import type { ExecExit, ExecProcess, ExecRuntime } from '../runtime/exec';
import type { OutputChunk } from '../runtime/types';
import { processEnv } from './config';
import type { Container } from './types';

export interface ExecConfig {
  /** The command: entrypoint and arguments (at least one element). */
  cmd: string[];
  /** Added to the container's environment (the exec's win; `NAME` without `=` unsets). */
  env: string[];
  /** '' = the container's working directory. */
  workingDir: string;
  /** '' = the container's user. */
  user: string;
  privileged: boolean;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  detachKeys: string;
  /** [rows, cols] for the terminal at start. */
  consoleSize?: [number, number];
}

/** An exec as `GET /exec/{id}/json` shows it. */
export interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  /** null until the exec has finished. */
  exitCode: number | null;
  /** Host pid while running (0 before). */
  pid: number;
  /** cmd[0] and the rest. */
  entrypoint: string;
  arguments: string[];
  /** The resolved user (what the exec ran as, as given). */
  user: string;
}

export interface ExecStartOptions {
  /** Run in the background: no output, no stdin. */
  detach: boolean;
  /** Overrides the create's console size. */
  consoleSize?: [number, number];
  /** The client's stdin (used when the exec was created with attachStdin). */
  input?: Readable;
  /** Aborted when the client goes away: the output ends, the process goes on (as with dockerd). */
  signal?: AbortSignal;
  /** Kill the process (SIGKILL) when `signal` aborts instead (health probes past their timeout). */
  killOnAbort?: boolean;
}

/** What the exec service reports as it acts (`exec_create: <cmd>`, `exec_start: <cmd>`, `exec_die`). */
export interface ExecEvent {
  action: string;
  /** The container's ID. */
  id: string;
  attributes: Record<string, string>;
}

/** The slice of the container service execs need. */
export interface ExecContainers {
  get(ref: string): Promise<Container>;
}

export interface ExecServiceOptions {
  containers: ExecContainers;
  runtime: ExecRuntime;
  logger: Logger;
  onEvent?: (event: ExecEvent) => void;
}

interface Record_ {
  instance: ExecInstance;
  process: ExecProcess | undefined;
  /** Settles once start() got as far as a process (or failed). */
  started: Promise<void>;
  markStarted: () => void;
  startCalled: boolean;
}

/** How many finished execs are kept per container for inspection. */
const KEEP_FINISHED = 100;
const RESIZE_WAIT_MS = 10_000;

/** moby's ReplaceOrAppendEnvValues: later values win; a bare NAME removes NAME. */
export function mergeEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out = new Map<string, string | undefined>();
  const key = (e: string) => {
    const i = e.indexOf('=');
    return i < 0 ? e : e.slice(0, i);
  };
  for (const e of defaults) out.set(key(e), e);
  for (const e of overrides) {
    if (!e.includes('=')) {
      if (out.has(e)) out.set(e, undefined);
      continue;
    }
    out.set(key(e), e);
  }
  return [...out.values()].filter((e): e is string => e !== undefined);
}

export class ExecService {
  private readonly containers: ExecContainers;
  private readonly runtime: ExecRuntime;
  private readonly logger: Logger;
  private readonly onEvent: ((event: ExecEvent) => void) | undefined;
  private readonly records = new Map<string, Record_>();
  /** Exec IDs by container, in creation order. */
  private readonly byContainer = new Map<string, string[]>();

  constructor(options: ExecServiceOptions) {
    this.containers = options.containers;
    this.runtime = options.runtime;
    this.logger = options.logger;
    this.onEvent = options.onEvent;
  }

  /** 409 unless the container can take an exec now (moby's getActiveContainer). */
  private static checkActive(c: Container, ref: string = c.id): void {
    const s = c.state.status;
    if (s === 'paused') throw conflict(`container ${ref} is paused, unpause the container before exec`);
    if (s === 'restarting') throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
    if (s !== 'running' || c.state.pid <= 0) throw conflict(`container ${c.id} is not running`);
  }

  async create(containerRef: string, config: ExecConfig): Promise<string> {
    if (config.cmd.length === 0) throw invalidArgument('No exec command specified');
    const c = await this.containers.get(containerRef);
    ExecService.checkActive(c, containerRef);
    const id = randomHex(32);
    const [entrypoint = '', ...args] = config.cmd;
    const instance: ExecInstance = {
      id,
      containerId: c.id,
      config: structuredClone(config),
      running: false,
      exitCode: null,
      pid: 0,
      entrypoint,
      arguments: args,
      user: config.user,
    };
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    this.records.set(id, { instance, process: undefined, started, markStarted, startCalled: false });
    const list = this.byContainer.get(c.id) ?? [];
    list.push(id);
    this.byContainer.set(c.id, list);
    this.trim(c.id);
    this.emit(c, `exec_create: ${config.cmd.join(' ')}`, { execID: id });
    return id;
  }

  private record(id: string): Record_ {
    const r = this.records.get(id);
    if (r === undefined) throw notFound(`No such exec instance: ${id}`);
    return r;
  }

  /** True when the exec exists (the API checks before it hijacks the connection). */
  exists(id: string): boolean {
    return this.records.has(id);
  }

  async inspect(id: string): Promise<ExecInstance> {
    return structuredClone(this.record(id).instance);
  }

  /** The execs of a container that have not finished (Docker's `ExecIDs`; null when none). */
  idsOf(containerId: string): string[] | null {
    const ids = (this.byContainer.get(containerId) ?? []).filter(
      (id) => this.records.get(id)?.instance.exitCode === null,
    );
    return ids.length === 0 ? null : ids;
  }

  /**
   * Starts the exec. Resolves once the process runs, with its output (empty
   * when detached); the iterable ends after the exit code is recorded.
   * Rejects when the process cannot be started (the exit code, 126 or 127,
   * is recorded first).
   */
  async start(id: string, options: ExecStartOptions): Promise<AsyncIterable<OutputChunk>> {
    const r = this.record(id);
    const inst = r.instance;
    if (inst.exitCode !== null) throw conflict(`Error: Exec command ${id} has already run`);
    if (r.startCalled) throw conflict(`Error: Exec command ${id} is already running`);
    r.startCalled = true;
    let c: Container;
    try {
      c = await this.containers.get(inst.containerId);
      ExecService.checkActive(c);
    } catch (err) {
      this.finish(r, undefined, 126);
      throw err;
    }
    const cfg = inst.config;
    const consoleSize = options.consoleSize ?? cfg.consoleSize;
    const attachStdin = cfg.attachStdin && !options.detach && options.input !== undefined;
    // Not attached: the client's bytes are read and dropped, so its hang-up is still seen.
    if (!attachStdin) options.input?.resume();
    let proc: ExecProcess;
    try {
      proc = await this.runtime.exec({
        execId: id,
        bundleDir: c.bundleDir,
        rootfs: path.join(c.bundleDir, 'rootfs'),
        initPid: c.state.pid,
        args: cfg.cmd,
        env: mergeEnv(processEnv({ ...c.config, tty: cfg.tty }), cfg.env),
        cwd: cfg.workingDir !== '' ? cfg.workingDir : c.config.workingDir,
        user: cfg.user !== '' ? cfg.user : c.config.user,
        groupAdd: c.hostConfig.groupAdd,
        privileged: cfg.privileged,
        tty: cfg.tty,
        ...(cfg.tty && consoleSize !== undefined ? { consoleSize } : {}),
        openStdin: attachStdin,
      });
    } catch (err) {
      const code = (err as { exitCode?: unknown }).exitCode;
      this.finish(r, c, code === 127 ? 127 : 126);
      throw err;
    }
    r.process = proc;
    inst.running = true;
    inst.pid = proc.pid;
    r.markStarted();
    this.emit(c, `exec_start: ${cfg.cmd.join(' ')}`, { execID: id });
    // The session ends when the process exits, or earlier when the client goes away or types
    // the detach keys (TTY): the process goes on and its exit is recorded when it comes, as
    // with dockerd. A health probe past its timeout is killed instead.
    let endSession!: () => void;
    const ended = new Promise<'ended'>((resolve) => {
      endSession = () => resolve('ended');
    });
    const signal = options.detach ? undefined : options.signal;
    const onAbort = () => {
      if (!options.killOnAbort) endSession();
      else if (r.instance.running) proc.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const stopStdin =
      attachStdin && options.input
        ? forwardStdin(proc, options.input, cfg.tty ? parseDetachKeys(cfg.detachKeys) : [], endSession)
        : undefined;
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      stopStdin?.();
    };
    if (options.detach) {
      void this.finishLater(r, c, proc, proc.output(), undefined, cleanup);
      return emptyIterable();
    }
    return this.drain(r, c, proc, ended, cleanup);
  }

  private async *drain(
    r: Record_,
    c: Container,
    proc: ExecProcess,
    ended: Promise<'ended'>,
    cleanup: () => void,
  ): AsyncGenerator<OutputChunk> {
    const cfg = r.instance.config;
    const it = proc.output();
    let pending: Promise<IteratorResult<OutputChunk, ExecExit>> | undefined;
    let exit: ExecExit | undefined;
    let failed = false;
    try {
      for (;;) {
        pending ??= it.next();
        const n = await Promise.race([pending, ended]);
        if (n === 'ended') return;
        pending = undefined;
        if (n.done) {
          exit = n.value;
          break;
        }
        const chunk = n.value;
        if (chunk.stream === 'stdout' ? !cfg.attachStdout : !cfg.attachStderr) continue;
        yield chunk;
      }
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      if (exit !== undefined || failed) {
        cleanup();
        proc.close();
        // Recorded before the stream ends: the CLI inspects the exec right after EOF.
        this.finish(r, c, exit?.exitCode ?? 137);
      } else {
        // The client left (or stopped reading) first: the exec goes on without it.
        void this.finishLater(r, c, proc, it, pending, cleanup);
      }
    }
  }

  /** Drains a session nobody reads any more and records the exit when it comes. */
  private async finishLater(
    r: Record_,
    c: Container,
    proc: ExecProcess,
    it: AsyncGenerator<OutputChunk, ExecExit, void>,
    pending: Promise<IteratorResult<OutputChunk, ExecExit>> | undefined,
    cleanup: () => void,
  ): Promise<void> {
    let exit: ExecExit | undefined;
    try {
      let n = await (pending ?? it.next());
      while (!n.done) n = await it.next();
      exit = n.value;
    } catch (err) {
      this.logger.warn('lost an exec', { id: r.instance.id, error: errorMessage(err) });
    } finally {
      cleanup();
      proc.close();
      this.finish(r, c, exit?.exitCode ?? 137);
    }
  }

  /** Records the exit (once) and reports exec_die. */
  private finish(r: Record_, c: Container | undefined, exitCode: number): void {
    const inst = r.instance;
    if (inst.exitCode !== null) return;
    inst.running = false;
    inst.exitCode = exitCode;
    r.markStarted();
    if (c !== undefined) this.emit(c, 'exec_die', { execID: inst.id, exitCode: String(exitCode) });
  }

  /**
   * Resizes the exec's terminal, waiting (up to 10 s) for it to start as
   * dockerd does. An exec without a terminal ignores it.
   */
  async resize(id: string, rows: number, cols: number): Promise<void> {
    const r = this.record(id);
    if (rows < 0 || cols < 0 || rows > 65535 || cols > 65535) throw invalidArgument('bad TTY size');
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      r.started.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), RESIZE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!ready) throw new EngineError('internal', 'timeout waiting for exec session ready');
    if (!r.instance.config.tty || r.process === undefined || !r.instance.running) return;
    await r.process.resize(rows, cols);
  }

  /** Forgets every exec of a removed container. */
  containerRemoved(containerId: string): void {
    for (const id of this.byContainer.get(containerId) ?? []) this.records.delete(id);
    this.byContainer.delete(containerId);
  }

  /** Forgets one exec (health checks do not keep theirs). */
  forget(id: string): void {
    const r = this.records.get(id);
    if (r === undefined) return;
    this.records.delete(id);
    const list = this.byContainer.get(r.instance.containerId);
    if (list !== undefined) {
      const i = list.indexOf(id);
      if (i >= 0) list.splice(i, 1);
    }
  }

  /** Drops the oldest finished execs beyond KEEP_FINISHED. */
  private trim(containerId: string): void {
    const list = this.byContainer.get(containerId);
    if (list === undefined || list.length <= KEEP_FINISHED) return;
    for (const id of [...list]) {
      if (list.length <= KEEP_FINISHED) break;
      if (this.records.get(id)?.instance.exitCode !== null) this.forget(id);
    }
  }

  private emit(c: Container, action: string, extra: Record<string, string>): void {
    if (this.onEvent === undefined) return;
    try {
      this.onEvent({
        action,
        id: c.id,
        attributes: containerEventAttributes(c, extra),
      });
    } catch (err) {
      this.logger.warn('event listener failed', { error: errorMessage(err) });
    }
  }
}

function emptyIterable(): AsyncIterable<OutputChunk> {
  return { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) };
}

/**
 * Copies the client's stdin to the exec and closes the exec's stdin at the
 * client's EOF; with detach keys (TTY execs, as moby scans them) the
 * sequence is swallowed and ends the session instead.
 */
function forwardStdin(proc: ExecProcess, input: Readable, detachKeys: number[], onDetach: () => void): () => void {
  let stopped = false;
  let queue: Promise<void> = Promise.resolve();
  const scanner = detachKeys.length > 0 ? new DetachKeyScanner(detachKeys) : undefined;
  const send = (data: Buffer) => {
    if (data.length === 0) return;
    input.pause();
    queue = queue
      .then(() => proc.writeStdin(data))
      .then(
        () => {
          if (!stopped) input.resume();
        },
        () => stop(),
      );
  };
  const onData = (chunk: Buffer | string) => {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (scanner === undefined) return send(data);
    const r = scanner.feed(data);
    send(r.forward);
    if (r.detached) {
      stop();
      onDetach();
    }
  };
  const onEnd = () => {
    if (stopped) return;
    if (scanner !== undefined) send(scanner.flush());
    queue = queue.then(() => proc.closeStdin()).catch(() => undefined);
    stop();
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    input.off('data', onData);
    input.off('end', onEnd);
    input.resume();
  };
  input.on('data', onData);
  input.once('end', onEnd);
  input.resume();
  return stop;
}
