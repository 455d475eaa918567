/**
 * Seccomp: Docker's profile format (the default profile and
 * `--security-opt seccomp=<file>`), and a compiler from a profile to a
 * classic BPF program (`struct sock_filter` records, 8 bytes little-endian)
 * that the native core only loads. Semantics follow moby + runc + libseccomp:
 *
 * - rule filters (`includes`/`excludes`) are evaluated once against the
 *   container's capabilities, the host's native architecture (Go names:
 *   amd64, arm64, ...) and the running kernel (`minKernel`);
 * - the filter covers the native architecture and its sub-architectures from
 *   `archMap` (x86_64: i386 and x32; arm64: arm is not compiled — see below);
 *   a syscall a table does not know on an architecture is skipped, as
 *   libseccomp does;
 * - per syscall, an unconditional rule wins; otherwise conditional rules are
 *   tried in order (the comparisons of one rule are ANDed);
 * - runc's -ENOSYS stub: numbers above the highest one the filter knows for
 *   an architecture fail with ENOSYS (so libcs fall back, e.g. clone3 → clone);
 * - a process of an architecture outside the filter is killed (libseccomp's
 *   default bad-arch action).
 *
 * Not compiled: 32-bit arm on arm64 (its calls fall to the bad-arch action),
 * SCMP_ACT_NOTIFY (needs a listener; rejected).
 */
import os from 'node:os';
import { invalidArgument } from '../../common/errors';
import { type SyscallArch, syscallTable } from './syscalls';

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG';

export type SeccompOp =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArg {
  index: number;
  /** For MASKED_EQ: the mask. */
  value: number | bigint;
  /** For MASKED_EQ: the value the masked argument must equal (default 0). */
  valueTwo?: number | bigint;
  op: SeccompOp;
}

export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
  comment?: string;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures: string[] }>;
  /** SECCOMP_FILTER_FLAG_* names; unset → SPEC_ALLOW, as runc. */
  flags?: string[];
  syscalls: SeccompRule[];
}

// --- parsing Docker's JSON profile format ----------------------------------------------------

const ACTIONS = new Set<string>([
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
]);
const OPS = new Set<string>([
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
]);
const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

function bad(message: string): Error {
  return invalidArgument(`Decoding seccomp profile failed: ${message}`);
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw bad(`${what} must be a list of strings`);
  return v as string[];
}

function filter(v: unknown, what: string): SeccompFilter | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} must be an object`);
  const o = v as Record<string, unknown>;
  const out: SeccompFilter = {};
  if (o.caps != null) out.caps = stringList(o.caps, `${what}.caps`);
  if (o.arches != null) out.arches = stringList(o.arches, `${what}.arches`);
  if (o.minKernel != null && o.minKernel !== '') {
    if (typeof o.minKernel !== 'string' || !/^\d+\.\d+(\.\d+)?$/.test(o.minKernel)) {
      throw bad(`invalid kernel version: ${JSON.stringify(o.minKernel)}`);
    }
    out.minKernel = o.minKernel;
  }
  return out;
}

function argValue(v: unknown, what: string): number | bigint {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  throw bad(`${what} must be a non-negative integer`);
}

/**
 * Parses a profile as `docker run --security-opt seccomp=<file>` accepts it
 * (invalid-argument errors say what is wrong). Large 64-bit argument values
 * lose precision in JSON.parse beyond 2^53: such values are re-read from the
 * text.
 */
export function parseSeccompProfile(json: string): SeccompProfile {
  let raw: unknown;
  try {
    // keep big integers exact: quote numbers with 16+ digits before parsing
    raw = JSON.parse(json.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"$2"'), (_k, v) =>
      typeof v === 'string' && /^\d{16,}$/.test(v) ? BigInt(v) : v,
    );
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('the profile must be a JSON object');
  const o = raw as Record<string, unknown>;
  const action = (v: unknown, what: string): SeccompAction => {
    if (typeof v !== 'string' || !ACTIONS.has(v)) {
      throw bad(`${what}: unsupported action ${JSON.stringify(v)}`);
    }
    return v as SeccompAction;
  };
  const profile: SeccompProfile = { defaultAction: action(o.defaultAction, 'defaultAction'), syscalls: [] };
  if (o.defaultErrnoRet != null) {
    if (typeof o.defaultErrnoRet !== 'number' || !Number.isInteger(o.defaultErrnoRet) || o.defaultErrnoRet < 0) {
      throw bad('defaultErrnoRet must be a non-negative integer');
    }
    profile.defaultErrnoRet = o.defaultErrnoRet;
  }
  const arches = stringList(o.architectures, 'architectures');
  if (arches.length > 0 && Array.isArray(o.archMap) && o.archMap.length > 0) {
    throw bad(
      "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'",
    );
  }
  if (arches.length > 0) profile.architectures = arches;
  if (o.archMap != null) {
    if (!Array.isArray(o.archMap)) throw bad('archMap must be a list');
    profile.archMap = o.archMap.map((m: unknown, i) => {
      const e = (m ?? {}) as Record<string, unknown>;
      if (typeof e.architecture !== 'string') throw bad(`archMap[${i}].architecture must be a string`);
      return {
        architecture: e.architecture,
        subArchitectures: stringList(e.subArchitectures, `archMap[${i}].subArchitectures`),
      };
    });
  }
  if (o.flags != null) {
    const flags = stringList(o.flags, 'flags');
    for (const f of flags) if (!(f in FLAGS)) throw bad(`unsupported flag ${JSON.stringify(f)}`);
    profile.flags = flags;
  }
  if (o.syscalls != null && !Array.isArray(o.syscalls)) throw bad('syscalls must be a list');
  for (const [i, s] of ((o.syscalls as unknown[] | undefined) ?? []).entries()) {
    if (typeof s !== 'object' || s === null) throw bad(`syscalls[${i}] must be an object`);
    const r = s as Record<string, unknown>;
    const what = `syscalls[${i}]`;
    if (r.name != null && r.names != null && r.name !== '') {
      throw bad("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    }
    const names = typeof r.name === 'string' && r.name !== '' ? [r.name] : stringList(r.names, `${what}.names`);
    if (names.length === 0) throw bad(`${what} names no syscall`);
    const rule: SeccompRule = { names, action: action(r.action, `${what}.action`) };
    if (r.errnoRet != null) {
      if (typeof r.errnoRet !== 'number' || !Number.isInteger(r.errnoRet) || r.errnoRet < 0) {
        throw bad(`${what}.errnoRet must be a non-negative integer`);
      }
      rule.errnoRet = r.errnoRet;
    }
    if (r.args != null) {
      if (!Array.isArray(r.args)) throw bad(`${what}.args must be a list`);
      rule.args = r.args.map((a: unknown, j) => {
        const x = (a ?? {}) as Record<string, unknown>;
        const w = `${what}.args[${j}]`;
        if (typeof x.index !== 'number' || !Number.isInteger(x.index) || x.index < 0 || x.index > 5) {
          throw bad(`${w}.index must be 0..5`);
        }
        if (typeof x.op !== 'string' || !OPS.has(x.op)) throw bad(`${w}: unsupported operator ${JSON.stringify(x.op)}`);
        const arg: SeccompArg = { index: x.index, value: argValue(x.value ?? 0, `${w}.value`), op: x.op as SeccompOp };
        if (x.valueTwo != null) arg.valueTwo = argValue(x.valueTwo, `${w}.valueTwo`);
        return arg;
      });
    }
    const inc = filter(r.includes, `${what}.includes`);
    const exc = filter(r.excludes, `${what}.excludes`);
    if (inc) rule.includes = inc;
    if (exc) rule.excludes = exc;
    profile.syscalls.push(rule);
  }
  return profile;
}

// --- BPF -------------------------------------------------------------------------------------

/** One `struct sock_filter`. */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JMP_JA: 0x05,
  JMP_JEQ_K: 0x15,
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  RET_K: 0x06,
} as const;

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
} as const;

export const X32_SYSCALL_BIT = 0x40000000;
const ENOSYS = 38;
const EPERM = 1;

/** seccomp_data offsets. */
const OFF_NR = 0;
const OFF_ARCH = 4;
const offArgLo = (i: number): number => 16 + 8 * i;
const offArgHi = (i: number): number => 20 + 8 * i;

/** Encodes instructions as the raw `struct sock_filter` array (little-endian). */
export function encodeBpf(program: readonly BpfInsn[]): Buffer {
  const out = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(ins.jt, i * 8 + 2);
    out.writeUInt8(ins.jf, i * 8 + 3);
    out.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return out;
}

export function decodeBpf(bytes: Uint8Array): BpfInsn[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInsn[] = [];
  for (let off = 0; off + 8 <= b.length; off += 8) {
    out.push({
      code: b.readUInt16LE(off),
      jt: b.readUInt8(off + 2),
      jf: b.readUInt8(off + 3),
      k: b.readUInt32LE(off + 4),
    });
  }
  return out;
}

/** A small assembler: conditional jumps to labels (must land within 255), JA to labels. */
type Target = string | 'next';
type AsmInsn =
  | { op: 'ld'; k: number }
  | { op: 'and'; k: number }
  | { op: 'ret'; k: number }
  | { op: 'ja'; to: string }
  | { op: 'j'; code: number; k: number; jt: Target; jf: Target }
  | { op: 'label'; name: string };

class Assembler {
  readonly insns: AsmInsn[] = [];
  private n = 0;
  label(prefix: string): string {
    return `${prefix}#${this.n++}`;
  }
  place(name: string): void {
    this.insns.push({ op: 'label', name });
  }
  ld(k: number): void {
    this.insns.push({ op: 'ld', k });
  }
  and(k: number): void {
    this.insns.push({ op: 'and', k });
  }
  ret(k: number): void {
    this.insns.push({ op: 'ret', k });
  }
  ja(to: string): void {
    this.insns.push({ op: 'ja', to });
  }
  j(code: number, k: number, jt: Target, jf: Target): void {
    this.insns.push({ op: 'j', code, k, jt, jf });
  }
  assemble(): BpfInsn[] {
    const at = new Map<string, number>();
    let pc = 0;
    for (const i of this.insns) {
      if (i.op === 'label') at.set(i.name, pc);
      else pc++;
    }
    const out: BpfInsn[] = [];
    const rel = (from: number, to: Target, short: boolean): number => {
      if (to === 'next') return 0;
      const dest = at.get(to);
      if (dest === undefined) throw new Error(`seccomp compiler: unknown label ${to}`);
      const d = dest - from - 1;
      if (d < 0 || (short && d > 255)) throw new Error(`seccomp compiler: jump to ${to} out of range (${d})`);
      return d;
    };
    for (const i of this.insns) {
      const here = out.length;
      switch (i.op) {
        case 'label':
          break;
        case 'ld':
          out.push({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: i.k });
          break;
        case 'and':
          out.push({ code: BPF.ALU_AND_K, jt: 0, jf: 0, k: i.k >>> 0 });
          break;
        case 'ret':
          out.push({ code: BPF.RET_K, jt: 0, jf: 0, k: i.k >>> 0 });
          break;
        case 'ja':
          out.push({ code: BPF.JMP_JA, jt: 0, jf: 0, k: rel(here, i.to, false) });
          break;
        case 'j':
          out.push({ code: i.code, jt: rel(here, i.jt, true), jf: rel(here, i.jf, true), k: i.k >>> 0 });
          break;
      }
    }
    return out;
  }
}

// --- compiling ------------------------------------------------------------------------------

/** Docker's SCMP_ARCH_* names → berth's syscall tables (undefined: not compiled). */
const SCMP_ARCHES: Record<string, SyscallArch | undefined> = {
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_AARCH64: 'aarch64',
};

/** Node's process.arch → Docker's native SCMP arch and the Go arch name `includes.arches` uses. */
const NATIVE: Record<string, { scmp: string; go: string } | undefined> = {
  x64: { scmp: 'SCMP_ARCH_X86_64', go: 'amd64' },
  arm64: { scmp: 'SCMP_ARCH_AARCH64', go: 'arm64' },
  ia32: { scmp: 'SCMP_ARCH_X86', go: 'x86' },
};

export interface CompileOptions {
  /** The container's capabilities (CAP_ names). */
  capabilities: readonly string[];
  /** Node's arch name (default process.arch). */
  arch?: string;
  /** Kernel release for `minKernel` (default os.release()). */
  kernel?: string;
}

export interface CompiledSeccomp {
  /** The raw sock_filter array. */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
  flags: number;
  /** The number of instructions. */
  length: number;
}

function actionValue(action: SeccompAction, errnoRet: number | undefined, fallbackErrno: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO':
      return SECCOMP_RET.ERRNO | ((errnoRet ?? fallbackErrno) & 0xffff);
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_TRACE':
      return SECCOMP_RET.TRACE | ((errnoRet ?? 0) & 0xffff);
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
  }
}

function kernelAtLeast(release: string, min: string): boolean {
  const parse = (s: string): number[] =>
    (/^(\d+)\.(\d+)(?:\.(\d+))?/.exec(s)?.slice(1) ?? []).map((x) => Number(x ?? 0));
  const a = parse(release);
  const b = parse(min);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** Whether a rule applies to this container (moby's includes/excludes). */
function ruleApplies(rule: SeccompRule, caps: ReadonlySet<string>, goArch: string, kernel: string): boolean {
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(goArch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
    if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  }
  const exc = rule.excludes;
  if (exc) {
    if (exc.arches?.length && exc.arches.includes(goArch)) return false;
    if (exc.caps?.length && exc.caps.some((c) => caps.has(c))) return false;
    if (exc.minKernel && kernelAtLeast(kernel, exc.minKernel)) return false;
  }
  return true;
}

interface Decision {
  /** Conditional alternatives, tried in order. */
  conditional: Array<{ args: SeccompArg[]; ret: number }>;
  unconditional?: number;
}

const big = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);
const lo32 = (v: bigint): number => Number(v & 0xffffffffn);

/** Emits the test of one 64-bit comparison: falls through on success, jumps to `fail` otherwise. */
function emitCompare(asm: Assembler, arg: SeccompArg, fail: string): void {
  const pass = asm.label('pass');
  const v = big(arg.value);
  const hiOff = offArgHi(arg.index);
  const loOff = offArgLo(arg.index);
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE': {
      const [ok, ko] = arg.op === 'SCMP_CMP_EQ' ? [pass, fail] : [fail, pass];
      asm.ld(hiOff);
      asm.j(BPF.JMP_JEQ_K, hi32(v), 'next', ko);
      asm.ld(loOff);
      asm.j(BPF.JMP_JEQ_K, lo32(v), ok, ko);
      break;
    }
    case 'SCMP_CMP_MASKED_EQ': {
      const want = big(arg.valueTwo ?? 0) & v;
      asm.ld(hiOff);
      asm.and(hi32(v));
      asm.j(BPF.JMP_JEQ_K, hi32(want), 'next', fail);
      asm.ld(loOff);
      asm.and(lo32(v));
      asm.j(BPF.JMP_JEQ_K, lo32(want), pass, fail);
      break;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_LE':
    case 'SCMP_CMP_GE':
    case 'SCMP_CMP_LT': {
      // GT/GE decide "greater"; LE/LT are their negations.
      const strict = arg.op === 'SCMP_CMP_GT' || arg.op === 'SCMP_CMP_LE';
      const positive = arg.op === 'SCMP_CMP_GT' || arg.op === 'SCMP_CMP_GE';
      const [ok, ko] = positive ? [pass, fail] : [fail, pass];
      asm.ld(hiOff);
      asm.j(BPF.JMP_JGT_K, hi32(v), ok, 'next');
      asm.j(BPF.JMP_JEQ_K, hi32(v), 'next', ko);
      asm.ld(loOff);
      asm.j(strict ? BPF.JMP_JGT_K : BPF.JMP_JGE_K, lo32(v), ok, ko);
      break;
    }
  }
  asm.place(pass);
}

/**
 * The profile as the OCI spec carries it for this container (runc's view):
 * includes/excludes applied, the architecture list made explicit. Privileged
 * containers and seccomp=unconfined have none.
 */
export function resolveSeccomp(
  profile: SeccompProfile,
  options: CompileOptions,
): SeccompProfile & { architectures: string[] } {
  const native = NATIVE[options.arch ?? process.arch];
  if (native === undefined) throw invalidArgument(`seccomp: unsupported architecture ${options.arch ?? process.arch}`);
  const kernel = options.kernel ?? os.release();
  const caps = new Set(options.capabilities);
  let architectures: string[];
  if (profile.archMap && profile.archMap.length > 0) {
    const entry = profile.archMap.find((m) => m.architecture === native.scmp);
    architectures = entry ? [entry.architecture, ...entry.subArchitectures] : [];
  } else {
    architectures = profile.architectures ?? [];
  }
  const out: SeccompProfile & { architectures: string[] } = {
    defaultAction: profile.defaultAction,
    architectures,
    syscalls: profile.syscalls
      .filter((r) => ruleApplies(r, caps, native.go, kernel))
      .map((r) => {
        const rule: SeccompRule = { names: r.names, action: r.action };
        if (r.errnoRet !== undefined) rule.errnoRet = r.errnoRet;
        if (r.args && r.args.length > 0) rule.args = r.args;
        return rule;
      }),
  };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags !== undefined) out.flags = profile.flags;
  return out;
}

/**
 * Compiles a profile for this container into a seccomp BPF program. Throws
 * invalid-argument when the profile covers none of the host's architectures.
 */
export function compileSeccomp(profile: SeccompProfile, options: CompileOptions): CompiledSeccomp {
  const native = NATIVE[options.arch ?? process.arch];
  if (native === undefined) throw invalidArgument(`seccomp: unsupported architecture ${options.arch ?? process.arch}`);
  const kernel = options.kernel ?? os.release();
  const caps = new Set(options.capabilities);

  // which architectures the filter covers
  let scmpArches: string[];
  if (profile.archMap && profile.archMap.length > 0) {
    const entry = profile.archMap.find((m) => m.architecture === native.scmp);
    scmpArches = entry ? [entry.architecture, ...entry.subArchitectures] : [];
  } else if (profile.architectures && profile.architectures.length > 0) {
    scmpArches = profile.architectures;
  } else {
    scmpArches = [native.scmp];
  }
  const arches = [...new Set(scmpArches.map((a) => SCMP_ARCHES[a]).filter((a): a is SyscallArch => a !== undefined))];
  const nativeArch = SCMP_ARCHES[native.scmp] as SyscallArch;
  if (!arches.includes(nativeArch)) {
    throw invalidArgument(`seccomp profile does not cover the host architecture ${native.scmp}`);
  }

  const defaultRet = actionValue(profile.defaultAction, profile.defaultErrnoRet, EPERM);
  const rules = profile.syscalls.filter((r) => ruleApplies(r, caps, native.go, kernel));

  const asm = new Assembler();
  const badArch = asm.label('badarch');
  const sections: Array<{ arch: SyscallArch; label: string }> = arches.map((arch) => ({
    arch,
    label: asm.label(arch),
  }));

  // 1. architecture dispatch
  asm.ld(OFF_ARCH);
  const x86_64 = sections.find((s) => s.arch === 'x86_64');
  const x32 = sections.find((s) => s.arch === 'x32');
  const dispatch: Array<{ audit: number; label: string }> = [];
  if (x86_64 || x32) {
    const l = asm.label('amd64');
    dispatch.push({ audit: AUDIT_ARCH.X86_64, label: l });
  }
  for (const s of sections) {
    if (s.arch === 'x86') dispatch.push({ audit: AUDIT_ARCH.I386, label: s.label });
    if (s.arch === 'aarch64') dispatch.push({ audit: AUDIT_ARCH.AARCH64, label: s.label });
  }
  for (const d of dispatch) {
    const skip = asm.label('skip');
    asm.j(BPF.JMP_JEQ_K, d.audit, 'next', skip);
    asm.ja(d.label);
    asm.place(skip);
  }
  asm.ja(badArch);

  // x86_64 and x32 share AUDIT_ARCH_X86_64: split on the x32 bit
  if (x86_64 || x32) {
    const amd = dispatch[0] as { label: string };
    asm.place(amd.label);
    asm.ld(OFF_NR);
    const isX32 = asm.label('isx32');
    asm.j(BPF.JMP_JGE_K, X32_SYSCALL_BIT, isX32, 'next');
    asm.ja(x86_64 ? x86_64.label : badArch);
    asm.place(isX32);
    asm.ja(x32 ? x32.label : badArch);
  }

  // 2. one section per architecture: a chain of syscall-number compares
  for (const { arch, label } of sections) {
    const table = syscallTable(arch);
    const base = arch === 'x32' ? X32_SYSCALL_BIT : 0;
    const decisions = new Map<number, Decision>();
    for (const rule of rules) {
      const ret = actionValue(rule.action, rule.errnoRet, EPERM);
      for (const name of rule.names) {
        const nr = table.get(name);
        if (nr === undefined) continue;
        const d = decisions.get(nr + base) ?? { conditional: [] };
        if (rule.args && rule.args.length > 0) d.conditional.push({ args: rule.args, ret });
        else d.unconditional ??= ret;
        decisions.set(nr + base, d);
      }
    }
    const maxNr = Math.max(base, ...decisions.keys());
    asm.place(label);
    asm.ld(OFF_NR);
    // unconditional decisions grouped by action into chunks that end in one RET
    const byRet = new Map<number, number[]>();
    const conditional: Array<[number, Decision]> = [];
    for (const [nr, d] of [...decisions].sort((a, b) => a[0] - b[0])) {
      if (d.unconditional !== undefined) {
        if (d.unconditional === defaultRet) continue;
        const list = byRet.get(d.unconditional) ?? [];
        list.push(nr);
        byRet.set(d.unconditional, list);
      } else {
        conditional.push([nr, d]);
      }
    }
    const CHUNK = 200;
    for (const [ret, nrs] of byRet) {
      for (let i = 0; i < nrs.length; i += CHUNK) {
        const hit = asm.label('hit');
        const after = asm.label('after');
        for (const nr of nrs.slice(i, i + CHUNK)) asm.j(BPF.JMP_JEQ_K, nr, hit, 'next');
        asm.ja(after);
        asm.place(hit);
        asm.ret(ret);
        asm.place(after);
      }
    }
    const blocks: Array<{ label: string; d: Decision }> = [];
    for (const [nr, d] of conditional) {
      const l = asm.label(`nr${nr}`);
      const skip = asm.label('skip');
      asm.j(BPF.JMP_JEQ_K, nr, 'next', skip);
      asm.ja(l);
      asm.place(skip);
      blocks.push({ label: l, d });
    }
    // runc's -ENOSYS stub for numbers above those the filter knows
    const known = asm.label('known');
    asm.j(BPF.JMP_JGT_K, maxNr, 'next', known);
    asm.ret(SECCOMP_RET.ERRNO | ENOSYS);
    asm.place(known);
    asm.ret(defaultRet);
    // the argument checks of conditional syscalls
    for (const { label: l, d } of blocks) {
      asm.place(l);
      for (const alt of d.conditional) {
        const nextAlt = asm.label('alt');
        for (const arg of alt.args) emitCompare(asm, arg, nextAlt);
        asm.ret(alt.ret);
        asm.place(nextAlt);
      }
      asm.ret(defaultRet);
    }
  }
  asm.place(badArch);
  asm.ret(SECCOMP_RET.KILL_THREAD);

  const program = asm.assemble();
  if (program.length > 4096)
    throw invalidArgument(`seccomp profile compiles to ${program.length} instructions (limit 4096)`);
  let flags = FLAGS.SECCOMP_FILTER_FLAG_SPEC_ALLOW as number;
  if (profile.flags !== undefined) flags = profile.flags.reduce((f, name) => f | (FLAGS[name] ?? 0), 0);
  return { program: encodeBpf(program), flags, length: program.length };
}
