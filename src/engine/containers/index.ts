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
export { defaultContainerConfig, defaultHostConfig } from './defaults';
