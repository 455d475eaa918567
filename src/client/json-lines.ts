/** Reads a response of newline-separated JSON values (`/events`, streamed `/stats`). */
import type { Readable } from 'node:stream';

/** The exact digits of an integer too large for a double (events' `timeNano`), kept beside the parsed value. */
export const EXACT = Symbol('exact');

/**
 * Yields each line's value. With `exact`, what it returns for the raw line is
 * attached to the value under the `EXACT` symbol (not serialized).
 */
export async function* jsonLines<T>(res: Readable, exact?: (line: string) => string | undefined): AsyncGenerator<T> {
  let buf = '';
  const parse = (line: string): T => {
    const value = JSON.parse(line) as T;
    const extra = exact?.(line);
    if (extra !== undefined && value !== null && typeof value === 'object') {
      Object.defineProperty(value, EXACT, { value: extra, enumerable: false });
    }
    return value;
  };
  for await (const chunk of res) {
    buf += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') yield parse(line);
      nl = buf.indexOf('\n');
    }
  }
  if (buf.trim() !== '') yield parse(buf.trim());
}
