/**
 * Docker's detach keys: the syntax (`ctrl-p,ctrl-q`, single characters,
 * `ctrl-@` ... `ctrl-_`, `DEL`, as moby/term's ToBytes reads it: case
 * sensitive, no spaces) and a scanner that finds the sequence in a byte
 * stream. The API server scans a TTY attach's stdin (moby does it only for
 * TTYs); the CLI scans the user's terminal in TTY mode (docker's
 * hijackedIOStreamer does the same).
 */
import { invalidArgument } from './errors';

/** ctrl-p ctrl-q. */
export const DEFAULT_DETACH_KEYS: readonly number[] = [0x10, 0x11];

const CTRL_NAMES = ['@', ...'abcdefghijklmnopqrstuvwxyz'.split(''), '[', '\\', ']', '^', '_'];

/** The bytes of a detach key spec, or undefined when it is not valid. */
export function detachKeyBytes(spec: string): number[] | undefined {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      const code = key.charCodeAt(0);
      if (code > 0x7f) return undefined;
      out.push(code);
      continue;
    }
    const ctrl = key.startsWith('ctrl-') && key.length === 6 ? CTRL_NAMES.indexOf(key.slice(5)) : -1;
    if (ctrl >= 0) out.push(ctrl);
    else if (key === 'DEL') out.push(127);
    else return undefined;
  }
  return out;
}

/** As detachKeyBytes, for the API border: an empty spec means the default; a bad one is invalid-argument (moby's message). */
export function parseDetachKeys(spec: string | null | undefined): number[] {
  if (spec === null || spec === undefined || spec === '') return [...DEFAULT_DETACH_KEYS];
  const bytes = detachKeyBytes(spec);
  if (bytes === undefined) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
  return bytes;
}

export interface ScanResult {
  /** What to pass on (held-back prefix bytes are released once they turn out not to be the sequence). */
  forward: Buffer;
  /** The whole sequence was seen: stop here (nothing after it is forwarded). */
  detached: boolean;
}

/**
 * Finds the detach sequence across chunks. Bytes that could be the start of
 * the sequence are held back until they are either the whole sequence
 * (swallowed) or not (released in front of what follows), as moby/term's
 * escape proxy does.
 */
export class DetachKeyScanner {
  private matched = 0;

  constructor(private readonly keys: readonly number[]) {}

  feed(chunk: Uint8Array): ScanResult {
    const keys = this.keys;
    if (keys.length === 0) return { forward: Buffer.from(chunk), detached: false };
    const out: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (b === keys[this.matched]) {
        this.matched++;
        if (this.matched === keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(out), detached: true };
        }
        continue;
      }
      // Not the sequence after all: release what was held, then look at this byte afresh.
      for (let k = 0; k < this.matched; k++) out.push(keys[k] as number);
      this.matched = 0;
      if (b === keys[0]) {
        this.matched = keys.length === 1 ? 0 : 1;
        if (keys.length === 1) return { forward: Buffer.from(out), detached: true };
        continue;
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detached: false };
  }

  /** Bytes held back at the end of input (a prefix of the sequence never completed). */
  flush(): Buffer {
    const held = Buffer.from(this.keys.slice(0, this.matched));
    this.matched = 0;
    return held;
  }
}
