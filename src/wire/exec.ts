/**
 * Docker's exec JSON shapes (Engine API 1.44, moby `api/types/container`
 * ExecOptions, ExecStartOptions, and the daemon's ExecInspect).
 */

/** `POST /containers/{id}/exec` body. */
export interface ExecCreateRequest {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  /** [height, width], API >= 1.42. */
  ConsoleSize?: [number, number] | null;
  AttachStdin?: boolean;
  AttachStderr?: boolean;
  AttachStdout?: boolean;
  /** Unused by the daemon (kept for the wire). */
  Detach?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd?: string[] | null;
}

/** `POST /containers/{id}/exec` answer (201). */
export interface ExecCreateResponse {
  Id: string;
}

/** `POST /exec/{id}/start` body. */
export interface ExecStartRequest {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

export interface ExecProcessConfigWire {
  tty: boolean;
  entrypoint: string;
  arguments: string[];
  privileged: boolean;
  user: string;
}

/** `GET /exec/{id}/json`. ExitCode is null while the exec has not finished. */
export interface ExecInspectWire {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: ExecProcessConfigWire;
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}
