export type {
  BlkioEntryWire,
  ContainerTopResponse,
  ContainerUpdateRequest,
  ContainerUpdateResponse,
  CpuStatsWire,
  CpuUsageWire,
  NetworkStatsWire,
  StatsResponse,
} from './container-ops';
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
  HealthWire,
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
export type { EventMessage } from './events';
export type {
  ExecCreateRequest,
  ExecCreateResponse,
  ExecInspectWire,
  ExecProcessConfigWire,
  ExecStartRequest,
} from './exec';
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
export type {
  IpamConfigWire,
  IpamWire,
  NetworkConnectRequest,
  NetworkContainerWire,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkInspectWire,
  NetworksPruneReport,
} from './networks';
export type { JSONMessage } from './progress';
export type { ComponentVersion, SwarmInfo, SystemInfo, SystemVersion } from './system';
export { API_VERSION, BERTH_VERSION, compareApiVersions, MIN_API_VERSION, versionLessThan } from './version';
export type {
  VolumeCreateRequest,
  VolumeListResponse,
  VolumesPruneReport,
  VolumeUsageWire,
  VolumeWire,
} from './volumes';
