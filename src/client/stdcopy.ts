/**
 * Reading Docker's attach/logs streams: multiplexed frames (Tty=false,
 * `[type, 0, 0, 0, length uint32 BE]` + payload) or raw bytes (Tty=true).
 */
import type { Readable } from 'node:stream';
import { ClientError } from './errors';

export type OutputStreamName = 'stdin' | 'stdout' | 'stderr';

export interface OutputChunk {
  stream: OutputStreamName;
  data: Buffer;
}

export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

const NAMES: Record<number, OutputStreamName> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };

/**
 * Splits a multiplexed stream into chunks. A type-3 frame (an error from the
 * daemon) ends the stream with a ClientError, as Go's StdCopy does; any other
 * unknown type is a protocol error.
 */
export async function* demultiplex(input: AsyncIterable<Buffer | string>): AsyncGenerator<OutputChunk> {
  let buffered: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    buffered = buffered.length === 0 ? toBuffer(chunk) : Buffer.concat([buffered, toBuffer(chunk)]);
    while (buffered.length >= 8) {
      const type = buffered[0] ?? 0;
      const length = buffered.readUInt32BE(4);
      if (buffered.length < 8 + length) break;
      const data = Buffer.from(buffered.subarray(8, 8 + length));
      buffered = buffered.subarray(8 + length);
      if (type === 3) {
        throw new ClientError(`error from daemon in stream: ${data.toString('utf8')}`, { status: 0, inStream: true });
      }
      const stream = NAMES[type];
      if (stream === undefined) {
        throw new ClientError(`Unrecognized input header: ${type}`, { status: 0, inStream: true });
      }
      // Type 0 (stdin) is written to stdout, as the Go client does.
      if (data.length > 0) yield { stream: stream === 'stdin' ? 'stdout' : stream, data };
    }
  }
  if (buffered.length > 0) {
    throw new ClientError('unexpected end of a multiplexed stream (truncated frame)', { status: 0, inStream: true });
  }
}

/** A raw (TTY) stream as stdout chunks. */
export async function* rawOutput(input: AsyncIterable<Buffer | string>): AsyncGenerator<OutputChunk> {
  for await (const chunk of input) {
    const data = toBuffer(chunk);
    if (data.length > 0) yield { stream: 'stdout', data };
  }
}

/** Chooses the decoder: by `tty` when the caller knows it, else by the response's Content-Type. */
export function decodeOutput(
  input: Readable,
  options: { tty?: boolean | undefined; contentType?: string | undefined },
): AsyncGenerator<OutputChunk> {
  const tty = options.tty ?? options.contentType !== MULTIPLEXED_STREAM;
  return tty ? rawOutput(input) : demultiplex(input);
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}
