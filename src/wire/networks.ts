/** Docker's network shapes (`/networks/*`), vclient `api/types/network`. */

export interface IpamConfigWire {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IpamWire {
  Driver: string;
  Options: Record<string, string> | null;
  Config: IpamConfigWire[] | null;
}

/** An entry of `Containers` in network inspect. */
export interface NetworkContainerWire {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** `172.18.0.2/16`. */
  IPv4Address: string;
  IPv6Address: string;
}

/** `GET /networks/{id}` and the items of `GET /networks`. */
export interface NetworkInspectWire {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: IpamWire;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkContainerWire>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** `POST /networks/create` body. */
export interface NetworkCreateRequest {
  Name?: string;
  Driver?: string;
  Scope?: string;
  EnableIPv4?: boolean | null;
  EnableIPv6?: boolean | null;
  IPAM?: { Driver?: string; Config?: IpamConfigWire[] | null; Options?: Record<string, string> | null } | null;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  CheckDuplicate?: boolean;
}

export interface NetworkCreateResponse {
  Id: string;
  Warning: string;
}

/** `POST /networks/{id}/connect` body. */
export interface NetworkConnectRequest {
  Container?: string;
  EndpointConfig?: {
    Aliases?: string[] | null;
    IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] | null } | null;
    MacAddress?: string;
    Links?: string[] | null;
    DriverOpts?: Record<string, string> | null;
  } | null;
}

/** `POST /networks/{id}/disconnect` body. */
export interface NetworkDisconnectRequest {
  Container?: string;
  Force?: boolean;
}

export interface NetworksPruneReport {
  NetworksDeleted: string[];
}
