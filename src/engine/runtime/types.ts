/**
 * berth's runtime: turns what the container engine decided into an OCI
 * runtime spec (config.json, kept in the bundle as runc would read it) and a
 * launch plan for the native core (native/core, grammar in
 * docs/design/0002-native-core.md), starts it, and talks to the per-container
 * shim afterwards. Policy (mounts, masks, capabilities, seccomp, user) is
 * computed here in TypeScript; the core only executes it.
 */
import type { EngineError } from '../../common/errors';

/** How a namespace is set up: a new one, the host's, or joined from a path (e.g. /proc/<pid>/ns/net). */
export type NamespaceMode = { kind: 'private' } | { kind: 'host' } | { kind: 'path'; path: string };

export interface RuntimeNamespaces {
  pid: NamespaceMode;
  ipc: NamespaceMode;
  uts: NamespaceMode;
  net: NamespaceMode;
  cgroup: NamespaceMode;
  /** Not supported yet (--userns-remap is a later issue); a uid/gid map here is refused. */
  user?: { uidMap: IdMap[]; gidMap: IdMap[] };
}

export interface IdMap {
  containerId: number;
  hostId: number;
  size: number;
}

/** A bind or tmpfs mount beyond the standard ones (volumes come in a later issue). */
export interface ExtraMount {
  type: 'bind' | 'tmpfs';
  source: string;
  destination: string;
  /** e.g. ['rbind', 'ro'] or tmpfs options ['size=64m', 'mode=1777']. */
  options: string[];
}

export interface DeviceRequest {
  pathOnHost: string;
  pathInContainer: string;
  /** Some of 'r', 'w', 'm'. */
  permissions: string;
}

export interface Ulimit {
  name: string; // 'nofile', 'nproc', ...
  soft: number;
  hard: number;
}

export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'profile'; json: string };

export interface RuntimeRequest {
  /** Container ID (64 hex). */
  id: string;
  /** The bundle directory: config.json, plan, shim socket, exit file, log live here. */
  bundleDir: string;
  /** The container's root filesystem, already mounted by the engine (overlay merged dir). */
  rootfs: string;
  readonlyRootfs: boolean;
  hostname: string;
  domainname: string;
  /** argv[0] resolved in the container's PATH by the core after pivot_root. */
  args: string[];
  env: string[];
  /** Working directory inside the container ('' = '/'); created if missing. */
  cwd: string;
  /** As the user gave it: 'name', 'uid', 'name:group', 'uid:gid' ('' = root). Resolved against the rootfs' /etc/passwd and /etc/group. */
  user: string;
  /** Extra groups (--group-add). */
  groupAdd: string[];
  tty: boolean;
  /** With `tty`: the pty's size at start (default 24x80). */
  consoleSize?: { rows: number; cols: number };
  openStdin: boolean;
  namespaces: RuntimeNamespaces;
  /** Host files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** --tmpfs: destination -> options ('rw,size=64m'). */
  tmpfs: Record<string, string>;
  mounts: ExtraMount[];
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
  devices: DeviceRequest[];
  ulimits: Ulimit[];
  /** Written to /proc/<pid>/oom_score_adj; a failure to lower it is a warning, not an error. */
  oomScoreAdj: number;
  /** /dev/shm size in bytes (default 64 MiB). */
  shmSize: number;
  /** The container's cgroup directories (from CgroupHandle.paths): the init joins them before exec. */
  cgroupPaths: string[];
  /** linux.cgroupsPath for config.json (CgroupHandle.name); default '/berth/<id>'. */
  cgroupsPath?: string;
  /** Where the shim writes the json-file log, and its rotation. */
  log: { path: string; maxSize: number; maxFile: number };
  /** Where the shim records an OOM kill from (v1 memory.oom_control / v2 memory.events). */
  oomCounter?: { path: string; key: string };
}

export interface StartResult {
  /** The container's init, as seen from the host. */
  pid: number;
  shimPid: number;
  /** Non-fatal problems (e.g. oom_score_adj could not be lowered). */
  warnings: string[];
}

/**
 * A start failure as Docker reports it: `exitCode` 127 (executable not
 * found), 126 (not executable, permission denied) or 125 (anything else);
 * `message` is what the user sees, e.g.
 * 'exec: "nosuch": executable file not found in $PATH'.
 */
export interface StartFailure extends EngineError {
  readonly exitCode: 125 | 126 | 127;
  readonly step: string;
}

export interface ExitStatus {
  /** Docker's exit code: the process's code, or 128 + signal when killed. */
  exitCode: number;
  signal: number;
  /** RFC 3339 (nanoseconds) UTC. */
  finishedAt: string;
  oomKilled: boolean;
}

export type TaskState = { status: 'running'; pid: number } | ({ status: 'exited'; pid: number } & ExitStatus);

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface TaskAttachOptions {
  /** Ends the stream (and closes its connection) even while no output comes. */
  signal?: AbortSignal;
  /** Called once the shim has accepted the attach. */
  onAttached?: () => void;
}

/** A connection to one container's shim. */
export interface Task {
  state(): Promise<TaskState>;
  kill(signal: number): Promise<void>;
  /** Resolves when the container's init has exited (at once if it already has). */
  wait(): Promise<ExitStatus>;
  /**
   * Live output from now on; ends when the container exits. The first attach
   * of a run also gets what was written before it (the engine makes it right
   * after the start).
   */
  attach(options?: TaskAttachOptions): AsyncIterable<OutputChunk>;
  writeStdin(data: Buffer): Promise<void>;
  closeStdin(): Promise<void>;
  /** Sets the container's pty size (invalid-argument when it has no terminal or the size is out of range). */
  resize(rows: number, cols: number): Promise<void>;
  /** Tells the shim to go (refused while running). */
  delete(): Promise<void>;
  close(): void;
}

export interface Runtime {
  /**
   * Writes config.json (the OCI spec) and the plan into the bundle, starts
   * berth-core, and returns once the container's process has exec'd (or
   * throws a StartFailure).
   */
  start(request: RuntimeRequest): Promise<StartResult>;
  /** Connects to the shim of a started container (also after a daemon restart). Throws not-found if the shim is gone. */
  connect(bundleDir: string): Promise<Task>;
  /** The exit recorded by a shim that has gone (the bundle's exit file), if any. */
  readExit(bundleDir: string): Promise<ExitStatus | undefined>;
}
