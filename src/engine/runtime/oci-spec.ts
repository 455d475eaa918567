/**
 * The subset of the OCI runtime spec (opencontainers/runtime-spec
 * config.md, config-linux.md) that berth fills in, with the spec's JSON
 * field names, so that `config.json` in a bundle reads as runc would read it.
 */

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  domainname?: string;
  mounts: OciMount[];
  linux: OciLinux;
}

export interface OciProcess {
  terminal: boolean;
  /** With a terminal: its size at start (rows, cols). */
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; umask?: number; additionalGids: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: {
    bounding: string[];
    effective: string[];
    permitted: string[];
    inheritable?: string[];
    ambient?: string[];
  };
  rlimits: OciRlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
}

export interface OciRlimit {
  /** RLIMIT_NOFILE, ... */
  type: string;
  soft: number;
  hard: number;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface OciNamespace {
  type: OciNamespaceType;
  path?: string;
}

export interface OciDevice {
  path: string;
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciDeviceCgroup {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciSeccompArg {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls: Array<{ names: string[]; action: string; errnoRet?: number; args?: OciSeccompArg[] }>;
}

export interface OciLinux {
  namespaces: OciNamespace[];
  devices: OciDevice[];
  resources: { devices: OciDeviceCgroup[] };
  cgroupsPath: string;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp?: OciSeccomp;
  sysctl?: Record<string, string>;
}

/** JSON for config.json (64-bit seccomp values beyond 2^53 written exactly). */
export function specToJson(spec: OciSpec): string {
  const text = JSON.stringify(spec, (_k, v) => (typeof v === 'bigint' ? `__bigint:${v}` : v), 2);
  return `${text.replace(/"__bigint:(\d+)"/g, '$1')}\n`;
}
