/**
 * `docker update`: which fields a resource/restart-policy update changes
 * (moby container.UpdateContainer: a zero or absent field keeps the current
 * value; PidsLimit is applied whenever it is given) and the conflicts it
 * refuses. Pure functions; the service applies the result to the cgroup of a
 * running container and persists the HostConfig.
 */
import { conflict, invalidArgument, isEngineError } from '../../common/errors';
import { validateHostConfig } from './config';
import type { ContainerConfig, HostConfig, RestartPolicy } from './types';

/** What `POST /containers/{id}/update` may change (0/undefined = keep). */
export interface ContainerUpdate {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  blkioWeight?: number;
  /** Applied when present: 0 or -1 = unlimited. */
  pidsLimit?: number;
  /** Applied when present with a non-empty name. */
  restartPolicy?: RestartPolicy;
}

/** moby's "Cannot update container <id>: ..." wrapping. */
function cannot(id: string, message: string, kind: 'conflict' | 'invalid' = 'conflict'): Error {
  const text = `Cannot update container ${id}: ${message}`;
  return kind === 'conflict' ? conflict(text) : invalidArgument(text);
}

/** The HostConfig after `update`; throws moby's messages for conflicting or invalid values. */
export function applyUpdate(
  id: string,
  current: HostConfig,
  config: ContainerConfig,
  update: ContainerUpdate,
  ncpu: number,
): HostConfig {
  const hc: HostConfig = structuredClone(current);
  const r = hc.resources;
  const u = update;
  if (u.blkioWeight) r.blkioWeight = u.blkioWeight;
  if (u.cpuShares) r.cpuShares = u.cpuShares;
  if (u.nanoCpus) {
    if (r.cpuQuota !== 0) {
      throw cannot(id, 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
    }
    if (r.cpuPeriod !== 0) {
      throw cannot(id, 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
    }
    r.nanoCpus = u.nanoCpus;
  }
  if (u.cpuPeriod) {
    if (r.nanoCpus !== 0) {
      throw cannot(id, 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
    }
    r.cpuPeriod = u.cpuPeriod;
  }
  if (u.cpuQuota) {
    if (r.nanoCpus !== 0) {
      throw cannot(id, 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
    }
    r.cpuQuota = u.cpuQuota;
  }
  if (u.cpusetCpus) r.cpusetCpus = u.cpusetCpus;
  if (u.cpusetMems) r.cpusetMems = u.cpusetMems;
  if (u.memory) {
    // A memory limit above the swap limit already in place needs the swap limit updated too.
    if (r.memorySwap > 0 && u.memory > r.memorySwap && !u.memorySwap) {
      throw cannot(
        id,
        'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
      );
    }
    r.memory = u.memory;
  }
  if (u.memorySwap) r.memorySwap = u.memorySwap;
  if (u.memoryReservation) r.memoryReservation = u.memoryReservation;
  if (u.pidsLimit !== undefined) r.pidsLimit = u.pidsLimit;
  if (u.restartPolicy !== undefined && u.restartPolicy.name !== ('' as RestartPolicy['name'])) {
    if (hc.autoRemove && u.restartPolicy.name !== 'no') {
      throw cannot(id, 'Restart policy cannot be updated because AutoRemove is enabled for the container', 'invalid');
    }
    hc.restartPolicy = { ...u.restartPolicy };
  }
  try {
    // The create-time rules for resources and the restart policy (hostname-related ones do not apply).
    validateHostConfig(hc, { ...config, hostname: '' }, ncpu);
  } catch (err) {
    if (isEngineError(err, 'invalid-argument')) throw cannot(id, err.message, 'invalid');
    throw err;
  }
  return hc;
}
