/**
 * `--init` (HostConfig.Init): berth-core, which is static, bind-mounted
 * read-only at /sbin/docker-init and put in front of the container's
 * command, as Docker does with tini (moby daemon/oci_linux.go WithNamespaces
 * / withInit: only with a private PID namespace). As PID 1 it forwards
 * signals to the command and reaps every zombie
 * (docs/design/0002-native-core.md §10).
 */
import type { ExtraMount } from '../runtime/types';

export const INIT_PATH = '/sbin/docker-init';

export interface InitChoice {
  /** HostConfig.Init: undefined = the daemon's default (off, as dockerd's). */
  init: boolean | undefined;
  /** HostConfig.PidMode: '' (private), 'host', 'container:<id>'. */
  pidMode: string;
  /** The host path of the init binary (berth-core). */
  initBinary: string;
}

/** The process and the extra mount of a container, with its init when it asked for one. */
export function withInit(args: readonly string[], choice: InitChoice): { args: string[]; mounts: ExtraMount[] } {
  const privatePid = choice.pidMode === '' || choice.pidMode === 'private';
  if (choice.init !== true || !privatePid) return { args: [...args], mounts: [] };
  return {
    args: [INIT_PATH, '--', ...args],
    mounts: [{ type: 'bind', source: choice.initBinary, destination: INIT_PATH, options: ['bind', 'ro'] }],
  };
}
