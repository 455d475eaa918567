/**
 * Exec: another process in a running container, started by the container's
 * shim from an **exec plan** (docs/design/0002-native-core.md §9.1). The plan
 * is derived from the container's own plan (`<bundle>/plan`), so an exec gets
 * exactly what the init got - cgroups, rlimits, oom_score_adj, capabilities,
 * no_new_privs, seccomp - and joins each namespace the container has through
 * `/proc/<init pid>/ns/<type>`. What Docker lets an exec change on top
 * (moby daemon/exec.go, exec_linux.go): args, env (already merged by the
 * engine), cwd, the user (resolved against the container's rootfs with its
 * --group-add), a terminal and its size, and `--privileged` (every capability
 * the daemon has; seccomp and no_new_privs stay, as runc keeps the
 * container's for `runc exec`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EngineError, errorMessage, internal, isEngineError } from '../../common/errors';
import {
  decodeField,
  encodeField,
  processBoundingSet,
  ShimExec,
  ShimExecError,
  ShimGoneError,
  ShimRequestError,
  splitLine,
} from '../../host/runtime';
import type { OutputChunk } from './types';
import { type ResolvedUser, resolveUser } from './user';

/** What the engine decided about one exec. */
export interface ExecRequest {
  /** 1..64 of [A-Za-z0-9_.-] (the engine uses the exec's 64-hex ID). */
  execId: string;
  bundleDir: string;
  /** The container's root filesystem as mounted on the host (for /etc/passwd and /etc/group). */
  rootfs: string;
  /** The container's init, as seen from the host. */
  initPid: number;
  args: string[];
  /** The whole environment (container's and exec's, merged); HOME is added from the user when missing. */
  env: string[];
  /** '' = '/'. Not created when missing (Docker fails the exec). */
  cwd: string;
  /** As given ('name', 'uid:gid', ...); the engine passes the container's user when the exec has none. */
  user: string;
  groupAdd: string[];
  privileged: boolean;
  tty: boolean;
  /** [rows, cols] with a terminal. */
  consoleSize?: [number, number];
  openStdin: boolean;
}

export interface ExecExit {
  /** 128 + signal when killed. */
  exitCode: number;
  signal: number;
}

/** A started exec process. */
export interface ExecProcess {
  /** Host pid. */
  readonly pid: number;
  /** Output since the start (call once); ends when the process has exited, returning its exit. */
  output(): AsyncGenerator<OutputChunk, ExecExit, void>;
  writeStdin(data: Buffer): Promise<void>;
  closeStdin(): Promise<void>;
  /** invalid-argument without a terminal. */
  resize(rows: number, cols: number): Promise<void>;
  /** Signals the process (nothing once it has exited). */
  kill(signal: NodeJS.Signals | number): void;
  close(): void;
}

/** Starts execs in running containers. */
export interface ExecRuntime {
  /** Throws an ExecStartError when the process cannot be started (exit code 126/127/125). */
  exec(request: ExecRequest): Promise<ExecProcess>;
}

/** An exec that did not start, with Docker's exit code and message. */
export class ExecStartError extends EngineError {
  readonly exitCode: 125 | 126 | 127;
  readonly step: string;
  constructor(
    kind: 'invalid-argument' | 'internal' | 'conflict',
    message: string,
    exitCode: 125 | 126 | 127,
    step: string,
    cause?: unknown,
  ) {
    super(kind, message, cause === undefined ? {} : { cause });
    this.name = 'ExecStartError';
    this.exitCode = exitCode;
    this.step = step;
  }
}

/**
 * The message dockerd gives for a failed exec start (containerd + runc):
 * `OCI runtime exec failed: exec failed: unable to start container process: <what>: unknown`.
 * errno texts in Go's lower case, as for container starts.
 */
export function execFailureMessage(step: string, message: string): string {
  const goStyle = message.replace(
    /(^|: )([A-Z][a-z]+(?: [a-z]+)*)(?=$|:)/g,
    (_m, sep: string, w: string) => `${sep}${w[0]!.toLowerCase()}${w.slice(1)}`,
  );
  const inner = step === 'exec' || step === 'cwd' || step === 'user' ? goStyle : `${step}: ${goStyle}`;
  return `OCI runtime exec failed: exec failed: unable to start container process: ${inner}: unknown`;
}

/** Namespaces an exec joins, in the core's kinds, when the container has them (private or joined). */
const JOINABLE = ['ipc', 'uts', 'net', 'pid', 'mnt', 'cgroup'] as const;
/** Container plan lines an exec inherits as they are. */
const INHERITED = new Set(['cgroup', 'rlimit', 'oom-score-adj', 'caps', 'no-new-privs', 'seccomp']);
const CAP_SETS = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;

export interface ExecPlanInputs {
  execId: string;
  initPid: number;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  /** The capability mask of a privileged exec (the daemon's bounding set). */
  privilegedCaps?: bigint;
  tty: boolean;
  consoleSize?: [number, number];
  openStdin: boolean;
}

/**
 * The exec plan from the container's plan text. Pure: the container plan's
 * security lines are copied in their canonical form; `ns`/`join` lines of
 * the container become joins of the init's namespaces.
 */
export function buildExecPlan(containerPlan: string, inputs: ExecPlanInputs): string {
  const namespaces = new Set<string>(['mnt']);
  const kept: Record<string, string[]> = {};
  for (const raw of containerPlan.split('\n')) {
    if (raw === '' || raw.startsWith('#')) continue;
    const f = splitLine(raw);
    const word = f[0] as string;
    if (word === 'ns' || word === 'join') namespaces.add(decodeField(f[1] ?? '-'));
    else if (INHERITED.has(word)) {
      const list = kept[word] ?? [];
      list.push(raw);
      kept[word] = list;
    }
  }
  const out: string[] = ['berth-plan 1'];
  const line = (word: string, ...fields: Array<string | number>) => {
    out.push([word, ...fields.map((v) => encodeField(String(v)))].join(' '));
  };
  const copy = (word: string) => out.push(...(kept[word] ?? []));
  line('id', inputs.execId);
  for (const ns of JOINABLE) if (namespaces.has(ns)) line('join', ns, `/proc/${inputs.initPid}/ns/${ns}`);
  copy('cgroup');
  copy('rlimit');
  copy('oom-score-adj');
  line('user', inputs.uid, inputs.gid);
  for (const g of inputs.additionalGids) line('group', g);
  if (inputs.privilegedCaps !== undefined) {
    const all = `0x${inputs.privilegedCaps.toString(16)}`;
    for (const set of CAP_SETS) line('caps', set, set === 'inheritable' || set === 'ambient' ? '0x0' : all);
  } else {
    copy('caps');
  }
  copy('no-new-privs');
  copy('seccomp');
  for (const e of inputs.env) line('env', e);
  line('cwd', inputs.cwd === '' ? '/' : inputs.cwd);
  for (const a of inputs.args) line('arg', a);
  line('stdin', inputs.openStdin ? 'open' : 'null');
  if (inputs.tty) {
    line('terminal');
    if (inputs.consoleSize !== undefined) line('console-size', inputs.consoleSize[0], inputs.consoleSize[1]);
  }
  return `${out.join('\n')}\n`;
}

/** The container plans read so far, by bundle (a plan does not change while its container runs). */
interface CachedPlan {
  mtimeMs: number;
  text: string;
}

/** ExecRuntime over the native core's shims. */
export class CoreExecRuntime implements ExecRuntime {
  private readonly plans = new Map<string, CachedPlan>();
  private readonly users = new Map<string, { files: string; user: ResolvedUser }>();
  private bounding: bigint | undefined;

  private async containerPlan(bundleDir: string): Promise<string> {
    const file = path.join(bundleDir, 'plan');
    const st = await fs.stat(file);
    const cached = this.plans.get(bundleDir);
    if (cached !== undefined && cached.mtimeMs === st.mtimeMs) return cached.text;
    const text = await fs.readFile(file, 'utf8');
    if (this.plans.size > 256) this.plans.clear();
    this.plans.set(bundleDir, { mtimeMs: st.mtimeMs, text });
    return text;
  }

  /**
   * The user, resolved against the container's /etc/passwd and /etc/group;
   * remembered per container run until either file changes (lstat of both:
   * what an exec in a running container costs is mostly this and the shim).
   */
  private async user(request: ExecRequest): Promise<ResolvedUser> {
    const stamp = async (inner: string) => {
      const st = await fs.lstat(path.join(request.rootfs, inner)).catch(() => undefined);
      return st === undefined ? '-' : `${st.ino}:${st.mtimeMs}:${st.size}`;
    };
    const key = JSON.stringify([request.bundleDir, request.initPid, request.user, request.groupAdd]);
    const files = `${await stamp('etc/passwd')}|${await stamp('etc/group')}`;
    const cached = this.users.get(key);
    if (cached !== undefined && cached.files === files) return cached.user;
    const user = await resolveUser(request.rootfs, request.user, request.groupAdd);
    if (this.users.size > 1024) this.users.clear();
    this.users.set(key, { files, user });
    return user;
  }

  async exec(request: ExecRequest): Promise<ExecProcess> {
    let planFile: string;
    try {
      const user = await this.user(request);
      const env = request.env.some((e) => e.startsWith('HOME=')) ? request.env : [...request.env, `HOME=${user.home}`];
      if (request.privileged) this.bounding ??= processBoundingSet();
      const plan = buildExecPlan(await this.containerPlan(request.bundleDir), {
        execId: request.execId,
        initPid: request.initPid,
        args: request.args,
        env,
        cwd: request.cwd,
        uid: user.uid,
        gid: user.gid,
        additionalGids: user.additionalGids,
        ...(request.privileged && this.bounding !== undefined ? { privilegedCaps: this.bounding } : {}),
        tty: request.tty,
        ...(request.consoleSize === undefined ? {} : { consoleSize: request.consoleSize }),
        openStdin: request.openStdin,
      });
      planFile = path.join(request.bundleDir, `exec-${request.execId}.plan`);
      await fs.writeFile(planFile, plan, { mode: 0o600 });
    } catch (err) {
      if (isEngineError(err, 'invalid-argument')) {
        // dockerd resolves the user itself and reports its words as they are.
        throw new ExecStartError('invalid-argument', err.message, 126, 'user', err);
      }
      if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') {
        throw new ExecStartError('conflict', 'container is not running', 125, 'plan', err);
      }
      throw new ExecStartError('internal', `cannot prepare the exec: ${errorMessage(err)}`, 125, 'plan', err);
    }
    let shim: ShimExec;
    try {
      shim = await ShimExec.start(request.bundleDir, request.execId, planFile);
    } catch (err) {
      if (err instanceof ShimExecError) {
        const code: 125 | 126 | 127 = err.status === 126 || err.status === 127 ? err.status : 125;
        // runc's wording for a missing working directory.
        const message =
          err.step === 'cwd'
            ? `chdir to cwd (${JSON.stringify(request.cwd)}) set in config.json failed: ${err.message.replace(/^.*: /, '')}`
            : err.message;
        throw new ExecStartError(
          code === 125 ? 'internal' : 'invalid-argument',
          execFailureMessage(err.step, message),
          code,
          err.step,
          err,
        );
      }
      if (err instanceof ShimGoneError || (err instanceof ShimRequestError && err.errno === 3)) {
        throw new ExecStartError('conflict', 'container is not running', 125, 'shim', err);
      }
      throw new ExecStartError('internal', `cannot start the exec: ${errorMessage(err)}`, 125, 'shim', err);
    } finally {
      // The shim has read the plan by the time it answers.
      void fs.rm(planFile, { force: true }).catch(() => undefined);
    }
    return new ShimExecProcess(shim);
  }
}

class ShimExecProcess implements ExecProcess {
  constructor(private readonly shim: ShimExec) {}

  get pid(): number {
    return this.shim.pid;
  }

  async *output(): AsyncGenerator<OutputChunk, ExecExit, void> {
    let exit: { code: number; signal: number } | undefined;
    try {
      const it = this.shim.output();
      for (;;) {
        const r = await it.next();
        if (r.done) {
          exit = r.value;
          break;
        }
        yield r.value;
      }
    } catch (err) {
      if (!(err instanceof ShimGoneError)) throw err;
    }
    if (exit === undefined) {
      // The attach connection went away early: ask once more.
      exit = await this.shim.wait().catch(() => undefined);
    }
    if (exit === undefined) throw internal('the container shim went away before the exec ended');
    return { exitCode: exit.code, signal: exit.signal };
  }

  async writeStdin(data: Buffer): Promise<void> {
    try {
      await this.shim.writeStdin(data);
    } catch (err) {
      throw new EngineError('conflict', 'stdin is closed', { cause: err, code: 'EPIPE' });
    }
  }

  async closeStdin(): Promise<void> {
    try {
      await this.shim.closeStdin();
    } catch (err) {
      if (!(err instanceof ShimGoneError)) throw err;
    }
  }

  async resize(rows: number, cols: number): Promise<void> {
    try {
      await this.shim.resize(rows, cols);
    } catch (err) {
      if (err instanceof ShimRequestError && (err.errno === 25 || err.errno === 22)) {
        throw new EngineError('invalid-argument', err.errno === 25 ? 'the exec has no TTY' : 'bad TTY size', {
          cause: err,
        });
      }
      if (err instanceof ShimGoneError || err instanceof ShimRequestError) {
        throw new EngineError('conflict', 'the exec is not running', { cause: err });
      }
      throw err;
    }
  }

  kill(signal: NodeJS.Signals | number): void {
    this.shim.kill(signal);
  }

  close(): void {
    this.shim.close();
  }
}
