/**
 * The closed set of error kinds berth uses everywhere. The API maps a kind to
 * an HTTP status in one place (src/api/errors.ts); the CLI maps it to an exit
 * code. Messages that clients parse ("No such image: x") follow Docker's
 * wording exactly.
 */
export type ErrorKind =
  | 'invalid-argument' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'conflict' // 409
  | 'not-modified' // 304
  | 'not-implemented' // 501
  | 'unavailable' // 503
  | 'internal'; // 500

export interface EngineErrorOptions {
  /** A stable machine-readable code, e.g. 'image-in-use'. */
  code?: string;
  /** A hint for the user, printed after the message by the CLI. */
  hint?: string;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly kind: ErrorKind;
  readonly code: string | undefined;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.kind = kind;
    this.code = options.code;
    this.hint = options.hint;
  }
}

export const invalidArgument = (message: string, options?: EngineErrorOptions): EngineError =>
  new EngineError('invalid-argument', message, options);
export const notFound = (message: string, options?: EngineErrorOptions): EngineError =>
  new EngineError('not-found', message, options);
export const conflict = (message: string, options?: EngineErrorOptions): EngineError =>
  new EngineError('conflict', message, options);
export const forbidden = (message: string, options?: EngineErrorOptions): EngineError =>
  new EngineError('forbidden', message, options);
export const notImplemented = (message: string, options?: EngineErrorOptions): EngineError =>
  new EngineError('not-implemented', message, options);
export const internal = (message: string, options?: EngineErrorOptions): EngineError =>
  new EngineError('internal', message, options);

export function isEngineError(err: unknown, kind?: ErrorKind): err is EngineError {
  return err instanceof EngineError && (kind === undefined || err.kind === kind);
}

/** The errno code of a Node system error ('ENOENT', ...), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
