/**
 * The container engine's contract. The API server converts Docker's
 * PascalCase create/inspect shapes to and from these camelCase types; the
 * engine knows no HTTP. A persisted `Container` record is not the running
 * task a shim owns (STYLE.md §3).
 */
import type { Readable } from 'node:stream';
import type { ImageId } from '../images/types';
import type { MountRequest } from '../volumes/bind-spec';
import type { ContainerStats } from './stats';
import type { TopResult } from './top';
import type { ContainerUpdate } from './update';

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
  /** `HostConfig.Mounts` (`--mount`), as the volumes module parses them. */
  mounts?: MountRequest[];
  /** `HostConfig.VolumesFrom`: `container[:ro|rw]`. */
  volumesFrom?: string[];
}

export interface CreateContainerOptions {
  name: string | undefined;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Endpoint configs per network (later issue); kept as given. */
  networkingConfig?: unknown;
  /** `NetworkingConfig.EndpointsConfig` by network name (or id), camelCase. */
  endpointsConfig?: Record<string, EndpointConfig>;
  /** `MacAddress` of the create body (API < 1.44 puts it there). */
  macAddress?: string;
  platform?: string;
}

/** What a container asks of one network (`--network-alias`, `--ip`, `--mac-address`, `network connect`). */
export interface EndpointConfig {
  aliases: string[];
  /** '' for an address from the pool. */
  ipv4Address: string;
  /** '' for one derived from the address. */
  macAddress: string;
}

/** One network of a container: what it asked for and, while it runs, what it got. */
export interface ContainerEndpoint {
  networkId: string;
  config: EndpointConfig;
  /** '' while the container is not running. */
  endpointId: string;
  ipAddress: string;
  ipPrefixLen: number;
  gateway: string;
  macAddress: string;
  /** Names the embedded DNS answers for (user-defined networks). */
  dnsNames: string[];
}

/** A published port of a running container. */
export interface ContainerPort {
  proto: 'tcp' | 'udp';
  /** '' = every address. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** A resolved mount of a container (inspect's `Mounts[]`), with what starting it needs. */
export interface ContainerMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Volumes: the volume's name. */
  name?: string;
  /** Bind: host path; volume: the volume's mountpoint; tmpfs: ''. */
  source: string;
  destination: string;
  driver?: string;
  mode: string;
  rw: boolean;
  propagation: string;
  /** Volumes: fill an empty volume from the image at first mount. */
  copyData?: boolean;
  /** Volumes: created for this container (removed with `rm -v`). */
  anonymous?: boolean;
  subpath?: string;
  /** Bind: create the host directory when missing (`-v`). */
  createSource?: boolean;
  nonRecursive?: boolean;
  /** tmpfs mount data. */
  tmpfsOptions?: string;
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
  /** Present once a container with a health check has started (health.ts). */
  health?: ContainerHealth;
}

/** One health probe's result (State.Health.Log). */
export interface HealthLogEntry {
  /** RFC 3339 nanoseconds. */
  start: string;
  end: string;
  /** -1 when the probe could not run or timed out. */
  exitCode: number;
  output: string;
}

/** State.Health: the status, the failures in a row, the last 5 results. */
export interface ContainerHealth {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  log: HealthLogEntry[];
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
  /** Networks by name (bridge modes and user networks); absent with host/none/container: modes. */
  networks?: Record<string, ContainerEndpoint>;
  /** Published ports while running. */
  ports?: ContainerPort[];
  /** The named netns while running ('' otherwise). */
  sandboxKey?: string;
  /** Volumes, binds and --mount tmpfs, resolved at create. */
  mounts?: ContainerMount[];
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
  /** TTY only: the bytes that end the session when seen on stdin (default ctrl-p ctrl-q). */
  detachKeys?: readonly number[];
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
  /** Sets a running container's TTY size (conflict when not running; a no-op without a TTY). */
  resize(ref: string, size: { height: number; width: number }): Promise<void>;
  prune(filters: Record<string, string[]>): Promise<PruneResult>;
  /** Used by the image service: the ID of a container using this image, if any. */
  imageInUse(imageId: ImageId): string | undefined;
  // Day-2 operations (pause, rename, update, top, stats): day2 files beside this one hold their logic.
  /** Freezes the cgroup. Conflict: not running, already paused, restarting. */
  pause(ref: string): Promise<void>;
  /** Thaws the cgroup. Conflict: not paused. */
  unpause(ref: string): Promise<void>;
  /** `newName` without '/'. Invalid: empty or same name; conflict: taken. */
  rename(ref: string, newName: string): Promise<void>;
  /** Resources (applied to the running cgroup too) and restart policy; returns warnings. */
  updateResources(ref: string, update: ContainerUpdate): Promise<string[]>;
  /** Host `ps` rows of the container's processes; conflict when not running. */
  top(ref: string, psArgs: string): Promise<TopResult>;
  /** One sample (undefined `sample` when not running). */
  stats(ref: string): Promise<ContainerStats>;
  /** Re-finds every container after a daemon (re)start. */
  recover(): Promise<void>;
  /** Detaches from the shims (containers keep running). */
  close(): Promise<void>;
}
