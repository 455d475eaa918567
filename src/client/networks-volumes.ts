/** Networks, volumes and disk usage over the Engine API (functions over an EngineClient, like exec.ts). */
import {
  type Filters,
  type NetworkConnectRequest,
  type NetworkCreateRequest,
  type NetworkCreateResponse,
  type NetworkInspectWire,
  type NetworksPruneReport,
  serializeFilters,
  type VolumeCreateRequest,
  type VolumeListResponse,
  type VolumesPruneReport,
  type VolumeWire,
} from '../wire';
import type { EngineClient } from './engine-client';

const filtersQuery = (filters: Filters | undefined) =>
  filters === undefined ? undefined : serializeFilters(filters) || undefined;
const enc = encodeURIComponent;

export function createNetwork(client: EngineClient, body: NetworkCreateRequest): Promise<NetworkCreateResponse> {
  return client.json('POST', '/networks/create', { body });
}

export function listNetworks(client: EngineClient, filters?: Filters): Promise<NetworkInspectWire[]> {
  return client.json('GET', '/networks', { query: { filters: filtersQuery(filters) } });
}

export function inspectNetwork(client: EngineClient, id: string): Promise<NetworkInspectWire> {
  return client.json('GET', `/networks/${enc(id)}`);
}

export async function removeNetwork(client: EngineClient, id: string): Promise<void> {
  await client.json('DELETE', `/networks/${enc(id)}`);
}

export function pruneNetworks(client: EngineClient, filters?: Filters): Promise<NetworksPruneReport> {
  return client.json('POST', '/networks/prune', { query: { filters: filtersQuery(filters) } });
}

export async function connectNetwork(client: EngineClient, id: string, body: NetworkConnectRequest): Promise<void> {
  await client.json('POST', `/networks/${enc(id)}/connect`, { body });
}

export async function disconnectNetwork(
  client: EngineClient,
  id: string,
  container: string,
  force = false,
): Promise<void> {
  await client.json('POST', `/networks/${enc(id)}/disconnect`, { body: { Container: container, Force: force } });
}

export function createVolume(client: EngineClient, body: VolumeCreateRequest): Promise<VolumeWire> {
  return client.json('POST', '/volumes/create', { body });
}

export function listVolumes(client: EngineClient, filters?: Filters): Promise<VolumeListResponse> {
  return client.json('GET', '/volumes', { query: { filters: filtersQuery(filters) } });
}

export function inspectVolume(client: EngineClient, name: string): Promise<VolumeWire> {
  return client.json('GET', `/volumes/${enc(name)}`);
}

export async function removeVolume(client: EngineClient, name: string, force = false): Promise<void> {
  await client.json('DELETE', `/volumes/${enc(name)}`, { query: { force: force ? '1' : undefined } });
}

export function pruneVolumes(client: EngineClient, filters?: Filters): Promise<VolumesPruneReport> {
  return client.json('POST', '/volumes/prune', { query: { filters: filtersQuery(filters) } });
}

/** `GET /system/df` as the daemon answers it. */
export interface DiskUsageWire {
  LayersSize?: number;
  Images?: Array<{
    Id: string;
    RepoTags: string[];
    Size: number;
    SharedSize: number;
    Containers: number;
    Created: number;
  }>;
  Containers?: Array<{
    Id: string;
    Names: string[];
    Image: string;
    Command: string;
    Created: number;
    State: string;
    Status: string;
    SizeRw?: number;
    SizeRootFs?: number;
    Mounts: unknown[];
  }>;
  Volumes?: VolumeWire[];
  BuildCache?: unknown[];
}

export function diskUsage(client: EngineClient): Promise<DiskUsageWire> {
  return client.json('GET', '/system/df');
}
