/**
 * The container engine (see container-service.ts). The daemon creates it with
 * `createContainerService`, which recovers the persisted containers first.
 */
import { LocalContainerService, type LocalContainerServiceOptions } from './container-service';

export { DEFAULT_PATH, generateName, mergeConfig, parseSignal, validateName } from './config';
export {
  type ContainerEvent,
  type ContainerImageUsage,
  LocalContainerService,
  type LocalContainerServiceOptions,
} from './container-service';
export {
  type ExecConfig,
  type ExecContainers,
  type ExecEvent,
  type ExecInstance,
  ExecService,
  type ExecServiceOptions,
  type ExecStartOptions,
  mergeEnv,
} from './exec';
export {
  applyProbeResult,
  followLifecycle,
  type HealthClock,
  HealthMonitor,
  type HealthMonitorOptions,
  type HealthSettings,
  healthSettings,
  mergeHealthcheck,
  nextIntervalMs,
  type ProbeResult,
  type Prober,
} from './health';
export { decodeLogLine, readJsonLog } from './log-reader';
export {
  canKill,
  canRemove,
  canStart,
  canStop,
  isActive,
  ZERO_TIME,
} from './state';
export type * from './types';

/** A LocalContainerService that has re-found every container (running ones re-watched, dead ones cleaned up). */
export async function createContainerService(options: LocalContainerServiceOptions): Promise<LocalContainerService> {
  const service = new LocalContainerService(options);
  await service.recover();
  return service;
}
export { type ContainerAttachments, combineAttachments, type StartAttachments } from './attachments';
export { ContainerNetworking, type ContainerNetworkingOptions, managedNetworkMode } from './container-network';
export { ContainerVolumes, type ContainerVolumesOptions } from './container-volumes';
export { defaultContainerConfig, defaultHostConfig } from './defaults';
export { INIT_PATH, withInit } from './init';
export type { ContainerStats, ContainerStatsSample } from './stats';
export type { TopResult } from './top';
export { applyUpdate, type ContainerUpdate } from './update';
