/**
 * The container engine's contract. The API server converts Docker's
 * PascalCase create/inspect shapes to and from these camelCase types; the
 * engine knows no HTTP. A persisted `Container` record is not the running
 * task a shim owns (STYLE.md §3).
 */
import type { Readable } from 'node:stream';
import type { ImageId } from '../images/types';

/** Docker's visible status strings. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maximumRetryCount: number;
}

export interface LogConfig {
  /** Only 'json-file' (and 'none') for now. */
  type: string;
  config: Record<string, string>;
}

/** What the user asked for about the process (Docker's Config, camelCase). */
export interface ContainerConfig {
  hostname: string;
  domainname: string;
  user: string;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  /** Image env merged with the user's (the user's win), PATH defaulted. */
  env: string[];
  /** null = the image's. */
  cmd: string[] | null;
  /** null = the image's; [] (from [""]) = reset. */
  entrypoint: string[] | null;
  /** The image as the user named it, e.g. 'busybox'. */
  image: string;
  workingDir: string;
  labels: Record<string, string>;
  stopSignal: string | undefined;
  /** Seconds; undefined = 10. */
  stopTimeout: number | undefined;
  exposedPorts: string[];
  volumes: string[];
  argsEscaped?: boolean;
  healthcheck?: unknown;
  onBuild?: string[] | null;
}

export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  cgroupPermissions: string;
}

export interface UlimitSpec {
  name: string;
  soft: number;
  hard: number;
}

/** Resource limits (Docker's HostConfig.Resources, camelCase; 0/undefined = unset). */
export interface ContainerResources {
  memory: number;
  memorySwap: number;
  memoryReservation: number;
  memorySwappiness?: number;
  nanoCpus: number;
  cpuShares: number;
  cpuQuota: number;
  cpuPeriod: number;
  cpusetCpus: string;
  cpusetMems: string;
  /** 0 or negative = unlimited. */
  pidsLimit: number;
  blkioWeight: number;
  devices: DeviceMapping[];
  ulimits: UlimitSpec[];
  oomKillDisable: boolean;
  cgroupParent: string;
}

/** How the container is placed on the host (Docker's HostConfig, camelCase). */
export interface HostConfig {
  /** 'none' | 'host' | 'bridge' | 'default' | 'container:<id>' | a network name (later issue). */
  networkMode: string;
  /** '' (private) | 'host' | 'container:<id>' */
  pidMode: string;
  /** '' / 'private' / 'shareable' | 'host' | 'container:<id>' | 'none' */
  ipcMode: string;
  /** '' | 'host' */
  utsMode: string;
  /** '' / 'private' | 'host' */
  cgroupnsMode: string;
  privileged: boolean;
  readonlyRootfs: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  /** destination -> options */
  tmpfs: Record<string, string>;
  binds: string[];
  autoRemove: boolean;
  restartPolicy: RestartPolicy;
  logConfig: LogConfig;
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  groupAdd: string[];
  shmSize: number;
  oomScoreAdj: number;
  init: boolean | undefined;
  portBindings: Record<string, Array<{ hostIp: string; hostPort: string }>>;
  publishAllPorts: boolean;
  resources: ContainerResources;
  /** Rows/cols requested at create (ConsoleSize). */
  consoleSize: [number, number] | undefined;
}

export interface CreateContainerOptions {
  name: string | undefined;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Endpoint configs per network (later issue); kept as given. */
  networkingConfig?: unknown;
  platform?: string;
}

export interface ContainerState {
  status: ContainerStatus;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  oomKilled: boolean;
  dead: boolean;
  /** 0 when not running. */
  pid: number;
  exitCode: number;
  error: string;
  /** RFC 3339 with nanoseconds; '0001-01-01T00:00:00Z' when never. */
  startedAt: string;
  finishedAt: string;
}

/** A container as the engine records it. */
export interface Container {
  id: string;
  /** Without the leading '/'. */
  name: string;
  created: string;
  /** The process as it will run: entrypoint + cmd resolved against the image. */
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  imageId: ImageId;
  state: ContainerState;
  restartCount: number;
  /** Host paths. */
  logPath: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  /** Where the runtime bundle (config.json, plan, shim socket) lives. */
  bundleDir: string;
  /** The overlay snapshot's directories, for GraphDriver.Data. */
  graphDriver: { name: string; data: Record<string, string> };
  /** Warnings from create (e.g. limits the kernel lacks). */
  warnings: string[];
}

export interface ListContainersOptions {
  all: boolean;
  /** <= 0: no limit. */
  limit: number;
  size: boolean;
  /** status, name, id, label, ancestor, exited, before, since */
  filters: Record<string, string[]>;
}

export interface ContainerSummary {
  container: Container;
  sizeRw?: number;
  sizeRootFs?: number;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  statusCode: number;
  /** Set when waiting failed (e.g. the container could not be started). */
  error?: string;
}

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  /** Unix seconds (fractional); 0 = from the start. */
  since: number;
  /** Unix seconds (fractional); 0 = no bound. */
  until: number;
  timestamps: boolean;
  /** -1 = all. */
  tail: number;
  /** Aborts a follow. */
  signal?: AbortSignal;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** The raw bytes of the line (with its newline unless it was a partial line). */
  data: Buffer;
  /** RFC 3339 nanoseconds, as in the json-file. */
  time: string;
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Replay the log first (`logs=1`). */
  logs: boolean;
  stream: boolean;
  /** The client's stdin, when stdin is attached. */
  input?: Readable;
  signal?: AbortSignal;
}

export interface StopOptions {
  /** Seconds to wait after the stop signal before SIGKILL; undefined = the container's StopTimeout or 10. */
  timeout?: number;
  /** Overrides the container's stop signal. */
  signal?: string;
}

export interface RemoveOptions {
  force: boolean;
  /** Remove anonymous volumes (later issue). */
  volumes: boolean;
}

export interface PruneResult {
  containersDeleted: string[];
  spaceReclaimed: number;
}

/** Errors: not-found "No such container: x"; conflict for name clashes and state conflicts; not-modified (304) for start of a running / stop of a stopped container. */
export interface ContainerService {
  create(options: CreateContainerOptions): Promise<Container>;
  /** Full ID, exact name (with or without '/'), or unique ID prefix. */
  get(ref: string): Promise<Container>;
  list(options: ListContainersOptions): Promise<ContainerSummary[]>;
  /** Throws a StartFailure-like EngineError (with exitCode 125/126/127) when the process cannot start; the container is left `created` (never started) or `exited` with State.Error set. */
  start(ref: string): Promise<void>;
  stop(ref: string, options: StopOptions): Promise<void>;
  restart(ref: string, options: StopOptions): Promise<void>;
  /** signal: name ('KILL', 'SIGTERM') or number as a string; default SIGKILL. Conflict if not running. */
  kill(ref: string, signal: string | undefined): Promise<void>;
  remove(ref: string, options: RemoveOptions): Promise<void>;
  /** Resolves when the condition holds. */
  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult>;
  /** Stored (and with follow, live) log entries. */
  logs(ref: string, options: LogsOptions): AsyncIterable<LogEntry>;
  /** Live output (and optionally the log first) until the container stops; stdin is forwarded when asked. */
  attach(ref: string, options: AttachOptions): AsyncIterable<LogEntry>;
  prune(filters: Record<string, string[]>): Promise<PruneResult>;
  /** Used by the image service: the ID of a container using this image, if any. */
  imageInUse(imageId: ImageId): string | undefined;
  /** Re-finds every container after a daemon (re)start. */
  recover(): Promise<void>;
  /** Detaches from the shims (containers keep running). */
  close(): Promise<void>;
}
