/**
 * berth's network subsystem (policy): IPAM, the bridge driver's link ops and
 * nft rulesets, published ports, the embedded DNS, /etc files, and the
 * NetworkService the API and the container engine use.
 */
export {
  BRIDGE_NAME_OPTION,
  type BridgeHostOptions,
  type BridgeSpec,
  bridgeNameFor,
  createEndpointOps,
  DEFAULT_BRIDGE_NAME,
  DEFAULT_MTU,
  DNS_TABLE,
  type DnsRedirect,
  deleteBridgeOps,
  deleteEndpointOps,
  EMBEDDED_DNS_IP,
  type EndpointSpec,
  ensureBridgeOps,
  type FirewallNetwork,
  type FirewallPort,
  type FirewallState,
  MTU_OPTION,
  macFromIPv4,
  mtuFor,
  randomLinkName,
  renderDeleteTable,
  renderDnsRedirect,
  renderRuleset,
  validLinkName,
} from './bridge-driver';
export { DnsRecords, EmbeddedDns, type EmbeddedDnsOptions, type Upstream } from './dns-server';
export {
  aRecord,
  aRecordAddress,
  buildQuery,
  buildResponse,
  DNS_CLASS_IN,
  DNS_TYPE,
  DnsFormatError,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  RCODE,
} from './dns-wire';
export {
  type ExtraHost,
  FALLBACK_NAMESERVERS,
  type HostsOptions,
  parseExtraHost,
  parseResolvConf,
  type RenderedResolvConf,
  type ResolvConf,
  type ResolvConfOptions,
  renderHosts,
  renderResolvConf,
  upstreamsFromResolvConf,
} from './etc-files';
export {
  type AddressPool,
  DEFAULT_ADDRESS_POOLS,
  Ipam,
  type IpamOptions,
  type PoolAllocation,
  type PoolRequest,
  parseBip,
  parseDefaultAddressPool,
} from './ipam';
export { formatIPv4, formatPrefix, isIPv4, type Prefix, parseIPv4, parsePrefix } from './ipv4';
export {
  isPredefined,
  LocalNetworkService,
  type LocalNetworkServiceOptions,
  PREDEFINED_NETWORKS,
} from './network-service';
export { type LedgerEntry, NetworkStore, type StoredNetwork } from './network-store';
export {
  EPHEMERAL_PORTS,
  fromPortBindings,
  PortAllocator,
  type PortBindingSpec,
  type PortRange,
  type Proto,
  parsePortRange,
  parsePortSpec,
} from './port-mappings';
export type {
  ConnectOptions,
  CreateNetworkOptions,
  Endpoint,
  IpamConfig,
  Network,
  NetworkDriverName,
  NetworkFilters,
  NetworkService,
  NetworkView,
  PublishedPort,
} from './types';
