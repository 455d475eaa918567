export {
  EngineClient,
  type EngineClientOptions,
  type ImportImageOptions,
  type ListImagesOptions,
  type PingResult,
  progressMessages,
  type RemoveImageOptions,
  type RequestOptionsLite,
} from './engine-client';
export { ClientError, connectionError } from './errors';
export { type DaemonAddress, DEFAULT_HOST, parseDaemonAddress, resolveHost } from './host';
