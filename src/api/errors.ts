/**
 * The one place where an error becomes an HTTP status (STYLE.md §5). Bodies
 * are `{"message":"..."}\n` with `Content-Type: application/json` exactly: the
 * Go client compares that header for equality.
 */
import type { ServerResponse } from 'node:http';
import { type ErrorKind, errorMessage, isEngineError } from '../common/errors';
import type { Logger } from '../common/log';
import { FilterSyntaxError } from '../wire';

const STATUS: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'not-modified': 304,
  'not-implemented': 501,
  unavailable: 503,
  internal: 500,
};

export function statusForKind(kind: ErrorKind): number {
  return STATUS[kind] ?? 500;
}

/** The status an error maps to; anything that is not an EngineError is a 500. */
export function statusForError(err: unknown): number {
  if (isEngineError(err)) return statusForKind(err.kind);
  if (err instanceof FilterSyntaxError) return 400;
  return 500;
}

/** Sends a JSON body with an exact `application/json` content type. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Writes `err` as the response. Only 5xx are logged as errors. */
export function writeError(
  res: ServerResponse,
  err: unknown,
  logger: Logger,
  fields: Record<string, string> = {},
): void {
  const status = statusForError(err);
  const message = errorMessage(err);
  if (status >= 500) logger.error('handler failed', { ...fields, status, err: message });
  else logger.debug('request failed', { ...fields, status, err: message });
  if (res.headersSent) {
    // Too late for a status: cut the connection so the client sees a truncated response.
    res.destroy();
    return;
  }
  if (status === 304) {
    res.writeHead(304);
    res.end();
    return;
  }
  sendJson(res, status, { message });
}
