/**
 * The seam for networking (STYLE.md §1.2): everything berth's network
 * subsystem does to the kernel goes through a `NetworkHost`. The engine
 * hands it operations as data (link ops, nft ruleset text).
 */
import type { ChildProcess } from 'node:child_process';
import type { ExecResult } from './exec';
import type { LinkOp, NetnsPath } from './link-ops';

export interface LinkInfo {
  name: string;
  ifindex: number;
  /** 'bridge', 'veth', ... ('' for a plain device). */
  kind: string;
  /** The bridge this link is enslaved to, if any. */
  master: string | undefined;
  mac: string;
  mtu: number;
  up: boolean;
  /** IPv4 addresses in CIDR form. */
  addresses: string[];
}

export interface NftTableRef {
  family: string;
  name: string;
}

export interface InNetnsOptions {
  input?: string;
  timeoutMs?: number;
}

export interface NetworkHost {
  /** Executes link operations in order; stops at the first failure. */
  applyLinkOps(ops: readonly LinkOp[]): Promise<void>;
  /** Loads a ruleset with `nft -f -` (one atomic transaction). */
  applyNftRuleset(text: string, options?: { netns?: NetnsPath }): Promise<void>;
  /** Deletes one nft table; a missing table is not an error. */
  deleteNftTable(table: NftTableRef, options?: { netns?: NetnsPath }): Promise<void>;
  listNftTables(options?: { netns?: NetnsPath }): Promise<NftTableRef[]>;
  /** The current ruleset of one table, as `nft list table` prints it; undefined when absent. */
  listNftTable(table: NftTableRef, options?: { netns?: NetnsPath }): Promise<string | undefined>;
  listLinks(options?: { netns?: NetnsPath }): Promise<LinkInfo[]>;
  /** IPv4 prefixes the host already routes or has addresses in (`ip -j route`, `ip -j addr`). */
  routedPrefixes(): Promise<string[]>;
  /** The host's resolv.conf (systemd-resolved's upstream file when the stub is the only nameserver). */
  readResolvConf(): Promise<{ path: string; text: string }>;
  /** Creates a named network namespace (a bind-mounted nsfs file in `dir`) and returns its path. */
  createNetns(name: string, dir?: string): Promise<NetnsPath>;
  /** Unmounts and removes a named netns file; a missing one is not an error. */
  deleteNetns(path: NetnsPath): Promise<void>;
  /** Runs a program inside a netns and waits for it (tests and nft/ip helpers). */
  inNetns(netns: NetnsPath, argv: readonly string[], options?: InNetnsOptions): Promise<ExecResult>;
  /** Starts a long-running program inside a netns (tests' servers). */
  spawnInNetns(netns: NetnsPath, argv: readonly string[]): ChildProcess;
}
