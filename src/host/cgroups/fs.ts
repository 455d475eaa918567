/**
 * Small cgroupfs file helpers. cgroup files are written with O_WRONLY|O_TRUNC and never
 * created (a missing file means a missing controller or feature, and some files are
 * write-only, so O_RDWR would fail); one value per write(2), as the kernel parses each write.
 * cgroupfs calls are cheap in-memory syscalls: they are made synchronously (a round trip
 * through libuv's threadpool costs more than the call itself, and container start makes dozens).
 */
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, rmdirSync, writeSync } from 'node:fs';
import { EngineError, errnoCode, errorMessage } from '../../common/errors';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const unavailable = (message: string): EngineError => new EngineError('unavailable', message);

/** An error from a cgroup file write, carrying the errno code (`EINVAL`, `EBUSY`, ...). */
export class CgroupWriteError extends Error {
  readonly code: string | undefined;
  readonly file: string;
  constructor(file: string, value: string, cause: unknown) {
    super(`failed to write ${JSON.stringify(value)} to ${file}: ${errorMessage(cause)}`, { cause });
    this.name = 'CgroupWriteError';
    this.file = file;
    this.code = errnoCode(cause);
  }
}

export type WriteHook = ((file: string, value: string) => void) | undefined;

/** Writes one value to an existing cgroup file. */
export async function writeCgroupFile(file: string, value: string, hook?: WriteHook): Promise<void> {
  try {
    hook?.(file, value);
    const fd = openSync(file, constants.O_WRONLY | constants.O_TRUNC);
    try {
      writeSync(fd, value);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new CgroupWriteError(file, value, err);
  }
}

/** The trimmed contents of a file, or undefined when it does not exist. */
export async function readCgroupFile(file: string): Promise<string | undefined> {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV') return undefined;
    throw err;
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    accessSync(file);
    return true;
  } catch {
    return false;
  }
}

/** A number from a cgroup file ('max' → undefined; a missing file → undefined). */
export async function readNumber(file: string): Promise<number | undefined> {
  const text = await readCgroupFile(file);
  if (text === undefined || text === '' || text === 'max') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control, cpuacct.stat). */
export function parseFlatKeyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key === undefined || key === '' || value === undefined) continue;
    const n = Number(value);
    if (Number.isFinite(n)) out[key] = n;
  }
  return out;
}

/** PIDs listed in a cgroup.procs file (missing → none). */
export async function readProcs(dir: string): Promise<number[]> {
  const text = await readCgroupFile(`${dir}/cgroup.procs`);
  if (text === undefined || text === '') return [];
  return text
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** Writes a pid into cgroup.procs, retrying the transient EINVAL of a task still being created (runc: 5 × 30 ms). */
export async function writeProc(dir: string, pid: number, hook?: WriteHook): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await writeCgroupFile(`${dir}/cgroup.procs`, String(pid), hook);
      return;
    } catch (err) {
      if (attempt >= 4 || errnoCode(err) !== 'EINVAL') throw err;
      await sleep(30);
    }
  }
}

/** SIGKILL, ignoring processes already gone. */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if (errnoCode(err) !== 'ESRCH') throw err;
  }
}

/** rmdir, treating a missing directory as done and retrying EBUSY (exiting tasks leave a moment later). */
export async function removeCgroupDir(dir: string, attempts = 20): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= attempts - 1) {
        throw new EngineError('internal', `failed to remove cgroup ${dir}: ${errorMessage(err)}`, { cause: err });
      }
      await sleep(Math.min(10 * (attempt + 1), 100));
    }
  }
}

/**
 * Creates `leaf` and any missing directory between `base` (which must exist: a hierarchy's
 * mount point) and it, calling `created` for each new one, top down. Returns the new directories.
 */
export async function mkdirBelow(
  base: string,
  leaf: string,
  created: (dir: string) => Promise<void>,
): Promise<string[]> {
  const rel = leaf.slice(base.length).split('/').filter(Boolean);
  const made: string[] = [];
  let dir = base;
  for (const part of rel) {
    dir = `${dir}/${part}`;
    try {
      mkdirSync(dir);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') continue;
      throw new EngineError('internal', `failed to create cgroup ${dir}: ${errorMessage(err)}`, { cause: err });
    }
    made.push(dir);
    await created(dir);
  }
  return made;
}

/** Maps a failed write to the engine's error kinds: EINVAL/ERANGE are bad values. */
export function toEngineError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const code = errnoCode(err);
  const kind = code === 'EINVAL' || code === 'ERANGE' ? 'invalid-argument' : 'internal';
  return new EngineError(kind, errorMessage(err), { cause: err });
}
