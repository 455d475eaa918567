/**
 * A NetworkHost that records what it is asked to do, for unit tests without
 * root. It answers listings from what was recorded (links created by ops,
 * tables loaded) plus what the test seeds.
 */
import type { ChildProcess } from 'node:child_process';
import { internal } from '../../common/errors';
import type { ExecResult } from './exec';
import { type LinkOp, type NetnsPath, validateLinkOp } from './link-ops';
import type { LinkInfo, NetworkHost, NftTableRef } from './network-host';

export type NetworkHostCall =
  | { call: 'link-ops'; ops: LinkOp[] }
  | { call: 'nft'; text: string; netns: NetnsPath | undefined }
  | { call: 'delete-table'; table: NftTableRef; netns: NetnsPath | undefined }
  | { call: 'create-netns'; name: string; path: NetnsPath }
  | { call: 'delete-netns'; path: NetnsPath };

export interface RecordingNetworkHostOptions {
  routed?: string[];
  resolvConf?: string;
}

export class RecordingNetworkHost implements NetworkHost {
  readonly calls: NetworkHostCall[] = [];
  /** Host-namespace links by name. */
  readonly links = new Map<string, LinkInfo>();
  /** nft tables in the host namespace: key `family name` → last loaded text. */
  readonly tables = new Map<string, string>();
  routed: string[];
  resolvConf: string;

  constructor(options: RecordingNetworkHostOptions = {}) {
    this.routed = options.routed ?? [];
    this.resolvConf = options.resolvConf ?? 'nameserver 192.0.2.53\n';
  }

  async applyLinkOps(ops: readonly LinkOp[]): Promise<void> {
    for (const op of ops) validateLinkOp(op);
    this.calls.push({ call: 'link-ops', ops: ops.map((o) => ({ ...o })) });
    for (const op of ops) {
      if (op.netns !== undefined) continue;
      if (op.op === 'add-bridge' && !this.links.has(op.name)) this.links.set(op.name, link(op.name, 'bridge'));
      if (op.op === 'add-veth') this.links.set(op.name, link(op.name, 'veth'));
      if (op.op === 'set-master') {
        const l = this.links.get(op.name);
        if (l) l.master = op.master;
      }
      if (op.op === 'add-address') this.links.get(op.name)?.addresses.push(op.cidr);
      if (op.op === 'delete-link') this.links.delete(op.name);
    }
  }

  async applyNftRuleset(text: string, options: { netns?: NetnsPath } = {}): Promise<void> {
    this.calls.push({ call: 'nft', text, netns: options.netns });
    if (options.netns !== undefined) return;
    for (const m of text.matchAll(/^table (\w+) ([\w-]+) \{/gm)) this.tables.set(`${m[1]} ${m[2]}`, text);
  }

  async deleteNftTable(table: NftTableRef, options: { netns?: NetnsPath } = {}): Promise<void> {
    this.calls.push({ call: 'delete-table', table, netns: options.netns });
    if (options.netns === undefined) this.tables.delete(`${table.family} ${table.name}`);
  }

  async listNftTables(): Promise<NftTableRef[]> {
    return [...this.tables.keys()].map((k) => {
      const [family = '', name = ''] = k.split(' ');
      return { family, name };
    });
  }

  async listNftTable(table: NftTableRef): Promise<string | undefined> {
    return this.tables.get(`${table.family} ${table.name}`);
  }

  async listLinks(options: { netns?: NetnsPath } = {}): Promise<LinkInfo[]> {
    return options.netns === undefined ? [...this.links.values()] : [];
  }

  async routedPrefixes(): Promise<string[]> {
    return [...this.routed];
  }

  async readResolvConf(): Promise<{ path: string; text: string }> {
    return { path: '/etc/resolv.conf', text: this.resolvConf };
  }

  async createNetns(name: string, dir = '/run/berth/netns'): Promise<NetnsPath> {
    const path = `${dir}/${name}`;
    this.calls.push({ call: 'create-netns', name, path });
    return path;
  }

  async deleteNetns(path: NetnsPath): Promise<void> {
    this.calls.push({ call: 'delete-netns', path });
  }

  async inNetns(): Promise<ExecResult> {
    return { code: 0, signal: null, stdout: '', stderr: '' };
  }

  spawnInNetns(): ChildProcess {
    throw internal('RecordingNetworkHost cannot spawn processes');
  }

  /** The link ops recorded so far, flattened. */
  linkOps(): LinkOp[] {
    return this.calls.flatMap((c) => (c.call === 'link-ops' ? c.ops : []));
  }
}

function link(name: string, kind: string): LinkInfo {
  return { name, ifindex: 0, kind, master: undefined, mac: '', mtu: 1500, up: false, addresses: [] };
}
