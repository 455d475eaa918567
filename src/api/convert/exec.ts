/**
 * Exec shapes between Docker's PascalCase wire and the engine: the create
 * body (validated here, at the border), the start body, and inspect.
 */
import { invalidArgument } from '../../common/errors';
import type { ExecConfig, ExecInstance } from '../../engine/containers';
import type { ExecInspectWire } from '../../wire';

function object(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`invalid ${what}: want a JSON object`);
  return v as Record<string, unknown>;
}

function str(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalidArgument(`invalid ${field}: want a string`);
  return v;
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw invalidArgument(`invalid ${field}: want a list of strings`);
  }
  return [...(v as string[])];
}

/** [height, width] of 0..65535 each; undefined when absent or [0, 0]. */
export function consoleSize(v: unknown): [number, number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 65535)
  ) {
    throw invalidArgument('invalid ConsoleSize: want [height, width]');
  }
  const [h, w] = v as [number, number];
  return h === 0 && w === 0 ? undefined : [h, w];
}

/** `POST /containers/{id}/exec` body → ExecConfig. An empty Cmd is the engine's 400. */
export function toExecConfig(body: unknown): ExecConfig {
  const b = object(body, 'exec configuration');
  const cmd = typeof b.Cmd === 'string' ? [b.Cmd] : strings(b.Cmd, 'Cmd');
  const config: ExecConfig = {
    cmd,
    env: strings(b.Env, 'Env'),
    workingDir: str(b.WorkingDir, 'WorkingDir'),
    user: str(b.User, 'User'),
    privileged: b.Privileged === true,
    tty: b.Tty === true,
    attachStdin: b.AttachStdin === true,
    attachStdout: b.AttachStdout === true,
    attachStderr: b.AttachStderr === true,
    detachKeys: str(b.DetachKeys, 'DetachKeys'),
  };
  if (config.workingDir !== '' && !config.workingDir.startsWith('/')) {
    throw invalidArgument(`the working directory '${config.workingDir}' is invalid, it needs to be an absolute path`);
  }
  const size = consoleSize(b.ConsoleSize);
  if (size !== undefined) config.consoleSize = size;
  return config;
}

export interface ExecStartBody {
  detach: boolean;
  tty: boolean;
  consoleSize: [number, number] | undefined;
}

/** `POST /exec/{id}/start` body (may be empty). */
export function toExecStart(body: unknown): ExecStartBody {
  const b = object(body, 'exec start configuration');
  return { detach: b.Detach === true, tty: b.Tty === true, consoleSize: consoleSize(b.ConsoleSize) };
}

/** `GET /exec/{id}/json`. */
export function toExecInspect(e: ExecInstance): ExecInspectWire {
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: {
      tty: e.config.tty,
      entrypoint: e.entrypoint,
      arguments: [...e.arguments],
      privileged: e.config.privileged,
      user: e.user,
    },
    OpenStdin: e.config.attachStdin,
    OpenStderr: e.config.attachStderr,
    OpenStdout: e.config.attachStdout,
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: e.config.detachKeys,
    Pid: e.pid,
  };
}
