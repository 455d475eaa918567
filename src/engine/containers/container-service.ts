/**
 * The container engine: records under `<data-root>/containers/<id>/`, the
 * running side (bundle, rootfs mount point) under `<exec-root>/containers/<id>/`.
 * Every state change takes the container's lock, re-reads its state, asks
 * the status helpers (state.ts), acts, then persists the record atomically.
 * Running containers are watched through their shim (`Task.wait`); the exit
 * handler records the exit, releases the run (mount, cgroup, bundle) and
 * wakes waiters.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  randomHex,
  readJsonIfExists,
  removeTempFiles,
  writeJsonAtomic,
  writeNewFilesDurably,
} from '../../common/atomic';
import {
  conflict,
  EngineError,
  errnoCode,
  errorMessage,
  internal,
  invalidArgument,
  isEngineError,
  notFound,
  notImplemented,
} from '../../common/errors';
import type { Logger } from '../../common/log';
import type { Host, Mount } from '../../host';
import type { CgroupHandle, CgroupManager, CgroupResources, DeviceRule } from '../../host/cgroups/types';
import { LinuxProcReader, type ProcReader } from '../../host/proc';
import { corePath } from '../../host/runtime';
import type { ImageId, ImageService } from '../images/types';
import type {
  DeviceRequest,
  ExitStatus,
  ExtraMount,
  NamespaceMode,
  Runtime,
  RuntimeNamespaces,
  RuntimeRequest,
  Task,
} from '../runtime/types';
import type { Snapshotter } from '../snapshots/snapshotter';
import { attachRun } from './attach-session';
import type { ContainerAttachments } from './attachments';
import {
  generateName,
  logRotation,
  mergeConfig,
  parseBind,
  parseSignal,
  processEnv,
  securityChoices,
  validateHostConfig,
  validateName,
} from './config';
import { hostnameFile, hostsFile, RESOLVED_RESOLV_CONF, resolvConf, usesResolvedStub } from './etc-files';
import { compileListFilters, compilePruneFilters } from './filters';
import { withInit } from './init';
import { readJsonLog } from './log-reader';
import { RunOutput } from './run-output';
import {
  checkKill,
  checkRemove,
  checkStart,
  checkStop,
  exitedState,
  failedStartState,
  initialState,
  isActive,
  rfc3339Nano,
  runningState,
} from './state';
import { type ContainerStats, sampleStats } from './stats';
import { parsePsOutput, psArguments, psPidsArg, type TopResult, validatePsArgs } from './top';
import type {
  AttachOptions,
  Container,
  ContainerHealth,
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
} from './types';
import { applyUpdate, type ContainerUpdate } from './update';

/** What the engine reports as it acts (for `docker events`; the daemon decides where they go). */
export interface ContainerEvent {
  /**
   * create, start, die, oom, kill, stop, restart, destroy, pause, unpause, rename, update, top,
   * and whatever else the engine reports ('exec_create: …', 'health_status: healthy', 'commit').
   */
  action: string;
  id: string;
  attributes: Record<string, string>;
}

export interface LocalContainerServiceOptions {
  /** `<data-root>/containers`: one directory of records, /etc files and logs per container. */
  root: string;
  /** `<exec-root>/containers`: runtime bundles and rootfs mount points. */
  execRoot: string;
  images: ImageService;
  snapshotter: Snapshotter;
  host: Host;
  runtime: Runtime;
  cgroups: CgroupManager;
  logger: Logger;
  now?: () => Date;
  /** Prefix of each container's cgroup name (default 'berth-'; tests use 'berth-test-'). */
  cgroupPrefix?: string;
  /** Host files the /etc files are built from (defaults: the real ones). */
  hostFiles?: { resolvConf?: string; hosts?: string; hostname?: string };
  /** Number of CPUs, for the NanoCpus bound (default: the host's). */
  ncpu?: number;
  onEvent?: (event: ContainerEvent) => void;
  /** /proc and `ps` for stats and top (default: the real ones). */
  proc?: ProcReader;
  /** Networks and volumes (absent: no networks beyond the runtime's own, binds only). */
  attachments?: ContainerAttachments;
}

/** A container using an image (for `docker rmi` conflicts). */
export interface ContainerImageUsage {
  containerId: string;
  running: boolean;
}

const RECORD = 'config.v2.json';
const HOSTCONFIG = 'hostconfig.json';
const RECORD_VERSION = 1;
const DEFAULT_SHM = 64 * 1024 * 1024;
const KILL_WAIT_MS = 10_000;

interface PersistedRecord {
  version: number;
  seq: number;
  manuallyStopped: boolean;
  container: Omit<Container, 'hostConfig'>;
}

class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((resolve) => {
      this.resolve = (v) => {
        this.settled = true;
        resolve(v);
      };
    });
  }
}

class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** One start of a container, until its exit has been handled. */
interface Run {
  done: Deferred<void>;
  task: Task;
  /** Size of the log file just before the start: attach-before-start follows from here. */
  logStart: number;
  startedMs: number;
  /** The run's output from its first byte, for the clients that attached before the start. */
  output?: RunOutput;
}

interface Entry {
  c: Container;
  seq: number;
  lock: Mutex;
  run: Run | undefined;
  cgroup: CgroupHandle | undefined;
  removing: boolean;
  manuallyStopped: boolean;
  removed: Deferred<WaitResult>;
  nextExit: Array<(r: WaitResult) => void>;
  startWaiters: Array<(run: Run | undefined) => void>;
  restartTimer: NodeJS.Timeout | undefined;
  restartDelayMs: number;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function newContainerId(): string {
  for (;;) {
    const id = randomHex(32);
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

function isStartFailure(err: unknown): err is EngineError & { exitCode: 125 | 126 | 127 } {
  return err instanceof EngineError && typeof (err as { exitCode?: unknown }).exitCode === 'number';
}

function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** runc's default device allow-list (as Docker applies it). */
const DEFAULT_DEVICE_RULES: DeviceRule[] = [
  { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];

export class LocalContainerService implements ContainerService {
  private readonly root: string;
  private readonly execRoot: string;
  private readonly images: ImageService;
  private readonly snapshotter: Snapshotter;
  private readonly host: Host;
  private readonly runtime: Runtime;
  private readonly cgroups: CgroupManager;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly cgroupPrefix: string;
  private readonly hostFiles: { resolvConf: string; hosts: string; hostname: string | undefined };
  private readonly ncpu: number;
  private readonly onEvent: ((event: ContainerEvent) => void) | undefined;
  private readonly proc: ProcReader;
  /** Containers whose next exit must not trigger their restart policy (moby's ExitOnNext, set by kill). */
  private readonly exitOnNext = new WeakSet<object>();
  private readonly attachments: ContainerAttachments | undefined;

  private readonly entries = new Map<string, Entry>();
  private readonly names = new Map<string, string>();
  private seq = 0;
  private closed = false;
  /** Errors of starts that got as far as the runtime (AutoRemove removes those containers). */
  private readonly failedStarts = new WeakSet<object>();
  private recovered: Promise<void> | undefined;

  constructor(options: LocalContainerServiceOptions) {
    this.root = options.root;
    this.execRoot = options.execRoot;
    this.images = options.images;
    this.snapshotter = options.snapshotter;
    this.host = options.host;
    this.runtime = options.runtime;
    this.cgroups = options.cgroups;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.cgroupPrefix = options.cgroupPrefix ?? 'berth-';
    this.hostFiles = {
      resolvConf: options.hostFiles?.resolvConf ?? '/etc/resolv.conf',
      hosts: options.hostFiles?.hosts ?? '/etc/hosts',
      hostname: options.hostFiles?.hostname,
    };
    this.ncpu = options.ncpu ?? os.availableParallelism();
    this.onEvent = options.onEvent;
    this.proc = options.proc ?? new LinuxProcReader();
    this.attachments = options.attachments;
  }

  // ------------------------------------------------------------- lookups

  async get(ref: string): Promise<Container> {
    return clone(this.resolve(ref).c);
  }

  /** Records a container's health (health.ts decides it); persisted with the state. A removed container is ignored. */
  async setHealth(id: string, health: ContainerHealth): Promise<void> {
    const e = this.entries.get(id);
    if (e === undefined) return;
    await e.lock.run(async () => {
      if (this.entries.get(id) !== e || e.removing) return;
      e.c.state = { ...e.c.state, health: clone(health) };
      await this.persist(e);
    });
  }

  /**
   * Runs `fn` on the live record under the container's lock, then persists it
   * (network connect/disconnect, restoring ports after a daemon restart).
   */
  async update<T>(ref: string, fn: (c: Container, running: boolean) => Promise<T>): Promise<T> {
    const e = this.resolve(ref);
    return e.lock.run(async () => {
      if (this.entries.get(e.c.id) !== e) throw notFound(`No such container: ${ref}`);
      const result = await fn(e.c, e.run !== undefined);
      await this.persist(e);
      return result;
    });
  }

  /** Full ID, exact name (with or without '/'), then a unique ID prefix (moby's GetContainer). */
  private resolve(ref: string): Entry {
    if (ref !== '') {
      const byId = this.entries.get(ref);
      if (byId !== undefined) return byId;
      const id = this.names.get(ref.startsWith('/') ? ref.slice(1) : ref);
      if (id !== undefined) {
        const e = this.entries.get(id);
        if (e !== undefined) return e;
      }
      if (/^[0-9a-f]+$/.test(ref)) {
        const found = [...this.entries.keys()].filter((k) => k.startsWith(ref));
        if (found.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
        const only = found[0];
        if (only !== undefined) return this.entries.get(only) as Entry;
      }
    }
    throw notFound(`No such container: ${ref}`);
  }

  /**
   * Lends the container to container-files.ts (cp, export, diff, commit). A
   * container that is not running stays locked (cannot start or be removed)
   * until `release()`; a running one is not locked: its rootfs stays mounted
   * until it exits.
   */
  async hold(ref: string): Promise<{ container: Container; running: boolean; release: () => void }> {
    const e = this.resolve(ref);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const running = await new Promise<boolean>((resolve, reject) => {
      e.lock
        .run(async () => {
          if (this.entries.get(e.c.id) !== e || e.removing) throw notFound(`No such container: ${ref}`);
          const isRunning = e.run !== undefined;
          resolve(isRunning);
          if (!isRunning) await released;
        })
        .catch(reject);
    });
    if (running) release();
    return { container: clone(e.c), running, release };
  }

  imageInUse(imageId: ImageId): string | undefined {
    return this.imageUsage(imageId)?.containerId;
  }

  /** Which container uses `imageId`, preferring a running one (for LocalImageService's `isImageInUse`). */
  imageUsage(imageId: ImageId): ContainerImageUsage | undefined {
    let stopped: string | undefined;
    for (const e of this.entries.values()) {
      if (e.c.imageId !== imageId) continue;
      if (isActive(e.c.state.status)) return { containerId: e.c.id, running: true };
      stopped ??= e.c.id;
    }
    return stopped === undefined ? undefined : { containerId: stopped, running: false };
  }

  // -------------------------------------------------------------- create

  async create(options: CreateContainerOptions): Promise<Container> {
    const requested = options.name === undefined || options.name === '' ? undefined : validateName(options.name);
    const image = await this.images.get(options.config.image);
    const hc = clone(options.hostConfig);
    validateHostConfig(hc, options.config, this.ncpu);
    const merged = mergeConfig(clone(options.config), image.config.config);
    this.checkModes(hc);
    const id = newContainerId();
    const config = merged.config;
    if (config.hostname === '') {
      config.hostname = hc.networkMode === 'host' || hc.utsMode === 'host' ? this.hostHostname() : id.slice(0, 12);
    }

    // Reserve the name synchronously: nothing awaits between the check and the claim.
    const name = requested ?? this.freshName();
    const holder = this.names.get(name);
    if (holder !== undefined) {
      throw conflict(
        `Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.names.set(name, id);

    const dir = path.join(this.root, id);
    const bundleDir = path.join(this.execRoot, id);
    const logType = hc.logConfig.type === '' ? 'json-file' : hc.logConfig.type;
    hc.logConfig = { type: logType, config: { ...hc.logConfig.config } };
    const container: Container = {
      id,
      name,
      created: rfc3339Nano(this.now()),
      path: merged.path,
      args: merged.args,
      config,
      hostConfig: hc,
      imageId: image.id,
      state: initialState(),
      restartCount: 0,
      logPath: logType === 'none' ? '' : path.join(dir, `${id}-json.log`),
      hostnamePath: path.join(dir, 'hostname'),
      hostsPath: path.join(dir, 'hosts'),
      resolvConfPath: path.join(dir, 'resolv.conf'),
      bundleDir,
      graphDriver: { name: this.snapshotter.driver, data: {} },
      warnings: [],
    };
    let prepared = false;
    let attached = false;
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.mkdir(dir);
      const mounts = await this.snapshotter.prepare(id, image.chainIds.at(-1));
      prepared = true;
      container.graphDriver.data = graphDriverData(mounts, path.join(bundleDir, 'rootfs'));
      await this.writeEtcFiles(container);
      await this.attachments?.create(container, options, (ref) => this.resolve(ref).c);
      attached = true;
      await writeJsonAtomic(path.join(dir, HOSTCONFIG), hc);
      const seq = ++this.seq;
      await this.writeRecord(container, seq, false); // last: the container exists from here on
      const entry = this.newEntry(container, seq, false);
      this.entries.set(id, entry);
    } catch (err) {
      this.names.delete(name);
      if (attached) await this.attachments?.remove(container, { volumes: true }).catch(() => undefined);
      if (prepared) await this.snapshotter.remove(id).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
    this.emit('create', container);
    return clone(container);
  }

  private newEntry(c: Container, seq: number, manuallyStopped: boolean): Entry {
    return {
      c,
      seq,
      lock: new Mutex(),
      run: undefined,
      cgroup: undefined,
      removing: false,
      manuallyStopped,
      removed: new Deferred<WaitResult>(),
      nextExit: [],
      startWaiters: [],
      restartTimer: undefined,
      restartDelayMs: 100,
    };
  }

  private freshName(): string {
    for (let retry = 0; ; retry++) {
      const n = generateName(retry >= 10 ? 1 : 0);
      if (!this.names.has(n) && n !== 'boring_wozniak') return n;
    }
  }

  private hostHostname(): string {
    return this.hostFiles.hostname ?? os.hostname();
  }

  /** Network, PID and IPC modes that name another container must name an existing one. */
  private checkModes(hc: CreateContainerOptions['hostConfig']): void {
    const nm = hc.networkMode;
    if (nm.startsWith('container:')) this.resolve(nm.slice('container:'.length));
    else if (this.attachments === undefined && !['', 'default', 'bridge', 'none', 'host'].includes(nm)) {
      throw notFound(`network ${nm} not found`);
    }
    if (hc.pidMode.startsWith('container:')) this.resolve(hc.pidMode.slice('container:'.length));
    if (hc.ipcMode.startsWith('container:')) this.resolve(hc.ipcMode.slice('container:'.length));
  }

  private async writeEtcFiles(c: Container): Promise<void> {
    const hc = c.hostConfig;
    const hostNet = hc.networkMode === 'host';
    const hostHosts = hostNet ? await fs.readFile(this.hostFiles.hosts, 'utf8').catch(() => '') : undefined;
    const hosts = hostsFile({
      hostname: c.config.hostname,
      domainname: c.config.domainname,
      extraHosts: hc.extraHosts,
      ...(hostHosts === undefined ? {} : { hostHosts }),
    });
    let hostResolv = await fs.readFile(this.hostFiles.resolvConf, 'utf8').catch(() => '');
    if (!hostNet && usesResolvedStub(hostResolv) && this.hostFiles.resolvConf === '/etc/resolv.conf') {
      hostResolv = await fs.readFile(RESOLVED_RESOLV_CONF, 'utf8').catch(() => hostResolv);
    }
    const resolv = resolvConf({
      host: hostResolv,
      dns: hc.dns,
      dnsSearch: hc.dnsSearch,
      dnsOptions: hc.dnsOptions,
      hostNetwork: hostNet,
    });
    // New files in a new directory, made visible by the record written last: fsynced together.
    await writeNewFilesDurably([
      { path: c.hostnamePath, data: hostnameFile(c.config.hostname) },
      { path: c.hostsPath, data: hosts },
      { path: c.resolvConfPath, data: resolv },
    ]);
  }

  private async writeRecord(c: Container, seq: number, manuallyStopped: boolean): Promise<void> {
    const { hostConfig: _hc, ...rest } = c;
    const record: PersistedRecord = { version: RECORD_VERSION, seq, manuallyStopped, container: rest };
    await writeJsonAtomic(path.join(this.root, c.id, RECORD), record);
  }

  private persist(e: Entry): Promise<void> {
    return this.writeRecord(e.c, e.seq, e.manuallyStopped);
  }

  private emit(action: ContainerEvent['action'], c: Container, extra: Record<string, string> = {}): void {
    if (this.onEvent === undefined) return;
    try {
      this.onEvent({
        action,
        id: c.id,
        attributes: { ...c.config.labels, image: c.config.image, name: c.name, ...extra },
      });
    } catch (err) {
      this.logger.warn('event listener failed', { error: errorMessage(err) });
    }
  }

  // --------------------------------------------------------------- start

  async start(ref: string): Promise<void> {
    const e = this.resolve(ref);
    try {
      await e.lock.run(() => {
        this.resetRestartPolicy(e);
        return this.startLocked(e);
      });
    } catch (err) {
      if (
        e.c.hostConfig.autoRemove &&
        this.failedStarts.has(err as object) &&
        !e.removing &&
        this.entries.get(e.c.id) === e
      ) {
        // docker run --rm waits for `removed`: a container that cannot start must still go.
        await this.removeEntry(e).catch((rmErr) =>
          this.logger.warn('cannot auto-remove container', { id: e.c.id, error: errorMessage(rmErr) }),
        );
      }
      throw err;
    }
  }

  private async startLocked(e: Entry, options: { policyRestart?: boolean } = {}): Promise<void> {
    if (this.entries.get(e.c.id) !== e) throw notFound(`No such container: ${e.c.id}`);
    if (e.removing) throw conflict('container is marked for removal and cannot be started');
    if (!options.policyRestart) {
      if (e.c.state.status === 'restarting' && e.run === undefined) this.cancelRestart(e);
      checkStart(e.c.state.status);
    }
    const c = e.c;
    const hc = c.hostConfig;
    const rootfs = path.join(c.bundleDir, 'rootfs');
    let cgroup: CgroupHandle | undefined;
    let task: Task | undefined;
    let mounted = false;
    let logStart = 0;
    let pid = 0;
    try {
      const namespaces = this.namespaces(c);
      await fs.mkdir(rootfs, { recursive: true });
      for (const m of await this.snapshotter.mounts(c.id)) await this.host.mount(m, rootfs);
      mounted = true;
      cgroup = await this.cgroups.create(
        this.cgroupPrefix + c.id,
        hc.resources.cgroupParent !== '' ? { cgroupParent: hc.resources.cgroupParent } : {},
      );
      const warnings = await cgroup.apply(await this.cgroupResources(c));
      for (const w of warnings) this.logger.warn(w, { id: c.id });
      const attached = this.attachments === undefined ? undefined : await this.attachments.start(c, rootfs);
      if (attached?.net !== undefined) namespaces.net = attached.net;
      const mountsExtra = attached?.mounts ?? (await this.extraMounts(c));
      const security = securityChoices(hc);
      const rotation = hc.logConfig.type === 'none' ? { maxSize: 0, maxFile: 1 } : logRotation(hc.logConfig.config);
      if (c.logPath !== '') logStart = (await fs.stat(c.logPath).catch(() => undefined))?.size ?? 0;
      const oomCounter = cgroup.oomCounter?.();
      const init = withInit([c.path, ...c.args], { init: hc.init, pidMode: hc.pidMode, initBinary: corePath() });
      const request: RuntimeRequest = {
        id: c.id,
        bundleDir: c.bundleDir,
        rootfs,
        readonlyRootfs: hc.readonlyRootfs,
        hostname: c.config.hostname,
        domainname: c.config.domainname,
        args: init.args,
        env: processEnv(c.config),
        cwd: c.config.workingDir,
        user: c.config.user,
        groupAdd: hc.groupAdd,
        tty: c.config.tty,
        ...(c.config.tty && hc.consoleSize && hc.consoleSize[0] > 0 && hc.consoleSize[1] > 0
          ? { consoleSize: { rows: hc.consoleSize[0], cols: hc.consoleSize[1] } }
          : {}),
        openStdin: c.config.openStdin,
        namespaces,
        etcFiles: { hostname: c.hostnamePath, hosts: c.hostsPath, resolvConf: c.resolvConfPath },
        tmpfs: hc.tmpfs,
        mounts: [...mountsExtra, ...init.mounts],
        privileged: hc.privileged,
        capAdd: hc.capAdd,
        capDrop: hc.capDrop,
        noNewPrivileges: security.noNewPrivileges,
        seccomp: security.seccomp,
        devices: hc.resources.devices.map(
          (d): DeviceRequest => ({
            pathOnHost: d.pathOnHost,
            pathInContainer: d.pathInContainer === '' ? d.pathOnHost : d.pathInContainer,
            permissions: d.cgroupPermissions === '' ? 'rwm' : d.cgroupPermissions,
          }),
        ),
        ulimits: hc.resources.ulimits,
        oomScoreAdj: hc.oomScoreAdj,
        shmSize: hc.shmSize > 0 ? hc.shmSize : DEFAULT_SHM,
        cgroupPaths: cgroup.paths,
        log: { path: c.logPath === '' ? '/dev/null' : c.logPath, ...rotation },
        ...(oomCounter === undefined ? {} : { oomCounter }),
      };
      const result = await this.runtime.start(request);
      pid = result.pid;
      for (const w of result.warnings) this.logger.warn(w, { id: c.id });
      task = await this.connectAfterStart(c.bundleDir);
    } catch (err) {
      task?.close();
      if (pid > 0) this.logger.error('container started but its shim cannot be reached', { id: c.id, pid });
      await this.releaseResources(c, cgroup, mounted);
      const code = isStartFailure(err) ? err.exitCode : 125;
      e.c.state = failedStartState(e.c.state, code, errorMessage(err));
      await this.persist(e).catch((pErr) =>
        this.logger.error('cannot persist container', { id: c.id, error: errorMessage(pErr) }),
      );
      this.wakeNextExit(e, { statusCode: code, error: errorMessage(err) });
      const thrown = err instanceof EngineError ? err : internal(errorMessage(err), { cause: err });
      this.failedStarts.add(thrown);
      throw thrown;
    }
    const run: Run = {
      done: new Deferred<void>(),
      task,
      logStart,
      startedMs: Date.now(),
      output: new RunOutput(task),
    };
    e.run = run;
    e.cgroup = cgroup;
    e.manuallyStopped = false;
    e.c.state = runningState(e.c.state, pid, rfc3339Nano(this.now()));
    await this.persist(e);
    this.emit('start', c);
    for (const w of e.startWaiters.splice(0)) w(run);
    // The waiters subscribe as they resume; an unwatched run's stream is closed at once.
    setImmediate(() => run.output?.seal());
    this.watch(e, run);
  }

  /** A container that exits at once may take its shim with it before we connect: then its exit file tells. */
  private async connectAfterStart(bundleDir: string): Promise<Task> {
    try {
      return await this.runtime.connect(bundleDir);
    } catch (err) {
      if (!isEngineError(err, 'not-found')) throw err;
      // The shim writes the exit file after draining the pipes (up to 2 s) and before it goes;
      // on a loaded machine that can take a while.
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        const exit = await this.runtime.readExit(bundleDir);
        if (exit !== undefined) return exitedTask(exit);
        await sleep(20);
      }
      throw err;
    }
  }

  private namespaces(c: Container): RuntimeNamespaces {
    const hc = c.hostConfig;
    const join = (mode: string, kind: 'net' | 'pid' | 'ipc'): NamespaceMode | undefined => {
      if (!mode.startsWith('container:')) return undefined;
      const other = this.resolve(mode.slice('container:'.length));
      if (other === this.entries.get(c.id)) throw invalidArgument(`cannot join own ${kind} namespace`);
      if (other.run === undefined || other.c.state.pid <= 0) {
        throw conflict(
          `cannot join network namespace of a non running container: container ${other.c.name} is ${other.c.state.status}`,
        );
      }
      return { kind: 'path', path: `/proc/${other.c.state.pid}/ns/${kind}` };
    };
    const privateNs: NamespaceMode = { kind: 'private' };
    const hostNs: NamespaceMode = { kind: 'host' };
    return {
      net: join(hc.networkMode, 'net') ?? (hc.networkMode === 'host' ? hostNs : privateNs),
      pid: join(hc.pidMode, 'pid') ?? (hc.pidMode === 'host' ? hostNs : privateNs),
      ipc: join(hc.ipcMode, 'ipc') ?? (hc.ipcMode === 'host' ? hostNs : privateNs),
      uts: hc.utsMode === 'host' ? hostNs : privateNs,
      cgroup: hc.cgroupnsMode === 'host' || (hc.cgroupnsMode === '' && this.cgroups.version === 1) ? hostNs : privateNs,
    };
  }

  private async extraMounts(c: Container): Promise<ExtraMount[]> {
    const out: ExtraMount[] = [];
    for (const b of c.hostConfig.binds) {
      const spec = parseBind(b);
      // Docker creates a missing bind source (-v) as a directory.
      await fs.mkdir(spec.source, { recursive: true }).catch(() => undefined);
      out.push({
        type: 'bind',
        source: spec.source,
        destination: spec.destination,
        options: ['rbind', spec.readonly ? 'ro' : 'rw', ...spec.options],
      });
    }
    return out;
  }

  private async cgroupResources(c: Container): Promise<CgroupResources> {
    const r = c.hostConfig.resources;
    const out: CgroupResources = {};
    if (r.memory > 0) {
      out.memory = r.memory;
      out.memorySwap = r.memorySwap !== 0 ? r.memorySwap : r.memory * 2;
    }
    if (r.memoryReservation > 0) out.memoryReservation = r.memoryReservation;
    if (r.cpuShares > 0) out.cpuShares = r.cpuShares;
    if (r.nanoCpus > 0) {
      out.cpuPeriod = 100000;
      out.cpuQuota = Math.round((r.nanoCpus * 100000) / 1e9);
    } else {
      if (r.cpuQuota !== 0) out.cpuQuota = r.cpuQuota;
      if (r.cpuPeriod !== 0) out.cpuPeriod = r.cpuPeriod;
    }
    if (r.cpusetCpus !== '') out.cpusetCpus = r.cpusetCpus;
    if (r.cpusetMems !== '') out.cpusetMems = r.cpusetMems;
    if (r.pidsLimit > 0) out.pidsLimit = r.pidsLimit;
    if (r.blkioWeight > 0) out.blkioWeight = r.blkioWeight;
    if (c.hostConfig.privileged) {
      out.devices = [{ allow: true, type: 'a', major: -1, minor: -1, access: 'rwm' }];
    } else {
      const rules = [...DEFAULT_DEVICE_RULES];
      for (const d of r.devices) {
        const st = await fs.stat(d.pathOnHost).catch(() => undefined);
        if (st === undefined)
          throw invalidArgument(
            `error gathering device information while adding custom device "${d.pathOnHost}": no such file or directory`,
          );
        if (!st.isCharacterDevice() && !st.isBlockDevice()) continue;
        const { major, minor } = splitDev(st.rdev);
        rules.push({
          allow: true,
          type: st.isBlockDevice() ? 'b' : 'c',
          major,
          minor,
          access: d.cgroupPermissions === '' ? 'rwm' : d.cgroupPermissions,
        });
      }
      out.devices = rules;
    }
    return out;
  }

  // ---------------------------------------------------------------- exit

  private watch(e: Entry, run: Run): void {
    run.task.wait().then(
      (status) => this.onExit(e, run, status),
      async (err) => {
        if (this.closed || e.run !== run) return;
        this.logger.warn('lost the connection to a container shim', { id: e.c.id, error: errorMessage(err) });
        try {
          const task = await this.runtime.connect(e.c.bundleDir);
          run.task.close();
          run.task = task;
          this.watch(e, run);
          return;
        } catch {
          // the shim is gone: take what it recorded
        }
        const status = await this.runtime.readExit(e.c.bundleDir).catch(() => undefined);
        await this.onExit(e, run, status ?? this.lostExit(), status === undefined ? 'container was lost' : undefined);
      },
    );
  }

  private lostExit(): ExitStatus {
    return { exitCode: 255, signal: 0, finishedAt: rfc3339Nano(this.now()), oomKilled: false };
  }

  private async onExit(e: Entry, run: Run, status: ExitStatus, error?: string): Promise<void> {
    if (this.closed) return;
    let handled = false;
    await e.lock.run(async () => {
      if (e.run !== run) return;
      handled = true;
      let oom = status.oomKilled;
      if (!oom && e.cgroup !== undefined) oom = await e.cgroup.oomKilled().catch(() => false);
      // Decided before the state changes, so that nobody sees `exited` for a container about to restart.
      const restart = this.shouldRestart(e, status.exitCode, run);
      e.c.state = exitedState(e.c.state, {
        exitCode: status.exitCode,
        finishedAt: status.finishedAt !== '' ? status.finishedAt : rfc3339Nano(this.now()),
        oomKilled: oom,
        ...(error === undefined ? {} : { error }),
      });
      if (restart) e.c.state = { ...e.c.state, status: 'restarting', restarting: true };
      e.run = undefined;
      // An auto-removed container's record goes right after this: not worth a durable write
      // (after a crash the record still says running, recovery finds the exit and removes it).
      if (!e.c.hostConfig.autoRemove || e.removing) {
        await this.persist(e).catch((err) =>
          this.logger.error('cannot persist container', { id: e.c.id, error: errorMessage(err) }),
        );
      }
      try {
        await run.task.delete();
      } catch {
        // the shim may be gone already
      }
      run.task.close();
      const cgroup = e.cgroup;
      e.cgroup = undefined;
      await this.releaseResources(e.c, cgroup, true);
      if (oom) this.emit('oom', e.c);
      this.emit('die', e.c, {
        exitCode: String(status.exitCode),
        execDuration: String(Math.max(0, Math.floor((Date.now() - run.startedMs) / 1000))),
      });
      if (restart) {
        e.c.restartCount++;
        await this.persist(e).catch(() => undefined);
        this.scheduleRestart(e);
      }
      run.done.resolve();
      this.wakeNextExit(e, this.result(e));
    });
    if (handled && e.c.hostConfig.autoRemove && !e.removing && this.entries.get(e.c.id) === e) {
      await this.removeEntry(e).catch((err) =>
        this.logger.warn('cannot auto-remove container', { id: e.c.id, error: errorMessage(err) }),
      );
    }
  }

  private wakeNextExit(e: Entry, result: WaitResult): void {
    for (const w of e.nextExit.splice(0)) w(result);
  }

  private result(e: Entry): WaitResult {
    const r: WaitResult = { statusCode: e.c.state.exitCode };
    if (e.c.state.error !== '') r.error = e.c.state.error;
    return r;
  }

  /** Unmounts the rootfs, destroys the cgroup, removes the bundle (only once nothing is mounted in it). */
  private async releaseResources(c: Container, cgroup: CgroupHandle | undefined, unmount: boolean): Promise<void> {
    await this.attachments
      ?.stop(c)
      .catch((err) => this.logger.warn('cannot release networks and volumes', { id: c.id, error: errorMessage(err) }));
    if (unmount) await this.unmountBundle(c.bundleDir);
    if (cgroup !== undefined) {
      await cgroup
        .destroy()
        .catch((err) => this.logger.warn('cannot remove cgroup', { id: c.id, error: errorMessage(err) }));
    }
    await this.removeBundle(c.bundleDir);
  }

  private async unmountBundle(bundleDir: string): Promise<void> {
    for (const m of await this.host.mountsUnder(bundleDir).catch(() => [] as string[])) {
      try {
        await this.host.unmount(m);
      } catch (err) {
        this.logger.warn('unmount failed, detaching', { target: m, error: errorMessage(err) });
        await this.host.unmount(m, { detach: true }).catch(() => undefined);
      }
    }
  }

  private async removeBundle(bundleDir: string): Promise<void> {
    const left = await this.host.mountsUnder(bundleDir).catch(() => [] as string[]);
    if (left.length > 0) {
      this.logger.warn('bundle still has mounts, keeping it', { bundle: bundleDir, mounts: left.join(',') });
      return;
    }
    await fs
      .rm(bundleDir, { recursive: true, force: true })
      .catch((err) => this.logger.warn('cannot remove bundle', { bundle: bundleDir, error: errorMessage(err) }));
  }

  // ------------------------------------------------------ restart policy

  private shouldRestart(e: Entry, exitCode: number, run: Run): boolean {
    if (e.removing || e.manuallyStopped || this.closed) return false;
    if (this.exitOnNext.has(e)) {
      this.exitOnNext.delete(e);
      return false;
    }
    const p = e.c.hostConfig.restartPolicy;
    if (Date.now() - run.startedMs > 10_000) e.restartDelayMs = 100;
    switch (p.name) {
      case 'always':
      case 'unless-stopped':
        return true;
      case 'on-failure':
        return exitCode !== 0 && (p.maximumRetryCount === 0 || e.c.restartCount < p.maximumRetryCount);
      default:
        return false;
    }
  }

  private scheduleRestart(e: Entry): void {
    const delay = e.restartDelayMs;
    e.restartDelayMs = Math.min(delay * 2, 60_000);
    e.restartTimer = setTimeout(() => {
      e.restartTimer = undefined;
      void e.lock
        .run(async () => {
          if (e.c.state.status !== 'restarting' || e.run !== undefined) return;
          // dockerd reports a policy restart as die → start (no `restart` event). The status stays
          // `restarting` until the process runs, as in Docker.
          await this.startLocked(e, { policyRestart: true });
        })
        .catch((err) => this.logger.warn('restart failed', { id: e.c.id, error: errorMessage(err) }));
    }, delay);
    e.restartTimer.unref();
  }

  /** Called with the lock held: a pending restart is dropped and the container stays exited. */
  private cancelRestart(e: Entry): void {
    if (e.restartTimer !== undefined) clearTimeout(e.restartTimer);
    e.restartTimer = undefined;
    if (e.c.state.status === 'restarting' && e.run === undefined) {
      e.c.state = { ...e.c.state, status: 'exited', restarting: false, running: false };
    }
  }

  // ------------------------------------------------------- stop and kill

  async stop(ref: string, options: StopOptions): Promise<void> {
    const e = this.resolve(ref);
    const sig = parseSignal(options.signal ?? e.c.config.stopSignal ?? 'SIGTERM');
    const timeout = options.timeout ?? e.c.config.stopTimeout ?? 10;
    const run = await e.lock.run(async () => {
      checkStop(e.c.state.status);
      e.manuallyStopped = true;
      if (e.run === undefined) {
        this.cancelRestart(e);
        await this.persist(e);
        return undefined;
      }
      await this.persist(e);
      return e.run;
    });
    if (run !== undefined) await this.stopRun(e, run, sig, timeout);
    this.emit('stop', e.c);
  }

  private async stopRun(e: Entry, run: Run, sig: number, timeout: number): Promise<void> {
    await run.task.kill(sig).then(
      () => this.emit('kill', e.c, { signal: String(sig) }),
      (err) => this.logger.debug('stop signal not delivered', { id: e.c.id, error: errorMessage(err) }),
    );
    await this.thawForSignal(e, sig);
    if (timeout < 0) {
      await run.done.promise;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      run.done.promise.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeout * 1000);
      }),
    ]);
    clearTimeout(timer);
    if (exited) return;
    this.logger.info('container did not stop in time, killing it', { id: e.c.id, timeout });
    await run.task.kill(9).then(
      () => this.emit('kill', e.c, { signal: '9' }),
      () => undefined,
    );
    await this.thawForSignal(e, 9);
    await run.done.promise;
  }

  async restart(ref: string, options: StopOptions): Promise<void> {
    const e = this.resolve(ref);
    try {
      await this.stop(e.c.id, options);
    } catch (err) {
      if (!isEngineError(err, 'not-modified')) throw err;
    }
    try {
      await this.start(e.c.id);
    } catch (err) {
      if (!isEngineError(err, 'not-modified')) throw err;
    }
    this.emit('restart', e.c);
  }

  async kill(ref: string, signal: string | undefined): Promise<void> {
    const sig = signal === undefined || signal === '' ? 9 : parseSignal(signal);
    const e = this.resolve(ref);
    const run = await e.lock.run(async () => {
      checkKill(e.c.state.status, ref, e.c.id);
      if (e.run === undefined) {
        this.cancelRestart(e);
        await this.persist(e);
      }
      return e.run;
    });
    if (run === undefined) return;
    if (this.endsContainer(e, sig)) this.exitOnNext.add(e);
    try {
      await run.task.kill(sig);
    } catch (err) {
      if (run.done.settled) throw conflict(`cannot kill container: ${ref}: container ${e.c.id} is not running`);
      throw err;
    }
    this.emit('kill', e.c, { signal: String(sig) });
    await this.thawForSignal(e, sig);
    if (sig === 9) {
      await Promise.race([run.done.promise, sleep(KILL_WAIT_MS)]);
    }
  }

  // -------------------------------------------------------------- remove

  async remove(ref: string, options: RemoveOptions): Promise<void> {
    const e = this.resolve(ref);
    const run = await e.lock.run(async () => {
      if (e.removing) throw conflict(`removal of container ${e.c.name} is already in progress`);
      checkRemove(e.c.state.status, options.force, e.c.name);
      e.removing = true;
      this.cancelRestart(e);
      return e.run;
    });
    try {
      if (run !== undefined) {
        await run.task.kill(9).then(
          () => this.emit('kill', e.c, { signal: '9' }),
          () => undefined,
        );
        await this.thawForSignal(e, 9);
        await run.done.promise;
      }
    } catch (err) {
      e.removing = false;
      throw err;
    }
    await this.removeEntry(e, options.volumes);
  }

  /** Makes the container disappear (one rename), then deletes its snapshot, bundle and files. */
  private async removeEntry(e: Entry, volumes = e.c.hostConfig.autoRemove): Promise<void> {
    await e.lock.run(async () => {
      if (this.entries.get(e.c.id) !== e) return;
      if (e.run !== undefined) throw conflict(`cannot remove container "/${e.c.name}": container is running`);
      e.removing = true;
      this.cancelRestart(e);
      e.c.state = { ...e.c.state, status: 'removing' };
      const dir = path.join(this.root, e.c.id);
      const trash = path.join(this.root, `.removing-${e.c.id}`);
      try {
        await fs.rename(dir, trash);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') {
          e.c.state = { ...e.c.state, status: 'dead', dead: true };
          throw internal(`unable to remove filesystem for ${e.c.id}: ${errorMessage(err)}`, { cause: err });
        }
      }
      this.entries.delete(e.c.id);
      if (this.names.get(e.c.name) === e.c.id) this.names.delete(e.c.name);
      await this.purge(e.c.id, trash);
      await this.attachments
        ?.remove(e.c, { volumes })
        .catch((err) =>
          this.logger.warn('cannot release networks and volumes', { id: e.c.id, error: errorMessage(err) }),
        );
      this.emit('destroy', e.c);
      const result = this.result(e);
      // dockerd answers a `removed` wait with the exit code alone, even after a failed start:
      // the docker CLI would otherwise print "Error waiting for container" on top of the start error.
      e.removed.resolve({ statusCode: result.statusCode });
      this.wakeNextExit(e, result);
      for (const w of e.startWaiters.splice(0)) w(undefined);
    });
  }

  /** Deletes what is left of a removed (or half-made) container: snapshot, bundle, record directory. */
  private async purge(id: string, dir: string): Promise<void> {
    try {
      await this.snapshotter.remove(id);
    } catch (err) {
      if (!isEngineError(err, 'not-found')) {
        this.logger.warn('cannot remove container layer', { id, error: errorMessage(err) });
        return; // keep the directory: recovery retries
      }
    }
    const bundle = path.join(this.execRoot, id);
    await this.unmountBundle(bundle);
    await this.removeBundle(bundle);
    await fs.rm(dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- wait

  async wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    const e = this.resolve(ref);
    switch (condition) {
      case 'not-running':
        if (e.run === undefined) return this.result(e);
        return withAbort(
          e.run.done.promise.then(() => this.result(e)),
          signal,
        );
      case 'next-exit':
        return withAbort(new Promise<WaitResult>((resolve) => e.nextExit.push(resolve)), signal);
      case 'removed':
        return withAbort(e.removed.promise, signal);
      default:
        throw invalidArgument(`invalid condition: "${String(condition)}"`);
    }
  }

  // ---------------------------------------------------------------- logs

  logs(ref: string, options: LogsOptions): AsyncIterable<LogEntry> {
    const e = this.resolve(ref);
    if (e.c.hostConfig.logConfig.type === 'none' || e.c.logPath === '') {
      throw notImplemented('configured logging driver does not support reading');
    }
    const run = e.run;
    return readJsonLog(e.c.logPath, {
      stdout: options.stdout,
      stderr: options.stderr,
      since: options.since,
      until: options.until,
      tail: options.tail,
      ...(options.follow && run !== undefined ? { follow: { done: run.done.promise } } : {}),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  attach(ref: string, options: AttachOptions): AsyncIterable<LogEntry> {
    const e = this.resolve(ref);
    this.emit('attach', e.c);
    return this.attachStream(e, options);
  }

  private async *attachStream(e: Entry, o: AttachOptions): AsyncGenerator<LogEntry> {
    const c = e.c;
    const hasLog = c.hostConfig.logConfig.type !== 'none' && c.logPath !== '';
    const signal = o.signal;
    if (o.logs && hasLog) {
      yield* readJsonLog(c.logPath, {
        stdout: o.stdout,
        stderr: o.stderr,
        since: 0,
        until: 0,
        tail: -1,
        ...(signal === undefined ? {} : { signal }),
      });
    }
    if (!o.stream) return;
    let run = e.run;
    let early: RunOutput | undefined;
    if (run === undefined) {
      // `docker run`/`start -a` attach before the start: that run's output from its first byte.
      if (this.entries.get(c.id) !== e) return;
      run = await withAbort(new Promise<Run | undefined>((resolve) => e.startWaiters.push(resolve)), signal).catch(
        () => undefined,
      );
      if (run === undefined) return;
      early = run.output;
    }
    yield* attachRun(run, c, o, early, hasLog);
  }

  /** Sets the size of a running container's TTY (a no-op without one, as in moby). */
  async resize(ref: string, size: { height: number; width: number }): Promise<void> {
    const e = this.resolve(ref);
    const run = e.run;
    if (run === undefined || !isActive(e.c.state.status)) throw conflict(`container ${e.c.id} is not running`);
    if (!e.c.config.tty) return;
    await run.task.resize(size.height, size.width);
  }

  // ---------------------------------------------------------- list/prune

  async list(options: ListContainersOptions): Promise<ContainerSummary[]> {
    const filters = options.filters;
    let ancestors: Array<{ id: string; chainIds: string[] }> | undefined;
    const chains = new Map<string, string[] | undefined>();
    if (filters.ancestor !== undefined) {
      ancestors = [];
      for (const ref of filters.ancestor) {
        try {
          const img = await this.images.get(ref);
          ancestors.push({ id: img.id, chainIds: img.chainIds });
        } catch {
          this.logger.debug('ancestor filter: no such image', { image: ref });
        }
      }
      for (const e of this.entries.values()) {
        if (chains.has(e.c.imageId)) continue;
        chains.set(
          e.c.imageId,
          await this.images.get(e.c.imageId).then(
            (i) => i.chainIds as string[],
            () => undefined,
          ),
        );
      }
    }
    const { match, impliesAll } = compileListFilters(filters, { seqOf: (ref) => this.resolve(ref).seq, ancestors });
    const all = options.all || options.limit > 0 || impliesAll;
    const picked = [...this.entries.values()]
      .sort((a, b) => b.seq - a.seq)
      .filter((e) => all || isActive(e.c.state.status))
      .filter((e) => {
        const chain = chains.get(e.c.imageId);
        return match({ container: e.c, seq: e.seq, ...(chain === undefined ? {} : { imageChain: chain }) });
      });
    const limited = options.limit > 0 ? picked.slice(0, options.limit) : picked;
    const out: ContainerSummary[] = [];
    for (const e of limited) {
      const summary: ContainerSummary = { container: clone(e.c) };
      if (options.size) {
        const rw = await this.snapshotter.usage(e.c.id).then(
          (u) => u.size,
          () => 0,
        );
        const imageSize = await this.images.get(e.c.imageId).then(
          (i) => i.size,
          () => 0,
        );
        summary.sizeRw = rw;
        summary.sizeRootFs = rw + imageSize;
      }
      out.push(summary);
    }
    return out;
  }

  async prune(filters: Record<string, string[]>): Promise<PruneResult> {
    const match = compilePruneFilters(filters, this.now());
    const result: PruneResult = { containersDeleted: [], spaceReclaimed: 0 };
    for (const e of [...this.entries.values()]) {
      if (isActive(e.c.state.status) || e.removing || !match(e.c)) continue;
      const size = await this.snapshotter.usage(e.c.id).then(
        (u) => u.size,
        () => 0,
      );
      try {
        await this.remove(e.c.id, { force: false, volumes: false });
        result.containersDeleted.push(e.c.id);
        result.spaceReclaimed += size;
      } catch (err) {
        this.logger.warn('prune: cannot remove container', { id: e.c.id, error: errorMessage(err) });
      }
    }
    return result;
  }

  // ------------------------------------------------- pause, rename, update, top, stats

  /** moby's ResetRestartManager(true) at a user's start: the count and back-off start over. */
  private resetRestartPolicy(e: Entry): void {
    const s = e.c.state.status;
    if (s !== 'created' && s !== 'exited' && !(s === 'restarting' && e.run === undefined)) return;
    e.c.restartCount = 0;
    e.restartDelayMs = 100;
    this.exitOnNext.delete(e);
  }

  /**
   * moby's kill: the stop signal or SIGKILL (any signal when no StopSignal is set) ends the
   * container for good (no policy restart after this exit) and thaws a paused one so the signal lands.
   */
  private endsContainer(e: Entry, sig: number): boolean {
    const stopSignal = e.c.config.stopSignal;
    return sig === 9 || stopSignal === undefined || stopSignal === '' || parseSignal(stopSignal) === sig;
  }

  private async thawForSignal(e: Entry, sig: number): Promise<void> {
    if (e.c.state.status !== 'paused' || e.cgroup === undefined || !this.endsContainer(e, sig)) return;
    await e.cgroup
      .thaw()
      .catch((err) => this.logger.warn('cannot thaw container', { id: e.c.id, error: errorMessage(err) }));
  }

  async pause(ref: string): Promise<void> {
    const e = this.resolve(ref);
    await e.lock.run(async () => {
      const s = e.c.state.status;
      if (s === 'paused') throw conflict(`Container ${e.c.id} is already paused`);
      if (s === 'restarting') throw conflict(`Container ${e.c.id} is restarting, wait until the container is running`);
      if (s !== 'running' || e.run === undefined || e.cgroup === undefined) {
        throw conflict(`Container ${e.c.id} is not running`);
      }
      await e.cgroup.freeze();
      e.c.state = { ...e.c.state, status: 'paused', paused: true };
      await this.persist(e);
    });
    this.emit('pause', e.c);
  }

  async unpause(ref: string): Promise<void> {
    const e = this.resolve(ref);
    await e.lock.run(async () => {
      if (e.c.state.status !== 'paused' || e.cgroup === undefined) {
        throw conflict(`Container ${e.c.id} is not paused`);
      }
      await e.cgroup.thaw();
      e.c.state = { ...e.c.state, status: 'running', paused: false };
      await this.persist(e);
    });
    this.emit('unpause', e.c);
  }

  async rename(ref: string, newName: string): Promise<void> {
    if (ref === '' || newName === '' || newName === '/') {
      throw invalidArgument('Neither old nor new names may be empty');
    }
    const e = this.resolve(ref);
    const wanted = newName.startsWith('/') ? newName.slice(1) : newName;
    const oldName = await e.lock.run(async () => {
      const old = e.c.name;
      if (old === wanted) throw invalidArgument('Renaming a container with the same name as its current name');
      const name = validateName(wanted);
      const holder = this.names.get(name);
      if (holder !== undefined) {
        throw conflict(
          `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
      this.names.set(name, e.c.id);
      e.c.name = name;
      try {
        await this.persist(e);
      } catch (err) {
        e.c.name = old;
        this.names.delete(name);
        throw err;
      }
      if (this.names.get(old) === e.c.id) this.names.delete(old);
      return old;
    });
    this.emit('rename', e.c, { oldName: `/${oldName}` });
  }

  async updateResources(ref: string, update: ContainerUpdate): Promise<string[]> {
    const e = this.resolve(ref);
    const warnings = await e.lock.run(async () => {
      if (e.removing || e.c.state.status === 'removing' || e.c.state.status === 'dead') {
        throw conflict(`Cannot update container ${e.c.id}: container is marked for removal and cannot be "update"`);
      }
      const hc = applyUpdate(e.c.id, e.c.hostConfig, e.c.config, update, this.ncpu);
      const out: string[] = [];
      if (e.run !== undefined && e.cgroup !== undefined) {
        const { devices: _devices, ...resources } = await this.cgroupResources({ ...e.c, hostConfig: hc });
        if (update.pidsLimit !== undefined) resources.pidsLimit = update.pidsLimit;
        try {
          out.push(...(await e.cgroup.apply(resources)));
        } catch (err) {
          throw internal(`Cannot update container ${e.c.id}: ${errorMessage(err)}`, { cause: err });
        }
      }
      await writeJsonAtomic(path.join(this.root, e.c.id, HOSTCONFIG), hc);
      e.c.hostConfig = hc;
      return out;
    });
    this.emit('update', e.c);
    return warnings;
  }

  async top(ref: string, psArgs: string): Promise<TopResult> {
    const e = this.resolve(ref);
    validatePsArgs(psArgs);
    const s = e.c.state.status;
    if (s === 'restarting') throw conflict(`Container ${e.c.id} is restarting, wait until the container is running`);
    if ((s !== 'running' && s !== 'paused') || e.cgroup === undefined) {
      throw conflict(`Container ${e.c.id} is not running`);
    }
    const pids = await e.cgroup.pids();
    const args = psArguments(psArgs);
    let r = await this.proc.ps([...args, psPidsArg(pids)]);
    // Some options (e.g. f) refuse a pid list: then all processes, filtered below.
    if (r.code !== 0) r = await this.proc.ps(args);
    if (r.code !== 0) throw internal(r.stderr.split('\n')[0] || `ps exited with status ${r.code}`);
    let result: TopResult;
    try {
      result = parsePsOutput(r.stdout, pids);
    } catch (err) {
      throw internal(errorMessage(err));
    }
    this.emit('top', e.c);
    return result;
  }

  async stats(ref: string): Promise<ContainerStats> {
    const e = this.resolve(ref);
    const { id, name } = e.c;
    const run = e.run;
    const cgroup = e.cgroup;
    if (run === undefined || cgroup === undefined || e.c.state.status === 'restarting') {
      return { id, name, sample: undefined };
    }
    try {
      const sample = await sampleStats({
        cgroup,
        proc: this.proc,
        pid: e.c.state.pid,
        ownNetwork: e.c.hostConfig.networkMode !== 'host',
        read: rfc3339Nano(this.now()),
      });
      return { id, name: e.c.name, sample };
    } catch (err) {
      // It stopped while we read: as dockerd, a stopped container's stats are empty.
      if (e.run !== run) return { id, name: e.c.name, sample: undefined };
      throw err;
    }
  }

  // ------------------------------------------------------------ recovery

  recover(): Promise<void> {
    this.recovered ??= this.doRecover();
    return this.recovered;
  }

  private async doRecover(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.mkdir(this.execRoot, { recursive: true });
    await removeTempFiles(this.root);
    for (const name of await fs.readdir(this.root)) {
      const dir = path.join(this.root, name);
      if (name.startsWith('.removing-')) {
        await this.purge(name.slice('.removing-'.length), dir).catch((err) =>
          this.logger.warn('cannot finish removing container', { id: name, error: errorMessage(err) }),
        );
        continue;
      }
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      await this.loadRecord(name, dir);
    }

    const active = [...this.entries.values()].filter((e) => isActive(e.c.state.status));
    for (const e of active) await this.reattach(e);

    // Anything under exec-root that no running container owns: shims, mounts, cgroups, bundles.
    for (const name of await fs.readdir(this.execRoot).catch(() => [] as string[])) {
      const owner = this.entries.get(name);
      if (owner?.run !== undefined) continue;
      await this.cleanOrphanBundle(name);
    }

    for (const e of this.entries.values()) {
      const p = e.c.hostConfig.restartPolicy.name;
      if (
        (p === 'always' || (p === 'unless-stopped' && !e.manuallyStopped)) &&
        e.run === undefined &&
        e.c.state.status !== 'created'
      ) {
        await e.lock
          .run(() => this.startLocked(e))
          .catch((err) => this.logger.warn('cannot restart container', { id: e.c.id, error: errorMessage(err) }));
      }
    }
  }

  private async loadRecord(id: string, dir: string): Promise<void> {
    let record: PersistedRecord | undefined;
    let hostConfig: Container['hostConfig'] | undefined;
    try {
      record = await readJsonIfExists<PersistedRecord>(path.join(dir, RECORD));
      if (record === undefined) {
        // Never finished being created: nothing of it is visible; drop it.
        this.logger.info('removing a half-created container', { id });
        await this.purge(id, dir);
        return;
      }
      hostConfig = await readJsonIfExists<Container['hostConfig']>(path.join(dir, HOSTCONFIG));
      const c = record.container;
      if (
        record.version !== RECORD_VERSION ||
        hostConfig === undefined ||
        c?.id !== id ||
        typeof c.name !== 'string' ||
        typeof c.state?.status !== 'string' ||
        typeof c.config !== 'object' ||
        typeof hostConfig.resources !== 'object'
      ) {
        throw new Error('malformed container record');
      }
    } catch (err) {
      await this.quarantine(id, dir, err);
      return;
    }
    const c: Container = { ...record.container, hostConfig };
    if (this.names.has(c.name)) {
      await this.quarantine(id, dir, new Error(`name ${c.name} is used twice`));
      return;
    }
    const e = this.newEntry(c, record.seq, record.manuallyStopped === true);
    if (c.state.status === 'removing') c.state = { ...c.state, status: 'exited' };
    if (c.state.status === 'restarting') c.state = { ...c.state, status: 'exited', restarting: false };
    this.entries.set(id, e);
    this.names.set(c.name, id);
    this.seq = Math.max(this.seq, record.seq);
  }

  private async quarantine(id: string, dir: string, err: unknown): Promise<void> {
    const to = path.join(this.root, '.quarantine', `${id}-${Date.now()}`);
    this.logger.error('quarantining a corrupt container record', { id, to, error: errorMessage(err) });
    await fs.mkdir(path.dirname(to), { recursive: true });
    await fs.rename(dir, to).catch(() => fs.rm(dir, { recursive: true, force: true }));
  }

  /** A container recorded as running: re-watch its shim, or record the exit it had while we were away. */
  private async reattach(e: Entry): Promise<void> {
    const c = e.c;
    const cgroup = await this.cgroups
      .open(
        this.cgroupPrefix + c.id,
        c.hostConfig.resources.cgroupParent !== '' ? { cgroupParent: c.hostConfig.resources.cgroupParent } : {},
      )
      .catch(() => undefined);
    let task: Task | undefined;
    try {
      task = await this.runtime.connect(c.bundleDir);
    } catch {
      task = undefined;
    }
    if (task !== undefined) {
      const state = await task.state().catch(() => undefined);
      if (state !== undefined) {
        const run: Run = {
          done: new Deferred<void>(),
          task,
          logStart: 0,
          startedMs: Date.parse(c.state.startedAt) || Date.now(),
        };
        e.run = run;
        e.cgroup = cgroup;
        if (state.status === 'running') {
          this.logger.info('re-attached to a running container', { id: c.id, pid: state.pid });
          this.watch(e, run);
        } else {
          await this.onExit(e, run, state);
        }
        return;
      }
      task.close();
    }
    const exit = await this.runtime.readExit(c.bundleDir).catch(() => undefined);
    const run: Run = { done: new Deferred<void>(), task: goneTask(), logStart: 0, startedMs: Date.now() };
    e.run = run;
    e.cgroup = cgroup;
    this.logger.info('container exited while the daemon was down', { id: c.id, exitCode: exit?.exitCode });
    await this.onExit(e, run, exit ?? this.lostExit(), exit === undefined ? 'container was lost' : undefined);
  }

  private async cleanOrphanBundle(id: string): Promise<void> {
    const bundle = path.join(this.execRoot, id);
    try {
      const task = await this.runtime.connect(bundle);
      try {
        const state = await task.state();
        if (state.status === 'running') {
          this.logger.warn('killing a container nothing knows about', { id, pid: state.pid });
          await task.kill(9);
          await Promise.race([task.wait(), sleep(KILL_WAIT_MS)]);
        }
        await task.delete().catch(() => undefined);
      } finally {
        task.close();
      }
    } catch {
      // no shim
    }
    const entry = this.entries.get(id);
    const cgroupParent = entry?.c.hostConfig.resources.cgroupParent ?? '';
    const cgroup = await this.cgroups
      .open(this.cgroupPrefix + id, cgroupParent !== '' ? { cgroupParent } : {})
      .catch(() => undefined);
    await cgroup?.destroy().catch(() => undefined);
    await this.unmountBundle(bundle);
    await this.removeBundle(bundle);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.entries.values()) {
      if (e.restartTimer !== undefined) clearTimeout(e.restartTimer);
      e.run?.task.close();
    }
  }
}

function graphDriverData(mounts: Mount[], merged: string): Record<string, string> {
  const data: Record<string, string> = {};
  for (const m of mounts) {
    if (m.type === 'bind') data.UpperDir = m.source;
    for (const o of m.options) {
      const [k, v] = [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)];
      if (k === 'lowerdir') data.LowerDir = v;
      if (k === 'upperdir') data.UpperDir = v;
      if (k === 'workdir') data.WorkDir = v;
    }
  }
  data.MergedDir = merged;
  return data;
}

function splitDev(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

/** A Task for a container whose shim is already gone, with the exit it recorded. */
function exitedTask(exit: ExitStatus): Task {
  return { ...goneTask(), state: async () => ({ status: 'exited', pid: 0, ...exit }), wait: async () => exit };
}

/** A Task for a container whose shim is gone (exit recovered from the bundle). */
function goneTask(): Task {
  const gone = () => Promise.reject(notFound('the container shim is gone'));
  return {
    state: gone,
    kill: gone,
    wait: gone,
    attach: () => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
    }),
    writeStdin: gone,
    closeStdin: gone,
    resize: () => Promise.reject(conflict('container is not running')),
    delete: () => Promise.resolve(),
    close: () => {},
  };
}
