/**
 * `CoreRuntime`: berth's `Runtime` over the native core. start() resolves
 * the user inside the rootfs, builds the OCI spec (kept as config.json),
 * compiles seccomp, writes the plan and runs `berth-core create`; connect()
 * talks to the shim; readExit() reads the exit file a shim left behind.
 */
import { renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError, type ErrorKind, errorMessage, internal, isEngineError, notFound } from '../../common/errors';
import {
  type CgroupLayout,
  type CoreResult,
  createTask,
  type ExitRecord,
  listHostDevices,
  processBoundingSet,
  readCgroupLayout,
  readExitFile,
  ShimClient,
  ShimGoneError,
  ShimRequestError,
  statDevice,
} from '../../host/runtime';
import type { OciDevice } from './oci-spec';
import { specToJson } from './oci-spec';
import { writePlan } from './plan';
import { type CompiledSeccomp, compileSeccomp, type SeccompProfile } from './seccomp';
import { buildSpec } from './spec';
import type {
  ExitStatus,
  OutputChunk,
  Runtime,
  RuntimeRequest,
  StartFailure,
  StartResult,
  Task,
  TaskAttachOptions,
  TaskState,
} from './types';
import { resolveUser } from './user';

/** A start failure with Docker's exit code (125/126/127) and the failing step. */
export class StartError extends EngineError implements StartFailure {
  readonly exitCode: 125 | 126 | 127;
  readonly step: string;
  constructor(kind: ErrorKind, message: string, exitCode: 125 | 126 | 127, step: string, cause?: unknown) {
    super(kind, message, cause === undefined ? {} : { cause });
    this.name = 'StartError';
    this.exitCode = exitCode;
    this.step = step;
  }
}

export function isStartFailure(err: unknown): err is StartFailure {
  return err instanceof StartError;
}

/** The message dockerd gives for a failed task creation (the CLI looks for the exec wording in it). */
export function startFailureMessage(step: string, message: string): string {
  // The core reports errno with strerror ("Permission denied"); Go, and so Docker, writes it in
  // lower case ("permission denied"), and the docker CLI picks its exit code by that text.
  const goStyle = message.replace(
    /(^|: )([A-Z][a-z]+(?: [a-z]+)*)(?=$|:)/g,
    (_m, sep: string, w: string) => `${sep}${w[0]!.toLowerCase()}${w.slice(1)}`,
  );
  const inner = step === 'exec' || step === 'cwd' || step === 'user' ? goStyle : `${step}: ${goStyle}`;
  return `failed to create task for container: failed to create shim task: OCI runtime create failed: unable to start container process: error during container init: ${inner}: unknown`;
}

/** Maps the core's error result to a StartFailure. */
export function startFailureFromResult(result: Extract<CoreResult, { ok: false }>): StartError {
  const code: 125 | 126 | 127 = result.status === 126 || result.status === 127 ? result.status : 125;
  const kind: ErrorKind = code === 125 ? 'internal' : 'invalid-argument';
  return new StartError(kind, startFailureMessage(result.step, result.message), code, result.step);
}

function toExitStatus(r: { code: number; signal: number; time: string; oom: boolean | undefined }): ExitStatus {
  return { exitCode: r.code, signal: r.signal, finishedAt: r.time, oomKilled: r.oom === true };
}

export interface CoreRuntimeOptions {
  /** berth-core binary (default: $BERTH_CORE or native/build/berth-core). */
  core?: string;
  /** The host's cgroup layout (default: read from /proc/self/mountinfo once). */
  cgroupLayout?: CgroupLayout;
  /** Overrides for tests: Node arch and kernel release for seccomp. */
  arch?: string;
  kernel?: string;
}

let cpuCount: number | undefined;
/** The host's CPU count for the masked thermal_throttle paths (os.cpus() parses /proc/cpuinfo: once). */
function hostCpuCount(): number {
  cpuCount ??= os.cpus().length;
  return cpuCount;
}

/** Compiled default seccomp programs, by capability set, arch and kernel (a few entries at most). */
const DEFAULT_SECCOMP_CACHE_MAX = 16;

export class CoreRuntime implements Runtime {
  private layout: Promise<CgroupLayout> | undefined;
  private readonly defaultSeccomp = new Map<string, CompiledSeccomp>();

  constructor(private readonly options: CoreRuntimeOptions = {}) {
    if (options.cgroupLayout) this.layout = Promise.resolve(options.cgroupLayout);
  }

  private cgroupLayout(): Promise<CgroupLayout> {
    this.layout ??= readCgroupLayout();
    return this.layout;
  }

  /** Writes config.json and plan into the bundle; returns the plan text (exported for tests and `inspect`). */
  async prepare(request: RuntimeRequest): Promise<{ configJson: string; plan: string }> {
    const user = await resolveUser(request.rootfs, request.user, request.groupAdd);
    const devices: OciDevice[] = [];
    for (const d of request.devices) {
      let host: Awaited<ReturnType<typeof statDevice>>;
      try {
        host = await statDevice(d.pathOnHost);
      } catch (err) {
        throw new StartError(
          'invalid-argument',
          `error gathering device information while adding custom device "${d.pathOnHost}": ${errorMessage(err)}`,
          125,
          'device',
          err,
        );
      }
      devices.push({ ...host, path: d.pathInContainer });
    }
    const hostDevices = request.privileged ? await listHostDevices() : [];
    const spec = buildSpec(request, {
      ...user,
      devices,
      hostDevices,
      availableCapabilities: processBoundingSet(),
      cpus: hostCpuCount(),
      ...(this.options.arch === undefined ? {} : { arch: this.options.arch }),
      ...(this.options.kernel === undefined ? {} : { kernel: this.options.kernel }),
    });
    if (!spec.process.env.some((e) => e.startsWith('HOME=')))
      spec.process.env = [...spec.process.env, `HOME=${user.home}`];
    const seccomp = spec.linux.seccomp
      ? this.compileSeccomp(spec.linux.seccomp as SeccompProfile, spec.process.capabilities.bounding, request)
      : undefined;
    const plan = writePlan(spec, {
      id: request.id,
      cgroupPaths: request.cgroupPaths,
      cgroupLayout: await this.cgroupLayout(),
      log: request.log,
      ...(request.oomCounter ? { oomCounter: request.oomCounter } : {}),
      stdin: request.openStdin ? 'open' : 'null',
      ...(seccomp ? { seccomp: { flags: seccomp.flags, program: seccomp.program } } : {}),
    });
    const configJson = specToJson(spec);
    // The bundle is runtime state under the exec root, rebuilt at every start: no fsync.
    // config.json is still replaced by a rename, so a reader never sees half of it.
    const config = path.join(request.bundleDir, 'config.json');
    writeFileSync(`${config}.tmp`, configJson);
    renameSync(`${config}.tmp`, config);
    writeFileSync(path.join(request.bundleDir, 'plan'), plan, { mode: 0o600 });
    return { configJson, plan };
  }

  /**
   * The seccomp program of `profile`. The default profile's program depends only on the
   * capabilities, the arch and the kernel release: it is compiled once per such set.
   */
  private compileSeccomp(
    profile: SeccompProfile,
    capabilities: string[],
    request: Pick<RuntimeRequest, 'seccomp' | 'privileged'>,
  ): CompiledSeccomp {
    const options = {
      capabilities,
      ...(this.options.arch === undefined ? {} : { arch: this.options.arch }),
      ...(this.options.kernel === undefined ? {} : { kernel: this.options.kernel }),
    };
    if (request.seccomp.kind !== 'default' || request.privileged) return compileSeccomp(profile, options);
    const key = `${capabilities.join(',')}|${options.arch ?? ''}|${options.kernel ?? ''}`;
    let compiled = this.defaultSeccomp.get(key);
    if (compiled === undefined) {
      compiled = compileSeccomp(profile, options);
      if (this.defaultSeccomp.size >= DEFAULT_SECCOMP_CACHE_MAX) this.defaultSeccomp.clear();
      this.defaultSeccomp.set(key, compiled);
    }
    return compiled;
  }

  async start(request: RuntimeRequest): Promise<StartResult> {
    try {
      await this.prepare(request);
    } catch (err) {
      if (err instanceof StartError) throw err;
      if (isEngineError(err, 'invalid-argument')) {
        const step = /user|group/.test(err.message) ? 'user' : 'spec';
        throw new StartError('invalid-argument', err.message, 125, step, err);
      }
      throw new StartError(
        'internal',
        `failed to prepare the container's bundle: ${errorMessage(err)}`,
        125,
        'spec',
        err,
      );
    }
    let result: CoreResult;
    try {
      result = await createTask(request.bundleDir, this.options.core === undefined ? {} : { core: this.options.core });
    } catch (err) {
      throw new StartError('internal', `failed to create task for container: ${errorMessage(err)}`, 125, 'shim', err);
    }
    if (!result.ok) throw startFailureFromResult(result);
    return { pid: result.pid, shimPid: result.shimPid, warnings: result.warnings };
  }

  async connect(bundleDir: string): Promise<Task> {
    try {
      return new ShimTask(bundleDir, await ShimClient.connect(bundleDir));
    } catch (err) {
      if (err instanceof ShimGoneError) throw notFound(`no running task in ${bundleDir}`, { cause: err });
      throw err;
    }
  }

  async readExit(bundleDir: string): Promise<ExitStatus | undefined> {
    const r = await readExitFile(bundleDir);
    return r === undefined ? undefined : toExitStatus(r);
  }
}

/** Waits for the exit file of a shim that just went away (it writes the file before closing). */
async function exitFileSoon(bundleDir: string, timeoutMs = 3000): Promise<ExitRecord | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await readExitFile(bundleDir);
    if (r !== undefined || Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

class ShimTask implements Task {
  constructor(
    private readonly bundleDir: string,
    private readonly client: ShimClient,
  ) {}

  private async gone(): Promise<ExitStatus> {
    const r = await exitFileSoon(this.bundleDir);
    if (r === undefined) throw internal(`the shim of ${this.bundleDir} is gone and left no exit file`);
    return toExitStatus(r);
  }

  async state(): Promise<TaskState> {
    try {
      const s = await this.client.state();
      if (s.status === 'running') return s;
      const exit = await this.wait();
      return { status: 'exited', pid: s.pid, ...exit };
    } catch (err) {
      if (!(err instanceof ShimGoneError)) throw err;
      const r = await exitFileSoon(this.bundleDir);
      if (r === undefined) throw internal(`the shim of ${this.bundleDir} is gone and left no exit file`);
      return { status: 'exited', pid: r.pid, ...toExitStatus(r) };
    }
  }

  async kill(signal: number): Promise<void> {
    try {
      await this.client.kill(signal);
    } catch (err) {
      if (err instanceof ShimGoneError || (err instanceof ShimRequestError && err.errno === 3)) {
        throw new EngineError('conflict', 'container is not running', { cause: err });
      }
      throw err;
    }
  }

  async wait(): Promise<ExitStatus> {
    try {
      return toExitStatus(await this.client.wait());
    } catch (err) {
      if (err instanceof ShimGoneError) return this.gone();
      throw err;
    }
  }

  async *attach(options: TaskAttachOptions = {}): AsyncIterable<OutputChunk> {
    try {
      for await (const chunk of this.client.attach(options)) yield chunk;
    } catch (err) {
      if (!(err instanceof ShimGoneError)) throw err;
    }
  }

  async writeStdin(data: Buffer): Promise<void> {
    try {
      await this.client.writeStdin(data);
    } catch (err) {
      if (err instanceof ShimRequestError || err instanceof ShimGoneError) {
        throw new EngineError('conflict', 'stdin is closed', { cause: err, code: 'EPIPE' });
      }
      throw err;
    }
  }

  async closeStdin(): Promise<void> {
    try {
      await this.client.closeStdin();
    } catch (err) {
      if (!(err instanceof ShimGoneError)) throw err;
    }
  }

  async resize(rows: number, cols: number): Promise<void> {
    try {
      await this.client.resize(rows, cols);
    } catch (err) {
      if (err instanceof ShimGoneError) throw new EngineError('conflict', 'container is not running', { cause: err });
      if (err instanceof ShimRequestError && (err.errno === 25 || err.errno === 22)) {
        throw new EngineError('invalid-argument', err.errno === 25 ? 'the container has no TTY' : 'bad TTY size', {
          cause: err,
        });
      }
      throw err;
    }
  }

  async delete(): Promise<void> {
    try {
      await this.client.delete();
    } catch (err) {
      if (err instanceof ShimGoneError) return;
      if (err instanceof ShimRequestError && err.errno === 16) {
        throw new EngineError('conflict', 'cannot delete a running task', { cause: err });
      }
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}
