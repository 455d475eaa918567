/**
 * The exit file a shim leaves in its bundle when the container's init has
 * exited (docs/design/0002-native-core.md §4): `berth-exit 1`, then pid,
 * code, signal, time, oom lines. Written with tmp + fsync + rename, so a
 * present file is complete.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../common/errors';

export interface ExitRecord {
  pid: number;
  /** The exit code, 128 + signal when killed. */
  code: number;
  signal: number;
  /** RFC 3339 (nanoseconds) UTC. */
  time: string;
  /** undefined when the shim could not tell. */
  oom: boolean | undefined;
}

export const EXIT_FILE = 'exit';

export function parseExitFile(text: string): ExitRecord {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== 'berth-exit 1') throw new Error('exit file: expected "berth-exit 1"');
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const m = /^([a-z]+) (\S+)$/.exec(line);
    if (!m) throw new Error(`exit file: bad line ${JSON.stringify(line)}`);
    fields.set(m[1] as string, m[2] as string);
  }
  const int = (key: string): number => {
    const v = fields.get(key);
    if (v === undefined || !/^\d{1,10}$/.test(v)) throw new Error(`exit file: bad or missing ${key}`);
    return Number(v);
  };
  const time = fields.get('time');
  if (time === undefined || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(time)) {
    throw new Error('exit file: bad or missing time');
  }
  const oom = fields.get('oom');
  if (oom !== '0' && oom !== '1' && oom !== 'unknown') throw new Error('exit file: bad or missing oom');
  return {
    pid: int('pid'),
    code: int('code'),
    signal: int('signal'),
    time,
    oom: oom === 'unknown' ? undefined : oom === '1',
  };
}

/** The bundle's exit record, or undefined when there is none (yet). */
export async function readExitFile(bundleDir: string): Promise<ExitRecord | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(bundleDir, EXIT_FILE), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  return parseExitFile(text);
}
