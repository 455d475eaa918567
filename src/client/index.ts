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
export { type DaemonAddress, DEFAULT_HOST, parseDaemonAddress, resolveHost } from './host';
export { decodeOutput, demultiplex, type OutputChunk, type OutputStreamName, rawOutput } from './stdcopy';
