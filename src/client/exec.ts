/**
 * The exec endpoints as the docker CLI uses them (engine-api.md §5 P0.4):
 * create, start (detached, or hijacked with `Upgrade: tcp`), inspect,
 * resize. Functions over an EngineClient.
 */
import type { Duplex, Readable } from 'node:stream';
import type { ExecCreateRequest, ExecInspectWire, ExecStartRequest } from '../wire';
import type { EngineClient } from './engine-client';
import { decodeOutput, type OutputChunk } from './stdcopy';

/** A hijacked exec start. */
export interface AttachedExec {
  socket: Duplex;
  /** Output until the exec ends (the daemon closes its side after recording the exit code). */
  output: AsyncIterable<OutputChunk>;
  /** Half-closes: the exec's stdin sees EOF, output keeps coming. */
  closeWrite(): void;
  /** Copies `input` to the exec's stdin, half-closing at its end. */
  pipeStdin(input: Readable): void;
  close(): void;
}

/** `POST /containers/{id}/exec` → the exec's ID. */
export async function createExec(client: EngineClient, container: string, body: ExecCreateRequest): Promise<string> {
  const res = await client.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(container)}/exec`, {
    body,
  });
  return res.Id;
}

/** `POST /exec/{id}/start` with `Detach: true`: returns once the exec runs. */
export async function startExecDetached(client: EngineClient, id: string, tty: boolean): Promise<void> {
  const body: ExecStartRequest = { Detach: true, Tty: tty };
  await client.json('POST', `/exec/${encodeURIComponent(id)}/start`, { body });
}

/** `POST /exec/{id}/start` over a hijacked connection. */
export async function startExecAttached(
  client: EngineClient,
  id: string,
  options: { tty: boolean; consoleSize?: [number, number] },
): Promise<AttachedExec> {
  const body: ExecStartRequest = { Detach: false, Tty: options.tty };
  if (options.tty && options.consoleSize !== undefined) body.ConsoleSize = options.consoleSize;
  const { socket } = await client.hijack('POST', `/exec/${encodeURIComponent(id)}/start`, { body });
  let stdin: Readable | undefined;
  const stopStdin = () => {
    if (!stdin) return;
    stdin.unpipe(socket);
    stdin.pause();
    stdin = undefined;
  };
  const decoded = decodeOutput(socket, { tty: options.tty });
  const output = (async function* () {
    try {
      yield* decoded;
    } finally {
      stopStdin();
    }
  })();
  return {
    socket,
    output,
    closeWrite: () => {
      if (!socket.destroyed && !socket.writableEnded) socket.end();
    },
    pipeStdin: (input) => {
      stdin = input;
      input.pipe(socket, { end: true });
    },
    close: () => {
      stopStdin();
      socket.destroy();
    },
  };
}

export function inspectExec(client: EngineClient, id: string): Promise<ExecInspectWire> {
  return client.json<ExecInspectWire>('GET', `/exec/${encodeURIComponent(id)}/json`);
}

export async function resizeExec(client: EngineClient, id: string, size: { h: number; w: number }): Promise<void> {
  await client.json('POST', `/exec/${encodeURIComponent(id)}/resize`, { query: { h: size.h, w: size.w } });
}
