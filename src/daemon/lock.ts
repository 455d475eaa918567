/**
 * Exclusive ownership of a root directory by one daemon: a file created with
 * O_EXCL holding the owner's pid. A file whose pid is dead (or is no berthd)
 * is stale and taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { EngineError, errnoCode } from '../common/errors';

export class PidLock {
  private held = false;

  constructor(
    readonly file: string,
    private readonly what: string,
  ) {}

  /** Takes the lock or throws a conflict naming the daemon that holds it. */
  acquire(): void {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.file, 'wx', 0o644);
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        this.held = true;
        return;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      const owner = readPid(this.file);
      if (owner !== undefined && owner !== process.pid && isBerthd(owner)) {
        throw new EngineError(
          'conflict',
          `another berthd (pid ${owner}) is using ${this.what}; stop it first, or delete ${this.file} if it is not running`,
          { code: 'daemon-running' },
        );
      }
      try {
        unlinkSync(this.file); // stale: its daemon is gone
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    throw new EngineError('conflict', `could not take ${this.file}: another daemon is starting at the same time`);
  }

  /** Removes the file if it still names this process. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (readPid(this.file) === process.pid) {
      try {
        unlinkSync(this.file);
      } catch {
        // already gone
      }
    }
  }
}

function readPid(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and looks like a berth daemon (guards against pid reuse). */
function isBerthd(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errnoCode(err) !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /berthd|daemon[/\\]main/.test(cmdline);
  } catch {
    return true; // alive but unreadable: assume it is one
  }
}
