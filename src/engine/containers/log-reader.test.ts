import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { testDir } from '../../../test/helpers/names';
import { decodeLogLine, type ReadJsonLogOptions, readJsonLog } from './log-reader';
import type { LogEntry } from './types';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

function line(log: string, stream: 'stdout' | 'stderr', second: number): string {
  const time = `2024-01-01T00:00:${String(second).padStart(2, '0')}.123456789Z`;
  return `${JSON.stringify({ log, stream, time })}\n`;
}

async function logFile(lines: string[], rotated: string[][] = []): Promise<string> {
  const dir = testDir('logs');
  dirs.push(dir);
  const file = path.join(dir, 'c-json.log');
  await fs.writeFile(file, lines.join(''));
  for (const [i, r] of rotated.entries()) await fs.writeFile(`${file}.${i + 1}`, r.join(''));
  return file;
}

const ALL: ReadJsonLogOptions = { stdout: true, stderr: true, since: 0, until: 0, tail: -1 };
const T0 = Date.parse('2024-01-01T00:00:00Z') / 1000;

async function read(file: string, options: Partial<ReadJsonLogOptions> = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readJsonLog(file, { ...ALL, ...options })) out.push(`${e.stream}:${e.data.toString()}`);
  return out;
}

describe('readJsonLog', () => {
  const ten = Array.from({ length: 10 }, (_, i) => line(`l${i}\n`, i % 3 === 0 ? 'stderr' : 'stdout', i));

  it('decodes a line', () => {
    const e = decodeLogLine('{"log":"hi\\n","stream":"stdout","time":"2024-01-01T00:00:00.5Z"}') as LogEntry;
    assert.equal(e.data.toString(), 'hi\n');
    assert.equal(e.stream, 'stdout');
    assert.equal(decodeLogLine('{"log":'), undefined);
  });

  it('reads everything in order and filters streams', async () => {
    const file = await logFile(ten);
    assert.equal((await read(file)).length, 10);
    assert.deepEqual(await read(file, { stdout: false }), ['stderr:l0\n', 'stderr:l3\n', 'stderr:l6\n', 'stderr:l9\n']);
  });

  it('applies since and until (nanosecond times)', async () => {
    const file = await logFile(ten);
    assert.deepEqual(await read(file, { since: T0 + 8 }), ['stdout:l8\n', 'stderr:l9\n']);
    assert.deepEqual(await read(file, { since: T0 + 8.5 }), ['stderr:l9\n']);
    assert.deepEqual(await read(file, { until: T0 + 1.2 }), ['stderr:l0\n', 'stdout:l1\n']);
  });

  it('tails from the end, before stream filtering (as dockerd)', async () => {
    const file = await logFile(ten);
    assert.deepEqual(await read(file, { tail: 2 }), ['stdout:l8\n', 'stderr:l9\n']);
    assert.deepEqual(await read(file, { tail: 0 }), []);
    assert.deepEqual(await read(file, { tail: 3, stderr: false }), ['stdout:l7\n', 'stdout:l8\n']);
  });

  it('tails a large log by reading backwards across chunk boundaries', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => line(`${'x'.repeat(i % 97)}${i}\n`, 'stdout', i % 60));
    const file = await logFile(many);
    const got = await read(file, { tail: 1500 });
    assert.equal(got.length, 1500);
    assert.ok(got[0]?.endsWith('3500\n'));
    assert.ok(got[1499]?.endsWith('4999\n'));
  });

  it('reads rotated files oldest first, including gzip ones, and tails across them', async () => {
    const file = await logFile([line('new\n', 'stdout', 5)], [[line('mid\n', 'stdout', 3)], []]);
    await fs.writeFile(`${file}.2.gz`, gzipSync(line('old\n', 'stdout', 1)));
    await fs.rm(`${file}.2`);
    assert.deepEqual(await read(file), ['stdout:old\n', 'stdout:mid\n', 'stdout:new\n']);
    assert.deepEqual(await read(file, { tail: 2 }), ['stdout:mid\n', 'stdout:new\n']);
    assert.deepEqual(await read(file, { tail: 5 }), ['stdout:old\n', 'stdout:mid\n', 'stdout:new\n']);
  });

  it('keeps partial messages as they are and skips a torn or corrupt line', async () => {
    const file = await logFile([
      line('first half ', 'stdout', 1),
      line('second half\n', 'stdout', 1),
      'garbage\n',
      line('last\n', 'stderr', 2).slice(0, 20),
    ]);
    assert.deepEqual(await read(file), ['stdout:first half ', 'stdout:second half\n']);
  });

  it('a missing log is empty', async () => {
    const dir = testDir('logs');
    dirs.push(dir);
    assert.deepEqual(await read(path.join(dir, 'none.log')), []);
  });

  it('follows appended lines across a rotation until told to stop, then drains', async () => {
    const file = await logFile([line('a\n', 'stdout', 1)]);
    let stop!: () => void;
    const done = new Promise<void>((r) => {
      stop = r;
    });
    const seen: string[] = [];
    const reader = (async () => {
      for await (const e of readJsonLog(file, { ...ALL, follow: { done, pollMs: 10 } })) seen.push(e.data.toString());
    })();
    await new Promise((r) => setTimeout(r, 50));
    const half = line('b\n', 'stdout', 2);
    await fs.appendFile(file, half.slice(0, 10));
    await new Promise((r) => setTimeout(r, 40));
    await fs.appendFile(file, half.slice(10));
    await new Promise((r) => setTimeout(r, 40));
    await fs.rename(file, `${file}.1`);
    await fs.writeFile(file, line('c\n', 'stdout', 3));
    await new Promise((r) => setTimeout(r, 40));
    await fs.appendFile(file, line('d\n', 'stdout', 4));
    stop();
    await reader;
    assert.deepEqual(seen, ['a\n', 'b\n', 'c\n', 'd\n']);
  });

  it('follows from a byte offset (attach before start) and stops on abort', async () => {
    const first = line('old\n', 'stdout', 1);
    const file = await logFile([first]);
    const ac = new AbortController();
    const seen: string[] = [];
    const reader = (async () => {
      for await (const e of readJsonLog(file, {
        ...ALL,
        startOffset: Buffer.byteLength(first),
        follow: { done: new Promise(() => {}), pollMs: 10 },
        signal: ac.signal,
      })) {
        seen.push(e.data.toString());
      }
    })();
    await fs.appendFile(file, line('new\n', 'stdout', 2));
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await reader;
    assert.deepEqual(seen, ['new\n']);
  });
});

describe('decodeLogLine on Buffers', () => {
  it('gives back the exact bytes, stream and time of the lines the shim writes', () => {
    const lines = [
      { log: 'hello world\n', stream: 'stdout', time: '2026-11-23T09:00:00.123456789Z' },
      { log: 'no newline', stream: 'stderr', time: '2026-11-23T09:00:00Z' },
      { log: 'ünïcödé ✓\n', stream: 'stdout', time: '2026-11-23T09:00:01.5Z' },
      { log: 'tab\there "quoted" \\ back\n', stream: 'stdout', time: '2026-11-23T09:00:02Z' },
      { log: '<b>&amp;</b>\r\n', stream: 'stderr', time: '2026-11-23T09:00:03Z' },
      { log: '\n', stream: 'stdout', time: '2026-11-23T09:00:04Z' },
    ];
    for (const l of lines) {
      const entry = decodeLogLine(Buffer.from(JSON.stringify(l)));
      assert.deepEqual(entry, { stream: l.stream, data: Buffer.from(l.log), time: l.time }, JSON.stringify(l));
    }
    // An unknown stream reads as stdout.
    assert.deepEqual(decodeLogLine(Buffer.from('{"log":"x","stream":"other","time":"t"}')), {
      stream: 'stdout',
      data: Buffer.from('x'),
      time: 't',
    });
    assert.equal(decodeLogLine(Buffer.from('{"log":"x"')), undefined);
  });
});
