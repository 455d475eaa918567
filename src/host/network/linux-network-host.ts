/**
 * The real NetworkHost: iproute2 (`ip -batch -`, `ip -j`), nftables
 * (`nft -f -`), procps `sysctl`, util-linux `unshare`/`nsenter`/`umount`.
 * Namespaced work runs in child processes; the daemon never calls setns.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode, internal } from '../../common/errors';
import { execChecked, execFile, netnsArgv } from './exec';
import { groupByNetns, ipBatchLine, type LinkOp, type NetnsPath, validateLinkOp } from './link-ops';
import type { InNetnsOptions, LinkInfo, NetworkHost, NftTableRef } from './network-host';

export const DEFAULT_NETNS_DIR = '/run/berth/netns';

const NFT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const NFT_FAMILY = /^(ip|ip6|inet|arp|bridge|netdev)$/;

export interface LinuxNetworkHostOptions {
  /** Where named network namespaces are bind-mounted (default /run/berth/netns). */
  netnsDir?: string;
}

interface IpLinkJson {
  ifname?: string;
  ifindex?: number;
  master?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

export class LinuxNetworkHost implements NetworkHost {
  readonly netnsDir: string;

  constructor(options: LinuxNetworkHostOptions = {}) {
    this.netnsDir = options.netnsDir ?? DEFAULT_NETNS_DIR;
  }

  async applyLinkOps(ops: readonly LinkOp[]): Promise<void> {
    for (const op of ops) validateLinkOp(op);
    for (const run of groupByNetns(ops)) {
      const needsListing = run.ops.some((o) => o.op === 'add-bridge' || o.op === 'delete-link');
      const existing = needsListing ? await this.listLinks(nsOpt(run.netns)) : [];
      const byName = new Map(existing.map((l) => [l.name, l]));
      let batch: string[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const input = `${batch.join('\n')}\n`;
        batch = [];
        await execChecked(['ip', '-batch', '-'], { input, ...nsOpt(run.netns) });
      };
      for (const op of run.ops) {
        if (op.op === 'add-bridge') {
          const have = byName.get(op.name);
          if (have !== undefined) {
            if (have.kind !== 'bridge') throw internal(`link ${op.name} exists and is not a bridge (${have.kind})`);
            continue;
          }
        }
        if (op.op === 'delete-link' && !byName.has(op.name)) continue;
        if (op.op === 'sysctl') {
          await flush();
          await execChecked(['sysctl', '-q', '-w', `${op.key}=${op.value}`], nsOpt(run.netns));
          continue;
        }
        const line = ipBatchLine(op);
        if (line !== undefined) batch.push(line);
      }
      await flush();
    }
  }

  async applyNftRuleset(text: string, options: { netns?: NetnsPath } = {}): Promise<void> {
    await execChecked(['nft', '-f', '-'], { input: text, ...nsOpt(options.netns) });
  }

  async deleteNftTable(table: NftTableRef, options: { netns?: NetnsPath } = {}): Promise<void> {
    checkTable(table);
    // `table x` first makes the delete succeed when the table is missing, in one transaction.
    const text = `table ${table.family} ${table.name}\ndelete table ${table.family} ${table.name}\n`;
    await this.applyNftRuleset(text, options);
  }

  async listNftTables(options: { netns?: NetnsPath } = {}): Promise<NftTableRef[]> {
    const out = await execChecked(['nft', '-j', 'list', 'tables'], nsOpt(options.netns));
    const json = JSON.parse(out || '{"nftables":[]}') as { nftables?: Array<{ table?: NftTableRef }> };
    return (json.nftables ?? []).flatMap((e) => (e.table ? [{ family: e.table.family, name: e.table.name }] : []));
  }

  async listNftTable(table: NftTableRef, options: { netns?: NetnsPath } = {}): Promise<string | undefined> {
    checkTable(table);
    const r = await execFile(['nft', 'list', 'table', table.family, table.name], nsOpt(options.netns));
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return undefined;
      throw internal(`nft list table failed: ${r.stderr.trim()}`);
    }
    return r.stdout;
  }

  async listLinks(options: { netns?: NetnsPath } = {}): Promise<LinkInfo[]> {
    const out = await execChecked(['ip', '-j', '-d', 'address', 'show'], nsOpt(options.netns));
    const json = JSON.parse(out || '[]') as IpLinkJson[];
    return json.map((l) => ({
      name: l.ifname ?? '',
      ifindex: l.ifindex ?? 0,
      kind: l.linkinfo?.info_kind ?? '',
      master: l.master,
      mac: l.address ?? '',
      mtu: l.mtu ?? 0,
      up: (l.flags ?? []).includes('UP'),
      addresses: (l.addr_info ?? [])
        .filter((a) => a.family === 'inet' && a.local !== undefined)
        .map((a) => `${a.local}/${a.prefixlen ?? 32}`),
    }));
  }

  async routedPrefixes(): Promise<string[]> {
    const routes = JSON.parse(
      (await execChecked(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])) || '[]',
    ) as Array<{
      dst?: string;
      type?: string;
    }>;
    const out = new Set<string>();
    for (const r of routes) {
      if (r.dst === undefined || r.dst === 'default') continue;
      if (r.type !== undefined && r.type !== 'unicast') continue;
      out.add(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
    }
    for (const link of await this.listLinks()) for (const a of link.addresses) out.add(a);
    return [...out];
  }

  async readResolvConf(): Promise<{ path: string; text: string }> {
    const main = '/etc/resolv.conf';
    const text = await readOr(main, '');
    const servers = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]);
    if (servers.length === 1 && servers[0] === '127.0.0.53') {
      const resolved = '/run/systemd/resolve/resolv.conf';
      const alt = await readOr(resolved, undefined);
      if (alt !== undefined) return { path: resolved, text: alt };
    }
    return { path: main, text };
  }

  async createNetns(name: string, dir: string = this.netnsDir): Promise<NetnsPath> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw internal(`invalid netns name '${name}'`);
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    const file = path.join(dir, name);
    const handle = await fs.open(file, 'wx', 0o444);
    await handle.close();
    try {
      await execChecked(['unshare', `--net=${file}`, 'true']);
    } catch (err) {
      await fs.rm(file, { force: true });
      throw err;
    }
    return file;
  }

  async deleteNetns(file: NetnsPath): Promise<void> {
    try {
      await fs.access(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    const r = await execFile(['umount', file]);
    if (r.code !== 0 && !/not mounted/.test(r.stderr)) throw internal(`umount ${file}: ${r.stderr.trim()}`);
    await fs.rm(file, { force: true });
  }

  inNetns(netns: NetnsPath, argv: readonly string[], options: InNetnsOptions = {}) {
    return execFile(argv, { netns, ...options });
  }

  spawnInNetns(netns: NetnsPath, argv: readonly string[]): ChildProcess {
    const [cmd, ...args] = netnsArgv(netns, argv);
    if (cmd === undefined) throw internal('empty command');
    return spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  }
}

function nsOpt(netns: NetnsPath | undefined): { netns?: NetnsPath } {
  return netns === undefined ? {} : { netns };
}

function checkTable(table: NftTableRef): void {
  if (!NFT_FAMILY.test(table.family) || !NFT_NAME.test(table.name)) {
    throw internal(`invalid nft table ${table.family} ${table.name}`);
  }
}

async function readOr<T extends string | undefined>(file: string, fallback: T): Promise<string | T> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return fallback;
    throw err;
  }
}
