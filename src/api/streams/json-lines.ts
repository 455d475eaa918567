/**
 * A JSON-lines progress stream (pull, push, build, load, import): one object
 * per line ending in `\r\n`, chunked, flushed as it goes. Headers are sent
 * with the first line, so a failure before anything was written can still be
 * answered with a normal error status.
 */
import type { ServerResponse } from 'node:http';
import { errorMessage } from '../../common/errors';
import type { JSONMessage } from '../../wire';

export class JsonLinesWriter {
  private begun = false;

  constructor(private readonly res: ServerResponse) {}

  /** True once the status line and headers went out. */
  get started(): boolean {
    return this.begun || this.res.headersSent;
  }

  /** Sends the headers now (for streams whose client waits for them). */
  begin(): void {
    if (this.started) return;
    this.begun = true;
    this.res.writeHead(200, { 'Content-Type': 'application/json' });
    this.res.flushHeaders();
  }

  write(message: JSONMessage): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    this.begin();
    this.res.write(`${JSON.stringify(message)}\r\n`);
  }

  /** The in-band error line both the Go CLI (errorDetail) and docker-py (error) read. */
  writeError(err: unknown): void {
    const message = errorMessage(err);
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    if (this.res.writableEnded) return;
    this.begin();
    this.res.end();
  }
}
