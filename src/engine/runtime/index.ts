/** berth's runtime: OCI spec, launch plan, seccomp, capabilities, user resolution, and CoreRuntime. */

export {
  ALL_CAPABILITIES,
  capabilitiesOfMask,
  capabilityMask,
  capabilityName,
  capabilityNumber,
  DEFAULT_CAPABILITIES,
  normalizeCapability,
  resolveCapabilities,
} from './capabilities';
export {
  CoreRuntime,
  type CoreRuntimeOptions,
  isStartFailure,
  StartError,
  startFailureFromResult,
  startFailureMessage,
} from './core-runtime';
export {
  buildExecPlan,
  CoreExecRuntime,
  type ExecExit,
  type ExecPlanInputs,
  type ExecProcess,
  type ExecRequest,
  type ExecRuntime,
  ExecStartError,
  execFailureMessage,
} from './exec';
export type { OciSpec } from './oci-spec';
export { specToJson } from './oci-spec';
export { type PlanExtras, writePlan } from './plan';
export { compileSeccomp, parseSeccompProfile, resolveSeccomp, type SeccompProfile } from './seccomp';
export { DEFAULT_PROFILE } from './seccomp-profile';
export { buildSpec, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, type SpecInputs } from './spec';
export * from './types';
export { type ResolvedUser, resolveUser, resolveUserFrom } from './user';
