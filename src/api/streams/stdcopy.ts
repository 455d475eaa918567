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
