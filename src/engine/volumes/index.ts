export {
  type BindMountSpec,
  type CollectMountsInput,
  cleanPath,
  collectMountSpecs,
  type MountPointView,
  type MountRequest,
  type MountSpec,
  mountPointView,
  type ParseMountOptions,
  type Propagation,
  parseBindSpec,
  parseMountFlag,
  parseMountRequest,
  type TmpfsMountSpec,
  tmpfsOptionsString,
  type VolumeMountSpec,
} from './bind-spec';
export { copyTree, directorySize } from './copy-tree';
export { localOptionsProblem, needsMount } from './local-options';
export {
  formatRfc3339,
  LocalVolumeService,
  type LocalVolumeServiceOptions,
  type VolumeEvent,
  type VolumeMeta,
  volumeNameProblem,
} from './local-volume-service';
export * from './types';
