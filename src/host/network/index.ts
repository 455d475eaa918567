/**
 * Network execution (STYLE.md §1.2, §1.3): the only code that runs `ip`,
 * `nft`, `sysctl`, creates network namespaces and opens the userland proxy's
 * sockets. Policy lives in src/engine/network and reaches here as data.
 */
export { type ExecResult, execChecked, execFile, netnsArgv } from './exec';
export {
  groupByNetns,
  ipBatchLine,
  type LinkOp,
  LinkOpError,
  type LinkOpRun,
  type NetnsPath,
  validateLinkOp,
} from './link-ops';
export { DEFAULT_NETNS_DIR, LinuxNetworkHost, type LinuxNetworkHostOptions } from './linux-network-host';
export type { InNetnsOptions, LinkInfo, NetworkHost, NftTableRef } from './network-host';
export { type NetworkHostCall, RecordingNetworkHost, type RecordingNetworkHostOptions } from './recording-network-host';
export {
  isPortFree,
  type PortProto,
  type ProxyOptions,
  type ProxySpec,
  startProxy,
  type UserlandProxy,
} from './userland-proxy';
