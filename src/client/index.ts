export {
  type CommitContainerOptions,
  type ContainerChangeWire,
  type ContainerPathStat,
  commitContainer,
  containerChanges,
  copyFromContainer,
  copyToContainer,
  exportContainer,
  GO_MODE_DIR,
  GO_MODE_SYMLINK,
  statContainerPath,
} from './container-files';
export {
  type AttachContainerOptions,
  type AttachedContainer,
  type ContainerLogsOptions,
  type ContainerWaiter,
  type CreateContainerOptions,
  EngineClient,
  type EngineClientOptions,
  type ImportImageOptions,
  type ListContainersOptions,
  type ListImagesOptions,
  type PingResult,
  progressMessages,
  type RemoveContainerOptions,
  type RemoveImageOptions,
  type RequestOptionsLite,
  type StopContainerOptions,
  type WaitCondition,
} from './engine-client';
export { ClientError, connectionError } from './errors';
export {
  type AttachedExec,
  createExec,
  inspectExec,
  resizeExec,
  startExecAttached,
  startExecDetached,
} from './exec';
export { type DaemonAddress, DEFAULT_HOST, parseDaemonAddress, resolveHost } from './host';
export { EXACT, jsonLines } from './json-lines';
export {
  connectNetwork,
  createNetwork,
  createVolume,
  type DiskUsageWire,
  disconnectNetwork,
  diskUsage,
  inspectNetwork,
  inspectVolume,
  listNetworks,
  listVolumes,
  pruneNetworks,
  pruneVolumes,
  removeNetwork,
  removeVolume,
} from './networks-volumes';
export { decodeOutput, demultiplex, type OutputChunk, type OutputStreamName, rawOutput } from './stdcopy';
