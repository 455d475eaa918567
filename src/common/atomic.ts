import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Crash-safe file replacement: write a temporary file in the same directory,
 * fsync it, rename it over the target, fsync the directory. After a crash the
 * target holds either the old or the new content, never a mix; a leftover
 * `.tmp-*` file is removed by `removeTempFiles` at start-up.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.tmp-${path.basename(target)}-${randomBytes(6).toString('hex')}`);
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/**
 * Writes new files that nothing reads yet and makes them durable together: the fsyncs are
 * issued at once (one journal commit usually covers them all, where one atomic write after
 * another waits for a commit each), then each directory is fsynced once. Meant for the files
 * a record written afterwards (atomically, last) makes visible; not for replacing files in place.
 */
export async function writeNewFilesDurably(
  files: ReadonlyArray<{ path: string; data: string | Uint8Array; mode?: number }>,
): Promise<void> {
  const opened = await Promise.allSettled(files.map((f) => fs.open(f.path, 'w', f.mode ?? 0o644)));
  const handles = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    for (const r of opened) if (r.status === 'rejected') throw r.reason;
    await Promise.all(handles.map((h, i) => h.writeFile((files[i] as { data: string | Uint8Array }).data)));
    await Promise.all(handles.map((h) => h.sync()));
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
  for (const dir of new Set(files.map((f) => path.dirname(f.path)))) await fsyncDir(dir);
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value)}\n`);
}

/** fsync a directory so that a rename or create inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads and parses a JSON file; undefined when it does not exist. */
export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** Removes `.tmp-*` leftovers of interrupted atomic writes in `dir`. */
export async function removeTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (name.startsWith('.tmp-')) {
      await fs.rm(path.join(dir, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

/** A random hex id of `bytes` bytes (64 hex chars by default, like Docker's IDs). */
export function randomHex(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}
