/**
 * Starting berth-core: `berth-core create <bundle>` parses `<bundle>/plan`,
 * detaches a shim (which clones the container's init) and prints a result
 * message (docs/design/0002-native-core.md §3). This file is the only place
 * that runs the core's binary.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { nativeDir } from '../native';
import { decodeField, FieldError, splitLine } from './fields';

/** The path of berth-core: $BERTH_CORE, else native/build/berth-core of the package. */
export function corePath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.BERTH_CORE;
  if (override) return path.resolve(override);
  return path.join(nativeDir(), 'berth-core');
}

export type CoreResult =
  | { ok: true; pid: number; shimPid: number; warnings: string[] }
  | { ok: false; status: number; step: string; errno: number; message: string; warnings: string[] };

export class CoreProtocolError extends Error {
  override name = 'CoreProtocolError';
}

/**
 * Parses the result message. A closed set of lines: `berth-result 1`, then
 * `warning <msg>`*, then exactly one `started <pid> <shim-pid>` or
 * `error <status> <step> <errno> <message>`. Anything else is a protocol error.
 */
export function parseCoreResult(text: string): CoreResult {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== 'berth-result 1') {
    throw new CoreProtocolError(`berth-core: expected "berth-result 1", got ${JSON.stringify(lines[0] ?? '')}`);
  }
  const warnings: string[] = [];
  let result: CoreResult | undefined;
  try {
    for (const line of lines.slice(1)) {
      if (result !== undefined) throw new CoreProtocolError(`berth-core: line after the result: ${line}`);
      const f = splitLine(line);
      if (f[0] === 'warning' && f.length === 2) {
        warnings.push(decodeField(f[1] as string));
      } else if (f[0] === 'started' && f.length === 3) {
        const pid = positiveInt(f[1]);
        const shimPid = positiveInt(f[2]);
        result = { ok: true, pid, shimPid, warnings };
      } else if (f[0] === 'error' && f.length === 5) {
        result = {
          ok: false,
          status: positiveInt(f[1]),
          step: decodeField(f[2] as string),
          errno: nonNegativeInt(f[3]),
          message: decodeField(f[4] as string),
          warnings,
        };
      } else {
        throw new CoreProtocolError(`berth-core: unexpected result line ${JSON.stringify(line.slice(0, 200))}`);
      }
    }
  } catch (err) {
    if (err instanceof FieldError) throw new CoreProtocolError(`berth-core: ${err.message}`);
    throw err;
  }
  if (result === undefined) throw new CoreProtocolError('berth-core: the result has no started/error line');
  return result;
}

function nonNegativeInt(s: string | undefined): number {
  if (s === undefined || !/^\d{1,10}$/.test(s)) throw new CoreProtocolError(`berth-core: bad number ${s}`);
  return Number(s);
}

function positiveInt(s: string | undefined): number {
  const n = nonNegativeInt(s);
  if (n === 0) throw new CoreProtocolError('berth-core: zero where a positive number is needed');
  return n;
}

export interface CreateOptions {
  /** The berth-core binary (default corePath()). */
  core?: string;
  /** Give up after this many ms (default 60 s): the core itself has no time-out. */
  timeoutMs?: number;
}

/**
 * Runs `berth-core create <bundle>` and returns its parsed result. The core
 * exits once the shim has reported; the shim is not our child (it was
 * double-forked into its own session), so nothing is left to reap.
 */
export function createTask(bundleDir: string, options: CreateOptions = {}): Promise<CoreResult> {
  const core = options.core ?? corePath();
  return new Promise((resolve, reject) => {
    const child = spawn(core, ['create', bundleDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8');
      try {
        resolve(parseCoreResult(text));
      } catch (e) {
        const stderr = Buffer.concat(err).toString('utf8').trim();
        const how = signal ? `killed by ${signal}` : `exit ${code}`;
        reject(new CoreProtocolError(`${(e as Error).message} (${how}${stderr ? `: ${stderr}` : ''})`));
      }
    });
  });
}

/** `berth-core plan-check <file>`: the plan in the core's canonical form (throws with the core's message). */
export function planCheck(planFile: string, options: { core?: string } = {}): Promise<string> {
  const core = options.core ?? corePath();
  return new Promise((resolve, reject) => {
    execFile(core, ['plan-check', planFile], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() || error.message));
      else resolve(stdout);
    });
  });
}
