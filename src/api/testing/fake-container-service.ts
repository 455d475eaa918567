/**
 * FakeContainerService: an in-memory ContainerService for API and client
 * tests. It is a fake: no processes. A started container stays "running"
 * until the test calls `exit()`; output is what the test `emit()`s; stdin
 * sent through attach is recorded (and echoed to stdout with `echoStdin`).
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { conflict, EngineError, notFound } from '../../common/errors';
import type { ContainerStats } from '../../engine/containers/stats';
import type { TopResult } from '../../engine/containers/top';
import type {
  AttachOptions,
  Container,
  ContainerService,
  ContainerSummary,
  CreateContainerOptions,
  ListContainersOptions,
  LogEntry,
  LogsOptions,
  PruneResult,
  RemoveOptions,
  StopOptions,
  WaitCondition,
  WaitResult,
} from '../../engine/containers/types';
import type { ContainerUpdate } from '../../engine/containers/update';
import type { ImageId, ImageService } from '../../engine/images/types';

const ZERO = '0001-01-01T00:00:00Z';

interface Slot {
  container: Container;
  log: LogEntry[];
  /** Live listeners (attach, follow): an entry, or null at exit. An attach before start waits for the start. */
  listeners: Set<(entry: LogEntry | null) => void>;
  exitWaiters: Array<(r: WaitResult) => void>;
  removeWaiters: Array<(r: WaitResult) => void>;
  stdin: Buffer[];
}

export interface FakeStartFailure {
  message: string;
  exitCode: 125 | 126 | 127;
}

export class FakeContainerService implements ContainerService {
  readonly slots = new Map<string, Slot>();
  readonly calls: Array<[string, ...unknown[]]> = [];
  /** Echo stdin received through attach back as stdout. */
  echoStdin = false;
  /** Decides whether a start fails (by the container's path, say). */
  startFailure: ((c: Container) => FakeStartFailure | undefined) | undefined;

  constructor(private readonly images?: Pick<ImageService, 'get'>) {}

  // ---------------------------------------------------------------- test controls

  /** Output from the "process": stored in the log and sent to live listeners. */
  emit(ref: string, stream: 'stdout' | 'stderr', data: string | Buffer, time = new Date().toISOString()): void {
    const slot = this.slot(ref);
    const entry: LogEntry = { stream, data: Buffer.isBuffer(data) ? data : Buffer.from(data), time };
    slot.log.push(entry);
    for (const l of slot.listeners) l(entry);
  }

  /** The "process" exits with `code`. */
  exit(ref: string, code: number): void {
    const slot = this.slot(ref);
    const c = slot.container;
    if (!c.state.running) return;
    c.state = {
      ...c.state,
      status: 'exited',
      running: false,
      paused: false,
      pid: 0,
      exitCode: code,
      finishedAt: new Date().toISOString(),
    };
    for (const l of [...slot.listeners]) l(null);
    const waiters = slot.exitWaiters.splice(0);
    for (const w of waiters) w({ statusCode: code });
    if (c.hostConfig.autoRemove) this.drop(slot);
  }

  /** What attach received on stdin so far. */
  stdinOf(ref: string): Buffer {
    return Buffer.concat(this.slot(ref).stdin);
  }

  // ---------------------------------------------------------------- ContainerService

  async create(options: CreateContainerOptions): Promise<Container> {
    this.calls.push(['create', options]);
    const imageId = this.images
      ? (await this.images.get(options.config.image)).id
      : (`sha256:${'0'.repeat(64)}` as ImageId);
    if (options.name !== undefined) {
      for (const s of this.slots.values()) {
        if (s.container.name === options.name) {
          throw conflict(
            `Conflict. The container name "/${options.name}" is already in use by container "${s.container.id}". You have to remove (or rename) that container to be able to reuse that name.`,
          );
        }
      }
    }
    const id = randomBytes(32).toString('hex');
    const entrypoint = options.config.entrypoint ?? [];
    const cmd = options.config.cmd ?? ['sh'];
    const argv = [...entrypoint, ...cmd];
    const container: Container = {
      id,
      name: options.name ?? `fake_${id.slice(0, 6)}`,
      created: new Date().toISOString(),
      path: argv[0] ?? '',
      args: argv.slice(1),
      config: { ...options.config, hostname: options.config.hostname || id.slice(0, 12) },
      hostConfig: options.hostConfig,
      imageId,
      state: {
        status: 'created',
        running: false,
        paused: false,
        restarting: false,
        oomKilled: false,
        dead: false,
        pid: 0,
        exitCode: 0,
        error: '',
        startedAt: ZERO,
        finishedAt: ZERO,
      },
      restartCount: 0,
      logPath: `/fake/${id}/${id}-json.log`,
      hostnamePath: `/fake/${id}/hostname`,
      hostsPath: `/fake/${id}/hosts`,
      resolvConfPath: `/fake/${id}/resolv.conf`,
      bundleDir: `/fake/${id}`,
      graphDriver: { name: 'overlay2', data: { MergedDir: `/fake/${id}/merged` } },
      warnings: [],
    };
    this.slots.set(id, { container, log: [], listeners: new Set(), exitWaiters: [], removeWaiters: [], stdin: [] });
    return container;
  }

  async get(ref: string): Promise<Container> {
    return this.slot(ref).container;
  }

  async list(options: ListContainersOptions): Promise<ContainerSummary[]> {
    this.calls.push(['list', options]);
    let out = [...this.slots.values()].map((s) => s.container);
    if (!options.all) out = out.filter((c) => c.state.running);
    for (const id of options.filters.id ?? []) out = out.filter((c) => c.id.startsWith(id));
    for (const name of options.filters.name ?? []) out = out.filter((c) => c.name.includes(name.replace(/^\//, '')));
    for (const status of options.filters.status ?? []) out = out.filter((c) => c.state.status === status);
    out.sort((a, b) => b.created.localeCompare(a.created));
    if (options.limit > 0) out = out.slice(0, options.limit);
    return out.map((container) => (options.size ? { container, sizeRw: 12, sizeRootFs: 3456 } : { container }));
  }

  async start(ref: string): Promise<void> {
    this.calls.push(['start', ref]);
    const slot = this.slot(ref);
    const c = slot.container;
    if (c.state.running) throw new EngineError('not-modified', 'container is already running');
    const failure = this.startFailure?.(c);
    if (failure) {
      c.state = { ...c.state, status: 'exited', exitCode: failure.exitCode, error: failure.message };
      const err = Object.assign(new EngineError('internal', failure.message), { exitCode: failure.exitCode });
      const waiters = slot.exitWaiters.splice(0);
      for (const w of waiters) w({ statusCode: failure.exitCode, error: failure.message });
      if (c.hostConfig.autoRemove) this.drop(slot);
      throw err;
    }
    c.state = {
      ...c.state,
      status: 'running',
      running: true,
      pid: 4242,
      exitCode: 0,
      error: '',
      startedAt: new Date().toISOString(),
      finishedAt: ZERO,
    };
  }

  async stop(ref: string, options: StopOptions): Promise<void> {
    this.calls.push(['stop', ref, options]);
    const c = this.slot(ref).container;
    if (!c.state.running) throw new EngineError('not-modified', 'container is already stopped');
    this.exit(ref, 143);
  }

  async restart(ref: string, options: StopOptions): Promise<void> {
    this.calls.push(['restart', ref, options]);
    if (this.slot(ref).container.state.running) this.exit(ref, 143);
    await this.start(ref);
  }

  async kill(ref: string, signal: string | undefined): Promise<void> {
    this.calls.push(['kill', ref, signal]);
    const c = this.slot(ref).container;
    if (!c.state.running) throw conflict(`container ${c.id} is not running`);
    this.exit(ref, signal === undefined || /^(SIG)?KILL$|^9$/i.test(signal) ? 137 : 143);
  }

  async remove(ref: string, options: RemoveOptions): Promise<void> {
    this.calls.push(['remove', ref, options]);
    const slot = this.slot(ref);
    if (slot.container.state.running) {
      if (!options.force) {
        throw conflict(
          `cannot remove container "${slot.container.name}": container is running: stop the container before removing or force remove`,
        );
      }
      this.exit(ref, 137);
    }
    this.drop(slot);
  }

  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    this.calls.push(['wait', ref, condition]);
    let slot: Slot;
    try {
      slot = this.slot(ref);
    } catch (err) {
      return Promise.reject(err);
    }
    const c = slot.container;
    if (condition === 'not-running' && !c.state.running) return Promise.resolve({ statusCode: c.state.exitCode });
    const list = condition === 'removed' ? slot.removeWaiters : slot.exitWaiters;
    return new Promise((resolve, reject) => {
      const done = (r: WaitResult) => resolve(r);
      list.push(done);
      signal?.addEventListener(
        'abort',
        () => {
          const i = list.indexOf(done);
          if (i >= 0) list.splice(i, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  async *logs(ref: string, options: LogsOptions): AsyncIterable<LogEntry> {
    this.calls.push(['logs', ref, { ...options, signal: undefined }]);
    const slot = this.slot(ref);
    let stored = slot.log.filter((e) => (e.stream === 'stdout' ? options.stdout : options.stderr));
    if (options.since > 0) stored = stored.filter((e) => Date.parse(e.time) / 1000 >= options.since);
    if (options.until > 0) stored = stored.filter((e) => Date.parse(e.time) / 1000 <= options.until);
    if (options.tail >= 0) stored = stored.slice(Math.max(0, stored.length - options.tail));
    yield* stored;
    if (options.follow && slot.container.state.running) {
      yield* this.live(slot, options.stdout, options.stderr, options.signal);
    }
  }

  async *attach(ref: string, options: AttachOptions): AsyncIterable<LogEntry> {
    this.calls.push(['attach', ref, { ...options, input: options.input !== undefined, signal: undefined }]);
    const slot = this.slot(ref);
    if (options.logs) {
      yield* slot.log.filter((e) => (e.stream === 'stdout' ? options.stdout : options.stderr));
    }
    if (options.input) this.pumpStdin(slot, options.input);
    if (options.stream) yield* this.live(slot, options.stdout, options.stderr, options.signal);
  }

  async resize(ref: string, size: { height: number; width: number }): Promise<void> {
    this.calls.push(['resize', ref, size]);
    const c = this.slot(ref).container;
    if (!c.state.running) throw conflict(`container ${c.id} is not running`);
  }

  async prune(filters: Record<string, string[]>): Promise<PruneResult> {
    this.calls.push(['prune', filters]);
    const deleted: string[] = [];
    for (const slot of [...this.slots.values()]) {
      if (slot.container.state.running) continue;
      this.drop(slot);
      deleted.push(slot.container.id);
    }
    return { containersDeleted: deleted, spaceReclaimed: deleted.length * 12 };
  }

  imageInUse(imageId: ImageId): string | undefined {
    for (const s of this.slots.values()) if (s.container.imageId === imageId) return s.container.id;
    return undefined;
  }

  async recover(): Promise<void> {}

  async close(): Promise<void> {}

  // ---------------------------------------------------------------- internals

  // Day-2 operations: state flips only (no cgroups); top and stats give fixed answers.
  async pause(ref: string): Promise<void> {
    this.calls.push(['pause', ref]);
    const c = this.slot(ref).container;
    if (c.state.status === 'paused') throw conflict(`Container ${c.id} is already paused`);
    if (c.state.status !== 'running') throw conflict(`Container ${c.id} is not running`);
    c.state = { ...c.state, status: 'paused', paused: true };
  }

  async unpause(ref: string): Promise<void> {
    this.calls.push(['unpause', ref]);
    const c = this.slot(ref).container;
    if (c.state.status !== 'paused') throw conflict(`Container ${c.id} is not paused`);
    c.state = { ...c.state, status: 'running', paused: false };
  }

  async rename(ref: string, newName: string): Promise<void> {
    this.calls.push(['rename', ref, newName]);
    this.slot(ref).container.name = newName.replace(/^\//, '');
  }

  async updateResources(ref: string, update: ContainerUpdate): Promise<string[]> {
    this.calls.push(['updateResources', ref, update]);
    this.slot(ref);
    return [];
  }

  async top(ref: string, psArgs: string): Promise<TopResult> {
    this.calls.push(['top', ref, psArgs]);
    const c = this.slot(ref).container;
    if (!c.state.running) throw conflict(`Container ${c.id} is not running`);
    return { titles: ['PID', 'CMD'], processes: [[String(c.state.pid), c.path]] };
  }

  async stats(ref: string): Promise<ContainerStats> {
    this.calls.push(['stats', ref]);
    const c = this.slot(ref).container;
    return { id: c.id, name: c.name, sample: undefined };
  }

  private slot(ref: string): Slot {
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    const direct = this.slots.get(ref);
    if (direct) return direct;
    for (const s of this.slots.values()) if (s.container.name === name) return s;
    const matches = [...this.slots.values()].filter((s) => ref !== '' && s.container.id.startsWith(ref));
    if (matches.length === 1 && matches[0]) return matches[0];
    throw notFound(`No such container: ${ref}`);
  }

  private drop(slot: Slot): void {
    if (!this.slots.delete(slot.container.id)) return;
    const waiters = slot.removeWaiters.splice(0);
    const r: WaitResult = { statusCode: slot.container.state.exitCode };
    if (slot.container.state.error) r.error = slot.container.state.error;
    for (const w of waiters) w(r);
  }

  private pumpStdin(slot: Slot, input: Readable): void {
    input.on('data', (chunk: Buffer) => {
      slot.stdin.push(chunk);
      if (this.echoStdin) this.emit(slot.container.id, 'stdout', chunk);
    });
    input.on('end', () => {
      if (this.echoStdin && slot.container.config.stdinOnce) this.exit(slot.container.id, 0);
    });
  }

  private async *live(
    slot: Slot,
    stdout: boolean,
    stderr: boolean,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<LogEntry> {
    const queue: Array<LogEntry | null> = [];
    let wake: (() => void) | undefined;
    const listener = (e: LogEntry | null) => {
      queue.push(e);
      wake?.();
    };
    const onAbort = () => listener(null);
    slot.listeners.add(listener);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (queue.length === 0) {
          await new Promise<void>((r) => {
            wake = r;
          });
        }
        wake = undefined;
        const e = queue.shift();
        if (e === undefined) continue;
        if (e === null) return;
        if (e.stream === 'stdout' ? stdout : stderr) yield e;
      }
    } finally {
      slot.listeners.delete(listener);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
