export type {
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspectWire,
  ContainerStateWire,
  ContainerSummaryWire,
  ContainersPruneReport,
  ContainerWaitResponse,
  DeviceMappingWire,
  EndpointSettingsWire,
  HealthConfigWire,
  HostConfigWire,
  LogConfigWire,
  MountPointWire,
  NetworkingConfigWire,
  NetworkSettingsWire,
  PortBindingWire,
  PortWire,
  RestartPolicyWire,
  UlimitWire,
} from './containers';
export type { ErrorResponse } from './errors';
export { FilterSyntaxError, type Filters, parseFilters, serializeFilters, serializeFiltersAsLists } from './filters';
export type {
  BuildCachePruneReport,
  ContainerConfig,
  DeleteResponseItem,
  HistoryResponseItem,
  ImageInspect,
  ImageSummary,
  ImagesPruneReport,
} from './images';
export type { JSONMessage } from './progress';
export type { ComponentVersion, SwarmInfo, SystemInfo, SystemVersion } from './system';
export { API_VERSION, BERTH_VERSION, compareApiVersions, MIN_API_VERSION, versionLessThan } from './version';
