/**
 * The image config of `docker commit` (moby `daemon/commit.go`): the
 * request's config with the `--change` instructions applied, completed from
 * the container's own config (moby's `merge`); `container_config` is the
 * container's config; one history entry (created_by = the container's
 * command) on top of the parent image's history.
 */
import { applyChanges } from '../images/changes';
import type { ContainerConfigFields, ImageConfigFile } from '../images/types';
import type { Container, ContainerConfig } from './types';

/** The container's config in the image config's PascalCase form. */
export function configFields(c: ContainerConfig): ContainerConfigFields {
  const out: ContainerConfigFields = {
    Hostname: c.hostname,
    Domainname: c.domainname,
    User: c.user,
    AttachStdin: c.attachStdin,
    AttachStdout: c.attachStdout,
    AttachStderr: c.attachStderr,
    Tty: c.tty,
    OpenStdin: c.openStdin,
    StdinOnce: c.stdinOnce,
    Env: [...c.env],
    Cmd: c.cmd === null ? null : [...c.cmd],
    Image: c.image,
    Volumes: c.volumes.length > 0 ? Object.fromEntries(c.volumes.map((v) => [v, {}])) : null,
    WorkingDir: c.workingDir,
    Entrypoint: c.entrypoint === null ? null : [...c.entrypoint],
    OnBuild: c.onBuild ?? null,
    Labels: { ...c.labels },
  };
  if (c.exposedPorts.length > 0) out.ExposedPorts = Object.fromEntries(c.exposedPorts.map((p) => [p, {}]));
  if (c.stopSignal !== undefined) out.StopSignal = c.stopSignal;
  if (c.healthcheck !== undefined) out.Healthcheck = c.healthcheck;
  if (c.argsEscaped !== undefined) out.ArgsEscaped = c.argsEscaped;
  return out;
}

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/** moby's merge: what the user's config leaves unset comes from `base`; env, ports, volumes and labels combine. */
export function mergeConfigFields(user: ContainerConfigFields, base: ContainerConfigFields): ContainerConfigFields {
  const out: ContainerConfigFields = { ...user };
  for (const key of ['User', 'Hostname', 'Domainname', 'WorkingDir', 'StopSignal', 'Image'] as const) {
    const v = base[key];
    if (isEmpty(out[key]) && typeof v === 'string' && v !== '') out[key] = v;
  }
  const env = [...(user.Env ?? [])];
  const have = new Set(env.map(envKey));
  for (const e of base.Env ?? []) if (!have.has(envKey(e))) env.push(e);
  out.Env = env;
  if (base.ExposedPorts || user.ExposedPorts) out.ExposedPorts = { ...base.ExposedPorts, ...user.ExposedPorts };
  if (base.Volumes || user.Volumes) out.Volumes = { ...base.Volumes, ...user.Volumes };
  out.Labels = { ...(base.Labels ?? {}), ...(user.Labels ?? {}) };
  if (isEmpty(user.Entrypoint)) {
    if (isEmpty(user.Cmd)) {
      out.Cmd = base.Cmd ?? null;
      if (base.ArgsEscaped !== undefined) out.ArgsEscaped = base.ArgsEscaped;
    }
    if (user.Entrypoint === undefined || user.Entrypoint === null) out.Entrypoint = base.Entrypoint ?? null;
  }
  if (isEmpty(out.OnBuild) && !isEmpty(base.OnBuild)) out.OnBuild = base.OnBuild ?? null;
  if (out.Healthcheck === undefined && base.Healthcheck !== undefined) out.Healthcheck = base.Healthcheck;
  for (const key of ['AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce'] as const) {
    if (out[key] === undefined && base[key] !== undefined) out[key] = base[key];
  }
  return out;
}

export interface CommitConfigInput {
  container: Container;
  parent: ImageConfigFile;
  request: { comment: string; author: string; changes: string[]; config?: ContainerConfigFields };
  /** RFC 3339. */
  created: string;
}

/** The new image's config, without rootfs (the image service computes it). */
export function commitConfig(input: CommitConfigInput): Omit<ImageConfigFile, 'rootfs'> {
  const { container: c, parent, request, created } = input;
  const containerConfig = configFields(c.config);
  const userConfig = applyChanges(request.config ?? {}, request.changes);
  const config = mergeConfigFields(userConfig, containerConfig);
  const history = [
    ...(parent.history ?? []),
    {
      created,
      ...(request.author !== '' ? { author: request.author } : {}),
      created_by: (c.config.cmd ?? [c.path, ...c.args]).join(' '),
      ...(request.comment !== '' ? { comment: request.comment } : {}),
    },
  ];
  const out: Omit<ImageConfigFile, 'rootfs'> = {
    architecture: parent.architecture ?? 'amd64',
    os: parent.os ?? 'linux',
    ...(parent.variant !== undefined ? { variant: parent.variant } : {}),
    created,
    container: c.id,
    container_config: containerConfig,
    config,
    history,
  };
  if (request.author !== '') out.author = request.author;
  if (request.comment !== '') out.comment = request.comment;
  return out;
}
