/**
 * Reads Docker's json-file logs: `<id>-json.log` plus rotated `.1`, `.2`
 * ... (`.N.gz` too), one `{"log":..,"stream":..,"time":..}` object a line.
 * Tail reads backwards from the end so `--tail 10` of a large log is cheap;
 * follow reads the current file (surviving rotation) as it grows, woken by
 * inotify (fs.watch on the log's directory) with a slow poll as a fallback,
 * until told to stop.
 */
import { type FSWatcher, promises as fs, watch } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { errnoCode } from '../../common/errors';
import { parseTimeNs, secondsToNs } from './state';
import type { LogEntry } from './types';

const CHUNK = 64 * 1024;
const NL = 0x0a;

export interface ReadJsonLogOptions {
  stdout: boolean;
  stderr: boolean;
  /** Unix seconds; 0 = from the start. */
  since: number;
  /** Unix seconds; 0 = no bound. */
  until: number;
  /** Last N entries (before stream/time filters, as dockerd); -1 = all. */
  tail: number;
  /** Keep reading appended lines until `done` settles (then drain and end) or `signal` aborts. */
  follow?: { done: Promise<unknown>; pollMs?: number; watch?: boolean };
  /** Skip the stored log and follow the current file from this byte offset (attach before start). */
  startOffset?: number;
  signal?: AbortSignal;
}

/** One json-file line to an entry; undefined for anything that is not one. */
export function decodeLogLine(line: Buffer | string): LogEntry | undefined {
  let o: unknown;
  try {
    o = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const rec = o as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof rec.log !== 'string' || typeof rec.time !== 'string') return undefined;
  return { stream: rec.stream === 'stderr' ? 'stderr' : 'stdout', data: Buffer.from(rec.log, 'utf8'), time: rec.time };
}

/** The rotated files of `logPath`, oldest first: `.N[.gz]` ... `.1`. */
export async function rotatedFiles(logPath: string): Promise<string[]> {
  const dir = path.dirname(logPath);
  const base = path.basename(logPath);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const found: Array<{ n: number; name: string }> = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const m = /^\.(\d+)(\.gz)?$/.exec(name.slice(base.length));
    if (m !== null) found.push({ n: Number(m[1]), name });
  }
  return found.sort((a, b) => b.n - a.n).map((f) => path.join(dir, f.name));
}

class Filter {
  private readonly since: bigint;
  private readonly until: bigint;
  /** Set once an entry past `until` was seen: nothing after it is wanted. */
  ended = false;

  constructor(private readonly options: ReadJsonLogOptions) {
    this.since = options.since > 0 ? secondsToNs(options.since) : 0n;
    this.until = options.until > 0 ? secondsToNs(options.until) : 0n;
  }

  accept(line: Buffer): LogEntry | undefined {
    const entry = decodeLogLine(line);
    if (entry === undefined) return undefined;
    if (this.since > 0n || this.until > 0n) {
      const t = parseTimeNs(entry.time);
      if (t !== undefined) {
        if (this.until > 0n && t > this.until) {
          this.ended = true;
          return undefined;
        }
        if (t < this.since) return undefined;
      }
    }
    if (entry.stream === 'stdout' ? !this.options.stdout : !this.options.stderr) return undefined;
    return entry;
  }

  untilPassed(): boolean {
    return this.until > 0n && BigInt(Date.now()) * 1_000_000n > this.until;
  }
}

async function readAt(fh: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

/**
 * Complete lines (without '\n') in [start, end), a chunk's worth at a time (a log has millions
 * of short lines: one await per chunk, not per line); returns where the unfinished rest begins.
 */
async function* forwardLines(fh: fs.FileHandle, start: number, end: number): AsyncGenerator<Buffer[], number> {
  let pos = start;
  let carry: Buffer = Buffer.alloc(0);
  let carryStart = start;
  while (pos < end) {
    const chunk = await readAt(fh, pos, Math.min(CHUNK, end - pos));
    if (chunk.length === 0) break;
    pos += chunk.length;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let from = 0;
    const lines: Buffer[] = [];
    for (let i = data.indexOf(NL); i >= 0; i = data.indexOf(NL, from)) {
      lines.push(data.subarray(from, i));
      from = i + 1;
    }
    if (lines.length > 0) yield lines;
    carry = Buffer.from(data.subarray(from));
    carryStart = pos - carry.length;
  }
  return carryStart;
}

/** Where the last complete line of [0, end) ends (just after its '\n'), 0 if none. */
async function completeEnd(fh: fs.FileHandle, end: number): Promise<number> {
  let pos = end;
  while (pos > 0) {
    const size = Math.min(CHUNK, pos);
    const chunk = await readAt(fh, pos - size, size);
    const i = chunk.lastIndexOf(NL);
    if (i >= 0) return pos - size + i + 1;
    pos -= size;
  }
  return 0;
}

/** The last `n` complete lines of [0, end), `end` just after a '\n' (or 0). */
async function lastLines(fh: fs.FileHandle, end: number, n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let pos = end;
  let carry: Buffer = Buffer.alloc(0); // a line's tail ending with '\n' whose start is further back
  while (pos > 0 && out.length < n) {
    const size = Math.min(CHUNK, pos);
    pos -= size;
    const data = Buffer.concat([await readAt(fh, pos, size), carry]);
    const first = data.indexOf(NL);
    const found: Buffer[] = [];
    let from = first + 1;
    for (let i = data.indexOf(NL, from); i >= 0; i = data.indexOf(NL, from)) {
      found.push(data.subarray(from, i));
      from = i + 1;
    }
    out.unshift(...found);
    carry = Buffer.from(data.subarray(0, first + 1));
  }
  if (pos === 0 && carry.length > 0 && out.length < n) out.unshift(carry.subarray(0, carry.length - 1));
  return out.slice(Math.max(0, out.length - n));
}

function splitLines(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let i = data.indexOf(NL); i >= 0; i = data.indexOf(NL, from)) {
    out.push(data.subarray(from, i));
    from = i + 1;
  }
  if (from < data.length) out.push(data.subarray(from));
  return out;
}

async function openIfExists(file: string): Promise<fs.FileHandle | undefined> {
  try {
    return await fs.open(file, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function* rotatedLines(file: string, tail: number): AsyncGenerator<Buffer> {
  if (file.endsWith('.gz')) {
    let data: Buffer;
    try {
      data = gunzipSync(await fs.readFile(file));
    } catch {
      return;
    }
    const lines = splitLines(data);
    yield* tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
    return;
  }
  const fh = await openIfExists(file);
  if (fh === undefined) return;
  try {
    const size = (await fh.stat()).size;
    const end = await completeEnd(fh, size);
    if (tail >= 0) {
      yield* await lastLines(fh, end, tail);
    } else {
      const gen = forwardLines(fh, 0, end);
      for (let r = await gen.next(); !r.done; r = await gen.next()) yield* r.value;
    }
    if (end < size && tail < 0) yield await readAt(fh, end, size - end);
  } finally {
    await fh.close();
  }
}

function sleep(ms: number, ...wake: Array<Promise<unknown> | undefined>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    for (const w of wake) {
      w?.then(
        () => {
          clearTimeout(t);
          resolve();
        },
        () => {
          clearTimeout(t);
          resolve();
        },
      );
    }
  });
}

/** Wakes a follower when anything in the log's directory changes (writes, rotation). */
class ChangeWaker {
  private watcher: FSWatcher | undefined;
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(dir: string) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.signal());
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
  }

  get active(): boolean {
    return this.watcher !== undefined;
  }

  private signal(): void {
    this.changed = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Resolves at the next change (at once if one happened since the last call). */
  next(): Promise<void> {
    if (this.changed) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wake = () => {
        this.changed = false;
        resolve();
      };
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

function aborted(signal: AbortSignal | undefined): Promise<void> | undefined {
  if (signal === undefined) return undefined;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Reads (and with `follow`, keeps reading) a json-file log. A missing log is an empty one. */
export async function* readJsonLog(logPath: string, options: ReadJsonLogOptions): AsyncGenerator<LogEntry> {
  const filter = new Filter(options);
  let fh = await openIfExists(logPath);
  let pos = 0;
  let wakerToClose: ChangeWaker | undefined;
  try {
    const size = fh === undefined ? 0 : (await fh.stat()).size;
    if (options.startOffset !== undefined) {
      pos = options.startOffset <= size ? options.startOffset : 0;
    } else {
      const end = fh === undefined ? 0 : await completeEnd(fh, size);
      // Older files first (only as many as the tail needs).
      let stored: Buffer[] = [];
      if (options.tail >= 0) {
        if (fh !== undefined) stored = await lastLines(fh, end, options.tail);
        const rotated = await rotatedFiles(logPath);
        for (let i = rotated.length - 1; i >= 0 && stored.length < options.tail; i--) {
          const more: Buffer[] = [];
          for await (const l of rotatedLines(rotated[i] as string, options.tail - stored.length)) more.push(l);
          stored = [...more, ...stored];
        }
        for (const line of stored) {
          if (options.signal?.aborted) return;
          const e = filter.accept(line);
          if (filter.ended) return;
          if (e !== undefined) yield e;
        }
      } else {
        for (const file of await rotatedFiles(logPath)) {
          for await (const line of rotatedLines(file, -1)) {
            if (options.signal?.aborted) return;
            const e = filter.accept(line);
            if (filter.ended) return;
            if (e !== undefined) yield e;
          }
        }
        if (fh !== undefined) {
          const gen = forwardLines(fh, 0, end);
          for (let r = await gen.next(); !r.done; r = await gen.next()) {
            if (options.signal?.aborted) return;
            for (const line of r.value) {
              const e = filter.accept(line);
              if (filter.ended) return;
              if (e !== undefined) yield e;
            }
          }
        }
      }
      pos = end;
      if (options.follow === undefined && fh !== undefined && end < size) {
        // A last line without its newline (a crash mid-write): use it if it parses.
        const e = filter.accept(await readAt(fh, end, size - end));
        if (e !== undefined && !filter.ended) yield e;
      }
    }
    if (options.follow === undefined) return;

    const waker = options.follow.watch === false ? undefined : new ChangeWaker(path.dirname(logPath));
    wakerToClose = waker;
    // With inotify the poll is only a safety net.
    const pollMs = options.follow.pollMs ?? (waker?.active ? 1000 : 50);
    let finished = false;
    void options.follow.done.then(
      () => {
        finished = true;
      },
      () => {
        finished = true;
      },
    );
    const abort = aborted(options.signal);
    for (;;) {
      const last = finished; // decided before the read, so the final read drains everything
      if (fh !== undefined) {
        const size = (await fh.stat()).size;
        if (size < pos) pos = 0; // truncated (max-file 1 rotation)
        const gen = forwardLines(fh, pos, size);
        let r = await gen.next();
        for (; !r.done; r = await gen.next()) {
          if (options.signal?.aborted) return;
          for (const line of r.value) {
            const e = filter.accept(line);
            if (filter.ended) return;
            if (e !== undefined) yield e;
          }
        }
        pos = r.value;
      }
      // Rotated away (or created since): switch to the new current file once the old one is drained.
      const current = await fs.stat(logPath).catch(() => undefined);
      const mine = fh === undefined ? undefined : await fh.stat();
      if (current !== undefined && (mine === undefined || current.ino !== mine.ino)) {
        await fh?.close();
        fh = await openIfExists(logPath);
        pos = 0;
        continue;
      }
      if (last || options.signal?.aborted || filter.untilPassed()) return;
      await sleep(pollMs, options.follow.done, abort, waker?.active ? waker.next() : undefined);
    }
  } finally {
    wakerToClose?.close();
    await fh?.close();
  }
}
