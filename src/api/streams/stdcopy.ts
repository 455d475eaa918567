/**
 * Docker's multiplexed stream (Tty=false): each chunk is an 8-byte header
 * `[type, 0, 0, 0, length uint32 BE]` and the payload, written in one write
 * (engine-api.md §4.2). With a TTY the bytes go raw.
 */
import type { Writable } from 'node:stream';

export type StdStreamType = 'stdin' | 'stdout' | 'stderr' | 'systemerr';

const TYPE_BYTE: Record<StdStreamType, number> = { stdin: 0, stdout: 1, stderr: 2, systemerr: 3 };

export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

/** One frame: header and payload in a single buffer. */
export function encodeFrame(stream: StdStreamType, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(8 + data.length);
  out.writeUInt32BE(0, 0);
  out[0] = TYPE_BYTE[stream];
  out.writeUInt32BE(data.length, 4);
  data.copy(out, 8);
  return out;
}

/** The Content-Type of an attach/logs stream: multiplexed for Tty=false from API 1.42, raw otherwise. */
export function streamContentType(tty: boolean, multiplexedHeader: boolean): string {
  return !tty && multiplexedHeader ? MULTIPLEXED_STREAM : RAW_STREAM;
}

/**
 * Writes output chunks framed (tty=false) or raw (tty=true) to `out`,
 * waiting for 'drain' when the peer is slow. Empty chunks are skipped.
 */
export class StdWriter {
  constructor(
    private readonly out: Writable,
    private readonly tty: boolean,
  ) {}

  /** False once the destination cannot take more (closed or destroyed). */
  get writable(): boolean {
    return !this.out.destroyed && !this.out.writableEnded;
  }

  async write(stream: StdStreamType, data: Buffer): Promise<void> {
    if (data.length === 0 || !this.writable) return;
    const chunk = this.tty ? data : encodeFrame(stream, data);
    if (this.out.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('close', done);
        resolve();
      };
      this.out.once('drain', done);
      this.out.once('close', done);
    });
  }
}

/**
 * A StdWriter for long replays (`logs`): consecutive chunks of one stream are
 * gathered into one frame (up to 64 KiB) instead of a frame and a socket write
 * per log line; what is gathered goes out when the stream changes, when the
 * batch is full, or on the next turn of the event loop, so a follower still
 * sees each line as soon as it is read. Clients decode frames of any length.
 */
export class BatchingStdWriter {
  private readonly writer: StdWriter;
  private stream: StdStreamType | undefined;
  private parts: Buffer[] = [];
  private size = 0;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(out: Writable, tty: boolean) {
    this.writer = new StdWriter(out, tty);
  }

  get writable(): boolean {
    return this.writer.writable;
  }

  async write(stream: StdStreamType, data: Buffer): Promise<void> {
    if (data.length === 0) return;
    if (this.stream !== stream && this.size > 0) await this.flush();
    this.stream = stream;
    this.parts.push(data);
    this.size += data.length;
    if (this.size >= 64 * 1024) {
      await this.flush();
      return;
    }
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      void this.flush();
    });
  }

  /** Sends what is gathered (waiting for the peer if it is slow). */
  async flush(): Promise<void> {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.size === 0 || this.stream === undefined) return;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    await this.writer.write(this.stream, data);
  }
}
