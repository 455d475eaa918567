/**
 * One attach session on a running (or just started) container: output from
 * the shim live (raw pty bytes for a TTY, as `stdout`), stdin forwarded with
 * moby's EOF and detach-key rules (attach-stdin.ts), ended by the container's
 * exit, the client's hang-up, its EOF (see attach-stdin.ts) or the detach keys.
 */
import { DEFAULT_DETACH_KEYS } from '../../common/detach-keys';
import type { OutputChunk, Task } from '../runtime/types';
import { forwardAttachStdin } from './attach-stdin';
import { readJsonLog } from './log-reader';
import type { RunOutput } from './run-output';
import { rfc3339Nano } from './state';
import type { AttachOptions, Container, LogEntry } from './types';

export interface AttachableRun {
  task: Task;
  done: { promise: Promise<void> };
  logStart: number;
}

/**
 * Streams `run` to one client. `early` is the run's shared stream from its
 * first byte (attach before the start); without it the output is live from now.
 */
export async function* attachRun(
  run: AttachableRun,
  c: Container,
  o: AttachOptions,
  early: RunOutput | undefined,
  hasLog: boolean,
): AsyncGenerator<LogEntry> {
  const session = new AbortController();
  const onClientGone = () => session.abort();
  if (o.signal?.aborted) return;
  o.signal?.addEventListener('abort', onClientGone, { once: true });
  const stopStdin =
    o.stdin && o.input !== undefined && c.config.openStdin
      ? forwardAttachStdin(run.task, o.input, {
          tty: c.config.tty,
          stdinOnce: c.config.stdinOnce,
          detachKeys: o.detachKeys ?? DEFAULT_DETACH_KEYS,
          onEnd: () => session.abort(),
        })
      : undefined;
  const wanted = (chunk: OutputChunk) => (chunk.stream === 'stdout' ? o.stdout : o.stderr);
  const now = () => rfc3339Nano(new Date());
  try {
    const shared = early?.subscribe();
    const source = shared ?? run.task.attach({ signal: session.signal });
    for await (const chunk of untilAborted(source, session.signal)) {
      if (wanted(chunk)) yield { stream: chunk.stream, data: chunk.data, time: now() };
    }
    // The shim was gone before the engine could attach: this run's output is all in its log.
    if (shared !== undefined && early !== undefined && !early.connected && hasLog && !session.signal.aborted) {
      yield* readJsonLog(c.logPath, {
        stdout: o.stdout,
        stderr: o.stderr,
        since: 0,
        until: 0,
        tail: -1,
        startOffset: run.logStart,
        follow: { done: run.done.promise },
        signal: session.signal,
      });
    }
  } finally {
    stopStdin?.();
    session.abort();
    o.signal?.removeEventListener('abort', onClientGone);
  }
}

/** Iterates `source` until it ends or `signal` aborts (then the source is told to return). */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    for (;;) {
      const r = await Promise.race([it.next(), aborted]);
      if (r === 'aborted' || r.done) return;
      yield r.value;
    }
  } finally {
    // Not awaited: a source waiting for output ends when its connection closes (the abort did that).
    void it.return?.()?.catch(() => undefined);
  }
}
