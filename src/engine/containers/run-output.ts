/**
 * The live output of one run, for the clients that attached before it
 * started (`docker run`, `docker start -a`). The engine opens the shim's
 * attach right after the start; the shim hands its first attach everything
 * the process wrote before it (docs/design/0002-native-core.md §4), so these
 * clients see the output from its first byte - a shell's prompt included -
 * live, without going through the log. The stream is shared by every such
 * client and closed when the last one leaves (an unwatched container costs
 * the daemon nothing).
 *
 * If the shim was gone before the engine could attach (a process that exits
 * at once), `connected` stays false and the clients read that run's log
 * instead: nothing was delivered live, so nothing is duplicated.
 */
import type { OutputChunk, Task } from '../runtime/types';

/** A subscriber this far behind (a stalled HTTP client) is dropped, like a slow shim client. */
const MAX_BEHIND = 4 << 20;
/** What is kept for subscribers still to come, until the engine seals the stream (as the shim keeps). */
const BACKLOG_MAX = 1 << 20;

class Subscriber implements AsyncIterator<OutputChunk> {
  readonly queue: OutputChunk[] = [];
  queued = 0;
  ended = false;
  private waiter: ((r: IteratorResult<OutputChunk>) => void) | undefined;

  constructor(private readonly leave: (s: Subscriber) => void) {}

  push(chunk: OutputChunk): void {
    if (this.ended) return;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w({ done: false, value: chunk });
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.data.length;
    if (this.queued > MAX_BEHIND) this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    if (w && this.queue.length === 0) w({ done: true, value: undefined });
    else if (w) w({ done: false, value: this.shift() });
  }

  private shift(): OutputChunk {
    const c = this.queue.shift() as OutputChunk;
    this.queued -= c.data.length;
    return c;
  }

  next(): Promise<IteratorResult<OutputChunk>> {
    if (this.queue.length > 0) return Promise.resolve({ done: false, value: this.shift() });
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<OutputChunk>> {
    this.queue.length = 0;
    this.end();
    this.leave(this);
    return Promise.resolve({ done: true, value: undefined });
  }
}

export class RunOutput {
  private readonly subscribers = new Set<Subscriber>();
  private readonly abort = new AbortController();
  private finished = false;
  /** Output kept for the subscribers still to come (until sealed). */
  private backlog: OutputChunk[] | undefined = [];
  private backlogBytes = 0;
  /** The shim accepted the attach (its early output is in this stream). */
  connected = false;
  /** Resolves when the stream has ended (the run's output is over, or it was released). */
  readonly done: Promise<void>;

  constructor(task: Task) {
    this.done = this.pump(task);
  }

  private async pump(task: Task): Promise<void> {
    try {
      const source = task.attach({
        signal: this.abort.signal,
        onAttached: () => {
          this.connected = true;
        },
      });
      for await (const chunk of source) {
        if (this.backlog !== undefined && this.backlogBytes < BACKLOG_MAX) {
          this.backlog.push(chunk);
          this.backlogBytes += chunk.data.length;
        }
        for (const s of this.subscribers) s.push(chunk);
      }
    } catch {
      // The shim went away mid-stream: the subscribers see the end.
    } finally {
      this.finished = true;
      for (const s of this.subscribers) s.end();
      this.subscribers.clear();
    }
  }

  /** The output from the start of the run; undefined once the stream has been released. */
  subscribe(): AsyncIterable<OutputChunk> | undefined {
    if (this.abort.signal.aborted) return undefined;
    const sub = new Subscriber((s) => this.leave(s));
    for (const chunk of this.backlog ?? []) sub.push(chunk);
    if (this.finished) sub.end();
    else this.subscribers.add(sub);
    return { [Symbol.asyncIterator]: () => sub };
  }

  private leave(s: Subscriber): void {
    this.subscribers.delete(s);
    if (this.backlog === undefined) this.releaseIfUnused();
  }

  /**
   * The clients that attached before the start have subscribed: later ones
   * would not get the output from its start anyway. Drops the backlog and
   * closes the stream when nobody reads it.
   */
  seal(): void {
    this.backlog = undefined;
    this.backlogBytes = 0;
    this.releaseIfUnused();
  }

  /** Closes the shim attach when nobody is reading it. */
  releaseIfUnused(): void {
    if (this.subscribers.size === 0 && !this.abort.signal.aborted) this.abort.abort();
  }
}
