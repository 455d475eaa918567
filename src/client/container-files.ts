/**
 * Client calls over a container's files: archive (cp), changes (diff),
 * export and commit (engine-api.md §4.9, §8).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { EngineClient } from './engine-client';
import { ClientError } from './errors';

/** Docker's container.PathStat (mode is a Go os.FileMode). */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export const GO_MODE_DIR = 2 ** 31;
export const GO_MODE_SYMLINK = 2 ** 27;

const STAT_HEADER = 'x-docker-container-path-stat';

function pathStatOf(res: IncomingMessage): ContainerPathStat {
  const raw = res.headers[STAT_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) throw new ClientError('unable to get resource stat from response', { status: 0 });
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as ContainerPathStat;
}

function archivePath(id: string): string {
  return `/containers/${encodeURIComponent(id)}/archive`;
}

/** HEAD archive: the stat of a path in the container; a ClientError (404 when missing) otherwise. */
export async function statContainerPath(client: EngineClient, id: string, path: string): Promise<ContainerPathStat> {
  const res = await client.raw('HEAD', archivePath(id), { query: { path } });
  res.resume();
  const status = res.statusCode ?? 0;
  if (status === 404) throw new ClientError(`Could not find the file ${path} in container ${id}`, { status });
  if (status >= 400) throw new ClientError(`request returned ${status} ${res.statusMessage ?? ''}`, { status });
  return pathStatOf(res);
}

/** GET archive: the stat and the tar stream. */
export async function copyFromContainer(
  client: EngineClient,
  id: string,
  path: string,
): Promise<{ stat: ContainerPathStat; content: Readable }> {
  const res = await client.call('GET', archivePath(id), { query: { path } });
  return { stat: pathStatOf(res), content: res };
}

/** PUT archive: extracts the tar `content` into the directory `path`. */
export async function copyToContainer(
  client: EngineClient,
  id: string,
  path: string,
  content: Readable,
  options: { copyUIDGID?: boolean } = {},
): Promise<void> {
  const res = await client.call('PUT', archivePath(id), {
    query: { path, noOverwriteDirNonDir: 'true', copyUIDGID: options.copyUIDGID ? 'true' : undefined },
    body: content,
    headers: { 'Content-Type': 'application/x-tar' },
  });
  res.resume();
  await new Promise((resolve) => res.once('end', resolve));
}

export interface ContainerChangeWire {
  Path: string;
  Kind: 0 | 1 | 2;
}

export async function containerChanges(client: EngineClient, id: string): Promise<ContainerChangeWire[]> {
  return (
    (await client.json<ContainerChangeWire[] | null>('GET', `/containers/${encodeURIComponent(id)}/changes`)) ?? []
  );
}

export function exportContainer(client: EngineClient, id: string): Promise<Readable> {
  return client.call('GET', `/containers/${encodeURIComponent(id)}/export`);
}

export interface CommitContainerOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  changes?: string[];
  pause?: boolean;
}

export async function commitContainer(
  client: EngineClient,
  id: string,
  options: CommitContainerOptions = {},
): Promise<{ Id: string }> {
  return client.json('POST', '/commit', {
    query: {
      container: id,
      repo: options.repo || undefined,
      tag: options.tag || undefined,
      comment: options.comment || undefined,
      author: options.author || undefined,
      changes: options.changes && options.changes.length > 0 ? options.changes : undefined,
      pause: options.pause === false ? '0' : undefined,
    },
  });
}
