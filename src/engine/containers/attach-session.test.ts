import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { OutputChunk, Task, TaskAttachOptions } from '../runtime/types';
import { attachRun } from './attach-session';
import { RunOutput } from './run-output';
import type { Container, LogEntry } from './types';

/** A task whose output the test pushes; stdin and closes are recorded. */
class ScriptedTask {
  readonly stdin: Buffer[] = [];
  stdinClosed = false;
  attaches = 0;
  aborted = 0;
  private readonly streams = new Set<{ push(c: OutputChunk | null): void }>();

  emit(data: string): void {
    for (const s of this.streams) s.push({ stream: 'stdout', data: Buffer.from(data) });
  }
  end(): void {
    for (const s of this.streams) s.push(null);
  }
  attach(options: TaskAttachOptions = {}): AsyncIterable<OutputChunk> {
    this.attaches++;
    const queue: Array<OutputChunk | null> = [];
    let wake: (() => void) | undefined;
    const stream = {
      push: (c: OutputChunk | null) => {
        queue.push(c);
        wake?.();
      },
    };
    this.streams.add(stream);
    options.signal?.addEventListener('abort', () => {
      this.aborted++;
      stream.push(null);
    });
    queueMicrotask(() => options.onAttached?.());
    const streams = this.streams;
    return (async function* () {
      try {
        for (;;) {
          while (queue.length === 0)
            await new Promise<void>((r) => {
              wake = r;
            });
          const c = queue.shift();
          if (c === null || c === undefined) return;
          yield c;
        }
      } finally {
        streams.delete(stream);
      }
    })();
  }
  async writeStdin(data: Buffer): Promise<void> {
    this.stdin.push(data);
  }
  async closeStdin(): Promise<void> {
    this.stdinClosed = true;
  }
}

function container(tty: boolean, stdinOnce: boolean): Container {
  return { config: { tty, openStdin: true, stdinOnce }, logPath: '' } as unknown as Container;
}

const tick = () => new Promise((r) => setImmediate(r));

async function collect(it: AsyncIterable<LogEntry>): Promise<string> {
  let out = '';
  for await (const e of it) out += e.data.toString();
  return out;
}

describe('attach sessions', () => {
  it('gives clients that attached before the start the output from its first byte, then seals', async () => {
    const task = new ScriptedTask();
    const output = new RunOutput(task as unknown as Task);
    await tick();
    task.emit('prompt$ '); // written before any client subscribed
    await tick();
    const sub = output.subscribe();
    assert.ok(sub);
    output.seal();
    task.emit('more');
    task.end();
    let got = '';
    for await (const c of sub) got += c.data.toString();
    assert.equal(got, 'prompt$ more');
    assert.equal(output.connected, true);
  });

  it('closes the shared stream at once when nobody attached before the start', async () => {
    const task = new ScriptedTask();
    const output = new RunOutput(task as unknown as Task);
    await tick();
    output.seal();
    await output.done;
    assert.equal(task.aborted, 1);
    assert.equal(output.subscribe(), undefined);
  });

  it('TTY: forwards typed bytes, swallows the detach keys and ends the session there', async () => {
    const task = new ScriptedTask();
    const input = new PassThrough();
    const run = { task: task as unknown as Task, done: { promise: new Promise<void>(() => {}) }, logStart: 0 };
    const session = collect(
      attachRun(
        run,
        container(true, true),
        { stdin: true, stdout: true, stderr: true, logs: false, stream: true, input },
        undefined,
        false,
      ),
    );
    await tick();
    task.emit('/ # ');
    input.write('ls\r');
    await tick();
    input.write('\x10');
    await tick();
    input.write('\x11after');
    assert.equal(await session, '/ # ');
    assert.equal(Buffer.concat(task.stdin).toString(), 'ls\r');
    assert.equal(task.stdinClosed, false, 'a TTY keeps its stdin');
  });

  it('no TTY with StdinOnce: EOF closes the container stdin and the output goes on', async () => {
    const task = new ScriptedTask();
    const input = new PassThrough();
    const run = { task: task as unknown as Task, done: { promise: new Promise<void>(() => {}) }, logStart: 0 };
    const session = collect(
      attachRun(
        run,
        container(false, true),
        { stdin: true, stdout: true, stderr: true, logs: false, stream: true, input },
        undefined,
        false,
      ),
    );
    await tick();
    input.end('hi\n');
    await tick();
    await tick();
    assert.equal(task.stdinClosed, true);
    task.emit('hi\n');
    task.end();
    assert.equal(await session, 'hi\n');
  });

  it('TTY: the client EOF ends the session without closing stdin; no detach keys without a TTY', async () => {
    const task = new ScriptedTask();
    const input = new PassThrough();
    const run = { task: task as unknown as Task, done: { promise: new Promise<void>(() => {}) }, logStart: 0 };
    const session = collect(
      attachRun(
        run,
        container(true, true),
        { stdin: true, stdout: true, stderr: true, logs: false, stream: true, input },
        undefined,
        false,
      ),
    );
    await tick();
    input.end();
    assert.equal(await session, '');
    assert.equal(task.stdinClosed, false);

    const task2 = new ScriptedTask();
    const input2 = new PassThrough();
    const run2 = { task: task2 as unknown as Task, done: { promise: new Promise<void>(() => {}) }, logStart: 0 };
    const s2 = collect(
      attachRun(
        run2,
        container(false, false),
        { stdin: true, stdout: true, stderr: true, logs: false, stream: true, input: input2 },
        undefined,
        false,
      ),
    );
    await tick();
    input2.write('\x10\x11x');
    await tick();
    assert.equal(Buffer.concat(task2.stdin).toString(), '\x10\x11x');
    input2.end(); // no StdinOnce: the session ends
    assert.equal(await s2, '');
  });
});
