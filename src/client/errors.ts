/** Errors the client raises. `status` is the HTTP status, or 0 when the daemon was not reached. */
export class ClientError extends Error {
  readonly status: number;
  /** True when the error arrived inside a progress stream (errorDetail), after a 200. */
  readonly inStream: boolean;
  /** The errorDetail code of an in-stream error (a build step's exit code), if any. */
  readonly code: number | undefined;

  constructor(message: string, options: { status: number; inStream?: boolean; code?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.status = options.status;
    this.inStream = options.inStream ?? false;
    this.code = options.code;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
  get isConflict(): boolean {
    return this.status === 409;
  }
  /** The daemon could not be reached at all. */
  get isConnectionError(): boolean {
    return this.status === 0 && !this.inStream;
  }
}

/** The connection-failure wording, after docker's "Cannot connect to the Docker daemon at ...". */
export function connectionError(host: string, cause: unknown): ClientError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const message =
    code === 'EACCES'
      ? `permission denied while trying to connect to the berth daemon socket at ${host}`
      : `Cannot connect to the berth daemon at ${host}. Is berthd running?`;
  return new ClientError(message, { status: 0, cause });
}
