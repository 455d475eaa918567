/**
 * berth's embedded DNS, Docker's 127.0.0.11 resolver seen from the host side:
 * one UDP+TCP listener per user-defined network at the network's gateway
 * address. Containers reach it through the 127.0.0.11 DNAT berth installs in
 * their netns (bridge-driver `renderDnsRedirect`). It answers A (and PTR)
 * queries for container names, aliases and short ids of the networks the
 * querying container is on, and forwards everything else to the upstream
 * servers (the host's non-loopback resolvers); without upstreams it answers
 * SERVFAIL.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import {
  aRecord,
  buildResponse,
  DNS_TYPE,
  type DnsMessage,
  decodeMessage,
  ptrRecord,
  RCODE,
  reverseNameToIPv4,
} from './dns-wire';

interface RecordEntry {
  ip: string;
  /** Lower-case names: container name, aliases, short id. */
  names: string[];
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** DNS names per network; containers on different networks do not see each other. */
export class DnsRecords {
  private readonly byNetwork = new Map<string, Map<string, RecordEntry>>();

  set(networkId: string, containerId: string, entry: { ip: string; names: readonly string[] }): void {
    let m = this.byNetwork.get(networkId);
    if (m === undefined) {
      m = new Map();
      this.byNetwork.set(networkId, m);
    }
    const names = [...new Set(entry.names.filter((n) => n !== '').map(normalizeName))];
    m.set(containerId, { ip: entry.ip, names });
  }

  delete(networkId: string, containerId: string): void {
    this.byNetwork.get(networkId)?.delete(containerId);
  }

  deleteNetwork(networkId: string): void {
    this.byNetwork.delete(networkId);
  }

  containerByIp(networkId: string, ip: string): string | undefined {
    for (const [cid, e] of this.byNetwork.get(networkId) ?? []) if (e.ip === ip) return cid;
    return undefined;
  }

  networksOf(containerId: string): string[] {
    return [...this.byNetwork].filter(([, m]) => m.has(containerId)).map(([id]) => id);
  }

  /** Addresses for `name` on the given networks, in network order, without duplicates. */
  lookup(name: string, networkIds: readonly string[]): string[] {
    const n = normalizeName(name);
    const out: string[] = [];
    for (const id of networkIds) {
      for (const e of this.byNetwork.get(id)?.values() ?? []) {
        if (e.names.includes(n) && !out.includes(e.ip)) out.push(e.ip);
      }
    }
    return out;
  }

  /** The first name of the container that has `ip` on one of the networks. */
  reverse(ip: string, networkIds: readonly string[]): string | undefined {
    for (const id of networkIds) {
      for (const e of this.byNetwork.get(id)?.values() ?? []) if (e.ip === ip && e.names[0]) return e.names[0];
    }
    return undefined;
  }
}

export interface Upstream {
  host: string;
  port?: number;
}

export interface EmbeddedDnsOptions {
  records: DnsRecords;
  /** Where unknown names go; empty → SERVFAIL. Use `upstreamsFromResolvConf` for the host's. */
  upstreams?: Upstream[];
  /** TTL of local answers (Docker: 600). */
  ttl?: number;
  /** Per upstream (Docker: 4 s). */
  forwardTimeoutMs?: number;
  /** Concurrent forwards before answering REFUSED (Docker: 1024). */
  maxForwards?: number;
}

interface Listener {
  ip: string;
  port: number;
  udp: dgram.Socket;
  tcp: net.Server;
  conns: Set<net.Socket>;
}

export class EmbeddedDns {
  readonly records: DnsRecords;
  private upstreams: Upstream[];
  private readonly ttl: number;
  private readonly forwardTimeoutMs: number;
  private readonly maxForwards: number;
  private forwards = 0;
  private readonly listeners = new Map<string, Listener>();

  constructor(options: EmbeddedDnsOptions) {
    this.records = options.records;
    this.upstreams = options.upstreams ?? [];
    this.ttl = options.ttl ?? 600;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 4000;
    this.maxForwards = options.maxForwards ?? 1024;
  }

  setUpstreams(upstreams: Upstream[]): void {
    this.upstreams = upstreams;
  }

  /** The port a network's listener is on, if it has one. */
  portOf(networkId: string): number | undefined {
    return this.listeners.get(networkId)?.port;
  }

  /**
   * Listens for a network on ip:port (UDP and TCP). Port 0, or a preferred
   * port that is taken, picks a free one. Returns the port.
   */
  async listen(networkId: string, ip: string, port = 0): Promise<number> {
    const have = this.listeners.get(networkId);
    if (have !== undefined) {
      if (have.ip === ip) return have.port;
      await this.close(networkId);
    }
    let lastErr: unknown;
    const candidates = port === 0 ? [0, 0, 0, 0, 0] : [port, 0, 0, 0, 0];
    for (const p of candidates) {
      try {
        const l = await this.bind(networkId, ip, p);
        this.listeners.set(networkId, l);
        return l.port;
      } catch (err) {
        lastErr = err;
      }
    }
    throw lastErr;
  }

  async close(networkId: string): Promise<void> {
    const l = this.listeners.get(networkId);
    if (l === undefined) return;
    this.listeners.delete(networkId);
    for (const c of l.conns) c.destroy();
    await Promise.all([
      new Promise<void>((r) => l.udp.close(() => r())),
      new Promise<void>((r) => l.tcp.close(() => r())),
    ]);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((id) => this.close(id)));
  }

  private async bind(networkId: string, ip: string, port: number): Promise<Listener> {
    const udp = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: ip, port, exclusive: true }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const bound = udp.address().port;
    const tcp = net.createServer();
    const conns = new Set<net.Socket>();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: ip, port: bound, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((r) => udp.close(() => r()));
      throw err;
    }
    udp.on('error', () => {});
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, { networkId, remoteIp: rinfo.address }).then((reply) => {
        if (reply !== undefined) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    tcp.on('error', () => {});
    tcp.on('connection', (sock) => {
      conns.add(sock);
      sock.on('close', () => conns.delete(sock));
      sock.on('error', () => sock.destroy());
      sock.setTimeout(10_000, () => sock.destroy());
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2) {
          const len = buf.readUInt16BE(0);
          if (buf.length < 2 + len) break;
          const msg = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          void this.handle(msg, { networkId, remoteIp: sock.remoteAddress?.replace(/^::ffff:/, '') ?? '' }).then(
            (reply) => {
              if (reply === undefined || sock.destroyed) return;
              const head = Buffer.alloc(2);
              head.writeUInt16BE(reply.length, 0);
              sock.write(Buffer.concat([head, reply]));
            },
          );
        }
      });
    });
    return { ip, port: bound, udp, tcp, conns };
  }

  /** Answers one query received on a network's listener from `remoteIp` (exposed for tests). */
  async handle(packet: Uint8Array, ctx: { networkId: string; remoteIp: string }): Promise<Buffer | undefined> {
    let query: DnsMessage;
    try {
      query = decodeMessage(packet);
    } catch {
      if (packet.length < 12) return undefined;
      const id = ((packet[0] ?? 0) << 8) | (packet[1] ?? 0);
      return buildResponse(
        {
          id,
          flags: { qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: 0 },
          questions: [],
          answers: [],
          authorities: [],
          additionals: [],
        },
        { rcode: RCODE.FORMERR },
      );
    }
    if (query.flags.qr) return undefined;
    if (query.flags.opcode !== 0) return buildResponse(query, { rcode: RCODE.NOTIMP });
    const q = query.questions[0];
    if (q === undefined || query.questions.length !== 1) return buildResponse(query, { rcode: RCODE.FORMERR });
    const cid = this.records.containerByIp(ctx.networkId, ctx.remoteIp);
    const networks = cid === undefined ? [ctx.networkId] : this.records.networksOf(cid);
    if (q.type === DNS_TYPE.A || q.type === DNS_TYPE.AAAA || q.type === DNS_TYPE.ANY) {
      const ips = this.records.lookup(q.name, networks);
      if (ips.length > 0) {
        const answers = q.type === DNS_TYPE.AAAA ? [] : ips.map((ip) => aRecord(q.name, ip, this.ttl));
        return buildResponse(query, { rcode: RCODE.NOERROR, answers, authoritative: true });
      }
    }
    if (q.type === DNS_TYPE.PTR) {
      const ip = reverseNameToIPv4(q.name);
      const target = ip === undefined ? undefined : this.records.reverse(ip, networks);
      if (target !== undefined) {
        return buildResponse(query, { rcode: RCODE.NOERROR, answers: [ptrRecord(q.name, target, this.ttl)] });
      }
    }
    return this.forward(query, packet);
  }

  private async forward(query: DnsMessage, packet: Uint8Array): Promise<Buffer> {
    if (this.upstreams.length === 0) return buildResponse(query, { rcode: RCODE.SERVFAIL });
    if (this.forwards >= this.maxForwards) return buildResponse(query, { rcode: RCODE.REFUSED });
    this.forwards++;
    try {
      for (const up of this.upstreams.slice(0, 3)) {
        const reply = await this.ask(up, packet, query.id);
        if (reply !== undefined) return reply;
      }
      return buildResponse(query, { rcode: RCODE.SERVFAIL });
    } finally {
      this.forwards--;
    }
  }

  private ask(up: Upstream, packet: Uint8Array, id: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = dgram.createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
      let settled = false;
      const finish = (value: Buffer | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.close();
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), this.forwardTimeoutMs);
      sock.on('error', () => finish(undefined));
      sock.on('message', (msg) => {
        if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish(msg);
      });
      sock.send(packet, up.port ?? 53, up.host, (err) => {
        if (err) finish(undefined);
      });
    });
  }
}
