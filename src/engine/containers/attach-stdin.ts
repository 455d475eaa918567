/**
 * An attach session's stdin, with moby's semantics (engine-api.md §4.1;
 * moby container/stream/attach.go):
 * - TTY: the bytes go to the pty; the detach keys end the session (the
 *   container keeps running); the client's EOF ends the session too.
 * - no TTY: the bytes go to the pipe; at the client's EOF the container's
 *   stdin is closed when the container has `StdinOnce`, otherwise the
 *   session ends. No detach keys (moby scans only TTY input).
 */
import type { Readable } from 'node:stream';
import { DetachKeyScanner } from '../../common/detach-keys';
import type { Task } from '../runtime/types';

export interface AttachStdinOptions {
  tty: boolean;
  stdinOnce: boolean;
  /** The detach sequence (TTY only); empty = none. */
  detachKeys: readonly number[];
  /** The session must end: 'detach' (the keys) or 'eof' (the client's stdin ended). */
  onEnd(reason: 'detach' | 'eof'): void;
}

/** Starts forwarding `input` to the container; returns a function that stops it. */
export function forwardAttachStdin(task: Task, input: Readable, options: AttachStdinOptions): () => void {
  const scanner = options.tty ? new DetachKeyScanner(options.detachKeys) : undefined;
  let stopped = false;
  let writing: Promise<void> = Promise.resolve();
  const send = (data: Buffer): Promise<void> => {
    if (data.length === 0) return Promise.resolve();
    input.pause();
    writing = task.writeStdin(data).then(
      () => {
        if (!stopped) input.resume();
      },
      () => stop(),
    );
    return writing;
  };
  const onData = (chunk: Buffer | string) => {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (scanner === undefined) {
      void send(data);
      return;
    }
    const { forward, detached } = scanner.feed(data);
    if (!detached) {
      void send(forward);
      return;
    }
    stop();
    void send(forward).finally(() => options.onEnd('detach'));
  };
  const onEnd = () => {
    if (stopped) return;
    stop();
    if (!options.tty && options.stdinOnce) {
      void writing.then(() => task.closeStdin()).catch(() => undefined);
      return;
    }
    options.onEnd('eof');
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    input.off('data', onData);
    input.off('end', onEnd);
  };
  input.on('data', onData);
  input.once('end', onEnd);
  return stop;
}
