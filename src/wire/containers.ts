/**
 * Docker's container JSON shapes (Engine API 1.44): the create body, the list
 * summary, inspect, wait and prune. Field names and nullability follow moby's
 * `api/types/container` as the v28 client encodes and decodes them.
 */
import type { ContainerConfig } from './images';

export interface RestartPolicyWire {
  /** '', 'no', 'always', 'unless-stopped', 'on-failure'. */
  Name: string;
  MaximumRetryCount: number;
}

export interface LogConfigWire {
  Type: string;
  Config: Record<string, string> | null;
}

export interface PortBindingWire {
  HostIp: string;
  HostPort: string;
}

export interface DeviceMappingWire {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface UlimitWire {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface ThrottleDeviceWire {
  Path: string;
  Rate: number;
}

export interface WeightDeviceWire {
  Path: string;
  Weight: number;
}

/**
 * `HostConfig` as the CLI sends it on create and as inspect shows it. Every
 * field is optional on input (docker-py and dockerode send few of them).
 */
export interface HostConfigWire {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: LogConfigWire;
  NetworkMode?: string;
  PortBindings?: Record<string, PortBindingWire[] | null> | null;
  RestartPolicy?: RestartPolicyWire;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  /** [rows, cols]. */
  ConsoleSize?: [number, number] | number[] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: string;
  CpuShares?: number;
  Memory?: number;
  NanoCpus?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDeviceWire[] | null;
  BlkioDeviceReadBps?: ThrottleDeviceWire[] | null;
  BlkioDeviceWriteBps?: ThrottleDeviceWire[] | null;
  BlkioDeviceReadIOps?: ThrottleDeviceWire[] | null;
  BlkioDeviceWriteIOps?: ThrottleDeviceWire[] | null;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMappingWire[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: unknown[] | null;
  KernelMemory?: number;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  /** -1 (or absent) = unset. */
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  /** null or <= 0 = unlimited. */
  PidsLimit?: number | null;
  Ulimits?: UlimitWire[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
  Mounts?: unknown[] | null;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
  Init?: boolean | null;
}

export interface EndpointSettingsWire {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  GwPriority?: number;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
}

export interface NetworkingConfigWire {
  EndpointsConfig?: Record<string, Partial<EndpointSettingsWire> | null> | null;
}

export interface HealthConfigWire {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** `POST /containers/create` body: Config's fields at the top level, plus HostConfig and NetworkingConfig. */
export interface ContainerCreateRequest {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Healthcheck?: HealthConfigWire | null;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | string | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  Shell?: string[] | null;
  HostConfig?: HostConfigWire | null;
  NetworkingConfig?: NetworkingConfigWire | null;
}

/** `POST /containers/create` answer (201). */
export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

export interface PortWire {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface MountPointWire {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** `GET /containers/json` item. */
export interface ContainerSummaryWire {
  Id: string;
  /** Each with a leading '/'. */
  Names: string[];
  /** The image as the user named it. */
  Image: string;
  ImageID: string;
  Command: string;
  /** Unix seconds. */
  Created: number;
  Ports: PortWire[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string; Annotations?: Record<string, string> };
  NetworkSettings: { Networks: Record<string, EndpointSettingsWire> };
  Mounts: MountPointWire[];
}

export interface ContainerStateWire {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Only for containers with a health check. */
  Health?: HealthWire;
}

/** State.Health (moby api/types/container Health). */
export interface HealthWire {
  /** 'starting' | 'healthy' | 'unhealthy' */
  Status: string;
  FailingStreak: number;
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

export interface NetworkSettingsWire {
  Bridge: string;
  SandboxID: string;
  SandboxKey: string;
  Ports: Record<string, PortBindingWire[] | null>;
  HairpinMode: boolean;
  LinkLocalIPv6Address: string;
  LinkLocalIPv6PrefixLen: number;
  SecondaryIPAddresses: unknown[] | null;
  SecondaryIPv6Addresses: unknown[] | null;
  EndpointID: string;
  Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettingsWire>;
}

/** `GET /containers/{id}/json`. State, Config, HostConfig and NetworkSettings are never null. */
export interface ContainerInspectWire {
  Id: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerStateWire;
  /** The image ID (sha256:...). */
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  /** With a leading '/'. */
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfigWire;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: MountPointWire[];
  Config: ContainerConfig;
  NetworkSettings: NetworkSettingsWire;
}

/** `POST /containers/{id}/wait` body. `Error` is omitted when nil. */
export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message: string };
}

/** `POST /containers/prune`. */
export interface ContainersPruneReport {
  ContainersDeleted: string[];
  SpaceReclaimed: number;
}
