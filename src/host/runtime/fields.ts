/**
 * The field escaping shared by every message between TypeScript and the
 * native core (docs/design/0002-native-core.md §2): a line is space-separated
 * fields; "-" is the empty field; every byte outside %x21-7E, and "%", is
 * written %XX (upper-case hex); a literal "-" is "%2D".
 */

const HEX = '0123456789ABCDEF';

/** Escapes one field (a string is taken as UTF-8). */
export function encodeField(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length === 0) return '-';
  if (bytes.length === 1 && bytes[0] === 0x2d) return '%2D';
  let out = '';
  for (const c of bytes) {
    if (c > 0x20 && c < 0x7f && c !== 0x25) out += String.fromCharCode(c);
    else out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
  }
  return out;
}

/** One line: a word and its fields, without the line feed. */
export function encodeLine(word: string, ...fields: Array<string | Uint8Array>): string {
  return [word, ...fields.map(encodeField)].join(' ');
}

export class FieldError extends Error {
  override name = 'FieldError';
}

/** Decodes one field to bytes; throws FieldError on bad escapes or unescaped bytes. */
export function decodeFieldBytes(field: string): Buffer {
  if (field === '-') return Buffer.alloc(0);
  if (field === '') throw new FieldError('empty field (write "-")');
  const out = Buffer.alloc(field.length);
  let n = 0;
  for (let i = 0; i < field.length; i++) {
    const c = field.charCodeAt(i);
    if (c === 0x25) {
      const v = Number.parseInt(field.slice(i + 1, i + 3), 16);
      if (!/^[0-9A-Fa-f]{2}$/.test(field.slice(i + 1, i + 3)) || Number.isNaN(v)) {
        throw new FieldError(`bad %-escape in ${JSON.stringify(field)}`);
      }
      out[n++] = v;
      i += 2;
    } else if (c <= 0x20 || c >= 0x7f) {
      throw new FieldError(`unescaped byte 0x${c.toString(16)} in field`);
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

export function decodeField(field: string): string {
  return decodeFieldBytes(field).toString('utf8');
}

/** Splits a line into its raw (still escaped) fields; exactly one space between fields. */
export function splitLine(line: string): string[] {
  const parts = line.split(' ');
  if (parts.some((p) => p === '')) throw new FieldError(`malformed line ${JSON.stringify(line.slice(0, 80))}`);
  return parts;
}
