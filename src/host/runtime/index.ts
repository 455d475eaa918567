/**
 * The native core as seen from TypeScript: starting it (`createTask`), its
 * result, the shim's socket and the exit file. The only code that runs
 * berth-core or talks to a shim.
 */
export {
  CoreProtocolError,
  type CoreResult,
  type CreateOptions,
  corePath,
  createTask,
  parseCoreResult,
  planCheck,
} from './core';
export { EXIT_FILE, type ExitRecord, parseExitFile, readExitFile } from './exit-file';
export { decodeField, decodeFieldBytes, encodeField, encodeLine, FieldError, splitLine } from './fields';
export {
  type CgroupHierarchy,
  type CgroupLayout,
  type HostDevice,
  listHostDevices,
  parseCgroupLayout,
  processBoundingSet,
  readCgroupLayout,
  statDevice,
} from './host-facts';
export {
  SHIM_SOCKET,
  ShimClient,
  type ShimExit,
  ShimGoneError,
  type ShimOutput,
  ShimProtocolError,
  ShimRequestError,
  type ShimState,
} from './shim-client';
export { ShimExec, ShimExecError, type ShimExecExit } from './shim-exec';
