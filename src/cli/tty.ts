/**
 * The user's terminal: raw mode for an interactive TTY session (restored
 * when the session ends, at exit and on SIGTERM/SIGHUP), its size, and its
 * size changes (SIGWINCH, which Node reports as the stream's 'resize').
 * Used by `run -it`, `start -ai`, `attach` and `exec -it`.
 */
import { spawnSync } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export interface TerminalInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface TerminalOutput extends Writable {
  isTTY?: boolean;
  rows?: number;
  columns?: number;
  getWindowSize?(): [number, number];
}

export interface TtySize {
  height: number;
  width: number;
}

/** The terminal's size, or undefined when `out` is not a terminal. */
export function terminalSize(out: TerminalOutput): TtySize | undefined {
  if (!out.isTTY) return undefined;
  let cols = out.columns ?? 0;
  let rows = out.rows ?? 0;
  if (typeof out.getWindowSize === 'function') {
    try {
      [cols, rows] = out.getWindowSize();
    } catch {
      // keep the cached values
    }
  }
  if (rows <= 0 || cols <= 0) return undefined;
  return { height: rows, width: cols };
}

/** Calls `onChange` with the new size on every resize of the terminal; returns the unsubscribe. */
export function watchTerminalSize(out: TerminalOutput, onChange: (size: TtySize) => void): () => void {
  if (!out.isTTY) return () => {};
  const handler = () => {
    const size = terminalSize(out);
    if (size !== undefined) onChange(size);
  };
  out.on('resize', handler);
  return () => {
    out.off('resize', handler);
  };
}

const RESTORE_SIGNALS = ['SIGTERM', 'SIGHUP'] as const;

/**
 * Puts `input` into raw mode (no echo, no line editing, no signals from
 * ^C/^Z: the bytes go to the container). Returns the restore function,
 * which is idempotent and also runs at process exit or on SIGTERM/SIGHUP
 * (then the process exits with 128+signal, as it would have). Returns a
 * no-op when `input` is not a terminal.
 */
export function setRawTerminal(input: TerminalInput): () => void {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return () => {};
  input.setRawMode(true);
  // Node's raw mode keeps output processing (\n -> \r\n); the container's pty did that already.
  // docker's raw mode turns it off too. Restoring the mode brings it back.
  if (input === process.stdin) spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    for (const [sig, h] of handlers) process.off(sig, h);
    try {
      input.setRawMode?.(false);
    } catch {
      // the terminal is gone
    }
  };
  const handlers = RESTORE_SIGNALS.map((sig) => {
    const h = () => {
      restore();
      process.exit(128 + (sig === 'SIGTERM' ? 15 : 1));
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  process.on('exit', restore);
  return restore;
}
