/**
 * The DNS message format (RFC 1035 §4) — just what the embedded resolver
 * needs: decode queries and upstream answers, encode answers.
 */

export const DNS_TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  ANY: 255,
} as const;
export const DNS_CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface DnsFlags {
  /** true for a response. */
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Raw RDATA (names inside it are not decompressed). */
  data: Uint8Array;
}

export interface DnsMessage {
  id: number;
  flags: DnsFlags;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export class DnsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsFormatError';
  }
}

/** Reads a possibly compressed name at `offset`; returns it (lower-case kept as sent, no trailing dot) and the offset after it. */
export function decodeName(buf: Uint8Array, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  let jumps = 0;
  for (;;) {
    if (pos >= buf.length) throw new DnsFormatError('name runs past the message');
    const len = buf[pos] ?? 0;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new DnsFormatError('truncated pointer');
      if (++jumps > 64) throw new DnsFormatError('compression loop');
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError('bad label type');
    pos += 1;
    if (len === 0) break;
    if (pos + len > buf.length) throw new DnsFormatError('label runs past the message');
    labels.push(Buffer.from(buf.subarray(pos, pos + len)).toString('latin1'));
    pos += len;
    if (labels.join('.').length > 253) throw new DnsFormatError('name too long');
  }
  return { name: labels.join('.'), next: next < 0 ? pos : next };
}

export function encodeName(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const parts: Buffer[] = [];
  if (trimmed !== '') {
    for (const label of trimmed.split('.')) {
      const b = Buffer.from(label, 'latin1');
      if (b.length === 0 || b.length > 63) throw new DnsFormatError(`bad label in ${name}`);
      parts.push(Buffer.from([b.length]), b);
    }
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function u16(buf: Uint8Array, at: number): number {
  if (at + 2 > buf.length) throw new DnsFormatError('truncated message');
  return ((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0);
}

function u32(buf: Uint8Array, at: number): number {
  return u16(buf, at) * 65536 + u16(buf, at + 2);
}

export function decodeMessage(buf: Uint8Array): DnsMessage {
  if (buf.length < 12) throw new DnsFormatError('message shorter than its header');
  const f = u16(buf, 2);
  const flags: DnsFlags = {
    qr: (f & 0x8000) !== 0,
    opcode: (f >> 11) & 0xf,
    aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0,
    ra: (f & 0x0080) !== 0,
    rcode: f & 0xf,
  };
  const counts = [u16(buf, 4), u16(buf, 6), u16(buf, 8), u16(buf, 10)] as const;
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, next } = decodeName(buf, pos);
    questions.push({ name, type: u16(buf, next), class: u16(buf, next + 2) });
    pos = next + 4;
  }
  const records = (n: number): DnsRecord[] => {
    const out: DnsRecord[] = [];
    for (let i = 0; i < n; i++) {
      const { name, next } = decodeName(buf, pos);
      const rdlen = u16(buf, next + 8);
      const start = next + 10;
      if (start + rdlen > buf.length) throw new DnsFormatError('record data runs past the message');
      out.push({
        name,
        type: u16(buf, next),
        class: u16(buf, next + 2),
        ttl: u32(buf, next + 4),
        data: Uint8Array.from(buf.subarray(start, start + rdlen)),
      });
      pos = start + rdlen;
    }
    return out;
  };
  const answers = records(counts[1]);
  const authorities = records(counts[2]);
  const additionals = records(counts[3]);
  return { id: u16(buf, 0), flags, questions, answers, authorities, additionals };
}

export function encodeMessage(msg: DnsMessage): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.id & 0xffff, 0);
  const f = msg.flags;
  const flags =
    (f.qr ? 0x8000 : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.aa ? 0x0400 : 0) |
    (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) |
    (f.ra ? 0x0080 : 0) |
    (f.rcode & 0xf);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(msg.questions.length, 4);
  header.writeUInt16BE(msg.answers.length, 6);
  header.writeUInt16BE(msg.authorities.length, 8);
  header.writeUInt16BE(msg.additionals.length, 10);
  const parts: Buffer[] = [header];
  for (const q of msg.questions) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(q.type, 0);
    tail.writeUInt16BE(q.class, 2);
    parts.push(encodeName(q.name), tail);
  }
  for (const r of [...msg.answers, ...msg.authorities, ...msg.additionals]) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(r.type, 0);
    fixed.writeUInt16BE(r.class, 2);
    fixed.writeUInt32BE(r.ttl >>> 0, 4);
    fixed.writeUInt16BE(r.data.length, 8);
    parts.push(encodeName(r.name), fixed, Buffer.from(r.data));
  }
  return Buffer.concat(parts);
}

export function aRecord(name: string, ip: string, ttl: number): DnsRecord {
  return { name, type: DNS_TYPE.A, class: DNS_CLASS_IN, ttl, data: Uint8Array.from(ip.split('.').map(Number)) };
}

export function ptrRecord(name: string, target: string, ttl: number): DnsRecord {
  return { name, type: DNS_TYPE.PTR, class: DNS_CLASS_IN, ttl, data: encodeName(target) };
}

/** The IPv4 address in an A record's data. */
export function aRecordAddress(r: DnsRecord): string {
  return [...r.data].join('.');
}

/** A standard recursive query for one name. */
export function buildQuery(id: number, name: string, type: number = DNS_TYPE.A): Buffer {
  return encodeMessage({
    id,
    flags: { qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0 },
    questions: [{ name, type, class: DNS_CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: [],
  });
}

/** A response to `query` carrying its id, question and rd bit. */
export function buildResponse(
  query: DnsMessage,
  options: { rcode: number; answers?: DnsRecord[]; authoritative?: boolean },
): Buffer {
  return encodeMessage({
    id: query.id,
    flags: {
      qr: true,
      opcode: query.flags.opcode,
      aa: options.authoritative ?? false,
      tc: false,
      rd: query.flags.rd,
      ra: true,
      rcode: options.rcode,
    },
    questions: query.questions,
    answers: options.answers ?? [],
    authorities: [],
    additionals: [],
  });
}

/** `2.0.17.172.in-addr.arpa` → `172.17.0.2`, or undefined for other names. */
export function reverseNameToIPv4(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(name);
  return m === null ? undefined : [m[4], m[3], m[2], m[1]].join('.');
}
