/**
 * Output as docker's CLI writes it: JSON re-indented by four spaces, list
 * formats (`table ...`, `json`, Go templates) and JSON-message progress streams.
 */
import type { JSONMessage } from '../wire';
import type { CliContext } from './command';
import { formatTable } from './render/template';

/** JSON as Go's json.MarshalIndent writes it with a four-space indent (<, >, & escaped). */
export function indentJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Renders list rows with docker's format rules (`table ...`, `json`, or a Go
 * template per row); an empty format is the command's default table.
 */
export function formatRows(
  format: string,
  rows: readonly object[],
  titles: Record<string, string>,
  defaultTable: string,
): string {
  return formatTable(format === '' ? defaultTable : format, rows, titles, { defaultTable });
}

/**
 * Prints a JSON-message stream (load, import, later pull/push/build) as the
 * docker CLI does off a terminal: `stream` verbatim, `status` lines with
 * their id, progress updates skipped; `aux` goes to the callback.
 */
export async function displayJsonMessages(
  ctx: CliContext,
  messages: AsyncIterable<JSONMessage>,
  options: { onAux?: (aux: unknown) => void; out?: NodeJS.WritableStream } = {},
): Promise<void> {
  const out = options.out ?? ctx.stdout;
  for await (const m of messages) {
    if (m.aux !== undefined) {
      options.onAux?.(m.aux);
      continue;
    }
    if (m.stream !== undefined) {
      out.write(m.stream);
      continue;
    }
    if (m.status !== undefined) {
      const detail = m.progressDetail as { current?: number } | undefined;
      if (detail?.current !== undefined) continue;
      out.write(m.id ? `${m.id}: ${m.status}\n` : `${m.status}\n`);
    }
  }
}

/** The 12-character short form of an ID ('sha256:' stripped). */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** cobra/docker's Ellipsis: cut to `max` display columns, the last one an ellipsis. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** Go's time.Time String(): '2026-11-23 07:34:43 +0000 UTC'. */
export function goTimeString(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}
